CREATE TABLE t (id int PRIMARY KEY, u uuid, code text, n integer, at timestamptz, p point);
INSERT INTO t VALUES (1, '00000000-0000-0000-0000-000000000001', '42', 7, '2024-01-01 10:00+00', '(1,2)');
