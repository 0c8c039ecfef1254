CREATE TABLE cache (k text, v text);
CREATE TABLE big (id int) WITH (fillfactor = 70, autovacuum_enabled = false);
