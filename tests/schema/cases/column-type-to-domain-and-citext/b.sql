CREATE EXTENSION citext;
CREATE DOMAIN pos AS int CHECK (VALUE > 0);
CREATE TABLE t (n pos, email citext);
