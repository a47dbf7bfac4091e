-- expected: 1 (native DuckDB); got: "INTERNAL Error: Calling StructValue::GetChildren on a NULL value",
-- after which the DuckDB database is invalidated. DuckDB 1.4 pushes c1.a = 3 into a read_parquet whose
-- field-id schema fills c1 as NULL in the file written before c1 existed. Fixed: the scan projects a
-- struct column through if(c IS NULL, NULL, c), which keeps the filter above the scan (tests/e2e/sql.sh).
-- found by: difftest --all (case 17011437180810317073), shrunk by hand
CREATE TABLE d.t (id BIGINT, c0 INTEGER);
INSERT INTO d.t VALUES (1, 1);
ALTER TABLE d.t ADD COLUMN c1 STRUCT(a INTEGER, b VARCHAR);
INSERT INTO d.t VALUES (2, 2, NULL), (3, 3, {'a': 3, 'b': 'x'});
SELECT count(*) FROM d.t WHERE c1.a = 3;
