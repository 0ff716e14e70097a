#!/usr/bin/env bash
# Install the test dependencies, lint, and run the whole suite (SQLite unless DATABASE_URL is set).
set -euo pipefail
source "$(dirname "$0")/setup.sh" test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The layers (docs/ARCHITECTURE.md, pyproject.toml [tool.importlinter]): an upward import fails here.
.venv/bin/lint-imports --no-cache
engine=$(DEBUG=true DJANGO_SETTINGS_MODULE=cooperative.settings .venv/bin/python -c "import django; django.setup(); from django.db import connection; print(connection.vendor)" 2>/dev/null || echo "?")
echo "Running the suite on: ${engine}"
set +e
# Two processes by default (CI has two cores), files kept whole per process; TEST_WORKERS=0 runs in one.
.venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadfile "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests." >&2
    exit 0
fi
exit "$status"
