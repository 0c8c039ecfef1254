CREATE TYPE old_status AS ENUM ('x', 'y');
CREATE TYPE job AS (name text, st old_status);
CREATE TABLE jobs (id int PRIMARY KEY, j job);
INSERT INTO jobs SELECT g, ROW('n', 'x')::job FROM generate_series(1, 10) g;
