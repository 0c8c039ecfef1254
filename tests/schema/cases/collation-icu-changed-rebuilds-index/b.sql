CREATE COLLATION sorter (provider = icu, locale = 'en-u-kn-false');
CREATE TABLE files (id int PRIMARY KEY, name text);
CREATE INDEX files_name_natural ON files (name COLLATE sorter);
