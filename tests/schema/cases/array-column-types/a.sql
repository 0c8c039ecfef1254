CREATE TABLE t (ids int[], tags text[]);
INSERT INTO t VALUES ('{1,2}', '{a}');
