CREATE COLLATION sorter (provider = icu, locale = 'en-u-kn-true');
CREATE TABLE files (id int PRIMARY KEY, name text);
INSERT INTO files SELECT g, 'file' || g FROM generate_series(1, 30) g;
CREATE INDEX files_name_natural ON files (name COLLATE sorter);
