"""The SQL that empties production before a pg_dump snapshot is restored into it.

``pg_restore --clean`` only drops objects that are *in* the archive, so a table created after the
snapshot would survive the restore. Instead, every non-system schema is dropped (CASCADE) and the
``public`` schema is recreated with its current owner, grants and comment — a default ``public``
schema is not in a dump, so the restore would not recreate it. The prelude opens the transaction
the restore script then runs in: if anything fails, production is left as it was.

Not reset (documented gaps): objects outside schemas that a later change may have added —
extensions installed in ``pg_catalog``, event triggers, publications, casts, foreign-data
wrappers — and ownership (the restore runs ``--no-owner``: objects end up owned by the
restoring role).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bot.schema.quoting import quote_ident, quote_literal

__all__ = ["SchemaState", "fetch_schemas", "render_prelude"]

LOCK_TIMEOUT = "30s"

_SCHEMAS_SQL = """
SELECT n.nspname AS name,
       pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
       pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment,
       COALESCE((SELECT array_agg(ARRAY[a.privilege_type,
                                        CASE WHEN a.grantee = 0 THEN ''
                                             ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                                        a.is_grantable::text])
                 FROM pg_catalog.aclexplode(n.nspacl) AS a), '{}') AS grants
FROM pg_catalog.pg_namespace AS n
WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY n.nspname
"""


@dataclass(frozen=True)
class SchemaState:
    name: str
    owner: str
    comment: str | None
    grants: tuple[tuple[str, str, bool], ...]  # (privilege, grantee or "" for PUBLIC, grantable)


async def fetch_schemas(conn: asyncpg.Connection) -> list[SchemaState]:
    rows = await conn.fetch(_SCHEMAS_SQL)
    return [
        SchemaState(
            name=r["name"],
            owner=r["owner"],
            comment=r["comment"],
            grants=tuple((g[0], g[1], g[2] == "true") for g in r["grants"]),
        )
        for r in rows
    ]


def render_prelude(schemas: list[SchemaState], *, dump_has_public: bool) -> str:
    """``BEGIN``, drop every schema, recreate ``public`` as it is now unless the dump creates it.

    The transaction is left open on purpose: the restore script follows in the same session and
    ends with ``COMMIT``; if the script stops early, the session ends and everything rolls back.
    """
    lines = [
        "BEGIN;",
        f"SET LOCAL lock_timeout = {quote_literal(LOCK_TIMEOUT)};",
        # quiet: no cascade NOTICEs, no warning when the script's own BEGIN follows ours
        "SET LOCAL client_min_messages = error;",
    ]
    lines += [f"DROP SCHEMA {quote_ident(s.name)} CASCADE;" for s in schemas]
    public = next((s for s in schemas if s.name == "public"), None)
    if public is not None and not dump_has_public:
        lines.append(f"CREATE SCHEMA public AUTHORIZATION {quote_ident(public.owner)};")
        for privilege, grantee, grantable in public.grants:
            if grantee == public.owner:
                continue  # the owner's rights are implicit in a new schema
            who = "PUBLIC" if grantee == "" else quote_ident(grantee)
            option = " WITH GRANT OPTION" if grantable else ""
            lines.append(f"GRANT {privilege} ON SCHEMA public TO {who}{option};")
        if public.comment is not None:
            lines.append(f"COMMENT ON SCHEMA public IS {quote_literal(public.comment)};")
    return "\n".join(lines) + "\n"
