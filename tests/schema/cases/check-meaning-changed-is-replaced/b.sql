CREATE TABLE t (id int PRIMARY KEY, status varchar(10), price numeric,
    CONSTRAINT t_status_check CHECK (status IN ('a', 'c')),
    CONSTRAINT t_price_check CHECK (price > 0.0));
CREATE INDEX t_open ON t (id) WHERE status IN ('a', 'b', 'c');
CREATE VIEW open_items AS SELECT id, status FROM t WHERE status IN ('b', 'a');
