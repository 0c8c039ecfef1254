CREATE TABLE t (id int PRIMARY KEY, active boolean, doc json, price money, score numeric(6,2));
INSERT INTO t VALUES (1, true, '5', 12.5, 1.00), (2, false, '-3', 0, 0), (3, NULL, NULL, NULL, NULL);
