CREATE TABLE users (id int PRIMARY KEY, email text, nick text);
INSERT INTO users VALUES (1, 'A@x.org', 'Bob'), (2, 'b@x.org', 'al');
