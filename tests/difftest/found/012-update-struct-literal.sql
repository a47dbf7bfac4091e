-- expected: "updated 0 rows" (native DuckDB runs it); got: error "expected = after 'b' in UPDATE d.t":
-- the SET list is split at commas inside {...} (only parentheses are tracked)
-- found by: difftest --with-nested-update-values (case 3158163048501207918); switch nested-update-values
CREATE TABLE d.t (id BIGINT, c0 STRUCT(a INTEGER, b VARCHAR), c1 DECIMAL(9,0), c2 INTEGER);
UPDATE d.t SET c0 = {'a': NULL, 'b': '日本'} WHERE ((c1 BETWEEN 69 AND 5435) AND (c2 > 2147483647)) OR ((c2 IS NULL) OR (c1 < 379));
