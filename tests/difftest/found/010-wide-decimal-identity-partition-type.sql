-- expected: c0 of type DECIMAL(19,1) (native DuckDB); got: c0 reads as VARCHAR
-- (identity partition on a decimal wider than 18 digits, no NULLs involved)
-- found by: difftest --with-wide-decimal-partitions (case 11402577419714192848); switch wide-decimal-partitions
CREATE TABLE d.t (id BIGINT, c0 DECIMAL(19,1));
ALTER TABLE d.t ADD PARTITION FIELD c0;
INSERT INTO d.t VALUES (1, 684.3), (2, 29.6), (3, 999999999999999999.9), (4, 53.9);
SELECT * FROM d.t;
