CREATE EXTENSION citext VERSION '1.6';
CREATE EXTENSION hstore VERSION '1.7';
CREATE TABLE u (email citext UNIQUE, attrs hstore);
