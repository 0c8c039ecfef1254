CREATE TABLE keep (id int, c_id int);
