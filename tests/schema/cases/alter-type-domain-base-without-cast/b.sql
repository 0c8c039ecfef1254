CREATE DOMAIN small_flag AS smallint CHECK (VALUE IN (0, 1));
CREATE DOMAIN yes_no AS boolean;
CREATE TABLE t (id int PRIMARY KEY, a boolean, b yes_no);
