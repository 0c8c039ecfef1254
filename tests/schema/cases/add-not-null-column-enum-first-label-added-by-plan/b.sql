CREATE TYPE level AS ENUM ('none', 'low', 'high');
CREATE TABLE t (id int PRIMARY KEY, lv level NOT NULL);
