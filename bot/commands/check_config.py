"""``align check-config [FILE]``: validate a configuration and say what is wrong, key by key."""

from __future__ import annotations

import argparse
import os
import sys

from bot.config import load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-config", help="validate a configuration file")
    p.add_argument("file", nargs="?", help="TOML config (default: $ALIGN_CONFIG)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.file and not os.environ.get("ALIGN_CONFIG"):
        print("align check-config: give a FILE or set ALIGN_CONFIG", file=sys.stderr)
        return 1
    settings = load_settings(args.file, os.environ)  # ConfigError → exit 1 via the CLI
    print(f"{settings.config_path}: OK")
    for target in settings.targets.values():
        print(
            f"  target {target.name}: mode={target.mode} snapshot={target.snapshot} "
            f"production={target.database_label}"
        )
    policy = settings.policy
    print(
        f"  reviewers: {len(policy.reviewers)}, four-eyes: "
        f"{'on' if policy.four_eyes else 'off'}, "
        f"default target: {settings.default_target or '(none)'}"
    )
    terminal = ", ".join(policy.terminal_reviewers) or "nobody (access.terminal_reviewers is empty)"
    readers = (
        f"{len(policy.readers)} entries (plus reviewers, requesters, on-call)"
        if policy.readers
        else "anyone in the installed workspace"
    )
    workspace = settings.slack.team_id or "the bot token's workspace (auth.test)"
    print(f"  terminal approvals: {terminal}")
    print(f"  read subcommands: {readers}")
    print(f"  accepted workspace: {workspace}")
    return 0
