CREATE TABLE zz_point (x int, y int);
CREATE DOMAIN a_pt AS zz_point;
CREATE DOMAIN b_pt AS zz_point CHECK ((VALUE).x IS NOT NULL);
CREATE TABLE a_shape (id int, corner zz_point, corners zz_point[], pt a_pt, pts b_pt[]);
