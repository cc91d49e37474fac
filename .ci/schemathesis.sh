#!/usr/bin/env bash
# Serve the seeded app under gunicorn on loopback and check the public read API against its own
# OpenAPI schema: no server errors, every status code documented, every body matching its schema.
# (Writes need a token and are covered by tests/test_api_write.py.)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${SCHEMATHESIS_PORT:-8765}
workdir=$(mktemp -d)
export DEBUG=true
export DATABASE_URL="sqlite:///$workdir/schemathesis.sqlite3"
export API_ANON_RATE=1000000/minute
export ALLOWED_HOSTS=localhost,127.0.0.1

.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py seed_directory -v0

.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$PORT" --workers 2 --log-level warning \
  > "$workdir/gunicorn.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$workdir"' EXIT

for _ in $(seq 1 30); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/schema/" && break
  sleep 1
done

.venv/bin/schemathesis run "http://127.0.0.1:$PORT/api/schema/" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance \
  --include-method GET \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" \
  --workers 2 \
  --seed "${SCHEMATHESIS_SEED:-20261122}"
