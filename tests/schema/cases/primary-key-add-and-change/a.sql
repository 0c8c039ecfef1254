CREATE TABLE a (id int NOT NULL, n int);
CREATE TABLE b (id int, k int, CONSTRAINT b_pkey PRIMARY KEY (id));
INSERT INTO b VALUES (1, 1);
