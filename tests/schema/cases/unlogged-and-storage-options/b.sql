CREATE UNLOGGED TABLE cache (k text, v text);
CREATE TABLE big (id int) WITH (fillfactor = 80);
