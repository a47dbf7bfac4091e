-- expected: c3 keeps type FLOAT (native DuckDB: columns id bigint|...|c3 float|...);
-- got: c3 reads as VARCHAR once a file has a NULL identity partition value
-- (smaller: create table d.t (id bigint, k bigint); alter table d.t add partition field k;
--  insert into d.t values (1, 5), (2, NULL); select typeof(k) from d.t  -> VARCHAR)
-- found by: difftest --with-null-identity-values (case 9301185114888389798); switch null-identity-values
CREATE TABLE d.t (id BIGINT, c0 BIGINT, c1 FLOAT, c2 STRUCT(a INTEGER, b VARCHAR), c3 FLOAT, c4 TIMESTAMPTZ);
ALTER TABLE d.t ADD PARTITION FIELD c3;
INSERT INTO d.t VALUES (1, -3, NULL, {'a': 1, 'b': 'b'}, '-inf'::FLOAT, NULL), (2, -9223372036854775808, -2.25, {'a': 1, 'b': ''}, -1, TIMESTAMPTZ '2024-02-29 12:00:00+00'), (3, 1, NULL, {'a': NULL, 'b': '🦆'}, NULL, TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'), (2, -7, -1, {'a': 1, 'b': 'zzzz'}, NULL, TIMESTAMPTZ '0001-01-01 00:00:00+00'), (4, 0, NULL, {'a': NULL, 'b': 'abc'}, NULL, TIMESTAMPTZ '1969-12-31 23:59:59.999999+00'), (5, 1000000000000, NULL, {'a': 4, 'b': 'b'}, -7, TIMESTAMPTZ '1969-12-31 23:59:59.999999+00');
SELECT * FROM d.t;
