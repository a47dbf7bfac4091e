-- expected: rows inserted (native DuckDB; the Iceberg spec defines truncate[W] for decimal and binary);
-- got: error "writing to partition field "c0_trunc_1" (truncate[1]) is not supported yet"
-- (the same for a DECIMAL column: CREATE TABLE d.t (id BIGINT, c0 DECIMAL(1,1)); truncate(5, c0))
-- found by: difftest --with-truncate-decimal-binary (case 9218370948366668712); switch truncate-decimal-binary
CREATE TABLE d.t (id BIGINT, c0 BLOB, c1 UUID, c2 VARCHAR, c3 BLOB);
ALTER TABLE d.t ADD PARTITION FIELD truncate(1, c0);
INSERT INTO d.t VALUES (1, NULL, NULL, NULL, '\x00\xFF'::BLOB), (2, '\x00\xFF'::BLOB, '00000000-0000-0000-0000-000000000000'::UUID, 'abc', '\x00\xFF'::BLOB);
