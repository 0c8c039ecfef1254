CREATE TABLE zz_point (x int, y int);
CREATE TABLE a_shape (id int, corner zz_point);
INSERT INTO a_shape VALUES (1, ROW(1, 2));
