CREATE TABLE users (id int PRIMARY KEY, email text);
INSERT INTO users SELECT g, 'User' || g || '@Example.com' FROM generate_series(1, 30) g;
