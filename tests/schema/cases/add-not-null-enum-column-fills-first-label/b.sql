CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TYPE color AS ENUM ('red', 'green');
CREATE TABLE t (id int PRIMARY KEY, m mood NOT NULL, c color NOT NULL, ms mood[] NOT NULL);
