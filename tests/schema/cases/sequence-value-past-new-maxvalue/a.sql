CREATE SEQUENCE s;
SELECT setval('s', 500);
CREATE SEQUENCE wide;
SELECT setval('wide', 40000);
