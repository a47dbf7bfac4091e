-- expected: 1 (native DuckDB: -0.0 = 0 and -0.0 >= 0 hold); got: 0: a file whose bounds are -0.0 is
-- pruned for "c0 >= 0", "c0 = 0" and "c0 BETWEEN 0 AND 3" (the same for FLOAT)
-- found by: difftest --with-partition-evolution --seed 5 (case 5152976937684896091), shrunk by hand from
-- its 3-step repro (a MERGE of the rows (4, 0), (5, 'nan'), (6, '-0.0') and "WHERE c0 BETWEEN 0 AND 3"); switch negative-zero
CREATE TABLE d.t (id BIGINT, c0 DOUBLE);
INSERT INTO d.t VALUES (6, '-0.0'::DOUBLE);
SELECT count(*) FROM d.t WHERE c0 >= 0;
