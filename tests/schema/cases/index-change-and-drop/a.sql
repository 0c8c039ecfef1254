CREATE TABLE t (a int, b int);
CREATE INDEX t_ab ON t (a, b);
CREATE INDEX t_b ON t (b);
