-- expected: the four counts 1, 0, 1, 0 (native DuckDB; 1 = 0 + 1 + 0); got: 1, 0, 0, 0: the ternary-logic
-- check fails because "c0 > -9223372036854775808" projected through truncate[6] overflows and prunes the file
-- (also "WHERE c0 > -9223372036854775808" alone: 0 rows instead of 1)
-- found by: difftest --with-partition-evolution (case 3038538154221405495), ternary logic check; switch truncate-int-extremes
CREATE TABLE d.t (id BIGINT, c0 BIGINT);
ALTER TABLE d.t ADD PARTITION FIELD truncate(6, c0);
INSERT INTO d.t VALUES (1, -1);
SELECT count(*) FROM d.t;
SELECT count(*) FROM d.t WHERE c0 <= -9223372036854775808;
SELECT count(*) FROM d.t WHERE NOT (c0 <= -9223372036854775808);
SELECT count(*) FROM d.t WHERE (c0 <= -9223372036854775808) IS NULL;
