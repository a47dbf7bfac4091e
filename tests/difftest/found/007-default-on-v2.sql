-- expected: c2 = 123e4567-e89b-12d3-a456-426614174000 in every row (native DuckDB fills the DEFAULT of a column an
-- INSERT leaves out); got: NULL: the write-default is ignored (and initial-default/write-default are v3 fields
-- written into this format-version 2 table) (issue 11 item 13)
-- found by: difftest --with-defaults --seed 11 (case 16945647867978830761); switch defaults
CREATE TABLE d.t (id BIGINT, c0 FLOAT);
ALTER TABLE d.t RENAME COLUMN c0 TO r1;
ALTER TABLE d.t ADD COLUMN c2 UUID DEFAULT '123e4567-e89b-12d3-a456-426614174000'::UUID;
INSERT INTO d.t (id, r1) VALUES (17, 1), (18, 225.0), (19, 0), (20, 225), (6, -7);
SELECT * FROM d.t;
