CREATE TABLE "Mixed Case" ("Col A" int, "from" text, "Drop Me" int);
CREATE TYPE "Kind" AS ENUM ('One', 'Two');
CREATE TABLE "Uses Kind" ("k" "Kind");
