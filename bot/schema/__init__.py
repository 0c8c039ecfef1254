"""The built-in schema engine: introspect, diff, order, render.

Pure modules (no I/O): ``model``, ``build``, ``quoting``, ``sqlgen``, ``ops``, ``order``,
``changeset``, ``diff`` (+ ``diff_types``, ``diff_tables``, ``diff_objects``),
``fingerprint``. I/O modules: ``introspect`` (asyncpg) and ``compare``.

Public entry points, imported from their modules so importing this package stays free of
I/O dependencies:

- ``bot.schema.introspect.fetch_schema(conn_or_url, *, options=None) -> Schema``
- ``bot.schema.diff.diff_schemas(old, new) -> Plan``
- ``bot.schema.compare.diff_databases(from_url, to_url, *, options=None) -> Plan``
- ``bot.schema.fingerprint.schema_fingerprint(schema) -> str``
"""

__all__: list[str] = []
