"""SQL review: classify each statement of a migration script, find what is destructive or risky,
and (optionally) measure the impact against a real database.

Pure: ``decode_sql`` (bytes -> text, refusing what is not SQL text), ``analyze`` (and everything
in hazards, rules, model). I/O: ``impact.estimate_impact``.
"""

from __future__ import annotations

from bot.review.analyze import analyze, analyze_in_worker
from bot.review.hazards import Code, Finding, Hazard, HazardKind, LockLevel, Tier, TxnControl
from bot.review.model import Impact, Review, ReviewedStatement, destructive_categories
from bot.review.source import SqlSource, decode_sql

__all__ = [
    "Code",
    "Finding",
    "Hazard",
    "HazardKind",
    "Impact",
    "LockLevel",
    "Review",
    "ReviewedStatement",
    "SqlSource",
    "Tier",
    "TxnControl",
    "analyze",
    "analyze_in_worker",
    "decode_sql",
    "destructive_categories",
]
