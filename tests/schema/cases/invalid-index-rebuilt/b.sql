CREATE TABLE acct (id int, email text, n int);
CREATE UNIQUE INDEX acct_email ON acct (email);
CREATE INDEX acct_n ON acct (n) WHERE n > 5;
CREATE INDEX acct_id ON acct (id);
