CREATE TABLE t (code varchar(20), name varchar(30));
