-- expected: c0 of type FLOAT (native DuckDB: columns id bigint|c0 float|...); got: c0 reads as VARCHAR once a
-- file's identity partition value is NaN ('inf', '-inf' and -0.0 keep FLOAT)
-- found by: difftest --with-defaults --seed 5 (case 7449447150632975974); switch nan-identity-values
CREATE TABLE d.t (id BIGINT, c0 FLOAT, c1 TIMESTAMPTZ, c2 UUID, c3 MAP(VARCHAR, INTEGER), c4 STRUCT(a INTEGER, b VARCHAR));
ALTER TABLE d.t ADD PARTITION FIELD c0;
INSERT INTO d.t VALUES (11, 'nan'::FLOAT, TIMESTAMPTZ '1999-12-31 23:00:00+00', 'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID, NULL, NULL);
SELECT * FROM d.t;
