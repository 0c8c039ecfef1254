"""Pure tests of the value decisions: sequence RESTARTs, cast paths, fill values."""

from __future__ import annotations

import functools

import pytest

from bot.schema import model as m
from bot.schema.casts import cast_path
from bot.schema.equivalence import adopt, candidates
from bot.schema.fill import DOMAIN_DEFAULT, fill_value
from bot.schema.seqrange import Bounds, identity_bounds, restart_for

UP = Bounds(start=10, increment=1, minvalue=10, maxvalue=100)
DOWN = Bounds(start=-10, increment=-1, minvalue=-100, maxvalue=-10)


@pytest.mark.parametrize(
    ("old", "new", "current", "clause", "destructive"),
    [
        (Bounds(1, 1, 1, 1000), UP, None, "RESTART", False),  # never called, old start below
        (Bounds(1, 1, 1, 1000), UP, 5, "RESTART", False),  # used, but short of the range
        (Bounds(1, 1, 1, 1000), UP, 50, None, False),  # inside: nothing to do
        (Bounds(1, 1, 1, 1000), UP, 500, "RESTART WITH 100", True),  # past the far end
        (Bounds(-1, -1, -1000, -1), DOWN, None, "RESTART", False),
        (Bounds(-1, -1, -1000, -1), DOWN, -3, "RESTART", False),
        (Bounds(-1, -1, -1000, -1), DOWN, -500, "RESTART WITH -100", True),
        (Bounds(-1, -1, -1000, -1), DOWN, -50, None, False),
    ],
)
def test_restart_for_keeps_value_in_new_bounds(
    old: Bounds, new: Bounds, current: int | None, clause: str | None, destructive: bool
) -> None:
    got = restart_for(old, new, current)
    assert (got and got.clause) == clause
    assert bool(got and got.destructive) == destructive


def test_identity_bounds_parses_option_text() -> None:
    text = (
        "SEQUENCE NAME public.t_id_seq START WITH -5 INCREMENT BY -1 MINVALUE -100 "
        "MAXVALUE -5 CACHE 1 NO CYCLE"
    )
    assert identity_bounds(text) == Bounds(-5, -1, -100, -5)
    assert identity_bounds(None) is None


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("integer", "bigint", ()),
        ("smallint", "boolean", ("integer",)),
        ("boolean", "bigint", ("integer",)),
        ("numeric(10,2)", "boolean", ("integer",)),
        ("json", "integer", ("jsonb",)),
        ("money", "integer", ("numeric",)),
        ("smallint[]", "boolean[]", ("integer[]",)),
        ("uuid", "text", ()),
        ("text", "uuid", ()),
        ("integer[]", "text", ()),
        ("character varying(5)", "date", ()),
        ("public.citext", "integer", ()),  # unknown type: the server may have a cast
        ("bigint", "timestamp without time zone", None),
        ("integer", "date", None),
        ("timestamp(3) without time zone", "bigint", None),
        ("uuid", "integer", None),
        ("integer", "integer[]", None),
        ("time without time zone", "timestamp with time zone", None),
    ],
)
def test_cast_path_finds_accepted_path_or_none(
    old: str, new: str, path: tuple[str, ...] | None
) -> None:
    assert cast_path(old, new) == path


def test_cast_path_resolves_domains_to_their_base() -> None:
    bases = {"public.flag": "smallint", "public.yes": "boolean"}
    assert cast_path("public.flag", "public.yes", resolve=lambda t: bases.get(t, t)) == ("integer",)


def test_fill_value_per_type_enum_and_domain() -> None:
    mood = m.EnumType("public", "mood", ("new", "ok"))
    enums = {"public.mood": mood}
    domains = {
        "public.qty": m.Domain("public", "qty", "integer", False, "1", None, ()),
        "public.code": m.Domain("public", "code", "character varying(5)", False, None, None, ()),
    }
    fill = functools.partial(fill_value, enums=enums, domains=domains)
    assert fill("bigint") == "0"
    assert fill("numeric(10,2)") == "0"
    assert fill("character varying(3)") == "''"
    assert fill("timestamp(3) with time zone") == "'epoch'"
    assert fill("jsonb") == "'{}'"
    assert fill("integer[]") == "'{}'"
    assert fill("point") is None
    assert fill("public.qty") == DOMAIN_DEFAULT
    assert fill("public.code") == "''"
    assert fill("public.mood") == "'new'"
    assert fill("public.mood", existing_labels={"public.mood": ("ok",)}) == "'ok'"


def test_adopt_takes_desired_text_only_when_stored_forms_match() -> None:
    stored = "CHECK (((s)::text = ANY (ARRAY[('a'::character varying)::text])))"
    written = "CHECK (((s)::text = ANY ((ARRAY['a'::character varying])::text[])))"
    old, new = m.Schema(), m.Schema()
    for schema, text in ((old, stored), (new, written)):
        con = m.Constraint("public", "t", "c", "c", text)
        schema.constraints[con.key] = con
        idx_text = "CREATE INDEX i ON public.t USING btree (s)"
        unique = idx_text.replace("CREATE INDEX", "CREATE UNIQUE INDEX")
        idx = m.Index("public", "i", "t", idx_text if schema is old else unique)
        schema.indexes[idx.key] = idx
    wanted = candidates(old, new)
    assert [r.key[0] for r in wanted] == ["constraint", "index"]
    restated = {(r.key, r.part): stored if r.key[0] == "constraint" else r.text for r in wanted}
    seen = adopt(old, restated, wanted)
    assert seen.constraints[("constraint", "public", "t", "c")].definition == written
    assert (
        seen.indexes[("index", "public", "i")].definition
        == old.indexes[("index", "public", "i")].definition
    )  # UNIQUE differs: never equal, however alike the tails
    assert old.constraints[("constraint", "public", "t", "c")].definition == stored
