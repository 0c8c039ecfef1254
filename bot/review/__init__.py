"""SQL review: classify each statement of a migration script, find what is destructive or risky,
and (optionally) measure the impact against a real database.

Pure: ``analyze`` (and everything in hazards, rules, model). I/O: ``impact.estimate_impact``.
"""

from __future__ import annotations

from bot.review.analyze import analyze, analyze_in_worker
from bot.review.hazards import Code, Finding, Hazard, HazardKind, LockLevel, Tier
from bot.review.model import Impact, Review, ReviewedStatement, destructive_categories

__all__ = [
    "Code",
    "Finding",
    "Hazard",
    "HazardKind",
    "Impact",
    "LockLevel",
    "Review",
    "ReviewedStatement",
    "Tier",
    "analyze",
    "analyze_in_worker",
    "destructive_categories",
]
