CREATE TABLE u (email text);
