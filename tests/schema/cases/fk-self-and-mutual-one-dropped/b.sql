CREATE TABLE b (id int PRIMARY KEY, a_id int);
