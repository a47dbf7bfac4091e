-- expected: [11|nan] (native DuckDB orders NaN above every number, so NaN > 3 holds); got: no rows: the file's
-- bounds (1.75) prune it although it holds a NaN (the same for "NOT (3 > c0)" in CREATE TABLE AS, and on FLOAT)
-- found by: difftest --seed 2 (cases 16759936561437784961 and 766743452121982601), shrunk by hand; switch nan-values
CREATE TABLE d.t (id BIGINT, c0 DOUBLE);
INSERT INTO d.t VALUES (11, 'nan'::DOUBLE), (13, 1.75);
SELECT * FROM d.t WHERE c0 > 3;
