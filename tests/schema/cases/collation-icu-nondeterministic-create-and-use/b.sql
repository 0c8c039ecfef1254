CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
COMMENT ON COLLATION case_insensitive IS 'compares without case';
CREATE COLLATION "German" (provider = icu, locale = 'de-DE');
CREATE TABLE users (id int PRIMARY KEY, email text COLLATE case_insensitive UNIQUE, nick text COLLATE "German");
CREATE INDEX users_nick ON users (nick COLLATE case_insensitive);
CREATE DOMAIN ci_text AS text COLLATE case_insensitive;
CREATE TABLE tags (name ci_text PRIMARY KEY);
