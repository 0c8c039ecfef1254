CREATE SCHEMA legacy;
CREATE TABLE legacy.t (id int PRIMARY KEY);
CREATE TABLE legacy.u (t_id int REFERENCES legacy.t(id));
CREATE VIEW legacy.v AS SELECT * FROM legacy.u;
CREATE TYPE legacy.e AS ENUM ('x');
CREATE FUNCTION legacy.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
