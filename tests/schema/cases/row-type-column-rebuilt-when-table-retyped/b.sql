CREATE TABLE zz_point (x bigint, y int);
CREATE TABLE a_shape (id int, corner zz_point, corners zz_point[]);
