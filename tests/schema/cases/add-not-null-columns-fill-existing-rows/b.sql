CREATE TABLE t (
    id int PRIMARY KEY,
    n integer NOT NULL,
    amount numeric(10,2) NOT NULL,
    s text NOT NULL,
    v varchar(20) NOT NULL,
    b boolean NOT NULL,
    ts timestamptz NOT NULL,
    d date NOT NULL,
    j jsonb NOT NULL,
    tags text[] NOT NULL,
    u uuid NOT NULL,
    kept text NOT NULL DEFAULT 'x'
);
CREATE TABLE empty_one (id int PRIMARY KEY, p point NOT NULL);
