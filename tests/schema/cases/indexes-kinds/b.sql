CREATE TABLE t (id int, email text, data jsonb, name text, n int);
CREATE UNIQUE INDEX t_email_lower ON t (lower(email));
CREATE INDEX t_active ON t (id) WHERE n > 0;
CREATE INDEX t_data ON t USING gin (data jsonb_path_ops);
CREATE INDEX t_name_hash ON t USING hash (name);
CREATE INDEX t_id_incl ON t (id) INCLUDE (name, n);
CREATE INDEX t_name_pattern ON t (name text_pattern_ops DESC NULLS LAST);
