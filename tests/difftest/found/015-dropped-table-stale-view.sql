-- expected: error "table d.t does not exist" (as DuckDB says for a dropped table); got: the session still
-- has its view of the dropped table: "IO Error: No files found that match the pattern .../d/t/data/....parquet",
-- or, for a table that had no rows, an empty result instead of an error
-- found by: difftest's shrinker (a trial that dropped every step but the last query)
CREATE TABLE d.t (id INT);
INSERT INTO d.t VALUES (1);
SELECT * FROM d.t WHERE id > 0;
DROP TABLE d.t;
SELECT * FROM d.t;
