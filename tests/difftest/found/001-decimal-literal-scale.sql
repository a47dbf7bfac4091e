-- expected: 2 rows, [2|0.9] and [4|0.9] (native DuckDB); got: 0 rows: the literal 0.9 loses its scale
-- in the scan filter, so files holding the rows are skipped (issue 11 item 1)
-- found by: difftest --with-fractional-filters (case 8849923569907289433); switch fractional-filters
CREATE TABLE d.t (id BIGINT, c0 DECIMAL(1,1));
INSERT INTO d.t VALUES (1, 0.1), (2, 0.9), (3, 0.1), (4, 0.9);
SELECT * FROM d.t WHERE (c0 >= 0.9) AND (c0 > -0.9);
