CREATE TABLE t (ids bigint[], tags varchar(20)[], scores numeric(5,2)[] DEFAULT '{}');
