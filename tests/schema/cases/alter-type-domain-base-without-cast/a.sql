CREATE DOMAIN small_flag AS smallint CHECK (VALUE IN (0, 1));
CREATE DOMAIN yes_no AS boolean;
CREATE TABLE t (id int PRIMARY KEY, a small_flag, b smallint);
INSERT INTO t VALUES (1, 1, 0), (2, 0, 1);
