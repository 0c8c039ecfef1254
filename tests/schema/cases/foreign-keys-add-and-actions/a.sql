CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES parent(id));
INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1);
