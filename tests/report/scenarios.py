"""Runs recorded through the real Store the way the workflow records them (run-data.md), for
the report tests. Each scenario returns the run id. Secrets are planted in recorded output so the
tests can prove they never reach the report."""

from __future__ import annotations

import hashlib
from typing import Any

from bot.store import Store
from bot.workflow.run import RunState

DB_PASSWORD = "S3cretPassw0rd-42"
PROD_URL = f"postgresql://app:{DB_PASSWORD}@db.example.com:5432/bhq_prod"
SLACK_TOKEN = "xoxb-1111-2222-AbCdEfGhIjKlMnOp"
NEON_KEY = "neonkey_7f3a9c1e5b2d4f6a8c0e"
SECRETS = (DB_PASSWORD, SLACK_TOKEN, NEON_KEY)

ALICE, BOB, CAROL = "U0ALICE01", "U0BOB0002", "U0CAROL03"
COMMIT = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"

SQL = (
    'ALTER TABLE "public"."users" ADD COLUMN "email_verified" boolean DEFAULT false NOT NULL;\n'
    'CREATE INDEX "sessions_user_id_idx" ON "public"."sessions" ("user_id");\n'
    'ALTER TABLE "public"."invoices" ALTER COLUMN "amount" TYPE numeric(12,2);\n'
    'ALTER TABLE "public"."users" DROP COLUMN "legacy_flag";\n'
)
SQL_SHA = hashlib.sha256(SQL.encode()).hexdigest()
CHANGES = [
    {
        "object": "public.users.email_verified",
        "operation": "add column",
        "text": "Added column `users.email_verified`",
        "destructive": False,
    },
    {
        "object": "public.sessions_user_id_idx",
        "operation": "create index",
        "text": "Created index on `sessions.user_id`",
        "destructive": False,
    },
    {
        "object": "public.invoices.amount",
        "operation": "alter column type",
        "text": "Altered column type `invoices.amount`",
        "destructive": True,
    },
    {
        "object": "public.users.legacy_flag",
        "operation": "drop column",
        "text": "Dropped column `users.legacy_flag`",
        "destructive": True,
    },
]
REVIEW = {
    "verdict": "DESTRUCTIVE",
    "counts": {"DESTRUCTIVE": 2, "NEEDS_ATTENTION": 1, "SAFE": 1},
    "findings": [
        {
            "code": "INDEX_BLOCKS_WRITES",
            "tier": "NEEDS_ATTENTION",
            "statement_index": 2,
            "line": 2,
            "object": "public.sessions",
            "message": "CREATE INDEX without CONCURRENTLY blocks writes",
            "suggestion": "use CREATE INDEX CONCURRENTLY",
        },
        {
            "code": "ALTER_COLUMN_TYPE",
            "tier": "DESTRUCTIVE",
            "statement_index": 3,
            "line": 3,
            "object": "public.invoices.amount",
            "message": "changes the column type",
            "suggestion": "",
        },
        {
            "code": "DROP_COLUMN",
            "tier": "DESTRUCTIVE",
            "statement_index": 4,
            "line": 4,
            "object": "public.users.legacy_flag",
            "message": "drops data",
            "suggestion": "",
        },
    ],
    "destructive": {
        "DROP TABLE": [],
        "DROP COLUMN": ["public.users.legacy_flag"],
        "ALTER TYPE": ["public.invoices.amount"],
    },
    "impact": [
        {
            "statement_index": 3,
            "object": "public.invoices",
            "kind": "rewrite",
            "text": "rewrites ~12,000 rows",
        }
    ],
}


# run.data keys whose name differs from the step that writes them (run-data.md)
_DATA_KEY = {"git_checks": "git", "health_checks": "health", "related_changes": "related"}


class Recorder:
    """Records one run through the Store API the workflow uses."""

    def __init__(self, store: Store, run_id: str, state: RunState) -> None:
        self.store, self.run_id, self.state = store, run_id, state

    @classmethod
    async def start(cls, store: Store, *, mode: str = "commands", by: str = ALICE) -> Recorder:
        run = await store.create_run(
            target="prod", mode=mode, requested_by=by, requested_via="slack", channel="C0ALIGN01"
        )
        rec = cls(store, run.id, run.state)
        await store.update_run(run.id, data={"target_label": "bhq_prod"})
        return rec

    async def move(self, to: RunState, *, actor: str = "align-bot", **fields: Any) -> None:
        moved = await self.store.transition(
            self.run_id, from_states=[self.state], to_state=to, actor=actor, **fields
        )
        assert moved is not None, f"{self.state} -> {to} refused"
        self.state = to

    async def step(
        self,
        name: str,
        status: str = "succeeded",
        *,
        data: dict[str, Any] | None = None,
        finish: bool = True,
        **kw: Any,
    ) -> None:
        await self.store.start_step(self.run_id, name)
        if finish:
            await self.store.finish_step(self.run_id, name, status=status, **kw)
        if data:
            key = _DATA_KEY.get(name, name)
            await self.store.update_run(self.run_id, data={key: data})

    async def data(self, **fields: Any) -> None:
        await self.store.update_run(self.run_id, **fields)


async def _through_review(rec: Recorder, *, sql: str = SQL, sha: str = SQL_SHA) -> None:
    """Preconditions, dev sync, diff, rehearsal and analysis, leaving the run awaiting review."""
    await rec.move(RunState.PRECONDITIONS)
    await rec.step(
        "snapshot",
        detail={"provider": "neon"},
        data={
            "provider": "neon",
            "id": "snap-0a1b2c",
            "name": "pre-alignment-2026-11-24",
            "created_at": "2026-11-24T14:03:05+00:00",
            "status": "available",
        },
    )
    await rec.data(snapshot_id="snap-0a1b2c")
    await rec.step(
        "git_checks",
        exit_code=0,
        data={
            "expected_branch": "dev",
            "branch": "dev",
            "clean": True,
            "commit": COMMIT,
            "dirty_files": [],
        },
    )
    await rec.data(git_commit=COMMIT)
    await rec.move(RunState.DEV_SYNC)
    await rec.step(
        "dev_sync",
        exit_code=0,
        output_tail=f"Datasource: {PROD_URL}\nSLACK={SLACK_TOKEN}\nThe database is in sync.",
        data={
            "command": "npm run db:dev:sync",
            "synced": True,
            "generate_command": "npx prisma generate",
            "client_generated": True,
            "schema_file_loaded": "prisma/schema.prisma",
        },
    )
    await rec.step("generate_client", exit_code=0, output_tail="Generated Prisma Client")
    await rec.move(RunState.DIFF)
    await rec.step(
        "diff",
        exit_code=0,
        data={
            "command": "npm run db:prod:align:diff",
            "sql_file": "prisma_prod_align.sql",
            "statement_count": sql.count(";\n"),
            "sha256": sha,
            "changes": CHANGES,
            "no_changes": False,
            "warnings": [f"NEON_API_KEY={NEON_KEY} was set in the environment"],
        },
    )
    await rec.data(sql_text=sql, sql_sha256=sha)
    await rec.move(RunState.AWAITING_REVIEW)
    await rec.step(
        "rehearsal",
        data={
            "status": "passed",
            "mode": "full",
            "duration_s": 1.25,
            "statements": [{"index": 1, "duration_s": 0.1, "rows": 0}],
            "locks": [{"relation": "public.invoices", "mode": "AccessExclusiveLock"}],
        },
    )
    await rec.data(data={"review": REVIEW})


async def applied_in_sync(store: Store) -> str:
    rec = await Recorder.start(store)
    await _through_review(rec)
    await store.record_decision(
        rec.run_id,
        decision="approved",
        user_id=BOB,
        reason="ticket OPS-12, backups checked",
        sql_sha256=SQL_SHA,
    )
    await rec.move(RunState.APPLYING, actor=BOB)
    await rec.step(
        "apply",
        exit_code=0,
        data={
            "command": "built-in transactional apply",
            "sha256_reviewed": SQL_SHA,
            "sha256_applied": SQL_SHA,
            "statements_total": 4,
            "statements_applied": 4,
            "duration_s": 0.42,
            "non_transactional": [],
        },
    )
    await rec.move(RunState.VERIFYING)
    await rec.step(
        "verify",
        data={
            "in_sync": True,
            "remaining": [],
            "command": "npm run db:prod:align:verify",
            "command_exit_code": 0,
            "command_output_tail": "in sync",
        },
    )
    await rec.step("verify_command", exit_code=0, output_tail="No difference detected.")
    await rec.data(outcome="IN SYNC")
    await rec.move(RunState.HEALTH_CHECKS)
    await rec.step("health_checks", data={})
    await rec.data(
        data={
            "health": [
                {
                    "name": "api /healthz",
                    "kind": "http",
                    "status": "PASS",
                    "detail": "200 in 35 ms",
                },
                {"name": "prod connect", "kind": "db", "status": "PASS", "detail": "SELECT 1 ok"},
                {"name": "invalid indexes", "kind": "catalog", "status": "PASS", "detail": "none"},
                {"name": "error log", "kind": "log", "status": "PASS", "detail": "no violations"},
                {"name": "smoke test", "kind": "command", "status": "PASS", "detail": "exit 0"},
            ]
        }
    )
    await rec.step(
        "related_changes",
        data={
            "schema_changes": ["Added column `users.email_verified`"],
            "commits": [
                {
                    "sha": "1234567890abcdef1234",
                    "subject": "add email verification",
                    "author": "Alice",
                    "date": "2026-11-20",
                }
            ],
        },
    )
    await rec.move(RunState.DONE)
    return rec.run_id


async def rejected(store: Store) -> str:
    rec = await Recorder.start(store)
    await _through_review(rec)
    await store.record_decision(
        rec.run_id,
        decision="rejected",
        user_id=BOB,
        reason="drops legacy_flag still read by billing",
        sql_sha256=SQL_SHA,
    )
    await rec.move(RunState.REJECTED, actor=BOB)
    return rec.run_id


async def failed_apply_restored(store: Store) -> str:
    rec = await Recorder.start(store)
    await _through_review(rec)
    await store.record_decision(
        rec.run_id, decision="approved", user_id=BOB, reason=None, sql_sha256=SQL_SHA
    )
    await rec.move(RunState.APPLYING, actor=BOB)
    error = (
        f'ERROR: column "amount" cannot be cast automatically to type numeric '
        f"(connecting to {PROD_URL})"
    )
    await rec.step(
        "apply",
        "failed",
        exit_code=1,
        output_tail=error,
        data={
            "command": "built-in transactional apply",
            "sha256_reviewed": SQL_SHA,
            "sha256_applied": SQL_SHA,
            "statements_total": 4,
            "statements_applied": 2,
            "duration_s": 0.3,
            "error": error,
            "failed_statement_index": 3,
            "failed_statement": SQL.splitlines()[2],
        },
    )
    await rec.move(RunState.FAILED, error="apply failed at statement 3: cannot cast amount")
    await store.record_recovery(
        rec.run_id,
        action="restored_snapshot",
        user_id=CAROL,
        note="restored before the evening traffic",
        detail={"snapshot": "pre-alignment-2026-11-24", "outcome": "IN SYNC"},
    )
    await rec.data(
        data={
            "snapshot": {
                "provider": "neon",
                "id": "snap-0a1b2c",
                "name": "pre-alignment-2026-11-24",
                "created_at": "2026-11-24T14:03:05+00:00",
                "status": "restored",
            }
        }
    )
    return rec.run_id


async def no_changes(store: Store) -> str:
    rec = await Recorder.start(store, mode="builtin")
    await rec.move(RunState.PRECONDITIONS)
    await rec.step(
        "snapshot",
        data={
            "provider": "pg_dump",
            "id": "prod-20261124.dump",
            "name": "pre-alignment-2026-11-24",
            "created_at": "2026-11-24T14:03:05+00:00",
            "status": "available",
            "path": "/var/lib/align/snapshots/prod-20261124.dump",
            "size_bytes": 123456,
        },
    )
    await rec.step("git_checks", "skipped", detail={"reason": "builtin mode has no git checkout"})
    await rec.move(RunState.DEV_SYNC)
    await rec.step(
        "dev_sync",
        data={
            "command": "built-in: load desired schema",
            "synced": True,
            "generate_command": None,
            "client_generated": None,
            "schema_file_loaded": "schema.sql",
        },
    )
    await rec.move(RunState.DIFF)
    await rec.step(
        "diff",
        data={
            "command": "built-in differ",
            "sql_file": "",
            "statement_count": 0,
            "sha256": "",
            "changes": [],
            "no_changes": True,
            "warnings": [],
        },
    )
    await rec.move(RunState.VERIFYING)
    await rec.step("verify", data={"in_sync": True, "remaining": []})
    await rec.data(outcome="IN SYNC")
    await rec.move(RunState.HEALTH_CHECKS)
    await rec.step("health_checks", data={})
    await rec.data(
        data={"health": [{"name": "prod connect", "kind": "db", "status": "PASS", "detail": "ok"}]}
    )
    await rec.move(RunState.DONE)
    return rec.run_id


async def interrupted(store: Store) -> str:
    """The process died during apply; at start-up the run was marked interrupted and
    production verified (still out of sync: the transaction had rolled back)."""
    rec = await Recorder.start(store)
    await _through_review(rec)
    await store.record_decision(rec.run_id, decision="approved", user_id=BOB, sql_sha256=SQL_SHA)
    await rec.move(RunState.APPLYING, actor=BOB)
    await rec.step("apply", finish=False)
    await rec.move(RunState.INTERRUPTED)
    await rec.data(
        outcome="OUT OF SYNC",
        data={
            "verify": {"in_sync": False, "remaining": SQL.strip().splitlines()},
            "notes": ["the bot restarted during apply; production was verified at start-up"],
        },
    )
    return rec.run_id


async def long_sql(store: Store, *, lines: int = 450) -> tuple[str, str]:
    rec = await Recorder.start(store)
    sql = "".join(f'ALTER TABLE "t{i}" ADD COLUMN "c" integer;\n' for i in range(lines))
    sha = hashlib.sha256(sql.encode()).hexdigest()
    await _through_review(rec, sql=sql, sha=sha)
    return rec.run_id, sql
