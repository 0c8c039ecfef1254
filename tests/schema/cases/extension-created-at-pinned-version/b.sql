CREATE EXTENSION hstore VERSION '1.5';
CREATE TABLE kv (id int PRIMARY KEY, attrs hstore);
