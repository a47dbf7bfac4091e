-- expected: the INSERT fails with "Constraint Error: NOT NULL constraint failed: t.c2" (native DuckDB);
-- got: pond inserts the rows, NULLs included (the column is made optional) (issue 11 item 12)
-- found by: difftest --with-not-null (case 9218370948366668712); switch not-null
CREATE TABLE d.t (id BIGINT, c0 BLOB, c1 VARCHAR, c2 TIMESTAMP NOT NULL, c3 MAP(VARCHAR, INTEGER));
INSERT INTO d.t VALUES (1, '\x00\xFF'::BLOB, NULL, NULL, NULL), (2, '\x00\xFF'::BLOB, 'b', TIMESTAMP '2024-02-29 12:00:00', MAP {'abc': 0}), (3, '\x80'::BLOB, '日本', TIMESTAMP '2024-02-29 12:00:00', NULL), (4, 'abc'::BLOB, 'x''y', NULL, NULL);
