"""Statement numbering, lines, objects, hazards, JSON shape and the report's categories."""

from __future__ import annotations

import asyncio
import json

from bot.review import (
    Code,
    HazardKind,
    LockLevel,
    Tier,
    analyze,
    analyze_in_worker,
)
from bot.review.analyze import (
    PROCESS_THRESHOLD_CHARS,
    destructive_categories,
)

PRISMA = """-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "role" "Role" NOT NULL DEFAULT 'USER',
ALTER COLUMN "name" SET DATA TYPE VARCHAR(200);

-- DropTable
DROP TABLE "app"."Legacy";

-- AlterTable
ALTER TABLE "Post" DROP COLUMN "draft";

-- CreateIndex
CREATE INDEX "Post_title_idx" ON "Post"("title");
"""


def test_analyze_numbers_statements_and_lines_from_first_token() -> None:
    review = analyze(PRISMA)
    assert [(s.index, s.line, s.kind) for s in review.statements] == [
        (1, 2, "CREATE TYPE"),
        (2, 5, "ALTER TABLE"),
        (3, 9, "DROP TABLE"),
        (4, 12, "ALTER TABLE"),
        (5, 15, "CREATE INDEX"),
    ]
    assert review.statements[2].sql == 'DROP TABLE "app"."Legacy"'


def test_analyze_objects_are_schema_qualified_and_quoted() -> None:
    review = analyze(PRISMA)
    assert review.statements[0].objects == ('public."Role"',)
    assert review.statements[2].objects == ('app."Legacy"',)
    assert review.statements[4].objects == ('public."Post_title_idx"', 'public."Post"')
    objects = [(f.code, f.object) for f in review.findings]
    assert (Code.ALTER_COLUMN_TYPE, 'public."User".name') in objects
    assert (Code.DROP_COLUMN, 'public."Post".draft') in objects


def test_analyze_findings_ordered_by_severity_then_position() -> None:
    review = analyze(PRISMA)
    tiers = [f.tier.rank for f in review.findings]
    assert tiers == sorted(tiers, reverse=True)
    assert [f.statement_index for f in review.findings] == [2, 3, 4, 5]
    assert review.counts == {"SAFE": 1, "NEEDS_ATTENTION": 1, "DESTRUCTIVE": 3}


def test_destructive_categories_fill_the_seed_checkboxes() -> None:
    assert destructive_categories(analyze(PRISMA)) == {
        "DROP TABLE": ['app."Legacy"'],
        "DROP COLUMN": ['public."Post".draft'],
        "ALTER TYPE": ['public."User".name'],
    }
    assert destructive_categories(analyze("CREATE TABLE a (id int)")) == {
        "DROP TABLE": [],
        "DROP COLUMN": [],
        "ALTER TYPE": [],
    }


def test_analyze_hazards_name_lock_level_and_relation() -> None:
    stmt = analyze("ALTER TABLE app.users ALTER COLUMN id TYPE bigint").statements[0]
    locks = [(h.relation, h.lock) for h in stmt.hazards if h.kind == HazardKind.LOCK]
    assert locks == [("app.users", LockLevel.ACCESS_EXCLUSIVE)]
    assert any(h.kind == HazardKind.TABLE_REWRITE for h in stmt.hazards)
    fk = analyze("ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES c (id)").statements[0]
    assert {(h.relation, h.lock) for h in fk.hazards if h.lock} == {
        ("public.a", LockLevel.SHARE_ROW_EXCLUSIVE),
        ("public.c", LockLevel.SHARE_ROW_EXCLUSIVE),
    }
    index = analyze("CREATE INDEX i ON t (a)").statements[0]
    assert index.findings[0].suggestion and "CONCURRENTLY" in index.findings[0].suggestion
    assert (HazardKind.LOCK, LockLevel.SHARE) in [(h.kind, h.lock) for h in index.hazards]


def test_analyze_marks_non_transactional_statements_and_begin_blocks() -> None:
    review = analyze("BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\nVACUUM t;")
    assert [s.transactional for s in review.statements] == [True, False, True, False]
    assert [s.kind for s in review.statements] == ["BEGIN", "CREATE INDEX", "COMMIT", "VACUUM"]
    assert review.statements[1].in_transaction_block
    assert "BEGIN at line 1" in review.statements[1].findings[0].message
    assert not review.statements[3].in_transaction_block


def test_analyze_unparsed_is_never_safe_and_keeps_its_line() -> None:
    review = analyze("SELECT 1;\n\nALTER TABLE x ADD;\nSELECT 2;")
    bad = review.statements[1]
    assert (bad.kind, bad.line, bad.findings[0].code) == ("UNPARSED", 3, Code.UNPARSED)
    assert "review by hand" in bad.findings[0].message
    assert review.verdict is Tier.NEEDS_ATTENTION
    assert len(review.statements) == 3


def test_analyze_enum_swap_is_destructive_with_new_labels() -> None:
    sql = (
        "CREATE TYPE \"S_new\" AS ENUM ('A', 'B');\n"
        'ALTER TABLE t ALTER COLUMN s TYPE "S_new" USING (s::text::"S_new");'
    )
    finding = next(f for f in analyze(sql).findings if f.code is Code.ENUM_TYPE_SWAP)
    assert finding.tier is Tier.DESTRUCTIVE
    assert "A, B" in finding.message


def test_analyze_empty_and_comment_only_scripts_are_empty_not_safe() -> None:
    for sql in ("", "   \n", "-- nothing to do\n/* really */", ";;", "\ufeff-- bom only"):
        review = analyze(sql)
        assert review.statements == ()
        assert review.is_empty
        assert review.verdict_label == "EMPTY"
        data = review.to_json()
        assert data["verdict"] == "EMPTY" and data["empty"] is True


def test_review_to_json_documented_shape() -> None:
    data = json.loads(json.dumps(analyze(PRISMA).to_json()))
    assert data["verdict"] == "DESTRUCTIVE"
    assert set(data) >= {
        "verdict", "empty", "unappliable", "notes", "counts", "finding_counts", "statements",
        "codes",
    }  # fmt: skip
    assert data["empty"] is False and data["unappliable"] == [] and data["notes"] == []
    stmt = data["statements"][1]
    assert set(stmt) == {
        "index", "line", "kind", "objects", "tier", "transactional", "txn_control",
        "unappliable_reason", "sql", "findings", "hazards", "impacts",
    }  # fmt: skip
    assert all(s["txn_control"] is None for s in data["statements"])
    assert set(stmt["findings"][0]) == {
        "code", "tier", "statement_index", "line", "object", "message", "suggestion",
    }  # fmt: skip
    assert stmt["hazards"][0]["lock"] in {None, "ACCESS EXCLUSIVE"}


async def test_analyze_in_worker_keeps_the_loop_responsive() -> None:
    sql = "ALTER TABLE t ADD COLUMN c int NOT NULL;\n" * 3000
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    review = await analyze_in_worker(sql)
    task.cancel()
    assert len(review.statements) == 3000
    assert ticks > 1  # the loop kept running while the worker parsed


async def test_analyze_in_worker_process_gives_the_same_review_as_in_process() -> None:
    sql = "ALTER TABLE t DROP COLUMN c;\nCREATE INDEX i ON t (x);\n" * 2500  # process path
    assert len(sql) >= PROCESS_THRESHOLD_CHARS
    assert await analyze_in_worker(sql) == analyze(sql)
    small = "DROP TABLE t;"
    assert await analyze_in_worker(small) == analyze(small)  # thread path
