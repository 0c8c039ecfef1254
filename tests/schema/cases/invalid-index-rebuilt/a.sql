CREATE TABLE acct (id int, email text, n int);
INSERT INTO acct SELECT g, 'u' || g || '@x', g FROM generate_series(1, 20) g;
CREATE UNIQUE INDEX acct_email ON acct (email);
CREATE INDEX acct_n ON acct (n) WHERE n > 5;
CREATE INDEX acct_id ON acct (id);
-- as a failed CREATE INDEX CONCURRENTLY leaves them
UPDATE pg_index SET indisvalid = false WHERE indexrelid IN ('acct_email'::regclass, 'acct_n'::regclass);
