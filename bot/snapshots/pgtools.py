"""Running PostgreSQL client tools (pg_dump, pg_restore, psql) against a URL without leaking it.

The password never goes on a command line (``ps`` shows argv to every local user): tools get the
URL *without* password and the password through ``PGPASSWORD`` in their environment. All output
is masked with the password added to the caller's masker. A failing tool becomes a
:class:`SnapshotError` whose message names the action and ends with the tool's output tail.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import asyncpg

from bot.errors import AlignError, SnapshotError
from bot.pgcluster import find_pg_bin
from bot.secrets import Masker, mask_url
from bot.shell import CommandResult, run_command

__all__ = ["PgConn", "PgTools", "scratch_name"]

CONNECT_TIMEOUT_S = 15
# Ordinary and partitioned tables outside system schemas (partitions are emptied via parents).
_USER_TABLES_SQL = """
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name
FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1
"""


@dataclass(frozen=True)
class PgConn:
    """A Postgres URL, split the way client tools need it. ``url`` is secret; ``label`` is not."""

    url: str

    @property
    def _parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def password(self) -> str | None:
        parts = self._parts
        if parts.password is not None:
            return unquote(parts.password)
        query = dict(parse_qsl(parts.query))
        return query.get("password")

    @property
    def tool_url(self) -> str:
        """The URL with the password removed (from the user-info and from the query)."""
        parts = self._parts
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, hosts = netloc.rsplit("@", 1)
            netloc = f"{userinfo.split(':', 1)[0]}@{hosts}"
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"])
        return urlunsplit(parts._replace(netloc=netloc, query=query))

    @property
    def dbname(self) -> str:
        return unquote(self._parts.path.lstrip("/")) or "postgres"

    @property
    def label(self) -> str:
        return mask_url(self.url)

    def with_dbname(self, name: str) -> PgConn:
        return PgConn(urlunsplit(self._parts._replace(path="/" + name)))

    def env(self) -> dict[str, str]:
        """The child environment: ours (PATH, locale, TLS settings) plus the password."""
        env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
        env.setdefault("PGCONNECT_TIMEOUT", str(CONNECT_TIMEOUT_S))
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def masker(self, base: Masker | None) -> Masker:
        secrets = [self.password] if self.password else []
        return (base or Masker()).with_secrets(secrets)


def scratch_name(prefix: str, run_id: str) -> str:
    """A database name from ``prefix`` and a run id: lower-case, ``[a-z0-9_]``, ≤ 63 bytes."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", run_id.lower()).strip("_") or "run"
    return f"{prefix}{cleaned}"[:63]


class PgTools:
    """Finds the client tools once and runs them; keeps every result (masked) in ``results``."""

    def __init__(self, *, masker: Masker | None, bin_dir: Path | None = None) -> None:
        self.masker = masker or Masker()
        self._bin_dir = bin_dir
        self.results: list[CommandResult] = []

    async def path(self, name: str) -> str:
        """The newest installation's tool (client version must be ≥ the server's), else PATH."""
        if self._bin_dir is None:
            try:
                self._bin_dir = await asyncio.to_thread(find_pg_bin)
            except AlignError:
                self._bin_dir = Path()  # no server installation: client tools from PATH only
        candidate = self._bin_dir / name
        if self._bin_dir != Path() and candidate.is_file():
            return str(candidate)
        found = shutil.which(name)
        if found is None:
            raise SnapshotError(
                f"{name} was not found; install the PostgreSQL client tools (same major "
                "version as the server or newer), or set PG_BIN to their folder"
            )
        return found

    async def run(
        self,
        argv: Sequence[str],
        *,
        conn: PgConn,
        timeout: float,
        action: str,
        hint: str = "",
    ) -> CommandResult:
        """Run a tool with ``conn``'s password in its environment; raise on failure (the
        message: action, exit status, output tail, then ``hint``)."""
        result = await run_command(
            list(argv),
            env=conn.env(),
            timeout=timeout,
            masker=conn.masker(self.masker),
            tied=True,  # a pg_restore must not outlive a bot killed mid-rehearsal
        )
        self.results.append(result)
        if result.timed_out:
            raise SnapshotError(
                f"{action} timed out after {timeout:.0f}s and was stopped"
                + (f"; {hint}" if hint else ""),
                output_tail=result.output_tail,
            )
        if not result.ok:
            tail = result.output_tail.strip() or "(no output)"
            raise SnapshotError(
                f"{action} failed (exit {result.exit_code}):\n{tail}"
                + (f"\n{hint}" if hint else ""),
                exit_code=result.exit_code,
                output_tail=result.output_tail,
            )
        return result

    async def connect(self, conn: PgConn, *, action: str) -> asyncpg.Connection:
        try:
            return await asyncpg.connect(conn.url, timeout=CONNECT_TIMEOUT_S)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            reason = conn.masker(self.masker).mask(str(exc))
            raise SnapshotError(f"{action}: cannot connect to {conn.label}: {reason}") from exc

    async def empty_tables(self, target: PgConn) -> int:
        """TRUNCATE every user table of ``target`` (a throwaway copy): a schema-only copy made
        from a full one. Returns how many tables were emptied."""
        conn = await self.connect(target, action="emptying the rehearsal copy")
        try:
            names = await conn.fetch(_USER_TABLES_SQL)
            if names:
                await conn.execute("TRUNCATE " + ", ".join(r["name"] for r in names))
        except asyncpg.PostgresError as exc:
            raise SnapshotError(f"cannot empty the rehearsal copy {target.label}: {exc}") from exc
        finally:
            await conn.close()
        return len(names)
