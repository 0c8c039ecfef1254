CREATE TABLE parent (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE parent_all PARTITION OF parent DEFAULT;
CREATE TABLE child (id int, parent_id int, parent_at date, FOREIGN KEY (parent_id, parent_at) REFERENCES parent);
