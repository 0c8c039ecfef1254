CREATE TYPE prio AS ENUM ('low', 'medium', 'high');
CREATE TABLE task (p prio);
