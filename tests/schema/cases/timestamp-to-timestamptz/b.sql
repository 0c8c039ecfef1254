CREATE TABLE ev (at timestamptz NOT NULL DEFAULT now());
