CREATE TABLE base (id int);
CREATE VIEW thing AS SELECT id FROM base;
