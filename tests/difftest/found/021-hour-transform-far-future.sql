-- expected: 1 (native DuckDB); got: 0: with an hour(c2) partition, "c2 = 9999-12-31 23:59:59.999999" prunes the
-- file holding that value (unpartitioned, identity and day(c2) are right; TIMESTAMP and TIMESTAMPTZ alike).
-- 253402300799999999 us / 3600e6 rounds up to the next hour in double arithmetic: one side of the hour
-- transform (the write's partition value or the filter's projection) is computed in floating point
-- found by: difftest --with-partition-evolution --with-fractional-filters --seed 12 (case 2696850348213262334), shrunk by hand; switch hour-far-future
CREATE TABLE d.t (id BIGINT, c2 TIMESTAMPTZ);
ALTER TABLE d.t ADD PARTITION FIELD hour(c2);
INSERT INTO d.t VALUES (2, TIMESTAMPTZ '0001-01-01 00:00:00+00'), (3, TIMESTAMPTZ '9999-12-31 23:59:59.999999+00');
SELECT count(*) FROM d.t WHERE c2 = TIMESTAMPTZ '9999-12-31 23:59:59.999999+00';
