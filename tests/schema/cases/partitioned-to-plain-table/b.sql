CREATE TABLE log (id int, at date, PRIMARY KEY (id, at));
CREATE TABLE note (id int, log_id int, log_at date, FOREIGN KEY (log_id, log_at) REFERENCES log);
CREATE VIEW recent AS SELECT id FROM log;
