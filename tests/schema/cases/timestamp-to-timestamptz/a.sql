CREATE TABLE ev (at timestamp without time zone NOT NULL DEFAULT now());
INSERT INTO ev DEFAULT VALUES;
