"""DESIGN invariant 11, written as the attacks: nothing from an unreviewed plan or desired schema
executes where it can hurt. Every test runs on real PostgreSQL clusters started by
``bot.pgcluster``; "production" is a database on the session cluster."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from bot.errors import DevSyncError
from bot.pgcluster import PgCluster
from bot.review import analyze
from bot.review.impact import NOT_MEASURED, estimate_impact
from bot.snapshots.pgdump import PgDumpProvider
from bot.snapshots.pgtools import PgConn
from bot.workflow.desired import schema_file_database
from bot.workflow.execute import SqlStatement, rehearse_statements

PROD = """
CREATE TABLE accounts (id int PRIMARY KEY, email text);
INSERT INTO accounts SELECT g, 'a' || g || '@x' FROM generate_series(1, 20) g;
CREATE TABLE canary (hit int);
"""


async def _fetchval(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _until(found: Callable[[], object], *, what: str, timeout: float = 30.0) -> object:
    """Poll ``found`` until it returns something truthy (a condition, not a timing assertion)."""
    async with asyncio.timeout(timeout):
        while not (value := found()):
            await asyncio.sleep(0.05)
    assert value, what
    return value


def _processes(name: str, needle: str) -> list[tuple[int, list[str]]]:
    """(pid, argv) of running processes called ``name`` with ``needle`` in an argument."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if argv and Path(argv[0]).name == name and any(needle in a for a in argv[1:]):
            out.append((int(entry.name), argv))
    return out


def _server_data_dir(port: int) -> Path | None:
    """The data directory of the postgres server listening on ``port`` (from its argv)."""
    for _, argv in _processes("postgres", str(port)):
        if "-D" in argv and "-p" in argv and argv[argv.index("-p") + 1] == str(port):
            return Path(argv[argv.index("-D") + 1])
    return None


# ------------------------------------------------------------------------------ impact probes
async def test_impact_check_calling_pg_terminate_backend_leaves_the_app_connection_alive(
    make_db,
) -> None:
    url = await make_db(PROD)
    app = await asyncpg.connect(url)  # an application's connection to production
    try:
        pid = app.get_server_pid()
        plan = (
            f"ALTER TABLE accounts ADD CONSTRAINT kill CHECK "
            f"(pg_terminate_backend({pid}) IS NOT NULL);"
        )
        impacts = await estimate_impact(analyze(plan), url)

        assert await app.fetchval("SELECT 1") == 1  # still alive
        [check] = [i for i in impacts if "kill" in i.object]
        assert check.kind == "skipped" and NOT_MEASURED in check.text
    finally:
        await app.close()


async def _install_canary(url: str, cluster: PgCluster) -> None:
    """``public.touch_canary()`` inserts into ``canary`` through a second connection (dblink),
    so its write survives even a READ ONLY probe transaction: only never calling it keeps
    production clean."""
    dsn = (
        f"host=127.0.0.1 port={cluster.port} dbname={PgConn(url).dbname} user=align "
        f"password={cluster.password}"
    )
    await _execute(
        url,
        "CREATE EXTENSION dblink;"
        "CREATE FUNCTION public.touch_canary() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM public.dblink_exec('{dsn}', 'INSERT INTO public.canary VALUES (1)'); "
        "RETURN true; END $$;",
    )


async def test_impact_never_evaluates_where_index_using_or_default_expressions(
    make_db, pg_cluster: PgCluster
) -> None:
    url = await make_db(PROD)
    await _install_canary(url, pg_cluster)
    plan = """
    DELETE FROM accounts WHERE public.touch_canary();
    UPDATE accounts SET email = NULL WHERE public.touch_canary();
    CREATE UNIQUE INDEX by_fn ON accounts ((public.touch_canary()));
    CREATE UNIQUE INDEX partial ON accounts (email) WHERE public.touch_canary();
    ALTER TABLE accounts ALTER COLUMN email TYPE int USING (public.touch_canary()::int);
    ALTER TABLE accounts ADD COLUMN flag boolean NOT NULL DEFAULT public.touch_canary();
    """
    review = analyze(plan)
    impacts = await estimate_impact(review, url)

    assert await _fetchval(url, "SELECT count(*) FROM canary") == 0
    by_statement = {i.statement_index: i for i in impacts if i.kind == "skipped"}
    for index in (1, 2, 3, 4):  # DELETE, UPDATE, expression index, partial index
        assert NOT_MEASURED in by_statement[index].text
    assert "20 rows" in by_statement[1].text  # the table's size is still said, from a count


async def test_impact_probe_names_never_resolve_to_a_shadowing_user_function(
    make_db, pg_cluster: PgCluster
) -> None:
    url = await make_db(PROD)
    await _install_canary(url, pg_cluster)
    dbname = PgConn(url).dbname
    # Production's owner puts public ahead of pg_catalog and shadows a catalog function.
    await _execute(
        url,
        f"ALTER DATABASE {dbname} SET search_path = public, pg_catalog;"
        "CREATE FUNCTION public.pg_table_size(regclass) RETURNS bigint LANGUAGE sql "
        "AS $$ SELECT public.touch_canary()::int::bigint $$;",
    )
    impacts = await estimate_impact(analyze("ALTER TABLE accounts DROP COLUMN email;"), url)

    assert await _fetchval(url, "SELECT count(*) FROM canary") == 0
    assert [i.count for i in impacts if i.kind == "non_null"] == [20]


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# ------------------------------------------------------------------------- desired schema file
@pytest.mark.parametrize(
    "script",
    [
        "COPY (SELECT 1) TO PROGRAM 'touch {canary}';",
        "CREATE TABLE t (line text);\nCOPY t FROM '/etc/passwd';",
        "COPY (SELECT 1) TO '{canary}';",
        "ALTER SYSTEM SET work_mem = '64MB';",
        "CREATE TABLE t (id int);\nCREATE EXTENSION dblink;",
        "CREATE ROLE intruder SUPERUSER;",
    ],
)
async def test_desired_schema_file_with_server_side_commands_is_refused(
    tmp_path: Path, script: str
) -> None:
    canary = Path("/tmp") / f"align-canary-{uuid.uuid4().hex}"
    schema = tmp_path / "schema.sql"
    schema.write_text(script.format(canary=canary) + "\n")

    with pytest.raises(DevSyncError) as info:
        async with schema_file_database(schema, label="db/schema.sql"):
            pass

    assert "db/schema.sql" in info.value.message
    assert "unprivileged role" in info.value.message
    assert not canary.exists()


async def test_desired_schema_file_loads_as_an_owner_that_is_not_a_superuser(
    tmp_path: Path,
) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE EXTENSION pgcrypto;\nCREATE TABLE t (id uuid PRIMARY KEY);\n")
    async with schema_file_database(schema) as url:
        conn = await asyncpg.connect(url)
        try:
            role = await conn.fetchrow(
                "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                "WHERE rolname = current_user"
            )
            members = await conn.fetchval(
                "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                "WHERE r.rolname = current_user"
            )
            assert tuple(role) == (False, False, False) and members == 0
            assert await conn.fetchval("SELECT to_regclass('public.t') IS NOT NULL")
        finally:
            await conn.close()


# ------------------------------------------------------------------------------- rehearsals
async def test_rehearsal_copy_never_appears_on_the_production_server(
    make_db, pg_cluster: PgCluster, tmp_path: Path
) -> None:
    url = await make_db(PROD)
    provider = PgDumpProvider(target_name="prod", database_url=url, dump_dir=tmp_path)
    info = await provider.create(run_id="attack-1")
    canary = Path("/tmp") / f"align-canary-{uuid.uuid4().hex}"
    before = await _fetchval(
        pg_cluster.url(), "SELECT array_agg(datname ORDER BY 1) FROM pg_database"
    )

    async with provider.open_copy(info, schema_only=False) as copy_url:
        copy = PgConn(copy_url)
        during = await _fetchval(
            pg_cluster.url(), "SELECT array_agg(datname ORDER BY 1) FROM pg_database"
        )
        assert during == before  # nothing was created on production's server
        assert f":{pg_cluster.port}/" not in copy_url
        assert await _fetchval(copy_url, "SELECT count(*) FROM accounts") == 20
        assert not await _fetchval(
            copy_url, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        port = int(copy_url.rsplit(":", 1)[1].split("/", 1)[0])
        data_dir = _server_data_dir(port)
        assert data_dir is not None and data_dir.exists()
        # The plan under rehearsal tries to run a program on the bot's host.
        plan = f"COPY (SELECT 1) TO PROGRAM 'touch {canary}'"
        with pytest.raises(Exception, match=r"pg_execute_server_program|superuser"):
            await rehearse_statements(
                copy.url, [SqlStatement(index=1, sql=plan, transactional=True)],
                statement_timeout_ms=5000,
            )  # fmt: skip

    assert not canary.exists()
    assert not data_dir.exists()
    assert _server_data_dir(port) is None
    assert (
        await _fetchval(pg_cluster.url(), "SELECT array_agg(datname ORDER BY 1) FROM pg_database")
        == before
    )


async def test_rehearsal_copy_is_deleted_when_the_rehearsal_is_cancelled(
    make_db, tmp_path: Path
) -> None:
    url = await make_db(PROD)
    provider = PgDumpProvider(target_name="prod", database_url=url, dump_dir=tmp_path)
    info = await provider.create(run_id="attack-2")
    entered: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def rehearsal() -> None:
        async with provider.open_copy(info, schema_only=True) as copy_url:
            entered.set_result(copy_url)
            await asyncio.Event().wait()  # a long rehearsal, cancelled from outside

    task = asyncio.create_task(rehearsal())
    copy_url = await asyncio.wait_for(entered, 120)
    port = int(copy_url.rsplit(":", 1)[1].split("/", 1)[0])
    data_dir = _server_data_dir(port)
    assert data_dir is not None and data_dir.exists()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert not data_dir.exists()
    assert _server_data_dir(port) is None


async def test_rehearsal_copy_is_deleted_when_the_rehearsal_fails(make_db, tmp_path: Path) -> None:
    url = await make_db(PROD)
    provider = PgDumpProvider(target_name="prod", database_url=url, dump_dir=tmp_path)
    info = await provider.create(run_id="attack-3")
    with pytest.raises(RuntimeError, match="rehearsal failed"):
        async with provider.open_copy(info, schema_only=False) as copy_url:
            port = int(copy_url.rsplit(":", 1)[1].split("/", 1)[0])
            data_dir = _server_data_dir(port)
            raise RuntimeError("rehearsal failed")
    assert data_dir is not None and not data_dir.exists()
    assert _server_data_dir(port) is None


# ----------------------------------------------------------------------------- argv secrets
async def test_pg_dump_argv_carries_no_password(make_db, pg_cluster: PgCluster, tmp_path) -> None:
    url = await make_db(PROD)
    dbname = PgConn(url).dbname
    provider = PgDumpProvider(target_name="prod", database_url=url, dump_dir=tmp_path)
    locker = await asyncpg.connect(url)
    tx = locker.transaction()
    await tx.start()
    await locker.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")  # pg_dump waits here
    dump = asyncio.create_task(provider.create(run_id="argv"))
    try:
        [(pid, argv)] = await _until(
            lambda: _processes("pg_dump", dbname), what="pg_dump never started"
        )
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    finally:
        await tx.rollback()
        await locker.close()
    await dump

    assert pg_cluster.password not in " ".join(argv)
    assert f"PGPASSWORD={pg_cluster.password}".encode() in environ
    assert os.path.exists(tmp_path / "prod-argv.dump")
