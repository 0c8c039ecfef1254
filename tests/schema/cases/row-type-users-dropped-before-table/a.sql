CREATE TABLE zz_point (x int, y int);
CREATE DOMAIN a_pt AS zz_point CHECK ((VALUE).x IS NOT NULL);
CREATE TABLE a_shape (id int, corner zz_point, corners zz_point[], pt a_pt);
INSERT INTO zz_point VALUES (1, 2);
INSERT INTO a_shape VALUES (1, ROW(1,2), ARRAY[ROW(1,2)::zz_point], ROW(3,4));
