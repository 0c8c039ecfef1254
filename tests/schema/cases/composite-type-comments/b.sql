CREATE TYPE pair AS (a int, b text, c date);
COMMENT ON TYPE pair IS 'a pair';
COMMENT ON COLUMN pair.b IS 'second';
COMMENT ON COLUMN pair.c IS 'third';
CREATE TYPE "Odd Name" AS ("Weird col" int);
COMMENT ON TYPE "Odd Name" IS 'it''s odd';
