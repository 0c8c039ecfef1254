CREATE TYPE kind AS ENUM ('a', 'b');
CREATE TABLE t (k kind DEFAULT 'a');
INSERT INTO t VALUES ('b');
