CREATE TABLE a_shape (id int);
