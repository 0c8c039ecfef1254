CREATE TABLE a (id int PRIMARY KEY, n int);
CREATE TABLE b (id int, k int NOT NULL, CONSTRAINT b_pkey PRIMARY KEY (id, k));
