CREATE SCHEMA a;
CREATE SCHEMA b;
CREATE TYPE b.flag AS ENUM ('on', 'off');
CREATE TABLE a.p (id int PRIMARY KEY, f b.flag);
CREATE TABLE b.c (p_id int REFERENCES a.p(id), f b.flag DEFAULT 'on');
CREATE VIEW b.joined AS SELECT c.p_id, p.f FROM b.c JOIN a.p ON p.id = c.p_id;
