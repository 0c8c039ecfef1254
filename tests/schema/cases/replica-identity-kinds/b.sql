CREATE TABLE a_full (id int PRIMARY KEY, v text);
ALTER TABLE a_full REPLICA IDENTITY FULL;
CREATE TABLE a_nothing (id int, v text);
CREATE TABLE a_index (id int NOT NULL, code text NOT NULL, v text);
CREATE UNIQUE INDEX a_index_code ON a_index (code);
ALTER TABLE a_index REPLICA IDENTITY USING INDEX a_index_code;
-- the index is re-created (new column list): the identity must be set again after it
CREATE TABLE a_rebuilt (id int NOT NULL, code text NOT NULL);
CREATE UNIQUE INDEX a_rebuilt_code ON a_rebuilt (code, id);
ALTER TABLE a_rebuilt REPLICA IDENTITY USING INDEX a_rebuilt_code;
-- a new table whose identity is a new primary key's index
CREATE TABLE b_new (id int NOT NULL, v text, CONSTRAINT b_new_pk PRIMARY KEY (id));
ALTER TABLE b_new REPLICA IDENTITY USING INDEX b_new_pk;
CREATE TABLE parted (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
ALTER TABLE parted REPLICA IDENTITY FULL;
ALTER TABLE parted_eu REPLICA IDENTITY FULL;
