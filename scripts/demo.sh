#!/usr/bin/env bash
# Install, migrate, load the demo cooperative and serve it at http://127.0.0.1:8000 (SQLite by default).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
export DEBUG=${DEBUG:-true}
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py load_demo
echo
echo "Abra http://127.0.0.1:8000/ e ingrese con uno de los usuarios de arriba."
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
