"""Property tests: for random schema pairs, applying diff(A, B) to A gives B.

The strategy draws both schemas from the same small pools of names and types, so
most pairs share tables and columns and exercise alters, not only creates and drops.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.schema.roundtrip import round_trip

TABLES = ["t0", "Order", "user", "My Table"]
COLUMNS = ["a", "B Col", "select", "c"]
SCALARS = ["integer", "bigint", "text", "varchar(20)", "numeric(10,2)"]
LABELS = ["red", "green", "blue", "it's"]


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _default(typ: str, labels: list[str]) -> str:
    if typ == "color":
        return lit(labels[0])
    if typ == "color[]":
        return "'{}'"
    return "'7'" if typ in ("text", "varchar(20)") else "7"


@st.composite
def schema_sql(draw: st.DrawFn) -> str:
    out: list[str] = []
    labels = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=4, unique=True))
    has_enum = draw(st.booleans())
    has_domain = draw(st.booleans())
    types = (
        SCALARS + (["color", "color[]"] if has_enum else []) + (["posint"] if has_domain else [])
    )
    if has_enum:
        out.append(f"CREATE TYPE color AS ENUM ({', '.join(lit(v) for v in labels)});")
    if has_domain:
        check = draw(st.sampled_from(["VALUE > 0", "VALUE >= 0"]))
        out.append(f"CREATE DOMAIN posint AS integer CHECK ({check});")
    tables = draw(st.lists(st.sampled_from(TABLES), min_size=1, max_size=3, unique=True))
    for i, table in enumerate(tables):
        cols = ["id integer PRIMARY KEY"]
        if i > 0 and draw(st.booleans()):
            cols.append(
                f"ref_id integer REFERENCES {q(tables[0])}(id)"
                + draw(st.sampled_from(["", " ON DELETE CASCADE"]))
            )
        chosen = draw(st.lists(st.sampled_from(COLUMNS), max_size=3, unique=True))
        typed = []
        for col in chosen:
            typ = draw(st.sampled_from(types))
            typed.append((col, typ))
            clause = f"{q(col)} {typ}"
            if draw(st.booleans()):
                clause += " NOT NULL"
            if draw(st.booleans()):
                clause += " DEFAULT " + _default(typ, labels)
            cols.append(clause)
        if draw(st.booleans()):
            cols.append("CHECK (id > 0)")
        out.append(f"CREATE TABLE {q(table)} ({', '.join(cols)});")
        if typed and draw(st.booleans()):
            col = draw(st.sampled_from([c for c, _ in typed]))
            unique = draw(st.sampled_from(["", "UNIQUE "]))
            where = draw(st.sampled_from(["", " WHERE id > 10"]))
            out.append(f"CREATE {unique}INDEX {q('ix ' + table)} ON {q(table)} ({q(col)}){where};")
        if draw(st.booleans()):
            shown = ", ".join(["id"] + [q(c) for c, _ in typed[:1]])
            out.append(f"CREATE VIEW {q('v ' + table)} AS SELECT {shown} FROM {q(table)};")
        if draw(st.booleans()):
            out.append(f"COMMENT ON TABLE {q(table)} IS {lit(draw(st.sampled_from(LABELS)))};")
    return "\n".join(out)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(a=schema_sql(), b=schema_sql())
async def test_diff_random_pairs_round_trip(pg_cluster, make_db, a: str, b: str) -> None:
    result = await round_trip(pg_cluster, make_db, a, b)
    assert result.dump_a == result.dump_b, result.plan.sql
    assert result.again.is_empty, result.again.sql
