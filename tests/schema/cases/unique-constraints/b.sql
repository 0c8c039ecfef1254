CREATE TABLE t (a int, b int, c int, CONSTRAINT t_a_key UNIQUE (a, c), CONSTRAINT t_c_key UNIQUE (c) DEFERRABLE);
