CREATE TABLE t (id int PRIMARY KEY, status varchar(10), price numeric,
    CONSTRAINT t_status_check CHECK (status IN ('a', 'b')),
    CONSTRAINT t_price_check CHECK (price > 0));
INSERT INTO t VALUES (1, 'a', 5);
CREATE INDEX t_open ON t (id) WHERE status IN ('a', 'b');
CREATE VIEW open_items AS SELECT id, status FROM t WHERE status IN ('a', 'b');
