CREATE TYPE pair AS (a int, b varchar(20), d text);
CREATE TABLE typed OF pair (PRIMARY KEY (a));
