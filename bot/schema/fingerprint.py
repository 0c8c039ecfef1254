"""Canonical serialisation of a Schema, and its sha256 fingerprint.

The fingerprint answers "did production change since this plan was reviewed?": two
introspections of an unchanged database give the same hex string, and any change to
a modelled object (or to the set of unsupported objects) changes it. The JSON form
doubles as a snapshot that can be diffed later without a connection.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields
from typing import Any

from bot.schema import model as m

__all__ = ["schema_fingerprint", "schema_to_dict", "schema_from_dict"]

_COLLECTIONS: dict[str, type] = {
    "namespaces": m.Namespace,
    "extensions": m.Extension,
    "collations": m.Collation,
    "enums": m.EnumType,
    "domains": m.Domain,
    "composites": m.CompositeType,
    "sequences": m.Sequence,
    "tables": m.Table,
    "constraints": m.Constraint,
    "indexes": m.Index,
    "views": m.View,
    "functions": m.Function,
    "triggers": m.Trigger,
    "policies": m.Policy,
}


def schema_to_dict(schema: m.Schema) -> dict[str, Any]:
    """A JSON-ready dict; lists are sorted by key so equal schemas give equal dicts."""
    out: dict[str, Any] = {"server_version": schema.server_version}
    for name in _COLLECTIONS:
        coll = getattr(schema, name)
        out[name] = [asdict(coll[k]) for k in sorted(coll)]
    out["unsupported"] = sorted(
        (asdict(u) for u in schema.unsupported),
        key=lambda d: (d["kind"], d["identity"], d["signature"]),
    )
    out["depends_on"] = [
        [list(k), sorted(list(r) for r in refs)] for k, refs in sorted(schema.depends_on.items())
    ]
    return out


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _load(cls: type, data: dict[str, Any]) -> Any:
    kwargs = {}
    for f in fields(cls):
        value = data[f.name]
        if cls is m.Table and f.name == "columns":
            value = tuple(m.Column(**{k: _tuples(v) for k, v in c.items()}) for c in value)
        elif cls is m.Domain and f.name == "checks":
            value = tuple(m.DomainCheck(**c) for c in value)
        elif cls is m.CompositeType and f.name == "attributes":
            value = tuple(m.Attribute(**a) for a in value)
        else:
            value = _tuples(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def schema_from_dict(data: dict[str, Any]) -> m.Schema:
    """Inverse of :func:`schema_to_dict`."""
    schema = m.Schema(server_version=data.get("server_version", 0))
    for name, cls in _COLLECTIONS.items():
        coll = getattr(schema, name)
        for item in data.get(name, []):
            obj = _load(cls, item)
            coll[obj.key] = obj
    schema.unsupported = tuple(m.Unsupported(**u) for u in data.get("unsupported", []))
    schema.depends_on = {
        tuple(k): tuple(sorted(tuple(r) for r in refs)) for k, refs in data.get("depends_on", [])
    }
    return schema


def schema_fingerprint(schema: m.Schema) -> str:
    """sha256 hex of the canonical JSON of the schema (server version excluded)."""
    data = schema_to_dict(schema)
    data.pop("server_version")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
