CREATE TYPE kind AS ENUM ('a', 'b', 'c');
CREATE TABLE t (k kind DEFAULT 'c');
