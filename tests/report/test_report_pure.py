"""Pure parts of the report: Markdown filters, people, SQL excerpts, states without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.report import build_report, render_markdown, report_files
from bot.report.display import number_ranges, person
from bot.report.render import cell, code, fence, sql_excerpt
from bot.secrets import Masker
from bot.store.records import AuditEvent, Decision, Run
from bot.workflow.run import RunState
from tests.report.markdown import field_anywhere, parse

T = datetime(2026, 11, 24, 14, 3, 5, tzinfo=UTC)


def _run(state: RunState, **kw: object) -> Run:
    return Run(
        id="20261124-aaaaaa",
        target="prod",
        mode="builtin",
        state=state,
        requested_by=kw.pop("requested_by", "alice"),
        requested_via=kw.pop("via", "cli"),
        created_at=T,
        updated_at=T,
        **kw,
    )  # type: ignore[arg-type]


def test_code_survives_backticks_in_the_value() -> None:
    assert code("a") == "`a`"
    assert code("x ` y") == "``x ` y``"
    assert code("`edge`") == "`` `edge` ``"


def test_fence_is_longer_than_any_backtick_run_inside() -> None:
    block = fence("select '```';", "sql")
    assert block.startswith("````sql\n") and block.endswith("\n````")


def test_cell_escapes_pipes_and_newlines() -> None:
    assert cell("a | b\nc") == "a \\| b c"
    assert cell("") == "—"


def test_person_shows_slack_ids_as_text_and_names_when_known() -> None:
    assert person("U0ALICE01", via="slack") == "U0ALICE01 (Slack)"
    assert person("<@U0ALICE01>", via="slack") == "U0ALICE01 (Slack)"
    assert person("U0ALICE01", names={"U0ALICE01": "Alice"}) == "Alice (U0ALICE01, Slack)"
    assert person("alice", via="cli") == "alice (CLI)"


def test_number_ranges_groups_consecutive_steps() -> None:
    assert number_ranges([5, 6, 2, 3, 4]) == "2–6"
    assert number_ranges([1, 3, 4]) == "1, 3–4"


def test_sql_excerpt_cuts_by_lines_and_by_bytes() -> None:
    by_lines = sql_excerpt("select 1;\n" * 250)
    assert (len(by_lines.shown.splitlines()), by_lines.more_lines) == (200, 50)
    wide = sql_excerpt(("x" * 999 + "\n") * 50)
    assert wide.more_lines == 30 and len(wide.shown.encode()) <= 20_000


def test_report_cancelled_run_names_who_cancelled_and_ticks_nothing_unreached() -> None:
    run = _run(RunState.CANCELLED, finished_at=T)
    audit = [AuditEvent(1, T, "U0CAROL03", "run.cancelled", run.id, "prod", None, {})]
    report = build_report(run, audit=audit, masker=Masker(), generated_at=T)
    doc = parse(render_markdown(report))
    status = field_anywhere(doc, "Report Status")
    assert status == (
        "INCOMPLETE — run cancelled by U0CAROL03 (Slack) at 2026-11-24 14:03:05 UTC;"
        " steps 1–6 not run; health checks not run"
    )
    for title in (
        "1. Preconditions",
        "2. Dev Sync",
        "3. Prod Diff Generation",
        "4. SQL Review",
        "5. Prod Apply",
        "6. Verification",
        "Post-Alignment Validation",
    ):
        assert not any(checked for checked, _ in doc.find(title).checks), title
    assert doc.find("Alignment Details").fields["Operator"] == "alice (CLI)"
    assert report_files(report).keys() == {f"{run.id}.md"}


def test_report_deferred_run_says_until_when_and_that_it_can_resume() -> None:
    run = _run(RunState.DEFERRED, requested_by="U0ALICE01", via="slack")
    later = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    decision = Decision(
        1,
        run.id,
        "deferred",
        "U0BOB0002",
        "after the release",
        "ab" * 32,
        None,
        None,
        None,
        later,
        T,
    )
    doc = parse(
        render_markdown(build_report(run, decisions=[decision], masker=Masker(), generated_at=T))
    )
    review = doc.find("4. SQL Review")
    assert review.fields["Review Decision"].startswith("DEFERRED — by U0BOB0002 (Slack)")
    assert "reminder set for 2026-11-25 09:00:00 UTC" in review.fields["Review Decision"]
    assert field_anywhere(doc, "Report Status").startswith(
        "INCOMPLETE — review deferred by U0BOB0002 (Slack)"
    )


def test_report_masks_secrets_everywhere_including_the_sql_attachment() -> None:
    secret = "pw-Zq81!longsecret"
    sql = f"CREATE ROLE app LOGIN PASSWORD '{secret}';\n"
    run = _run(
        RunState.FAILED,
        sql_text=sql,
        error=f"connect to postgres://a:{secret}@h/db failed",
        data={"notes": [f"token xoxb-9-9-abcdef and {secret}"]},
    )
    masker = Masker([secret])
    report = build_report(run, masker=masker, generated_at=T)
    files = report_files(report, masker=masker)
    for body in files.values():
        assert secret.encode() not in body and b"xoxb-9-9-abcdef" not in body
    assert any("looks like a secret" in n for n in report.notes)
