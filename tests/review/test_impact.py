"""Impact estimates against real rows in a throwaway database (the ``make_db`` fixture)."""

from __future__ import annotations

import asyncpg
import pytest

from bot.errors import CatalogError
from bot.review import analyze
from bot.review.impact import NOT_MEASURED, estimate_impact

SCHEMA = """
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN', 'GUEST');
CREATE TABLE "User" (id int PRIMARY KEY, email text, name text, role "Role" DEFAULT 'USER',
                     age int);
INSERT INTO "User"
SELECT i,
       CASE WHEN i <= 10 THEN NULL WHEN i <= 14 THEN 'dup@x' ELSE 'u' || i || '@x' END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'name' || i END,
       CASE WHEN i <= 3 THEN 'GUEST' WHEN i <= 8 THEN 'ADMIN' ELSE 'USER' END::"Role",
       CASE WHEN i <= 4 THEN -i ELSE i END
FROM generate_series(1, 50) i;
CREATE TABLE "Post" (id int PRIMARY KEY, author_id int, title text);
INSERT INTO "Post" SELECT i, CASE WHEN i <= 2 THEN 1000 + i ELSE i END, 't' || i
FROM generate_series(1, 20) i;
CREATE VIEW user_ids AS SELECT id FROM "User";
CREATE TABLE big (id int, v text);
INSERT INTO big SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'v' END
FROM generate_series(1, 5000) i;
ANALYZE big;
"""

REVIEWED = """
ALTER TABLE "User" DROP COLUMN email;
ALTER TABLE "User" ALTER COLUMN name SET NOT NULL;
ALTER TABLE "User" ADD CONSTRAINT age_positive CHECK (age > 0);
ALTER TABLE "User" ADD CONSTRAINT email_key UNIQUE (email);
ALTER TABLE "Post" ADD CONSTRAINT post_author FOREIGN KEY (author_id) REFERENCES "User"(id);
CREATE TYPE "Role_new" AS ENUM ('USER', 'ADMIN');
ALTER TABLE "User" ALTER COLUMN role TYPE "Role_new" USING (role::text::"Role_new");
DELETE FROM "Post" WHERE id <= 5;
DROP TABLE "User" CASCADE;
ALTER TABLE big DROP COLUMN v;
CREATE TABLE fresh (id int);
DROP TABLE not_there;
"""


def _by(impacts, index: int, kind: str):
    return [i for i in impacts if i.statement_index == index and i.kind == kind]


async def test_estimate_impact_counts_real_rows(make_db) -> None:
    url = await make_db(SCHEMA)
    review = analyze(REVIEWED)
    impacts = await estimate_impact(review, url, exact_row_limit=1000)

    rows = _by(impacts, 1, "rows")[0]
    assert (rows.count, rows.exact, rows.object) == (50, True, 'public."User"')
    assert _by(impacts, 1, "size")[0].bytes > 0
    assert _by(impacts, 1, "non_null")[0].count == 40
    assert _by(impacts, 2, "violations")[0].count == 5
    check = _by(impacts, 3, "skipped")[0]  # the CHECK's expression is the plan's own code
    assert NOT_MEASURED in check.text and not _by(impacts, 3, "violations")
    assert _by(impacts, 4, "violations")[0].count == 1  # one duplicated e-mail
    assert _by(impacts, 5, "violations")[0].count == 2  # two posts without an author
    enum = _by(impacts, 7, "enum_values_in_use")[0]
    assert (enum.values, enum.count) == (("GUEST",), 3)
    delete = _by(impacts, 8, "skipped")[0]  # so is the DELETE's WHERE clause
    assert NOT_MEASURED in delete.text and "20 rows" in delete.text
    dependents = _by(impacts, 9, "dependents")[0]
    assert "view public.user_ids" in dependents.values


async def test_estimate_impact_uses_estimates_above_the_exact_limit(make_db) -> None:
    url = await make_db(SCHEMA)
    impacts = await estimate_impact(analyze(REVIEWED), url, exact_row_limit=1000)
    big_rows = _by(impacts, 10, "rows")[0]
    assert big_rows.exact is False and big_rows.count == 5000
    assert "planner estimate" in big_rows.text
    non_null = _by(impacts, 10, "non_null")[0]
    assert non_null.exact is False
    assert 3500 <= non_null.count <= 4000  # 3,750 real non-null values, from pg_stats
    fresh = [i for i in impacts if i.statement_index == 12]
    assert [i.kind for i in fresh] == ["skipped"]


async def test_estimate_impact_caps_violation_counts(make_db) -> None:
    url = await make_db(SCHEMA)
    impacts = await estimate_impact(analyze(REVIEWED), url, violation_cap=3)
    capped = _by(impacts, 2, "violations")[0]
    assert (capped.count, capped.capped) == (3, True)
    assert "≥ 3" in capped.text


async def test_estimate_impact_is_read_only_and_attaches_to_review(make_db) -> None:
    url = await make_db(SCHEMA)
    review = analyze(REVIEWED)
    impacts = await estimate_impact(review, url)
    with_impact = review.with_impact(impacts)
    assert with_impact.statements[0].impacts
    assert with_impact.to_json()["statements"][0]["impacts"][0]["kind"] == "rows"
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval('SELECT count(*) FROM "User"') == 50
        assert await conn.fetchval("SELECT count(*) FROM pg_attribute WHERE attname = 'email'") == 1
    finally:
        await conn.close()


async def test_estimate_impact_unreachable_database_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError) as info:
        await estimate_impact(analyze("DROP TABLE x"), "postgresql://u:secret@127.0.0.1:1/db")
    assert "secret" not in info.value.user_message()
