CREATE TABLE t (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE t_1 PARTITION OF t FOR VALUES FROM (0) TO (10);
CREATE TABLE t_2 PARTITION OF t FOR VALUES FROM (10) TO (20);
-- invalid: only t_1 attached
CREATE INDEX t_id ON ONLY t (id);
CREATE INDEX t_1_id ON t_1 (id);
ALTER INDEX t_id ATTACH PARTITION t_1_id;
-- valid in A, left invalid in B (a partition without its index)
CREATE TABLE u (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE u_1 PARTITION OF u FOR VALUES FROM (0) TO (10);
INSERT INTO t VALUES (1, 1), (2, 12);
