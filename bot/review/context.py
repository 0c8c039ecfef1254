"""What the rules see: the statement being judged, and what the script did before it.

``ScriptState`` carries facts across statements: tables and enum types created earlier in the
same script (an index on a table created three lines up blocks nobody; an ALTER COLUMN TYPE to an
enum created above is Prisma's enum swap), and whether an explicit ``BEGIN`` is open.
``StatementContext`` collects one statement's kind, objects, findings and hazards; rules only
call its methods, so they never build a ``Finding`` by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.review.hazards import Code, Finding, Hazard, HazardKind, LockLevel, TxnControl

__all__ = ["ScriptState", "StatementContext"]


@dataclass(slots=True)
class ScriptState:
    default_schema: str = "public"
    created_tables: set[str] = field(default_factory=set)
    created_enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    transaction_line: int | None = None  # line of the open BEGIN, if any
    # (table, quoted column) -> constant default a column was added with in this script: when
    # the script then drops that default, the value only filled the rows that existed
    added_defaults: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass(slots=True)
class StatementContext:
    index: int
    line: int
    state: ScriptState
    kind: str = ""
    objects: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    transactional: bool = True
    txn_control: TxnControl | None = None
    details: dict[str, object] = field(default_factory=dict)

    @property
    def default_schema(self) -> str:
        return self.state.default_schema

    def is_new(self, relation: str) -> bool:
        """True when ``relation`` was created earlier in this script (so it holds no rows)."""
        return relation in self.state.created_tables

    def touch(self, obj: str) -> None:
        if obj not in self.objects:
            self.objects.append(obj)

    def find(self, code: Code, obj: str, message: str, suggestion: str | None = None) -> None:
        self.findings.append(Finding(code, self.index, self.line, obj, message, suggestion))

    def hazard(
        self,
        kind: HazardKind,
        relation: str | None,
        message: str,
        *,
        lock: LockLevel | None = None,
    ) -> None:
        self.hazards.append(Hazard(kind, relation, message, lock))

    def lock(self, relation: str, level: LockLevel, why: str = "") -> None:
        """Record the table lock this statement takes (skipped for tables created in the script,
        which nobody else can be waiting on)."""
        if self.is_new(relation):
            return
        text = f"takes {level} lock on {relation} ({level.blocks})"
        self.hazard(HazardKind.LOCK, relation, f"{text}{': ' + why if why else ''}", lock=level)

    def non_transactional(self, obj: str, what: str) -> None:
        self.transactional = False
        inside = ""
        if self.state.transaction_line is not None:
            inside = f"; it is inside the BEGIN at line {self.state.transaction_line} and will fail"
        message = f"{what} cannot run inside a transaction block{inside}"
        self.hazard(HazardKind.NON_TRANSACTIONAL, obj, message)
        self.find(
            Code.NON_TRANSACTIONAL,
            obj,
            message,
            "run it on its own, outside BEGIN/COMMIT, after the transactional part",
        )
