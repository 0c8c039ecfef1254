"""The example application's runbook scripts (``python -m bot.demo.runbook …``), called by the
demo checkout's shell scripts the way a real team's ``npm run db:…`` scripts would be.

    dev-sync SCHEMA        reset the dev database (DEV_URL) to SCHEMA, like `prisma db push`
    generate-client OUT    write a typed model module from the dev database's tables
    smoke BASE_URL         the application's invoices page answers with the new fields
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.request
from pathlib import Path

import asyncpg

from bot.schema.introspect import fetch_schema

# Drop every table and type of the public schema (the schema itself, its owner and comment stay).
RESET_PUBLIC = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.tablename);
    END LOOP;
    FOR r IN SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = 'public' AND t.typtype = 'e' LOOP
        EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname);
    END LOOP;
END $$;
"""


async def dev_sync(schema: Path) -> None:
    conn = await asyncpg.connect(os.environ["DEV_URL"])
    try:
        async with conn.transaction():
            await conn.execute(RESET_PUBLIC)
            await conn.execute(schema.read_text())
    finally:
        await conn.close()
    print(f"dev database synced to {schema}")


async def generate_client(out: Path) -> None:
    schema = await fetch_schema(os.environ["DEV_URL"])
    lines = ['"""Generated from the dev database by the demo runbook; do not edit."""', ""]
    for _key, table in sorted(schema.tables.items()):
        columns = ", ".join(repr(c.name) for c in table.columns)
        lines.append(f"{table.name.upper()}_COLUMNS = ({columns},)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"client generated: {out} ({len(schema.tables)} tables)")


def smoke(base_url: str) -> int:
    with urllib.request.urlopen(f"{base_url}/invoices", timeout=10) as resp:
        body = json.loads(resp.read())
    rows = body.get("invoices", [])
    if not rows or "due_at" not in rows[0]:
        print(f"invoices page answered without the new fields: {body}")
        return 1
    print(f"invoices page OK ({len(rows)} invoices with due dates)")
    return 0


def main(argv: list[str]) -> int:
    match argv:
        case ["dev-sync", schema]:
            asyncio.run(dev_sync(Path(schema)))
        case ["generate-client", out]:
            asyncio.run(generate_client(Path(out)))
        case ["smoke", base_url]:
            return smoke(base_url)
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
