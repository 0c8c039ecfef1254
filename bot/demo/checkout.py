"""The demo's application checkout: a real git repository whose history changed the schema in
three commits, with runbook scripts in the shape of the team's ``npm run db:…`` scripts."""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources
from pathlib import Path

SCRIPTS = {
    "db-dev-sync.sh": '"$DEMO_PYTHON" -m bot.demo.runbook dev-sync schema/schema.sql',
    "generate-client.sh": '"$DEMO_PYTHON" -m bot.demo.runbook generate-client client/models.py',
    "db-prod-align-diff.sh": (
        '"$DEMO_PYTHON" -m bot diff --from "$PROD_URL" --to "$DEV_URL" > prisma_prod_align.sql\n'
        "echo \"wrote prisma_prod_align.sql ($(grep -c ';' prisma_prod_align.sql) statements)\""
    ),
    "db-prod-align-verify.sh": (
        '"$DEMO_PYTHON" -m bot diff --from "$PROD_URL" --to "$DEV_URL" --exit-code > /dev/null\n'
        'echo "production matches schema/schema.sql"'
    ),
}
HISTORY = (
    ("schema_v1.sql", "schema: users, sessions, invoices"),
    ("schema_v2.sql", "users: e-mail verification; index sessions by user"),
    ("schema_v3.sql", "invoices: exact amounts, overdue status, due dates; drop legacy audit"),
)
SCHEMA_PATH = "schema/schema.sql"


def demo_sql(name: str) -> str:
    return resources.files("bot.demo").joinpath(name).read_text()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Dana Developer", "-c",
         "user.email=dana@example.com", *args],
        check=True, capture_output=True,
    )  # fmt: skip


def make_checkout(root: Path) -> Path:
    """Create ``root/app`` (replacing an earlier one) on branch ``dev`` with a clean tree."""
    repo = root / "app"
    if repo.exists():
        shutil.rmtree(repo)
    (repo / "scripts").mkdir(parents=True)
    (repo / "schema").mkdir()
    for name, body in SCRIPTS.items():
        (repo / "scripts" / name).write_text(f"#!/bin/sh\nset -e\n{body}\n")
    (repo / ".gitignore").write_text("prisma_prod_align.sql\nclient/\n")
    _git(repo, "init", "-q", "-b", "dev")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "runbook scripts")
    for name, message in HISTORY:
        (repo / SCHEMA_PATH).write_text(demo_sql(name))
        _git(repo, "add", SCHEMA_PATH)
        _git(repo, "commit", "-qm", message)
    return repo
