"""bot/files.py: what the bot writes is private whatever the umask, and replacing a file never
keeps an older file's looser mode."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.files import copy_private, private_dir, write_private


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o000, 0o277])
def test_private_dir_and_file_modes_do_not_depend_on_the_umask(tmp_path: Path, mask: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    with umask(mask):
        leaf = private_dir(shared / "data" / "runs" / "r1")
        written = write_private(leaf / "align.sql", "DROP TABLE users;\n")
    assert mode(shared) == 0o755  # an existing parent is not ours to change
    for folder in (shared / "data", shared / "data" / "runs", leaf):
        assert mode(folder) == 0o700, folder
    assert mode(written) == 0o600
    assert written.read_bytes() == b"DROP TABLE users;\n"


def test_private_dir_tightens_an_existing_world_readable_leaf(tmp_path: Path) -> None:
    dumps = tmp_path / "snapshots"
    dumps.mkdir()
    dumps.chmod(0o755)
    private_dir(dumps)
    assert mode(dumps) == 0o700


def test_private_dir_refuses_a_file_in_its_place(tmp_path: Path) -> None:
    (tmp_path / "runs").write_text("not a folder")
    with pytest.raises(NotADirectoryError):
        private_dir(tmp_path / "runs")


def test_write_private_replaces_a_world_readable_file_instead_of_reusing_its_mode(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.md"
    report.write_text("old report")
    report.chmod(0o644)
    before = report.stat().st_ino
    with umask(0o022):
        write_private(report, b"new report with production's schema")
    assert mode(report) == 0o600
    assert report.stat().st_ino != before  # a new file, never the old world-readable inode
    assert report.read_bytes() == b"new report with production's schema"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no temp file left


def test_write_private_never_writes_through_a_link_planted_at_the_target(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    out = tmp_path / "align.sql"
    out.symlink_to(victim)  # another user's link where the bot writes
    write_private(out, "SELECT 1;\n")
    assert victim.read_text() == "keep me"
    assert not out.is_symlink() and mode(out) == 0o600


def test_write_private_refuses_to_replace_a_device_or_folder(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="not a regular file"):
        write_private(tmp_path, b"x")
    with pytest.raises(OSError, match="not a regular file"):
        write_private(Path("/dev/null"), b"x")
    assert Path("/dev/null").exists() and not Path("/dev/null").is_file()


def test_write_private_into_a_missing_folder_fails_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_private(tmp_path / "missing" / "x.sql", b"x")
    assert list(tmp_path.iterdir()) == []


def test_copy_private_copies_bytes_into_a_private_file(tmp_path: Path) -> None:
    source = tmp_path / "schema.sql"
    source.write_bytes(b"CREATE TABLE t (id int);\n")
    source.chmod(0o644)
    with umask(0o022):
        copy = copy_private(source, tmp_path / "copy.sql")
    assert copy.read_bytes() == source.read_bytes() and mode(copy) == 0o600


def test_state_dir_is_private_and_reachable_only_by_the_server_user(tmp_path: Path) -> None:
    from bot.state import prepare_state_dir

    with umask(0o022):
        base = prepare_state_dir(tmp_path / "data" / "state-pg")
    assert mode(base) == 0o700
    # As root the server runs as another OS user who must pass through, never list or read.
    assert mode(tmp_path / "data") == (0o711 if os.geteuid() == 0 else 0o700)


def test_write_private_read_only_copy_and_refusal_of_shared_modes(tmp_path: Path) -> None:
    copy = write_private(tmp_path / "align.sql", b"SELECT 1;\n", mode=0o400)
    assert mode(copy) == 0o400
    with pytest.raises(ValueError, match="other users"):
        write_private(tmp_path / "shared.sql", b"x", mode=0o644)
    assert not (tmp_path / "shared.sql").exists()
