CREATE SEQUENCE s;
CREATE TABLE t (id bigint DEFAULT nextval('s'), n int);
INSERT INTO t (n) VALUES (1), (2), (3);
