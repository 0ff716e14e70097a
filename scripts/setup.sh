# Shared by demo.sh and test.sh: create .venv with Python 3.11 and install the project into it.
# Usage: source scripts/setup.sh [extra]   (extra: "test" installs the test dependencies too)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
    PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}
    if [ -z "$PYTHON" ]; then
        echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)." >&2
        exit 1
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        echo "Python 3.11 is required; $PYTHON is $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
        exit 1
    fi
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
if [ "${1:-}" = "test" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
else
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
fi
