CREATE TABLE t (n int CONSTRAINT n_positive CHECK (n > 0), m int CONSTRAINT m_small CHECK (m < 10));
INSERT INTO t VALUES (1, 1);
