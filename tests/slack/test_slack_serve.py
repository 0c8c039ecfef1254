"""``align serve``: start-up refusals (in-process) and the real subprocess answering Slack."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.serve import read_settings, serve
from bot.errors import ConfigError
from bot.pgcluster import PgCluster
from bot.store import Store
from tests.slackkit import SlackDriver, SlackEmulator
from tests.slackkit.fixtures import BOT_TOKEN, SIGNING_SECRET

_LISTENING = re.compile(r"listening on [^:]+:(\d+)")


async def _refusal(config: Path | None, environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        settings = read_settings(str(config) if config else None, environ, host=None, port=0)
        await serve(settings)
    return caught.value.user_message()


async def test_serve_refuses_without_a_config(slack_environ: dict[str, str]) -> None:
    message = await _refusal(None, slack_environ)
    assert "no configuration file" in message and "--config" in message


async def test_serve_refuses_without_signing_secret_or_token(
    align_config: Path, slack_environ: dict[str, str]
) -> None:
    env = {
        k: v
        for k, v in slack_environ.items()
        if k not in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")
    }
    message = await _refusal(align_config, env)
    assert "SLACK_SIGNING_SECRET: not set" in message
    assert "SLACK_BOT_TOKEN: not set" in message


async def test_serve_refuses_a_config_with_problems(
    tmp_path: Path, slack_environ: dict[str, str]
) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('[targets.prod]\ndatabase_url = "${NOT_SET_ANYWHERE}"\n')
    message = await _refusal(config, slack_environ)
    assert "NOT_SET_ANYWHERE" in message and "snapshot: missing" in message


async def test_serve_refuses_a_token_slack_rejects(
    align_config: Path, slack_environ: dict[str, str], slack_emulator: SlackEmulator
) -> None:
    env = {**slack_environ, "SLACK_BOT_TOKEN": "xoxb-revoked-0000"}
    message = await _refusal(align_config, env)
    assert "SLACK_BOT_TOKEN: Slack rejected the token (invalid_auth)" in message
    assert "xoxb-revoked-0000" not in message
    assert slack_emulator.calls_to("auth.test")


async def test_serve_refuses_an_unreachable_state_store(
    align_config: Path, slack_environ: dict[str, str]
) -> None:
    env = {**slack_environ, "ALIGN_STATE_URL": "postgresql://align:pw-secret@127.0.0.1:9/nope"}
    message = await _refusal(align_config, env)
    assert "state store" in message and "not reachable" in message
    assert "pw-secret" not in message


def test_serve_cli_prints_what_is_missing(
    align_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    assert main(["serve", "--config", str(align_config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("align serve: ")
    assert "SLACK_SIGNING_SECRET: not set" in err
    assert BOT_TOKEN not in err


async def _read_lines(stream: asyncio.StreamReader, sink: list[str]) -> None:
    while line := await stream.readline():
        sink.append(line.decode(errors="replace"))


async def _wait_for_port(lines: list[str], proc: asyncio.subprocess.Process) -> int:
    async with asyncio.timeout(60):
        while True:
            for line in lines:
                if match := _LISTENING.search(line):
                    return int(match[1])
            if proc.returncode is not None:
                raise AssertionError("align serve exited early:\n" + "".join(lines))
            await asyncio.sleep(0.05)


async def _start_serve(
    config: Path, env: dict[str, str]
) -> tuple[asyncio.subprocess.Process, list[str], asyncio.Task[None], int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    reader = asyncio.create_task(_read_lines(proc.stderr, lines))
    try:
        port = await _wait_for_port(lines, proc)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    return proc, lines, reader, port


def _driver(port: int, emulator: SlackEmulator) -> SlackDriver:
    return SlackDriver(
        f"http://127.0.0.1:{port}/slack/events", signing_secret=SIGNING_SECRET, emulator=emulator
    )


async def _stop_serve(proc: asyncio.subprocess.Process, reader: asyncio.Task[None]) -> int:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    async with asyncio.timeout(30):
        code = await proc.wait()
        await reader
    return code


async def test_serve_embedded_state_store_keeps_runs_across_restarts(
    align_config: Path, slack_environ: dict[str, str], slack_emulator: SlackEmulator
) -> None:
    # The embedded server runs as OS user postgres, which must be able to enter the data dir.
    data_dir = Path(tempfile.mkdtemp(prefix="align-serve-"))
    data_dir.chmod(0o755)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **slack_environ,
        "ALIGN_DATA_DIR": str(data_dir),
    }
    cluster = PgCluster(data_dir / "state-pg", ephemeral=False)
    try:
        proc, _, reader, port = await _start_serve(align_config, env)
        try:
            await cluster.start()  # finds the server serve started; learns its port
            store = await Store.open(cluster.url("align_state"))
            run = await store.create_run(
                target="prod", mode="builtin", requested_by="U0ALICE01", requested_via="cli"
            )
            await store.close()
        finally:
            assert await _stop_serve(proc, reader) == 0
        proc, _, reader, port = await _start_serve(align_config, env)
        try:
            await _driver(port, slack_emulator).command(f"status {run.id}")
            call = await slack_emulator.wait_for("response_url", timeout=15)
            assert f"Run `{run.id}`" in call.args["blocks"][0]["text"]["text"]
        finally:
            assert await _stop_serve(proc, reader) == 0
    finally:
        await cluster.stop(delete=True)


async def test_serve_subprocess_answers_a_signed_help_and_stops_on_sigterm(
    align_config: Path,
    slack_environ: dict[str, str],
    slack_emulator: SlackEmulator,
    make_db: Callable[..., Awaitable[str]],
) -> None:
    state_url = await make_db()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **slack_environ,
        "ALIGN_STATE_URL": state_url,
    }
    proc, lines, reader, port = await _start_serve(align_config, env)
    try:
        driver = _driver(port, slack_emulator)
        resp = await driver.command("help")
        assert resp.status == 200
        assert "/align status" in resp.json()["text"]
        bad = await driver.command("help", signature="v0=" + "1" * 64)
        assert bad.status == 401
    finally:
        assert await _stop_serve(proc, reader) == 0
    messages = [json.loads(line)["msg"] for line in lines if line.startswith("{")]
    assert "align serve stopped" in messages
    log_text = "".join(lines)
    assert BOT_TOKEN not in log_text and SIGNING_SECRET not in log_text
    password = state_url.split("@")[0].rsplit(":", 1)[1]
    assert password not in log_text
