CREATE TABLE keep (id int PRIMARY KEY);
CREATE TABLE old_stuff (id int PRIMARY KEY, note text);
INSERT INTO old_stuff VALUES (1, 'x'), (2, 'y');
