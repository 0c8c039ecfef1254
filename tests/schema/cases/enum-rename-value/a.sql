CREATE TYPE color AS ENUM ('red', 'grene', 'blue');
CREATE TABLE t (c color DEFAULT 'red');
INSERT INTO t VALUES ('grene');
