CREATE TABLE hot (id int, body text) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.2, toast.autovacuum_enabled = false);
CREATE TABLE cold (id int, body text);
CREATE TABLE keep (id int) WITH (autovacuum_analyze_threshold = 100);
INSERT INTO hot SELECT g, 'row ' || g FROM generate_series(1, 50) g;
