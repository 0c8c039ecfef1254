CREATE TYPE color AS ENUM ('red', 'green', 'blue', 'violet');
CREATE TABLE paint (c color);
