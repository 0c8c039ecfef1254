CREATE TABLE "Mixed Case" ("Col A" bigint NOT NULL DEFAULT 1, "from" varchar(10), "New Col" text);
CREATE TYPE "Kind" AS ENUM ('One');
CREATE TABLE "Uses Kind" ("k" "Kind");
