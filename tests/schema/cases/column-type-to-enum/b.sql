CREATE TYPE letters AS ENUM ('a', 'b', 'c');
CREATE TABLE t (s letters);
