CREATE TABLE zz_point (x int, y int) PARTITION BY RANGE (x);
CREATE TABLE a_shape (id int, corner zz_point);
