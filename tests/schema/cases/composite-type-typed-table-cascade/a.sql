CREATE TYPE pair AS (a int, b text, c int);
CREATE TABLE typed OF pair (PRIMARY KEY (a));
INSERT INTO typed VALUES (1, 'x', 2);
