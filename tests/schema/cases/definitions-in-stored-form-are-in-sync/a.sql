CREATE TABLE t (id int PRIMARY KEY, status varchar(10),
    CONSTRAINT t_status_check CHECK (((status)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]))));
INSERT INTO t VALUES (1, 'a');
CREATE INDEX t_open ON t USING btree (id) WHERE ((status)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]));
CREATE VIEW open_items AS SELECT t.id, t.status FROM t WHERE ((t.status)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]));
