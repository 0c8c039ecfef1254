CREATE TABLE t (a int, b int, c int, CONSTRAINT t_a_key UNIQUE (a), CONSTRAINT t_b_key UNIQUE (b));
