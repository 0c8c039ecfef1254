CREATE TABLE t (a bigint, b bigint);
CREATE INDEX t_a ON t (a);
ALTER TABLE t ADD CONSTRAINT t_b_uq UNIQUE (b);
