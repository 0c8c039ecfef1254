CREATE TABLE t (id int PRIMARY KEY, status varchar(10), kind char(1), price numeric);
CREATE VIEW open_items AS SELECT id, status FROM t WHERE status IN ('a', 'b');
CREATE MATERIALIZED VIEW open_kinds AS SELECT kind, count(*) AS n FROM t WHERE kind IN ('x', 'y') GROUP BY kind;
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_open ON t USING (status IN ('a', 'b')) WITH CHECK (kind IN ('x', 'y'));
