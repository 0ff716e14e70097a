#!/usr/bin/env bash
# Install the test dependencies, lint, and run the whole suite (SQLite unless DATABASE_URL is set).
set -euo pipefail
source "$(dirname "$0")/setup.sh" test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
engine=$(DEBUG=true DJANGO_SETTINGS_MODULE=cooperative.settings .venv/bin/python -c "import django; django.setup(); from django.db import connection; print(connection.vendor)" 2>/dev/null || echo "?")
echo "Running the suite on: ${engine}"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests." >&2
    exit 0
fi
exit "$status"
