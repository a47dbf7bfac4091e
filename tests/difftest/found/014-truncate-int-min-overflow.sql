-- expected: 3 rows inserted (native DuckDB; Iceberg's truncate of -2147483648 by 9 wraps in 32 bits as
-- Java's does, or is computed in 64 bits); got: error "Out of Range Error: Overflow in subtraction of INT32 (-2147483648 - 7)!"
-- now, by design: "c0 -2147483648 cannot go in partition field c0_trunc_9 (truncate[9]): truncated, it is below
-- the int range" (a wrapped value would put the row where filters skip it); the switch stays off in main.c
-- found by: difftest --with-truncate-int-extremes (case 8565051095245820749); switch truncate-int-extremes
CREATE TABLE d.t (id BIGINT, c0 INTEGER);
ALTER TABLE d.t ADD PARTITION FIELD truncate(9, c0);
INSERT INTO d.t VALUES (3, -2147483648), (6, -7), (7, 7);
