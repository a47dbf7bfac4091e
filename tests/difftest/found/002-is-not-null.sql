-- expected: 4 rows (native DuckDB); got: 0 rows: IS NOT NULL is planned as IS NULL (issue 11 item 2)
-- found by: difftest --with-is-not-null (case 8849923569907289433); switch is-not-null
CREATE TABLE d.t (id BIGINT, c0 DECIMAL(1,1));
INSERT INTO d.t VALUES (1, 0.1), (2, 0.9), (3, 0.1), (4, 0.9);
SELECT * FROM d.t WHERE c0 IS NOT NULL;
