"""``diff_databases``: introspect two databases concurrently and diff them."""

from __future__ import annotations

import asyncio

from bot.schema.diff import diff_schemas
from bot.schema.introspect import IntrospectOptions, fetch_schema
from bot.schema.ops import Plan
from bot.schema.restate import align_definitions

__all__ = ["diff_databases"]


async def diff_databases(
    from_url: str, to_url: str, *, options: IntrospectOptions | None = None
) -> Plan:
    """The plan that makes ``from_url``'s schema equal ``to_url``'s.

    Raises ``CatalogError`` (with the URL's password masked) when either database
    cannot be reached or read.
    """
    old, new = await asyncio.gather(
        fetch_schema(from_url, options=options), fetch_schema(to_url, options=options)
    )
    # Definitions the server stores differently from their text compare by stored form.
    old = await align_definitions(old, new, to_url)
    return await asyncio.to_thread(diff_schemas, old, new)
