CREATE TYPE gone AS ENUM ('x');
CREATE TABLE t (id int, g gone);
