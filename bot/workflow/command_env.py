"""The environment a runbook command receives (DESIGN invariant 12): built, never inherited.

A configured command (dev_sync, generate_client, diff, apply, verify, and health checks of kind
``command``/``log``) is code from the application's repository. It must not hold the bot's keys:
a script that could read ``SLACK_SIGNING_SECRET`` or ``SLACK_BOT_TOKEN`` can forge an approval,
and one that could read ``ALIGN_STATE_URL`` can rewrite the audit log. So the environment is an
allow-list, not the bot's environment minus a deny-list:

* from the bot's environment only what programs need to run at all: ``PATH``, ``HOME``,
  ``LANG`` and ``LC_*`` (messages, sorting and encoding: psql and node read them), ``TZ`` (so
  timestamps the scripts print match the bot's), ``TMPDIR`` (where the host wants scratch files;
  without it tools fall back to ``/tmp``, which may be the wrong disk or shared with other users);
* the target's own ``[targets.NAME.commands.env]``, which may override the names above;
* per-step variables set by the bot: ``ALIGN_RUN_ID``, ``ALIGN_TARGET``, ``ALIGN_STEP``, plus
  what the step adds (the apply step: ``ALIGN_SQL_FILE``).

Nothing else crosses: not ``SLACK_*``, not ``ALIGN_STATE_URL``/``ALIGN_CONFIG`` or any other
``ALIGN_*`` value of the bot, not ``NEON_*``, not the variables other targets reference. A
target's ``commands.env`` may not name a reserved variable, nor carry the value of one of the
bot's own reserved variables under another name (``TOKEN = "${SLACK_BOT_TOKEN}"``): both are
refused with a message naming the key, so a careless config fails loudly instead of leaking.

Pure: the caller passes the base environment (``os.environ`` in the bot).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import Target
from bot.errors import CommandError

STEPS = ("dev_sync", "generate_client", "diff", "apply", "verify", "health")
"""Values of ``ALIGN_STEP``."""

PASSED_THROUGH = ("PATH", "HOME", "LANG", "TZ", "TMPDIR")
"""Names taken from the bot's environment (plus every ``LC_*``)."""

STEP_VARIABLES = ("ALIGN_RUN_ID", "ALIGN_TARGET", "ALIGN_STEP")
"""Set by the bot for every step; a step may add more through ``extra`` (e.g. ALIGN_SQL_FILE)."""

RESERVED_PREFIXES = ("SLACK_", "ALIGN_", "NEON_")
"""Names the bot owns: never taken from the bot's environment, never settable from config."""

# A reserved value shorter than this is not treated as a secret when matching values
# (``ALIGN_LOG_LEVEL=INFO`` must not forbid ``NODE_LOG=INFO``).
_MIN_SECRET_LEN = 8


def runbook_env(
    target: Target,
    *,
    base: Mapping[str, str],
    step: str,
    run_id: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The complete environment for one runbook command of ``target`` in ``step``.

    Raises CommandError when the target's ``commands.env`` names a reserved variable or carries
    a reserved value; ValueError for a programming error (unknown step, extra overriding a
    step variable or naming a reserved non-ALIGN variable).
    """
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}; expected one of {', '.join(STEPS)}")
    env = {k: v for k, v in base.items() if k in PASSED_THROUGH or k.startswith("LC_")}
    own = target.commands.env if target.commands is not None else ()
    reserved_values = {
        v: k
        for k, v in base.items()
        if k.startswith(RESERVED_PREFIXES) and len(v) >= _MIN_SECRET_LEN
    }
    for key, secret in own:
        where = f"targets.{target.name}.commands.env.{key}"
        if key.startswith(RESERVED_PREFIXES):
            raise CommandError(
                f"{where}: runbook commands may not receive {key} "
                f"({', '.join(p + '*' for p in RESERVED_PREFIXES)} belong to the bot); "
                "rename the variable in the config"
            )
        if secret.value in reserved_values:
            raise CommandError(
                f"{where}: its value is the bot's {reserved_values[secret.value]}, which runbook "
                "commands must never receive; give the command its own credential instead"
            )
        env[key] = secret.value
    env |= {"ALIGN_RUN_ID": run_id, "ALIGN_TARGET": target.name, "ALIGN_STEP": step}
    for key, value in (extra or {}).items():
        if key in STEP_VARIABLES or key.startswith(("SLACK_", "NEON_")):
            raise ValueError(f"extra may not set {key}")
        env[key] = value
    return env
