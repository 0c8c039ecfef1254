CREATE TABLE t (a int, b int, total int GENERATED ALWAYS AS (a + b + 1) STORED, twice int, half int GENERATED ALWAYS AS (a / 2) STORED);
