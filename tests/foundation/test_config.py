from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings, parse_duration
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = """
[bot]
channel = "C0ALIGN01"
[access]
reviewers = ["U0REVIEW1"]
[targets.prod]
database_url = "${PROD_URL}"
desired_url = "postgresql://app@127.0.0.1/dev"
snapshot = "none"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "align.toml"
    path.write_text(text)
    return path


def test_config_minimal_resolves_env_and_masks_secret(tmp_path: Path) -> None:
    env = {"PROD_URL": "postgresql://app:s3cretpw@db.example:5432/prod"}
    settings = load_settings(write(tmp_path, MINIMAL), env)
    target = settings.target(None)
    assert target.name == "prod" and settings.default_target == "prod"
    assert target.database_url.value == env["PROD_URL"]
    assert "s3cretpw" not in repr(settings) and "s3cretpw" not in target.database_label
    assert settings.masker().mask("connect to postgresql://app:s3cretpw@db/x failed") == (
        "connect to postgresql://app:***@db/x failed"
    )
    assert settings.masker().mask("password is s3cretpw") == "password is ***"
    assert settings.policy.four_eyes is True
    assert settings.timeouts.approval_ttl_s == 7200


def test_config_reports_every_problem_naming_its_key(tmp_path: Path) -> None:
    text = """
[bot]
channel = 42
colour = "blue"
[access]
reviewers = ["not-an-id"]
four_eyes = "yes"
[timeouts]
approval_ttl = "soon"
[targets.prod]
desired_url = "${DEV_URL}"
snapshot = "tape"
"""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), {})
    problems = "\n".join(info.value.problems)
    assert "bot.channel: expected a string" in problems  # bad type
    assert "bot.colour: unknown key" in problems  # unknown key
    assert "access.reviewers: 'not-an-id' is not a valid" in problems
    assert "access.four_eyes: expected true or false" in problems
    assert "timeouts.approval_ttl: expected a duration" in problems
    assert "targets.prod.database_url: missing (required)" in problems  # missing key
    assert "targets.prod.desired_url: environment variable ${DEV_URL} is not set" in problems
    assert "targets.prod.snapshot: must be one of pg_dump, neon, none" in problems
    assert len(info.value.problems) == 8


def test_config_builtin_needs_one_desired_source(tmp_path: Path) -> None:
    text = MINIMAL.replace('desired_url = "postgresql://app@127.0.0.1/dev"\n', "")
    with pytest.raises(ConfigError, match="exactly one of desired_url or desired_schema_file"):
        load_settings(write(tmp_path, text), {"PROD_URL": "postgresql://x@h/db"})


def test_config_unknown_target_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL), {"PROD_URL": "postgresql://x@h/db"})
    from bot.errors import RunRefused

    with pytest.raises(RunRefused, match=r"unknown target 'staging' \(configured: prod\)"):
        settings.target("staging")


def test_config_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[bot\n"), {})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml", {})


@pytest.mark.parametrize(
    ("text", "seconds"), [("2h", 7200), ("30m", 1800), ("45s", 45), ("500ms", 0.5), (90, 90)]
)
def test_parse_duration_units(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_check_config_cli_example_passes_and_broken_names_keys(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(ROOT / "deploy/align.example.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout and "target prod" in ok.stdout
    broken = write(tmp_path, MINIMAL.replace('snapshot = "none"', "snapshot = 3\nfoo = 1"))
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "targets.prod.snapshot: expected a string" in bad.stderr
    assert "targets.prod.foo: unknown key" in bad.stderr
    assert "environment variable ${PROD_URL} is not set" in bad.stderr


def test_config_access_readers_terminal_reviewers_and_slack_team_id(tmp_path: Path) -> None:
    defaults = load_settings(write(tmp_path, MINIMAL), {"PROD_URL": "postgresql://x@h/db"})
    assert defaults.policy.terminal_reviewers == () and defaults.policy.readers == ()
    assert defaults.slack.team_id is None
    text = MINIMAL.replace(
        'reviewers = ["U0REVIEW1"]',
        'reviewers = ["U0REVIEW1"]\n'
        'terminal_reviewers = ["alice", "deploy@bastion-1.example.com"]\n'
        'readers = ["U0READER1", "S0READERS1"]\n'
        '[slack]\nteam_id = "T0ACME001"',
    )
    settings = load_settings(write(tmp_path, text), {"PROD_URL": "postgresql://x@h/db"})
    assert settings.policy.terminal_reviewers == ("alice", "deploy@bastion-1.example.com")
    assert settings.policy.readers == ("U0READER1", "S0READERS1")
    assert settings.slack.team_id == "T0ACME001"


BAD_IDS = MINIMAL.replace(
    'reviewers = ["U0REVIEW1"]',
    'reviewers = ["U0REVIEW1"]\n'
    'terminal_reviewers = ["U0BOB0002", "bob smith", ""]\n'
    'readers = ["alice"]\n'
    '[slack]\nteam_id = "acme"\ncolour = "blue"',
)


def test_config_bad_reader_terminal_reviewer_and_team_ids_are_each_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, BAD_IDS), {"PROD_URL": "postgresql://x@h/db"})
    problems = info.value.problems
    assert "access.readers: 'alice' is not a valid Slack user/group id" in problems
    assert any(
        p.startswith("access.terminal_reviewers: 'U0BOB0002' looks like a Slack id")
        for p in problems
    )
    assert "access.terminal_reviewers: 'bob smith' is not a valid OS user name or user@host" in (
        problems
    )
    assert "access.terminal_reviewers: '' is not a valid OS user name or user@host" in problems
    assert "slack.team_id: 'acme' is not a Slack workspace id (T…)" in problems
    assert any(p.startswith("slack.colour: unknown key") for p in problems)
    assert len(problems) == 6


def test_check_config_cli_reports_bad_ids_and_shows_the_access_rules(tmp_path: Path) -> None:
    env = {**os.environ, "PROD_URL": "postgresql://x@h/db"}
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(write(tmp_path, BAD_IDS))],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert bad.returncode == 1
    assert "access.readers: 'alice' is not a valid Slack user/group id" in bad.stderr
    assert "'U0BOB0002' looks like a Slack id" in bad.stderr
    assert "slack.team_id: 'acme' is not a Slack workspace id" in bad.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(ROOT / "deploy/align.example.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "terminal approvals:" in ok.stdout and "read subcommands:" in ok.stdout
