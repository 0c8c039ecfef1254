CREATE TABLE zz_point (x int, y int, z int);
CREATE TABLE a_shape (id int, corner zz_point, corners zz_point[]);
INSERT INTO zz_point VALUES (1, 2, 3);
INSERT INTO a_shape VALUES (1, ROW(1, 2, 3), ARRAY[ROW(1, 2, 3)::zz_point]);
