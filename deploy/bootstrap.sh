#!/usr/bin/env bash
# Set up everything align-bot needs on a fresh Debian/Ubuntu machine, then run it.
#   deploy/bootstrap.sh demo            the whole workflow on an embedded local PostgreSQL
#   deploy/bootstrap.sh test [ARGS...]  the whole test suite (ARGS go to pytest)
#   deploy/bootstrap.sh align ARGS...   any `align` command inside the project's venv
# Creates .venv (Python >= 3.11), installs the project with its test extras, and installs the
# PostgreSQL server binaries with apt-get when none are found. Safe to run again: steps that are
# already done are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${_APT_UPDATED:-}" ]; then as_root apt-get update -qq; _APT_UPDATED=1; fi
  as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

find_python() {
  for py in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$py" ] && command -v "$py" >/dev/null 2>&1 || continue
    if "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      echo "$py"; return 0
    fi
  done
  return 1
}

ensure_venv() {
  local py stamp="$VENV/.installed"
  py=$(find_python) || { say "Python >= 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv in .venv with $py"
    if ! "$py" -m venv "$VENV" 2>/dev/null; then
      say "python venv module missing; installing python3-venv"
      apt_install python3-venv
      "$py" -m venv "$VENV"
    fi
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "installing align-bot and its dependencies into .venv"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]"
    touch "$stamp"
  fi
}

have_pg_server() {
  [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ] && return 0
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then return 0; fi
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

ensure_postgres() {
  have_pg_server && return 0
  say "PostgreSQL server binaries not found; installing them with apt-get"
  command -v apt-get >/dev/null || { say "no apt-get: install PostgreSQL >= 13 and set PG_BIN"; exit 1; }
  # Only the binaries are wanted: no system-wide cluster on port 5432.
  as_root mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
  apt_install postgresql postgresql-client
  have_pg_server || { say "PostgreSQL installed but initdb not found; set PG_BIN"; exit 1; }
}

cmd=${1:-}
shift || true
case "$cmd" in
  demo)
    ensure_venv; ensure_postgres
    exec "$VENV/bin/align" demo "$@" ;;
  test)
    ensure_venv; ensure_postgres
    exec "$VENV/bin/python" -m pytest -n 2 "$@" ;;
  align)
    ensure_venv; ensure_postgres
    exec "$VENV/bin/align" "$@" ;;
  *)
    echo "usage: deploy/bootstrap.sh demo | test [pytest args] | align ARGS..." >&2
    exit 2 ;;
esac
