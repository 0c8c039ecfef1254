CREATE TYPE status AS ENUM ('draft', 'published');
CREATE TABLE t (id int, s status NOT NULL DEFAULT 'draft', history status[]);
