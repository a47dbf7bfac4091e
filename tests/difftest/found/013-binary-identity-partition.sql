-- expected: 4 rows inserted (native DuckDB); got: error "Invalid Input Error: Invalid unicode (byte
-- sequence mismatch) detected in value construction": a BLOB identity partition value '\x80' is handled as text
-- found by: difftest --with-binary-partitions (case 9218370948366668712); switch binary-partitions
CREATE TABLE d.t (id BIGINT, c0 BLOB, c1 UUID, c2 VARCHAR, c3 BLOB);
ALTER TABLE d.t ADD PARTITION FIELD c3;
INSERT INTO d.t VALUES (1, '\x00\xFF'::BLOB, NULL, NULL, '\x80'::BLOB), (2, ''::BLOB, '123e4567-e89b-12d3-a456-426614174000'::UUID, '🦆', '\x80'::BLOB), (3, '\x80'::BLOB, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID, NULL, ''::BLOB), (3, 'abc'::BLOB, '00000000-0000-0000-0000-000000000000'::UUID, NULL, 'abc'::BLOB);
