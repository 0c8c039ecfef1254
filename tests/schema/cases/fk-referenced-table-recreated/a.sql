CREATE TABLE parent (id int PRIMARY KEY, at date);
CREATE TABLE child (id int, parent_id int REFERENCES parent);
INSERT INTO parent VALUES (1, '2024-01-01');
INSERT INTO child VALUES (1, 1);
