"""A local PostgreSQL cluster the project starts itself.

Used three ways: throwaway clusters for tests and ``align demo`` (``fsync`` off, deleted on stop),
and the bot's own state store when ``ALIGN_STATE_URL`` is unset (durable, kept under the data
directory across restarts). The server listens on 127.0.0.1 only, on a free port, with password
authentication; unix sockets are off so nothing depends on /var/run permissions.

PostgreSQL refuses to run as root, so when we are root every server-side command (initdb,
pg_ctl) runs as an unprivileged OS user (``postgres`` when it exists) and the data directory is
handed to that user.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bot.errors import AlignError
from bot.files import write_private
from bot.shell import run_command

SUPERUSER = "align"
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Install them with "
    "`sudo apt-get install -y postgresql` (Debian/Ubuntu), or set PG_BIN to the folder that "
    "holds initdb."
)
EPHEMERAL_PREFIX = "align-pg-"
OWNER_FILE = "owner.json"
# Folders of the ephemeral clusters this process started and has not deleted yet: anything else
# with this process's pid in its owner file is a leftover (a stop that failed), see leftovers.py.
LIVE_EPHEMERAL: set[Path] = set()
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_EPHEMERAL_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


class PgClusterError(AlignError):
    """The local cluster could not be found, initialised, started or stopped."""


def find_pg_bin(
    environ: Mapping[str, str] | None = None, *, system_root: Path = Path("/usr/lib/postgresql")
) -> Path:
    """Locate the folder holding ``initdb``: PG_BIN, then ``pg_config --bindir``, then the
    newest ``/usr/lib/postgresql/*/bin``."""
    env = os.environ if environ is None else environ
    candidates: list[Path] = []
    if env.get("PG_BIN"):
        candidates.append(Path(env["PG_BIN"]))
    pg_config = shutil.which("pg_config", path=env.get("PATH"))
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    versions = sorted(
        system_root.glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(versions)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PgClusterError(INSTALL_HINT)


def _server_user() -> str | None:
    """The OS user that runs the server: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PgClusterError(
        "running as root, and no unprivileged 'postgres' user exists to run the server; "
        "create one (`useradd --system postgres`) or run as a normal user"
    )


def process_alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie left for an init that does not reap counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def process_started(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot, /proc/PID/stat field 22), or None when it
    is gone: a pid together with its start time names one process, even after pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 and fields[0] not in ("Z", "X") else None


def write_owner(base: Path, *, purpose: str, **owner: str) -> None:
    """Record in ``base`` which process made it, when and what for (see :data:`OWNER_FILE`)."""
    record = {
        "pid": os.getpid(),
        "pid_started": process_started(os.getpid()),
        "purpose": purpose,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **owner,
    }
    write_private(base / OWNER_FILE, json.dumps(record) + "\n")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """One PostgreSQL cluster in ``data_dir``; create with :meth:`start_ephemeral` or
    :meth:`start_persistent`."""

    def __init__(
        self, base_dir: Path, *, bin_dir: Path | None = None, ephemeral: bool = True
    ) -> None:
        self.base_dir = Path(base_dir)
        self.data_dir = self.base_dir / "data"
        self.bin_dir = bin_dir or find_pg_bin()
        self.ephemeral = ephemeral
        self.port: int | None = None
        self.os_user = _server_user()
        self._password_file = self.base_dir / "superuser.password"

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    async def start_ephemeral(
        cls, *, parent: Path | None = None, purpose: str = "scratch", **owner: str
    ) -> PgCluster:
        """A new throwaway cluster in a temporary folder, started; ``stop(delete=True)`` ends it.

        The folder records who made it and why (``owner.json``: this process, ``purpose`` and
        e.g. ``run_id``/``target``), so a cluster outliving its process — the bot killed during a
        rehearsal leaves a full copy of production behind — is found and removed by
        bot/leftovers.py at the next start-up or retention run."""
        base = Path(tempfile.mkdtemp(prefix=EPHEMERAL_PREFIX, dir=parent))
        write_owner(base, purpose=purpose, **owner)
        cluster = cls(base, bin_dir=await asyncio.to_thread(find_pg_bin), ephemeral=True)
        LIVE_EPHEMERAL.add(base)
        try:
            await cluster.init()
            await cluster.start()
        except BaseException:
            await cluster.stop(delete=True)
            raise
        return cluster

    @classmethod
    async def start_persistent(cls, base_dir: Path) -> PgCluster:
        """The bot's own durable cluster: initialised on first use, reused (or restarted) after."""
        base_dir.mkdir(parents=True, exist_ok=True)
        cluster = cls(base_dir, bin_dir=await asyncio.to_thread(find_pg_bin), ephemeral=False)
        if not (cluster.data_dir / "PG_VERSION").exists():
            await cluster.init()
        await cluster.start()
        return cluster

    @property
    def password(self) -> str:
        return self._password_file.read_text().strip()

    def url(self, dbname: str = "postgres") -> str:
        if self.port is None:
            raise PgClusterError("the local cluster is not running")
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def tool(self, name: str) -> str:
        path = self.bin_dir / name
        if not path.is_file():
            raise PgClusterError(f"{name} not found in {self.bin_dir}")
        return str(path)

    async def init(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._check_traversable()
        self._password_file.write_text(secrets.token_urlsafe(18) + "\n")
        os.chmod(self._password_file, 0o600)
        pwfile = self.base_dir / "initdb.pw"
        pwfile.write_text(self.password + "\n")
        self._hand_over(self.base_dir, pwfile)
        try:
            await self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                timeout=120,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        settings = {"listen_addresses": "'127.0.0.1'", "unix_socket_directories": "''"}
        if self.ephemeral:
            settings.update(_EPHEMERAL_SETTINGS)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# align-bot local cluster\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    async def start(self, *, port: int | None = None) -> None:
        """Start the server (or find it running); on ``port`` when given (a restart that keeps
        its clients' URLs valid), else on a free one."""
        running = self._running_port()
        if running is not None:
            self.port = running
            return
        last_output = ""
        wanted = port
        for _ in range(1 if wanted else 3):  # a free port can be taken before the server binds
            port = wanted or _free_port()
            result = await self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.base_dir / "server.log"),
                "-o",
                f"-p {port}",
                "-w",
                "-t",
                "60",
                "start",
                timeout=90,
                check=False,
            )
            if result.ok:
                self.port = port
                return
            last_output = result.output_tail + "\n" + self._log_tail()
        raise PgClusterError(
            f"could not start the local PostgreSQL cluster:\n{last_output.strip()}"
        )

    async def stop(self, *, delete: bool = False) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            await self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "stop",
                timeout=90,
                check=False,
            )
        self.port = None
        if delete:
            await asyncio.to_thread(shutil.rmtree, self.base_dir, True)
            LIVE_EPHEMERAL.discard(self.base_dir)

    # ----------------------------------------------------------------- databases
    async def create_database(self, name: str, *, template: str | None = None) -> str:
        _check_db_name(name)
        sql = f"CREATE DATABASE {name}"
        if template:
            _check_db_name(template)
            sql += f" TEMPLATE {template}"
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()
        return self.url(name)

    async def create_owned_database(self, name: str, *, owner: str) -> str:
        """CREATE DATABASE ``name`` owned by a new login role ``owner`` that is nothing more:
        no SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, and no member of any
        role (so not of pg_execute_server_program / pg_read_server_files /
        pg_write_server_files). It also owns schema ``public``. Returns the URL that connects
        as ``owner``: SQL nobody has reviewed (a desired schema file, a rehearsal) runs there
        and cannot reach the OS, server files or other databases' superuser powers."""
        _check_db_name(name)
        _check_db_name(owner)
        password = secrets.token_urlsafe(18)
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(
                f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                f"NOBYPASSRLS NOINHERIT PASSWORD '{password}'"
            )
            await conn.execute(f"CREATE DATABASE {name} OWNER {owner}")
        finally:
            await conn.close()
        conn = await asyncpg.connect(self.url(name))
        try:
            await conn.execute(f"ALTER SCHEMA public OWNER TO {owner}")
        finally:
            await conn.close()
        return f"postgresql://{owner}:{password}@127.0.0.1:{self.port}/{name}"

    async def drop_database(self, name: str) -> None:
        _check_db_name(name)
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()

    # ----------------------------------------------------------------- internals
    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def _running_port(self) -> int | None:
        """Port of a server already running on this data directory (left by a previous process)."""
        pid = self.postmaster_pid()
        if pid is None:
            return None
        if not process_alive(pid):
            return None
        lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else None

    async def _run(self, tool: str, *args: str, timeout: float, check: bool = True):
        result = await run_command([self.tool(tool), *args], timeout=timeout, user=self.os_user)
        if check and not result.ok:
            raise PgClusterError(f"{tool} failed (exit {result.exit_code}):\n{result.output_tail}")
        return result

    def _hand_over(self, *paths: Path) -> None:
        if self.os_user is None:
            return
        entry = pwd.getpwnam(self.os_user)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _check_traversable(self) -> None:
        if self.os_user is None:
            return
        for folder in self.base_dir.resolve().parents:
            if not os.stat(folder).st_mode & 0o001:
                raise PgClusterError(
                    f"the server runs as OS user '{self.os_user}', which cannot enter {folder}; "
                    "choose a data directory outside it (ALIGN_DATA_DIR) or `chmod o+x` it"
                )

    def _log_tail(self) -> str:
        try:
            return "\n".join((self.base_dir / "server.log").read_text().splitlines()[-20:])
        except OSError:
            return ""


def _check_db_name(name: str) -> None:
    if not _DB_NAME.match(name):
        raise PgClusterError(f"invalid database name {name!r}: use lower-case letters, digits, _")
