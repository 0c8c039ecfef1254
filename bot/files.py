"""Files and directories the bot creates are private: 0600 files in 0700 directories.

Dumps hold production rows (e-mails, password hashes), reviewed SQL and reports name what
production looks like; under a common ``umask 022`` an ordinary ``open``/``mkdir`` would make
them readable by every local user. These helpers set the modes explicitly, so the result does
not depend on the umask the bot was started with (``bot.cli`` also sets ``umask 077`` for the
child processes it starts, such as ``pg_dump``, but nothing here relies on that).

All functions are blocking and small; async callers run them with ``asyncio.to_thread``.
Failures are plain ``OSError``: the caller knows what the file was for and turns it into the
typed error its user can act on.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "copy_private", "private_dir", "write_private"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``mkdir -p path``; every directory created here and ``path`` itself end up 0700.

    Directories above ``path`` that already existed keep their mode: they may be shared
    (``/tmp``, a home directory) and are not ours to change."""
    path = Path(path)
    missing: list[Path] = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # created meanwhile by another process
            os.mkdir(folder, DIR_MODE)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a directory")
    os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, data: bytes | str, *, mode: int = FILE_MODE) -> Path:
    """Atomically replace ``path`` with ``data`` (``str`` is written as UTF-8), mode 0600
    (or ``mode``, owner bits only: e.g. 0o400 for a read-only copy handed to a command).

    The bytes go to a new temporary file in the same directory, created 0600 with ``O_EXCL``
    (so no other user can ever open it, and no existing file or link is followed), fsynced,
    then renamed over ``path``. A reader sees the old file or the whole new one, and an older
    world-readable file at ``path`` is replaced, not rewritten in place with its old mode.
    The parent directory must exist (use :func:`private_dir` for the bot's own folders);
    ``path``, if it exists, must be a regular file (``OSError`` otherwise)."""
    if mode & ~0o700:
        raise ValueError(f"write_private: mode {mode:#o} would open the file to other users")
    path = Path(path)
    if path.exists() and not path.is_file():  # never rename over /dev/stdout, a pipe, a folder
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)  # the umask may have removed bits we want (e.g. 0o277)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            if mode != FILE_MODE:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def copy_private(source: Path, target: Path) -> Path:
    """Copy ``source``'s bytes to ``target`` as :func:`write_private` does (0600, atomic)."""
    with open(source, "rb") as f:
        return write_private(target, f.read())


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: some filesystems refuse fsync on a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
