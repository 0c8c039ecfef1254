CREATE TABLE zz_point (x int, y int);
INSERT INTO zz_point VALUES (1, 2);
