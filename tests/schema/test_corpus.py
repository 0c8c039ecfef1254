"""The acceptance corpus: every case folder under cases/ must round-trip.

Each ``cases/<change>/`` holds ``a.sql`` (the starting database, sometimes with rows)
and ``b.sql`` (the desired schema). An optional ``expect.txt`` lists fragments that
must appear in the plan, and lines starting with ``!`` fragments that must not. An optional
``requires.txt`` names server features the case needs (``icu``); without them it is skipped.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.schema.roundtrip import round_trip

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "a.sql").exists())
FEATURES = {"icu": "SELECT count(*) > 0 FROM pg_collation WHERE collprovider = 'i'"}


async def _skip_without_features(folder: Path, url: str) -> None:
    needs = folder / "requires.txt"
    if not needs.exists():
        return
    conn = await asyncpg.connect(url)
    try:
        for feature in needs.read_text().split():
            if not await conn.fetchval(FEATURES[feature]):
                pytest.skip(f"the server lacks {feature}")
    finally:
        await conn.close()


@pytest.mark.parametrize("case", CASE_NAMES)
async def test_corpus_case_round_trips(case: str, pg_cluster, make_db) -> None:
    folder = CASES / case
    await _skip_without_features(folder, pg_cluster.url())
    result = await round_trip(
        pg_cluster, make_db, (folder / "a.sql").read_text(), (folder / "b.sql").read_text()
    )
    assert result.dump_a == result.dump_b, result.plan.sql
    assert result.again.is_empty, result.again.sql
    expect = folder / "expect.txt"
    if expect.exists():
        for line in expect.read_text().splitlines():
            if line.startswith("!"):
                assert line[1:] not in result.plan.sql, result.plan.sql
            elif line.strip():
                assert line in result.plan.sql, result.plan.sql
