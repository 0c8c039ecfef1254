CREATE TYPE state AS ENUM ('new', 'legacy', 'done');
CREATE TABLE job (id int PRIMARY KEY, st state NOT NULL DEFAULT 'new', past state[]);
CREATE INDEX job_done ON job (id) WHERE st = 'done';
CREATE VIEW open_jobs AS SELECT id, st FROM job WHERE st <> 'done';
INSERT INTO job VALUES (1, 'new', '{new}'), (2, 'done', '{new,done}');
