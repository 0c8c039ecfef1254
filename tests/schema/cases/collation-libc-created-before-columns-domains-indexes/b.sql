CREATE COLLATION bytewise (provider = libc, locale = 'C');
CREATE COLLATION mixed (provider = libc, lc_collate = 'C', lc_ctype = 'C.UTF-8');
COMMENT ON COLLATION bytewise IS 'byte order';
CREATE DOMAIN code AS text COLLATE bytewise;
CREATE TABLE people (id int PRIMARY KEY, name text COLLATE mixed, tag code);
CREATE INDEX people_name_bytes ON people (name COLLATE bytewise);
CREATE TABLE labels (id int PRIMARY KEY, label text COLLATE bytewise);
