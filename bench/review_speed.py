"""Benchmark: analyze a 20,000-statement migration script; report time and peak memory.

Target: under 5 s and under 500 MB on the project's 2-core machine. Run:

    .venv/bin/python bench/review_speed.py [--statements 20000]

Memory is the process's peak resident set (ru_maxrss), measured in a fresh process so nothing
else inflates it; the script text is built in the same process and included.
"""

from __future__ import annotations

import argparse
import resource
import time

from bot.review import analyze

_TEMPLATES = [
    'ALTER TABLE "T{i}" ADD COLUMN "c{i}" INTEGER NOT NULL DEFAULT 0',
    'CREATE INDEX "T{i}_c_idx" ON "T{i}"("c{i}")',
    'ALTER TABLE app."T{i}" DROP COLUMN "old{i}", ALTER COLUMN "n{i}" SET NOT NULL',
    'CREATE TABLE "N{i}" ("id" TEXT NOT NULL, CONSTRAINT "N{i}_pkey" PRIMARY KEY ("id"))',
    'ALTER TABLE "T{i}" ADD CONSTRAINT "f{i}" FOREIGN KEY ("u") REFERENCES "U"("id")',
    "CREATE FUNCTION f{i}() RETURNS void AS $$ BEGIN DELETE FROM x; DROP TABLE y; END $$ "
    "LANGUAGE plpgsql",
    'ALTER TABLE "T{i}" ALTER COLUMN "v" SET DATA TYPE VARCHAR(200)',
    "-- comment DROP TABLE z\nUPDATE t{i} SET a = 'x' WHERE id = {i}",
]


def build_script(statements: int) -> str:
    parts = []
    for i in range(statements):
        if i % 10 == 0:
            parts.append("-- AlterTable")
        parts.append(_TEMPLATES[i % len(_TEMPLATES)].format(i=i) + ";")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20_000)
    args = parser.parse_args()
    sql = build_script(args.statements)
    start = time.perf_counter()
    review = analyze(sql)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    findings = sum(len(s.findings) for s in review.statements)
    print(
        f"statements={len(review.statements)} script_bytes={len(sql.encode())} "
        f"findings={findings} verdict={review.verdict}"
    )
    print(f"analyze_seconds={elapsed:.2f} (target < 5)")
    print(f"peak_rss_mb={peak_mb:.0f} (target < 500)")


if __name__ == "__main__":
    main()
