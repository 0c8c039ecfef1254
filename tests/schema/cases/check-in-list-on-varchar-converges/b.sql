CREATE TABLE t (id int PRIMARY KEY, status varchar(10) CHECK (status IN ('a', 'b')), kind char(1), price numeric,
    CONSTRAINT kind_known CHECK (kind IN ('x', 'y', 'z')) NOT VALID);
