CREATE EXTENSION citext VERSION '1.4';
CREATE EXTENSION hstore VERSION '1.4';
CREATE TABLE u (email citext UNIQUE, attrs hstore);
INSERT INTO u VALUES ('A@x.org', 'a=>1');
