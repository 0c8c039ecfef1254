"""The analyzer's table: (SQL, expected codes in order of appearance, expected verdict).

Unqualified tables are existing production tables unless the SQL creates them first.
"""

from __future__ import annotations

S, N, D = "SAFE", "NEEDS_ATTENTION", "DESTRUCTIVE"

CASES: list[tuple[str, list[str], str]] = [
    # --- DESTRUCTIVE: drops
    ("DROP TABLE users", ["DROP_TABLE"], D),
    ("DROP TABLE IF EXISTS app.users", ["DROP_TABLE"], D),
    ('DROP TABLE "User", "Post"', ["DROP_TABLE", "DROP_TABLE"], D),
    ("DROP TABLE users CASCADE", ["DROP_TABLE", "CASCADE"], D),
    ("ALTER TABLE users DROP COLUMN email", ["DROP_COLUMN"], D),
    ('ALTER TABLE "User" DROP COLUMN "emailVerified"', ["DROP_COLUMN"], D),
    ("ALTER TABLE users DROP COLUMN IF EXISTS email CASCADE", ["DROP_COLUMN", "CASCADE"], D),
    ("ALTER TABLE IF EXISTS ONLY public.users DROP COLUMN a", ["DROP_COLUMN"], D),
    ("ALTER TYPE pair DROP ATTRIBUTE b, ADD ATTRIBUTE c int", ["DROP_COLUMN"], D),
    ("ALTER TYPE pair DROP ATTRIBUTE b CASCADE", ["DROP_COLUMN", "CASCADE"], D),
    ("DROP AGGREGATE total(int)", ["DROP_OBJECT"], D),
    ("DROP COLLATION ci", ["DROP_OBJECT"], D),
    ("DROP SCHEMA legacy", ["DROP_SCHEMA"], D),
    ("DROP SCHEMA legacy CASCADE", ["DROP_SCHEMA", "CASCADE"], D),
    ('DROP TYPE "Role"', ["DROP_TYPE"], D),
    ("DROP DOMAIN posint", ["DROP_TYPE"], D),
    ("DROP VIEW active_users", ["DROP_VIEW"], D),
    ("DROP MATERIALIZED VIEW stats", ["DROP_MATERIALIZED_VIEW"], D),
    ("DROP FUNCTION f(int)", ["DROP_FUNCTION"], D),
    ("DROP FUNCTION IF EXISTS app.f", ["DROP_FUNCTION"], D),
    ("DROP PROCEDURE p()", ["DROP_PROCEDURE"], D),
    ("DROP SEQUENCE users_id_seq", ["DROP_SEQUENCE"], D),
    ("DROP DATABASE old", ["DROP_DATABASE", "NON_TRANSACTIONAL"], D),
    ("DROP TRIGGER audit ON users", ["DROP_OBJECT"], D),
    ("DROP EXTENSION pgcrypto CASCADE", ["DROP_OBJECT", "CASCADE"], D),
    ("DROP POLICY p ON users", ["DROP_OBJECT"], D),
    ("DROP ROLE olduser", ["DROP_OBJECT"], D),
    # --- DESTRUCTIVE: data
    ("TRUNCATE users", ["TRUNCATE"], D),
    ("TRUNCATE TABLE a, b CASCADE", ["TRUNCATE", "CASCADE", "TRUNCATE", "CASCADE"], D),
    ("DELETE FROM users", ["DELETE_ROWS"], D),
    ("DELETE FROM users WHERE id < 10", ["DELETE_ROWS"], D),
    ("UPDATE users SET name = 'x'", ["UPDATE_ROWS"], D),
    ('UPDATE "User" SET "role" = \'USER\' WHERE "role" = \'GUEST\'', ["UPDATE_ROWS"], D),
    # --- DESTRUCTIVE: type changes (even widening)
    ("ALTER TABLE invoices ALTER COLUMN amount TYPE numeric(12,2)", ["ALTER_COLUMN_TYPE"], D),
    ("ALTER TABLE t ALTER COLUMN a SET DATA TYPE bigint", ["ALTER_COLUMN_TYPE"], D),
    ("ALTER TABLE t ALTER COLUMN a TYPE text USING a::text", ["ALTER_COLUMN_TYPE"], D),
    (
        'ALTER TABLE "Order" ALTER COLUMN "total" SET DATA TYPE DECIMAL(65,30)',
        ["ALTER_COLUMN_TYPE"],
        D,
    ),
    ("ALTER TABLE t ALTER COLUMN v TYPE varchar(500)", ["ALTER_COLUMN_TYPE"], D),
    # --- NEEDS_ATTENTION
    ("ALTER TABLE users ALTER COLUMN email SET NOT NULL", ["SET_NOT_NULL"], N),
    ('ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL', ["SET_NOT_NULL"], N),
    ("ALTER TABLE users ADD COLUMN age int NOT NULL", ["ADD_COLUMN_NOT_NULL_NO_DEFAULT"], N),
    ('ALTER TABLE "User" ADD COLUMN "age" INTEGER NOT NULL', ["ADD_COLUMN_NOT_NULL_NO_DEFAULT"], N),
    ("ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0)", ["ADD_CHECK_CONSTRAINT"], N),
    ("ALTER TABLE users ADD CONSTRAINT u UNIQUE (email)", ["ADD_UNIQUE_CONSTRAINT"], N),
    ("ALTER TABLE users ADD PRIMARY KEY (id)", ["ADD_PRIMARY_KEY"], N),
    (
        "ALTER TABLE users ADD CONSTRAINT pk PRIMARY KEY USING INDEX users_id_idx",
        ["ADD_PRIMARY_KEY"],
        N,
    ),
    (
        'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") '
        'REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE',
        ["ADD_FOREIGN_KEY"],
        N,
    ),
    (
        "ALTER TABLE r ADD CONSTRAINT ex EXCLUDE USING gist (room WITH =)",
        ["ADD_EXCLUSION_CONSTRAINT"],
        N,
    ),
    ("CREATE INDEX users_email_idx ON users (email)", ["INDEX_BLOCKS_WRITES"], N),
    ('CREATE UNIQUE INDEX "User_email_key" ON "User"("email")', ["UNIQUE_INDEX_BLOCKS_WRITES"], N),
    ("CREATE INDEX IF NOT EXISTS i ON app.t USING btree (a) WHERE b", ["INDEX_BLOCKS_WRITES"], N),
    ("CREATE INDEX CONCURRENTLY i ON t (a)", ["NON_TRANSACTIONAL"], N),
    ("CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)", ["NON_TRANSACTIONAL"], N),
    (
        "ALTER TABLE t ADD COLUMN id2 uuid DEFAULT gen_random_uuid()",
        ["ADD_COLUMN_VOLATILE_DEFAULT"],
        N,
    ),
    ("ALTER TABLE t ADD COLUMN r float8 DEFAULT random()", ["ADD_COLUMN_VOLATILE_DEFAULT"], N),
    (
        "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()",
        ["ADD_COLUMN_VOLATILE_DEFAULT"],
        N,
    ),
    ("ALTER TABLE t ADD COLUMN n bigserial", ["ADD_COLUMN_VOLATILE_DEFAULT"], N),
    (
        "ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED",
        ["ADD_COLUMN_VOLATILE_DEFAULT"],
        N,
    ),
    (
        "ALTER TABLE t ADD COLUMN i int GENERATED ALWAYS AS IDENTITY",
        ["ADD_COLUMN_VOLATILE_DEFAULT"],
        N,
    ),
    ("ALTER TABLE t ADD COLUMN d int DEFAULT my_func()", ["ADD_COLUMN_VOLATILE_DEFAULT"], N),
    ("ALTER TABLE users RENAME TO members", ["RENAME_TABLE"], N),
    ('ALTER TABLE "User" RENAME COLUMN "name" TO "fullName"', ["RENAME_COLUMN"], N),
    ("ALTER VIEW v RENAME TO v2", ["RENAME_TABLE"], N),
    ("ALTER TABLE users SET SCHEMA archive", ["RENAME_TABLE"], N),
    ("ALTER SCHEMA app RENAME TO app2", ["RENAME_OBJECT"], N),
    ("ALTER TYPE \"Role\" RENAME VALUE 'ADMIN' TO 'OWNER'", ["RENAME_ENUM_VALUE"], N),
    ("DROP INDEX users_email_idx", ["DROP_INDEX"], N),
    ('DROP INDEX "User_email_key"', ["DROP_INDEX"], N),
    ("DROP INDEX CONCURRENTLY IF EXISTS i", ["DROP_INDEX", "NON_TRANSACTIONAL"], N),
    ('ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey"', ["DROP_CONSTRAINT"], N),
    ("ALTER TABLE users ALTER COLUMN role DROP DEFAULT", ["DROP_DEFAULT"], N),
    ("ALTER TABLE t ALTER COLUMN id DROP IDENTITY", ["DROP_DEFAULT"], N),
    ("ALTER TABLE t SET TABLESPACE fast", ["TABLE_REWRITE"], N),
    ("ALTER TABLE t SET UNLOGGED", ["TABLE_REWRITE"], N),
    ("VACUUM FULL t", ["NON_TRANSACTIONAL", "TABLE_REWRITE"], N),
    ("VACUUM t", ["NON_TRANSACTIONAL"], N),
    ("CLUSTER t USING t_pkey", ["TABLE_REWRITE"], N),
    ("REINDEX INDEX CONCURRENTLY i", ["NON_TRANSACTIONAL"], N),
    ("CREATE DATABASE x", ["NON_TRANSACTIONAL"], N),
    ("ALTER SYSTEM SET work_mem = '64MB'", ["NON_TRANSACTIONAL"], N),
    ("ALTER TABLE p DETACH PARTITION p2020", ["DETACH_PARTITION"], N),
    ("DO $$ BEGIN PERFORM 1; END $$", ["OPAQUE_CODE"], N),
    ("CALL cleanup()", ["OPAQUE_CODE"], N),
    ("SELEC 1", ["UNPARSED"], N),
    ("ALTER TABLE users ADD COLUMN", ["UNPARSED"], N),
    ("\\connect prod", ["PSQL_META_COMMAND"], N),
    # --- transaction control the one apply transaction cannot run (bare BEGIN/COMMIT fold: SAFE)
    ("ROLLBACK", ["TRANSACTION_CONTROL"], N),
    ("COMMIT AND CHAIN", ["TRANSACTION_CONTROL"], N),
    ("SAVEPOINT s", ["TRANSACTION_CONTROL"], N),
    ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", ["TRANSACTION_CONTROL"], N),
    ("BEGIN", [], S),
    ("COMMIT WORK", [], S),
    # --- SAFE
    (
        'CREATE TABLE "User" ("id" SERIAL NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"))',
        [],
        S,
    ),
    (
        "CREATE TABLE IF NOT EXISTS app.audit (id bigint primary key, at timestamptz "
        "default now())",
        [],
        S,
    ),
    ("ALTER TABLE users ADD COLUMN nickname text", [], S),
    ('ALTER TABLE "User" ADD COLUMN "emailVerified" TIMESTAMP(3)', [], S),
    ("ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true", [], S),
    ("ALTER TABLE users ADD COLUMN created timestamptz NOT NULL DEFAULT now()", [], S),
    (
        'ALTER TABLE "User" ADD COLUMN "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP',
        [],
        S,
    ),
    ("ALTER TABLE users ADD COLUMN tags text[] DEFAULT '{}'::text[]", [], S),
    ("ALTER TABLE users ALTER COLUMN role SET DEFAULT 'USER'", [], S),
    ("ALTER TABLE users ALTER COLUMN email DROP NOT NULL", [], S),
    ("ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID", [], S),
    ("ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b(id) NOT VALID", [], S),
    ("ALTER TABLE users VALIDATE CONSTRAINT c", [], S),
    ("ALTER TABLE users ADD CONSTRAINT u UNIQUE USING INDEX users_email_idx", [], S),
    ("CREATE TYPE \"Role\" AS ENUM ('USER', 'ADMIN')", [], S),
    ('CREATE TYPE pair AS (a int, b text COLLATE "C")', [], S),
    ("ALTER TYPE pair ADD ATTRIBUTE c int", [], S),
    ("CREATE COLLATION ci (provider = icu, locale = 'und', deterministic = false)", [], S),
    ("CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0')", [], S),
    ("ALTER EXTENSION citext UPDATE TO '1.6'", [], S),
    ("ALTER SEQUENCE order_no RESTART WITH 100", ["SEQUENCE_RESTART"], N),
    ("ALTER SEQUENCE order_no MINVALUE 1 RESTART", ["SEQUENCE_RESTART"], N),
    ("ALTER SEQUENCE order_no INCREMENT BY 2 MAXVALUE 1000", [], S),
    ("CREATE SEQUENCE s2; ALTER SEQUENCE s2 RESTART WITH 5", [], S),
    ("ALTER TABLE users ALTER COLUMN id SET MAXVALUE 100 RESTART WITH 1", ["SEQUENCE_RESTART"], N),
    ("ALTER TABLE users ALTER COLUMN id SET INCREMENT BY 5", [], S),
    ("ALTER TYPE \"Role\" ADD VALUE 'OWNER'", [], S),
    ("ALTER TYPE \"Role\" ADD VALUE IF NOT EXISTS 'GUEST' BEFORE 'USER'", [], S),
    ("COMMENT ON COLUMN users.email IS 'DROP TABLE users; DELETE FROM x'", [], S),
    ("CREATE VIEW v AS SELECT id FROM users", [], S),
    ("CREATE OR REPLACE VIEW v AS SELECT id, 'DROP TABLE x' AS note FROM users", [], S),
    ("CREATE SCHEMA IF NOT EXISTS app", [], S),
    ("CREATE EXTENSION IF NOT EXISTS pgcrypto", [], S),
    ("CREATE SEQUENCE s", [], S),
    ("GRANT SELECT ON users TO reader", [], S),
    ("INSERT INTO settings (k, v) VALUES ('a', 'DELETE FROM users')", [], S),
    ("SELECT 1", [], S),
    ("-- DROP TABLE users;\nSELECT 1", [], S),
    ("/* DELETE FROM users; DROP TABLE x; */ CREATE TABLE t (id int)", [], S),
    (
        "CREATE FUNCTION purge() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  DELETE FROM old_rows; DROP TABLE tmp; TRUNCATE x;\n  RETURN NEW;\nEND;\n$$",
        [],
        S,
    ),
    (
        "CREATE OR REPLACE FUNCTION f() RETURNS void AS $body$ ALTER TABLE t DROP COLUMN c; "
        "$body$ LANGUAGE sql",
        [],
        S,
    ),
    (
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
        [],
        S,
    ),
    ("CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION purge()", [], S),
    ("ALTER TABLE users ALTER COLUMN bio SET STATISTICS 500", [], S),
    ("ALTER INDEX i RENAME TO j", [], S),
    ("ALTER TABLE users RENAME CONSTRAINT a TO b", [], S),
    ("REFRESH MATERIALIZED VIEW stats", [], S),
    ("ANALYZE users", [], S),
    ("SET statement_timeout = 0", ["TRANSACTION_CONTROL"], N),  # would lift the apply's guard
    ("SET search_path = app", [], S),
]

# Small scripts: (script, expected codes in order, verdict).
SCRIPTS: list[tuple[str, list[str], str]] = [
    # Index and constraints on a table created in the same script are safe.
    (
        'CREATE TABLE "Session" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL);\n'
        'CREATE UNIQUE INDEX "Session_id_key" ON "Session"("id");\n'
        'CREATE INDEX "Session_userId_idx" ON "Session"("userId");\n'
        'ALTER TABLE "Session" ADD CONSTRAINT "Session_pkey" PRIMARY KEY ("id");\n'
        'ALTER TABLE "Session" ADD COLUMN "n" INTEGER NOT NULL;\n'
        'ALTER TABLE "Session" ALTER COLUMN "userId" SET NOT NULL;\n',
        [],
        S,
    ),
    # Schema-qualified create, then an index elsewhere.
    (
        "CREATE TABLE app.t (id int);\nCREATE INDEX ON app.t (id);\nCREATE INDEX ON public.t (id);",
        ["INDEX_BLOCKS_WRITES"],
        N,
    ),
    # Several actions in one ALTER TABLE.
    (
        'ALTER TABLE IF EXISTS ONLY "app"."Post" ADD COLUMN "x" TEXT NOT NULL, '
        'DROP COLUMN "y" CASCADE, ALTER COLUMN z SET NOT NULL, ALTER COLUMN w TYPE bigint, '
        "ADD COLUMN ok text;",
        [
            "ADD_COLUMN_NOT_NULL_NO_DEFAULT",
            "DROP_COLUMN",
            "CASCADE",
            "SET_NOT_NULL",
            "ALTER_COLUMN_TYPE",
        ],
        D,
    ),
    # Prisma enum swap, wrapped in BEGIN/COMMIT.
    (
        "-- AlterEnum\n"
        "BEGIN;\n"
        "CREATE TYPE \"Role_new\" AS ENUM ('USER', 'ADMIN');\n"
        'ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;\n'
        'ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");\n'
        'ALTER TYPE "Role" RENAME TO "Role_old";\n'
        'ALTER TYPE "Role_new" RENAME TO "Role";\n'
        'DROP TYPE "Role_old";\n'
        'ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT \'USER\';\n'
        "COMMIT;\n",
        ["DROP_DEFAULT", "ALTER_COLUMN_TYPE", "ENUM_TYPE_SWAP", "DROP_TYPE"],
        D,
    ),
    # The differ's plan for a NOT NULL column without a default: the value fills existing rows.
    (
        "ALTER TABLE public.t ADD COLUMN n integer DEFAULT 0 NOT NULL;\n"
        "ALTER TABLE public.t ALTER COLUMN n DROP DEFAULT;\n"
        "ALTER TABLE public.t ALTER COLUMN other DROP DEFAULT;\n",
        ["FILL_EXISTING_ROWS", "DROP_DEFAULT"],
        N,
    ),
    # Prisma's comment headers and a dropped table.
    (
        "/*\n  Warnings:\n\n  - You are about to drop the `Legacy` table. DROP TABLE x;\n*/\n"
        "-- DropForeignKey\n"
        'ALTER TABLE "Legacy" DROP CONSTRAINT "Legacy_userId_fkey";\n\n'
        "-- DropTable\n"
        'DROP TABLE "Legacy";\n',
        ["DROP_CONSTRAINT", "DROP_TABLE"],
        D,
    ),
    # Non-transactional statement inside an explicit transaction.
    (
        "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;",
        ["NON_TRANSACTIONAL"],
        N,
    ),
    # A broken statement does not hide the others.
    (
        "ALTER TABLE a ADD COLUMN b text;\nDROP TABEL x;\nDROP TABLE y;",
        ["UNPARSED", "DROP_TABLE"],
        D,
    ),
    # A psql meta-command is a finding of its own and hides nothing after it.
    ("\\set x 1\nDROP TABLE users;", ["PSQL_META_COMMAND", "DROP_TABLE"], D),
    # ... nor the statement it interrupts: psql sends "DROP TABLE\nusers" once \set has run.
    ("DROP TABLE \\set x 1\nusers;", ["DROP_TABLE", "PSQL_META_COMMAND"], D),
    # \g sends the buffer like a semicolon; \\ ends a meta-command and SQL resumes on the line.
    ("SELECT 1 \\g\nDROP TABLE a;", ["PSQL_META_COMMAND", "DROP_TABLE"], D),
    ("\\echo hi \\\\ DROP TABLE a;", ["PSQL_META_COMMAND", "DROP_TABLE"], D),
    # Backslashes in literals, quoted identifiers, dollar bodies and comments are not commands.
    (
        "SELECT '\\set', E'\\'\\g', \"a\\b\", $q$ \\i x $q$; -- \\c db\n"
        "/* \\! /* \\q */ */ SELECT 1",
        [],
        S,
    ),
    # A forbidden form in a Prisma-style block: the early ROLLBACK is found, BEGIN/COMMIT are not.
    (
        "BEGIN;\nALTER TABLE a ADD COLUMN b int;\nROLLBACK;\nALTER TABLE a ADD COLUMN c int;\n"
        "COMMIT;",
        ["TRANSACTION_CONTROL"],
        N,
    ),
    # Renaming a table created in the script breaks nobody; the rename target is then new too.
    (
        "CREATE TABLE tmp_x (id int);\nALTER TABLE tmp_x RENAME TO x;\nCREATE INDEX ON x (id);",
        [],
        S,
    ),
    # Dollar-quoted body with a semicolon-separated DROP, followed by a real statement.
    (
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN DROP TABLE a; END $f$;\n"
        "ALTER TABLE b ADD COLUMN c int;",
        [],
        S,
    ),
]
