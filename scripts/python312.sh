#!/usr/bin/env bash
# Print a Python 3.12 interpreter (for the LeRobot environment and the 3.12 test run); exit 1 when none.
# Tried in order: $VITRA_PYTHON312, pyenv's 3.12 builds, python3.12 on PATH (a pyenv shim there may not run).
set -uo pipefail
for candidate in "${VITRA_PYTHON312:-}" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 \
    "$(command -v python3.12 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] &&
    "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
    echo "$candidate"
    exit 0
  fi
done
exit 1
