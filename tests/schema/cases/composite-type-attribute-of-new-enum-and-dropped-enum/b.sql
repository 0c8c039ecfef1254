CREATE TYPE new_status AS ENUM ('a', 'b');
CREATE TYPE job AS (name text, state new_status);
CREATE TABLE jobs (id int PRIMARY KEY, j job);
