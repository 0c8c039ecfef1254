CREATE TYPE color AS ENUM ('blue');
CREATE TABLE paint (c color);
INSERT INTO paint VALUES ('blue');
