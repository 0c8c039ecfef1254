CREATE SCHEMA "Billing Data";
CREATE TYPE "Billing Data"."Status" AS ENUM ('Open', 'it''s closed');
CREATE TABLE "Billing Data"."Invoice Lines" (
    "ID" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "select" text,
    "order" int,
    "Amount Due" numeric(10,2) DEFAULT 0,
    "status" "Billing Data"."Status" DEFAULT 'Open'
);
CREATE TABLE "User" ("user" int PRIMARY KEY, "group" int);
ALTER TABLE "Billing Data"."Invoice Lines" ADD CONSTRAINT "FK to User" FOREIGN KEY ("order") REFERENCES "User"("user");
CREATE INDEX "Idx Select" ON "Billing Data"."Invoice Lines" ("select", "Amount Due");
CREATE VIEW "Billing Data"."Open Lines" AS SELECT "ID", "select" FROM "Billing Data"."Invoice Lines" WHERE "status" = 'Open';
CREATE FUNCTION "Billing Data"."Total"("from" int) RETURNS numeric LANGUAGE sql AS $$ SELECT sum("Amount Due") FROM "Billing Data"."Invoice Lines" WHERE "order" >= "from" $$;
COMMENT ON COLUMN "Billing Data"."Invoice Lines"."select" IS 'reserved word';
