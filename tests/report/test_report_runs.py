"""Reports rendered from runs recorded in a real Store, checked section by section."""

from __future__ import annotations

import json
import re

from bot.report import dumps_json, load_report, render_markdown, report_files, to_json
from bot.secrets import Masker
from bot.store import Store
from tests.report import scenarios as sc
from tests.report.markdown import Document, field_anywhere, parse

MASKER = Masker(sc.SECRETS)

TEMPLATE_SECTIONS = [
    "Alignment Details",
    "Workflow Executed",
    "1. Preconditions",
    "2. Dev Sync",
    "3. Prod Diff Generation",
    "4. SQL Review",
    "5. Prod Apply",
    "6. Verification",
    "Recovery Actions (if needed)",
    "Post-Alignment Validation",
    "Notes",
    "Snapshot Information",
    "Related Changes",
]
STEP_FIELDS = {
    "2. Dev Sync": ["Command", "Result"],
    "3. Prod Diff Generation": ["Command", "Result", "Changes Identified"],
    "4. SQL Review": ["Reviewer", "Destructive Changes Identified", "Review Decision"],
    "5. Prod Apply": ["Command", "Result", "Errors (if any)"],
    "6. Verification": ["Command", "Result", "Final Status"],
}
TEMPLATE_CHECKS = {
    "1. Preconditions": ["Fresh ", "Working on `dev` branch", "Clean working tree confirmed"],
    "2. Dev Sync": ["Dev database successfully synced to", "Prisma client regenerated"],
    "3. Prod Diff Generation": ["SQL diff successfully generated", "Wrote to:"],
    "4. SQL Review": ["None (safe to apply)", "DROP TABLE:", "DROP COLUMN:", "ALTER TYPE:"],
    "5. Prod Apply": ["SQL successfully executed against `bhq_prod`", "No errors encountered"],
    "6. Verification": ["Verification PASSED", "Verification FAILED"],
    "Recovery Actions (if needed)": [
        "No recovery needed",
        "Restored from",
        "Re-ran alignment",
        "Manual intervention required",
    ],
    "Post-Alignment Validation": [
        "Application started successfully",
        "Database connections healthy",
        "No constraint violations in logs",
        "User-facing features operational",
    ],
}
PLACEHOLDER = re.compile(
    r"\[(To be filled|e\.g\.|List |list |Paste |Describe |Any additional|timestamp\]|"
    r"available /|APPROVED /|IN SYNC /)|DRAFT"
)


async def _render(store: Store, run_id: str) -> tuple[str, Document]:
    report = await load_report(store, run_id, masker=MASKER)
    text = render_markdown(report)
    return text, parse(text)


def _assert_complete_and_clean(text: str, doc: Document) -> None:
    """Every template section, field and checkbox is there; no placeholder, no secret."""
    assert doc.title == "Production Schema Alignment Report"
    titles = doc.titles()
    for title in TEMPLATE_SECTIONS:
        assert title in titles
    details = doc.find("Alignment Details").fields
    for name in ("Date", "Operator", "Git Commit"):
        assert details[name], name
    for section, names in STEP_FIELDS.items():
        fields = doc.find(section).fields
        for name in names:
            assert name in fields, (section, name)
    for section, prefixes in TEMPLATE_CHECKS.items():
        for prefix in prefixes:
            doc.find(section).check(prefix)
    assert doc.find("Notes").bullets
    snapshot = doc.find("Snapshot Information").bullets
    assert [b.split(":")[0] for b in snapshot[:3]] == ["Snapshot Name", "Created", "Status"]
    related = doc.find("Related Changes")
    assert related.bullets_after("Schema Changes Applied")
    assert related.bullets_after("Git Commits")
    assert field_anywhere(doc, "Report Status")
    assert not PLACEHOLDER.search(text), PLACEHOLDER.search(text)
    for secret in sc.SECRETS:
        assert secret not in text


async def test_report_applied_in_sync_run_is_final_with_every_box_ticked(store: Store) -> None:
    run_id = await sc.applied_in_sync(store)
    text, doc = await _render(store, run_id)
    _assert_complete_and_clean(text, doc)
    details = doc.find("Alignment Details").fields
    assert details["Operator"] == f"{sc.ALICE} (Slack)"
    assert sc.COMMIT in details["Git Commit"]
    assert "<@" not in text
    pre = doc.find("1. Preconditions")
    assert all(checked for checked, _ in pre.checks)
    assert "Neon snapshot of `bhq_prod`" in pre.check("Fresh ")[1]
    dev = doc.find("2. Dev Sync")
    assert dev.fields["Command"] == "`npm run db:dev:sync`"
    assert dev.fields["Result"].startswith("SUCCEEDED")
    assert all(checked for checked, _ in dev.checks)
    diff = doc.find("3. Prod Diff Generation")
    assert diff.check("Wrote to:") == (True, "Wrote to: `prisma_prod_align.sql`")
    changes = diff.bullets_after("Changes Identified")
    assert changes[0] == "Added column `users.email_verified`"
    assert len(changes) == 4 and "(destructive)" in changes[3]
    assert ("sql", sc.SQL.rstrip("\n")) in diff.code_blocks
    review = doc.find("4. SQL Review")
    assert review.fields["Reviewer"] == f"{sc.BOB} (Slack)"
    assert review.fields["Review Decision"].startswith("APPROVED")
    assert sc.SQL_SHA in review.fields["Review Decision"]
    assert "ticket OPS-12" in review.fields["Reason"]
    assert review.check("None (safe to apply)")[0] is False
    assert review.check("DROP TABLE:") == (False, "DROP TABLE: none")
    assert review.check("DROP COLUMN:") == (True, "DROP COLUMN: `public.users.legacy_flag`")
    assert review.check("ALTER TYPE:") == (True, "ALTER TYPE: `public.invoices.amount`")
    codes = [row[0] for row in review.table_rows[1:]]
    assert codes == ["`INDEX_BLOCKS_WRITES`"]
    assert review.fields["Rehearsal"].startswith("PASSED")
    apply = doc.find("5. Prod Apply")
    assert all(checked for checked, _ in apply.checks)
    assert apply.fields["SQL sha256 (reviewed)"] == f"`{sc.SQL_SHA}`"
    assert apply.fields["SQL sha256 (applied)"].startswith(f"`{sc.SQL_SHA}` (identical")
    assert apply.code_blocks == [("", "none")]
    verify = doc.find("6. Verification")
    assert verify.check("Verification PASSED")[0] is True
    assert verify.check("Verification FAILED")[0] is False
    assert verify.fields["Final Status"] == "IN SYNC"
    recovery = doc.find("Recovery Actions (if needed)")
    assert [c for c, _ in recovery.checks] == [True, False, False, False]
    health = doc.find("Post-Alignment Validation")
    assert all(checked for checked, _ in health.checks)
    assert len(health.table_rows) == 6  # header + 5 checks
    notes = doc.find("Notes").bullets
    assert any("ticket OPS-12" in n for n in notes)
    assert any("NEON_API_KEY=***" in n for n in notes)
    snapshot = doc.find("Snapshot Information").bullets
    assert snapshot[:3] == [
        "Snapshot Name: pre-alignment-2026-11-24",
        "Created: 2026-11-24 14:03:05 UTC",
        "Status: available",
    ]
    related = doc.find("Related Changes")
    assert related.bullets_after("Schema Changes Applied") == [
        "Added column `users.email_verified`"
    ]
    assert related.bullets_after("Git Commits")[0].startswith("`1234567890ab` add email")
    assert field_anywhere(doc, "Report Status") == "FINAL — production IN SYNC"


async def test_report_rejected_run_is_incomplete_and_steps_after_review_not_run(
    store: Store,
) -> None:
    run_id = await sc.rejected(store)
    text, doc = await _render(store, run_id)
    _assert_complete_and_clean(text, doc)
    review = doc.find("4. SQL Review")
    assert review.fields["Review Decision"].startswith(f"REJECTED — by {sc.BOB} (Slack)")
    assert "billing" in review.fields["Reason"]
    for section in ("5. Prod Apply", "6. Verification"):
        s = doc.find(section)
        assert s.fields["Result"] == "not run"
        assert not any(checked for checked, _ in s.checks)
        assert all(label.endswith("— not run") for _, label in s.checks)
    assert doc.find("5. Prod Apply").fields["Command"] == "`built-in transactional apply`"
    assert doc.find("6. Verification").fields["Final Status"] == "NOT VERIFIED"
    assert not any(checked for checked, _ in doc.find("Post-Alignment Validation").checks)
    recovery = doc.find("Recovery Actions (if needed)")
    assert recovery.check("No recovery needed")[0] is True
    status = field_anywhere(doc, "Report Status")
    assert status.startswith(f"INCOMPLETE — run rejected by {sc.BOB} (Slack) at ")
    assert "steps 5–6 not run" in status
    assert doc.find("Related Changes").bullets_after("Schema Changes Applied") == [
        "None: nothing was applied to production by this run."
    ]
    assert any("billing" in n for n in doc.find("Notes").bullets)


async def test_report_failed_apply_then_restore_shows_errors_and_recovery(store: Store) -> None:
    run_id = await sc.failed_apply_restored(store)
    text, doc = await _render(store, run_id)
    _assert_complete_and_clean(text, doc)
    apply = doc.find("5. Prod Apply")
    assert apply.fields["Result"].startswith("FAILED (exit 1")
    assert "failed at statement 3" in apply.fields["Result"]
    assert apply.check("SQL successfully executed")[0] is False
    assert apply.check("No errors encountered")[0] is False
    ((_, errors),) = apply.code_blocks
    assert "cannot be cast automatically" in errors
    assert "postgresql://app:***@db.example.com" in errors
    assert "failed statement #3" in errors
    recovery = doc.find("Recovery Actions (if needed)")
    assert recovery.check("No recovery needed")[0] is False
    assert recovery.check("Restored from Neon snapshot")[0] is True
    assert recovery.check("Re-ran alignment workflow")[0] is False
    (detail,) = recovery.bullets_after("Details")
    assert f"{sc.CAROL} (Slack) restored production from the snapshot" in detail
    assert "restored before the evening traffic" in detail
    snapshot = doc.find("Snapshot Information").bullets
    assert "Status: restored" in snapshot
    status = field_anywhere(doc, "Report Status")
    assert status.startswith("INCOMPLETE — run failed during apply")
    assert "restored from the snapshot" in status
    assert "step 6 not run" in status
    assert doc.find("6. Verification").fields["Final Status"] == "NOT VERIFIED"


async def test_report_no_changes_run_needs_no_review_or_apply(store: Store) -> None:
    run_id = await sc.no_changes(store)
    text, doc = await _render(store, run_id)
    _assert_complete_and_clean(text, doc)
    details = doc.find("Alignment Details").fields
    assert details["Git Commit"].startswith("none (builtin mode")
    pre = doc.find("1. Preconditions")
    assert pre.check("Fresh pg_dump snapshot")[0] is True
    assert pre.check("Working on")[1].endswith("skipped: builtin mode has no git checkout")
    diff = doc.find("3. Prod Diff Generation")
    assert diff.bullets_after("Changes Identified") == [
        "None: production already matches the desired schema."
    ]
    assert diff.code_blocks == []
    review = doc.find("4. SQL Review")
    assert review.fields["Review Decision"].startswith("NOT REQUIRED")
    assert review.check("None (safe to apply)")[0] is True
    apply = doc.find("5. Prod Apply")
    assert apply.fields["Result"].startswith("NOT NEEDED")
    assert not any(checked for checked, _ in apply.checks)
    verify = doc.find("6. Verification")
    assert verify.check("Verification PASSED")[0] is True
    assert verify.fields["Final Status"] == "IN SYNC"
    health = doc.find("Post-Alignment Validation")
    assert health.check("Database connections healthy")[0] is True
    assert health.check("Application started successfully") == (
        False,
        "Application started successfully — no check of this kind configured",
    )
    snapshot = doc.find("Snapshot Information").bullets
    assert "Size: 123,456 bytes" in snapshot
    assert field_anywhere(doc, "Report Status") == "FINAL — production IN SYNC"


async def test_report_interrupted_run_says_where_it_stopped_and_what_verify_found(
    store: Store,
) -> None:
    run_id = await sc.interrupted(store)
    text, doc = await _render(store, run_id)
    _assert_complete_and_clean(text, doc)
    apply = doc.find("5. Prod Apply")
    assert apply.fields["Result"].startswith("INTERRUPTED")
    assert not any(checked for checked, _ in apply.checks)
    verify = doc.find("6. Verification")
    assert verify.check("Verification FAILED")[0] is True
    assert verify.check("Verification PASSED")[0] is False
    assert verify.fields["Final Status"] == "OUT OF SYNC"
    remaining = [code for lang, code in verify.code_blocks if lang == "sql"]
    assert remaining and "DROP COLUMN" in remaining[0]
    recovery = doc.find("Recovery Actions (if needed)")
    assert recovery.check("No recovery needed")[0] is False
    status = field_anywhere(doc, "Report Status")
    assert status.startswith(
        "INTERRUPTED — the bot stopped during apply; production was verified afterwards: "
        "OUT OF SYNC"
    )
    assert any("restarted during apply" in n for n in doc.find("Notes").bullets)


async def test_report_long_sql_is_cut_with_a_pointer_and_attached_whole(store: Store) -> None:
    run_id, sql = await sc.long_sql(store, lines=450)
    report = await load_report(store, run_id, masker=MASKER)
    text = render_markdown(report)
    diff = parse(text).find("3. Prod Diff Generation")
    ((_, shown),) = [b for b in diff.code_blocks if b[0] == "sql"]
    assert len(shown.splitlines()) == 200
    assert f"_… 250 more lines — full SQL in `{run_id}.sql` attached._" in diff.lines
    files = report_files(report)
    assert set(files) == {f"{run_id}.md", f"{run_id}.sql"}
    assert files[f"{run_id}.sql"] == sql.encode()
    assert files[f"{run_id}.md"].decode() == text
    assert field_anywhere(parse(text), "Report Status").startswith(
        "IN PROGRESS — the run is at review; steps 4–6 not run yet"
    )


async def test_report_json_carries_the_same_data_without_secrets(store: Store) -> None:
    run_id = await sc.failed_apply_restored(store)
    report = await load_report(store, run_id, masker=MASKER)
    text = dumps_json(report)
    for secret in sc.SECRETS:
        assert secret not in text
    data = json.loads(text)
    assert data == json.loads(json.dumps(to_json(report)))
    assert data["run_id"] == run_id
    assert data["status"]["kind"] == "INCOMPLETE"
    assert data["operator"] == f"{sc.ALICE} (Slack)"
    assert data["sql"] == sc.SQL and data["sql_sha256"] == sc.SQL_SHA
    assert data["apply"]["sha256_applied"] == sc.SQL_SHA
    assert data["review"]["decision"] == "APPROVED"
    assert [c["checked"] for c in data["recovery"]["checks"]] == [False, True, False, False]
    assert data["verify"]["final_status"] == "NOT VERIFIED"
