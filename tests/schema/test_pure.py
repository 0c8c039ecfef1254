"""Pure-core tests: no database, no event loop (model, quoting, ordering, differ)."""

from __future__ import annotations

import pytest

from bot.errors import PlanError
from bot.schema import model as m
from bot.schema.cycles import detach
from bot.schema.diff import diff_schemas
from bot.schema.fingerprint import schema_fingerprint
from bot.schema.ops import Plan, Statement
from bot.schema.order import order_statements
from bot.schema.quoting import qualified, quote_ident, quote_literal


def test_quote_ident_only_when_needed() -> None:
    assert quote_ident("users") == "users"
    assert quote_ident("Users") == '"Users"'
    assert quote_ident("order items") == '"order items"'
    assert quote_ident("select") == '"select"'
    assert quote_ident('a"b') == '"a""b"'
    assert qualified("My Schema", "t") == '"My Schema".t'
    assert quote_literal("it's") == "'it''s'"


def _schema(*tables: m.Table, enums: tuple[m.EnumType, ...] = ()) -> m.Schema:
    s = m.Schema()
    s.namespaces[("schema", "public")] = m.Namespace("public")
    for t in tables:
        s.tables[t.key] = t
        for c in t.columns:
            s.depends_on[("column", t.schema, t.name, c.name)] = frozenset({t.key})
    for e in enums:
        s.enums[e.key] = e
    return s


def _col(name: str, typ: str = "integer") -> m.Column:
    return m.Column(name, typ, False, None, "", None, None, None)


def test_diff_identical_schemas_is_empty() -> None:
    s = _schema(m.Table("public", "t", (_col("id"),)))
    plan = diff_schemas(s, s)
    assert plan.is_empty and plan.sql == ""


def test_diff_add_and_retype_columns() -> None:
    old = _schema(m.Table("public", "t", (_col("id"), _col("n"))))
    new = _schema(m.Table("public", "t", (_col("id"), _col("n", "bigint"), _col("Note", "text"))))
    plan = diff_schemas(old, new)
    assert plan.sql == (
        'ALTER TABLE public.t ADD COLUMN "Note" text;\n\n'
        "ALTER TABLE public.t ALTER COLUMN n TYPE bigint USING n::bigint;\n"
    )
    assert [s.destructive for s in plan.statements] == [False, False]


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (("a", "c"), ("a", "b", "c"), "ADD VALUE 'b' AFTER 'a'"),
        (("b",), ("a", "b"), "ADD VALUE 'a' BEFORE 'b'"),
        (("a", "x"), ("a", "y"), "RENAME VALUE 'x' TO 'y'"),
        (("a", "b"), ("b", "a"), "RENAME TO mood__old_align"),
        (("a", "b", "c"), ("a", "c"), "DROP TYPE public.mood__old_align"),
    ],
)
def test_diff_enum_strategies(old: tuple[str, ...], new: tuple[str, ...], fragment: str) -> None:
    a = _schema(enums=(m.EnumType("public", "mood", old),))
    b = _schema(enums=(m.EnumType("public", "mood", new),))
    assert fragment in diff_schemas(a, b).sql


def test_order_follows_dependencies_then_rank() -> None:
    view = Statement("CREATE VIEW v", "v", "create_view", creates=frozenset({("view", "s", "v")}))
    table = Statement(
        "CREATE TABLE t", "t", "create_table", creates=frozenset({("table", "s", "t")})
    )
    drop = Statement("DROP TABLE old", "old", "drop_table", drops=frozenset({("table", "s", "o")}))
    deps = {("view", "s", "v"): frozenset({("table", "s", "t")})}
    ordered = order_statements([view, table, drop], old_deps={}, new_deps=deps)
    assert [s.sql for s in ordered] == ["DROP TABLE old", "CREATE TABLE t", "CREATE VIEW v"]


def test_order_cycle_is_a_plan_error() -> None:
    a = Statement("A", "a", "create_view", creates=frozenset({("view", "s", "a")}))
    b = Statement("B", "b", "create_view", creates=frozenset({("view", "s", "b")}))
    deps = {
        ("view", "s", "a"): frozenset({("view", "s", "b")}),
        ("view", "s", "b"): frozenset({("view", "s", "a")}),
    }
    with pytest.raises(PlanError, match="circular"):
        order_statements([a, b], old_deps={}, new_deps=deps)


def _drop_table_with_fk(name: str, other: str) -> Statement:
    """DROP TABLE ``name`` whose foreign key refers to ``other``'s primary key."""
    fk = ("constraint", "s", name, f"{name}_fk")
    part = Statement(f"DROP FK {name}", name, "drop_foreign_key", drops=frozenset({fk}))
    table = ("table", "s", name)
    keys = frozenset({table, fk, ("constraint", "s", name, f"{name}_pk")})
    return Statement(f"DROP TABLE {name}", name, "drop_table", drops=keys, detachable=(part,))


def test_order_breaks_cycle_by_detaching_a_foreign_key() -> None:
    a, b = _drop_table_with_fk("a", "b"), _drop_table_with_fk("b", "a")
    deps = {
        ("constraint", "s", "a", "a_fk"): (("constraint", "s", "b", "b_pk"),),
        ("constraint", "s", "b", "b_fk"): (("constraint", "s", "a", "a_pk"),),
    }
    ordered = order_statements([a, b], old_deps=deps, new_deps={})
    assert [s.sql for s in ordered] == ["DROP FK a", "DROP TABLE b", "DROP TABLE a"]
    # the parent no longer drops what its detached part drops
    assert ("constraint", "s", "a", "a_fk") not in ordered[2].drops


def test_detach_leaves_unrelated_parts_and_refuses_without_parts() -> None:
    a, b = _drop_table_with_fk("a", "b"), _drop_table_with_fk("b", "a")
    unrelated = Statement("DROP FK x", "a", "drop_foreign_key", drops=frozenset({("k", "x")}))
    a = Statement(
        a.sql, a.object, a.operation, drops=a.drops, detachable=(*a.detachable, unrelated)
    )
    deps = {("constraint", "s", "a", "a_fk"): (("constraint", "s", "b", "b_pk"),)}

    def follows(key: tuple[str, ...]) -> frozenset[int]:
        return frozenset({1}) if key in deps else frozenset()

    split = detach([a, b], [0, 1, 0], follows=follows)
    assert split is not None
    out, edges = split
    assert [s.sql for s in out] == ["DROP TABLE a", "DROP TABLE b", "DROP FK a"]
    assert edges == [(2, 0)] and out[0].detachable == (unrelated,)
    assert detach([a, b], [0, 1, 0], follows=lambda key: frozenset()) is None


def test_plan_sql_joins_statements_deterministically() -> None:
    plan = Plan([Statement("SELECT 1", "x", "comment"), Statement("SELECT 2", "y", "comment")])
    assert plan.sql == "SELECT 1;\n\nSELECT 2;\n"
    assert not plan.is_empty and not plan.destructive


def test_fingerprint_ignores_insertion_order() -> None:
    t1 = m.Table("public", "a", (_col("id"),))
    t2 = m.Table("public", "b", (_col("id"),))
    assert schema_fingerprint(_schema(t1, t2)) == schema_fingerprint(_schema(t2, t1))
    assert schema_fingerprint(_schema(t1)) != schema_fingerprint(_schema(t1, t2))
