"""Jinja2 templates of the alignment report (a package so the .j2 files ship with it)."""
