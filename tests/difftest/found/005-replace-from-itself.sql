-- expected: the table replaced by its own rows where the filter holds (native DuckDB);
-- got: error "IO Error: No files found that match the pattern .../warehouse/d/t/data/....parquet":
-- the old table's files are dropped before the query reads them (issue 11 item 10)
-- found by: difftest --with-replace-self (case 11402577419714192848); switch replace-self
CREATE TABLE d.t (id BIGINT, c0 DECIMAL(19,1));
INSERT INTO d.t VALUES (1, 999999999999999999.9), (2, 7.7), (3, 96.9), (4, NULL), (5, 593.9), (1, 395.7);
ALTER TABLE d.t ADD COLUMN c1 INTEGER;
CREATE OR REPLACE TABLE d.t AS SELECT * FROM d.t WHERE (NOT (CAST(c1 AS VARCHAR) = CAST(9 AS VARCHAR))) OR (c1 <> 1);
