#!/bin/sh
# Until the first release, the schema lives in one initial migration, regenerated from the
# models with this script. After the first release, add migrations with `flask db migrate`.
set -e
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*.py
DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/flask --app wsgi db migrate -m "initial schema" --rev-id 0001_initial >/dev/null 2>&1
rm -rf "$tmp"
.venv/bin/ruff format -q migrations/versions
echo "migrations/versions/0001_initial_initial_schema.py regenerated"
