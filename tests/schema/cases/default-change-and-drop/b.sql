CREATE TABLE t (a int DEFAULT 2, b text, c timestamptz DEFAULT now());
