"""SQL script -> Review: parse once with pglast, run the rules per statement, derive the verdict.

``analyze`` is pure and synchronous and never raises because SQL is unsafe or unparseable: an
unparseable statement becomes an UNPARSED finding (NEEDS_ATTENTION, never SAFE), and the policy
(block, require approval) is the workflow's job. The script is read as psql reads it: a leading
byte order mark is stripped (and noted on the Review), and psql meta-commands and NUL characters
become statements of their own (PSQL_META_COMMAND, UNPARSED) that make the plan unappliable.
``analyze_in_worker`` is the entry point for async callers: parsing a large script is CPU work
and must not run on the event loop.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.review.context import ScriptState, StatementContext
from bot.review.hazards import Code, TxnControl
from bot.review.model import Review, ReviewedStatement, destructive_categories
from bot.review.psqlscan import Interruption, InterruptionKind
from bot.review.rules import apply_rules
from bot.review.script import ParsedStatement, parse_script
from bot.review.source import SqlSource, source_of

__all__ = ["analyze", "analyze_in_worker", "destructive_categories"]

log = logging.getLogger(__name__)

_KIND_NAMES = {
    "CreateStmt": "CREATE TABLE",
    "ViewStmt": "CREATE VIEW",
    "CreateFunctionStmt": "CREATE FUNCTION",
    "CreateSeqStmt": "CREATE SEQUENCE",
    "AlterSeqStmt": "ALTER SEQUENCE",
    "CreateSchemaStmt": "CREATE SCHEMA",
    "CompositeTypeStmt": "CREATE TYPE",
    "CreateDomainStmt": "CREATE DOMAIN",
    "CommentStmt": "COMMENT",
    "GrantStmt": "GRANT",
    "SelectStmt": "SELECT",
    "CreateExtensionStmt": "CREATE EXTENSION",
    "VariableSetStmt": "SET",
    "CreatePolicyStmt": "CREATE POLICY",
}


def analyze(sql: str | SqlSource, *, default_schema: str = "public") -> Review:
    """Review every statement of ``sql`` (text, or what ``decode_sql`` made of the file's bytes);
    unqualified names are read as ``default_schema``."""
    source = source_of(sql)
    state = ScriptState(default_schema=default_schema)
    reviewed = tuple(_review_one(parsed, state) for parsed in parse_script(source.text))
    review = Review(reviewed, notes=source.notes)
    log.debug("reviewed %d statements: %s", len(reviewed), review.verdict)
    return review


# Scripts at least this long are analysed in a separate process: in a thread, pglast and the
# rules hold the GIL long enough to delay Slack acks (bench/ack_latency); below it, a thread is
# cheaper than shipping the result between processes.
PROCESS_THRESHOLD_CHARS = 100_000
_pool: ProcessPoolExecutor | None = None


def _process_pool() -> ProcessPoolExecutor:
    """One long-lived worker process (spawned, not forked: the parent runs threads and a loop)."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


async def analyze_in_worker(sql: str | SqlSource, *, default_schema: str = "public") -> Review:
    """``analyze`` off the event loop: a worker thread for ordinary scripts, a worker process
    for large ones, so a 20,000-statement script never stalls the loop."""
    import asyncio  # local: this module stays importable by pure code without an event loop

    if len(sql.text if isinstance(sql, SqlSource) else sql) < PROCESS_THRESHOLD_CHARS:
        return await asyncio.to_thread(analyze, sql, default_schema=default_schema)
    loop = asyncio.get_running_loop()
    job = functools.partial(analyze, sql, default_schema=default_schema)
    try:
        return await loop.run_in_executor(_process_pool(), job)
    except BrokenProcessPool:  # the worker died (OOM killer, ...): start a new one next time
        global _pool
        _pool = None
        return await asyncio.to_thread(job)


def _review_one(parsed: ParsedStatement, state: ScriptState) -> ReviewedStatement:
    in_block = state.transaction_line is not None
    ctx = StatementContext(index=parsed.index, line=parsed.line, state=state)
    reason = None
    if parsed.interruption is not None:
        reason = _interruption(parsed.interruption, ctx)
    elif parsed.node is None:
        ctx.kind = "UNPARSED"
        ctx.find(
            Code.UNPARSED,
            _first_words(parsed.sql),
            f"unparsed — review by hand ({parsed.error})",
            "fix the syntax, or confirm by hand what this statement does",
        )
    else:
        apply_rules(parsed.node, ctx)
        if not ctx.kind:
            ctx.kind = _kind_name(type(parsed.node).__name__)
        if ctx.txn_control is TxnControl.FORBIDDEN:
            reason = (
                f"statement {parsed.index} ({_first_words(parsed.sql)}) cannot run inside the "
                "one apply transaction"
            )
    return ReviewedStatement(
        index=parsed.index,
        line=parsed.line,
        sql=parsed.sql,
        kind=ctx.kind,
        objects=tuple(ctx.objects),
        findings=tuple(ctx.findings),
        hazards=tuple(ctx.hazards),
        transactional=ctx.transactional,
        in_transaction_block=in_block and ctx.kind not in ("BEGIN", "START TRANSACTION"),
        txn_control=ctx.txn_control,
        unappliable_reason=reason,
        details=ctx.details,
    )


def _interruption(cut: Interruption, ctx: StatementContext) -> str:
    """Record a meta-command or NUL as its own finding; return why the plan cannot apply."""
    if cut.kind is InterruptionKind.NUL:
        ctx.kind = "NUL BYTE"
        ctx.find(
            Code.UNPARSED,
            "NUL",
            f"{cut.count} NUL character(s), the first here: this is not SQL text, and clients "
            "stop reading at a NUL, hiding what follows (reviewed here as if it were blank)",
            "find out how the NUL got into the file; regenerate it as plain text",
        )
        return f"line {ctx.line}: a NUL character: the script is not SQL text and cannot be applied"
    command = "\\" + cut.name
    ctx.kind = "PSQL_META"
    ctx.find(
        Code.PSQL_META_COMMAND,
        command,
        f"psql meta-command {_first_words(cut.text)} runs in the psql client, not the database: "
        "the apply cannot run it (the statements around it are reviewed as psql would send them)",
        "remove it; put what it does (\\set, \\connect, \\i, ...) outside the migration",
    )
    return f"line {ctx.line}: psql meta-command {command} is not SQL and cannot be applied"


def _kind_name(node_name: str) -> str:
    known = _KIND_NAMES.get(node_name)
    if known:
        return known
    words = re.findall(r"[A-Z][a-z]*", node_name.removesuffix("Stmt"))
    return " ".join(words).upper() or node_name


def _first_words(sql: str, limit: int = 60) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
