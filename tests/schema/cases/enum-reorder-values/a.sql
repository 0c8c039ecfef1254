CREATE TYPE prio AS ENUM ('high', 'low', 'medium');
CREATE TABLE task (p prio);
INSERT INTO task VALUES ('low'), ('high');
