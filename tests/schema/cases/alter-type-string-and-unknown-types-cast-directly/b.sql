CREATE TABLE t (id int PRIMARY KEY, u text, code integer, n character varying(10), at date, p text);
