CREATE TABLE t (id int);
CREATE TABLE keep (id int);
