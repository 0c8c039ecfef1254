CREATE TABLE t (name text COLLATE "C", code text);
