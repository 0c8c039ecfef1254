CREATE TABLE log (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE log_rest PARTITION OF log DEFAULT;
CREATE SEQUENCE log_seq OWNED BY log.id;
CREATE TABLE note (id int, log_id int, log_at date, FOREIGN KEY (log_id, log_at) REFERENCES log);
CREATE VIEW recent AS SELECT id FROM log;
CREATE FUNCTION logs() RETURNS SETOF log LANGUAGE sql STABLE AS $$ SELECT * FROM log $$;
