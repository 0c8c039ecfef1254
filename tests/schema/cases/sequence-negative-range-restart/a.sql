CREATE SEQUENCE down INCREMENT -1;
SELECT nextval('down'), nextval('down');
CREATE SEQUENCE fresh_down INCREMENT -1;
