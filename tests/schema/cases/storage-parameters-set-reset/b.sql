CREATE TABLE hot (id int, body text) WITH (fillfactor = 90, autovacuum_enabled = false);
CREATE TABLE cold (id int, body text) WITH (toast.autovacuum_vacuum_threshold = 500, parallel_workers = 2);
CREATE TABLE keep (id int) WITH (autovacuum_analyze_threshold = 100);
CREATE TABLE fresh (id int, doc text) WITH (fillfactor = 60, toast.autovacuum_enabled = false);
