CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int, parent_id int REFERENCES parent);
INSERT INTO parent VALUES (1);
INSERT INTO child VALUES (1, 1);
