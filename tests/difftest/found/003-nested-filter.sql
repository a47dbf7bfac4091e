-- expected: 0 rows (native DuckDB); got: error "d.t: filter: column c2 is not of a primitive type" (issue 11 item 6)
-- found by: difftest --with-nested-filters (case 4596321354816073103); switch nested-filters
CREATE TABLE d.t (id BIGINT, c0 TIMESTAMPTZ, c1 STRUCT(a INTEGER, b VARCHAR), c2 INTEGER[], c3 VARCHAR, c4 DECIMAL(18,11));
SELECT * FROM d.t WHERE c2 IS NOT NULL;
