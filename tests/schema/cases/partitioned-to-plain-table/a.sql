CREATE TABLE log (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE log_2024 PARTITION OF log FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE log_rest PARTITION OF log DEFAULT;
INSERT INTO log VALUES (1, '2024-01-01'), (2, '2030-01-01');
CREATE TABLE note (id int, log_id int, log_at date, FOREIGN KEY (log_id, log_at) REFERENCES log);
CREATE VIEW recent AS SELECT id FROM log;
