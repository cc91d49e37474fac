#!/usr/bin/env bash
# Read-API benchmark: 100k facilities, 100k institutions and 10k programmes in PostgreSQL,
# the app under gunicorn, wrk over loopback at concurrency 1 (override with CONNECTIONS).
#
#   bash bench/run.sh                 # full size (loading takes a few minutes)
#   FACILITIES=10000 INSTITUTIONS=10000 PROGRAMMES=1000 bash bench/run.sh   # quicker
#
# Prints a Markdown table: requests/s and p50/p95/p99 latency per endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/load.sh
. bench/load.sh
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-1}
WORKERS=${WORKERS:-2}
PORT=${BENCH_PORT:-8799}

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
[ -x .venv/bin/python ] || make venv

bench_env
# This bench measures the database path; bench/soak.sh measures the response cache.
export RESPONSE_CACHE_SECONDS=${RESPONSE_CACHE_SECONDS:-0}
bench_load

.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --log-level warning > /tmp/bench-gunicorn.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 30); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v1/" && break; sleep 1; done

base="http://127.0.0.1:$PORT/api/v1"
etag=$(curl -s -D - -o /dev/null "$base/facilities/spring-8/" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')

declare -a names urls headers
add() { names+=("$1"); urls+=("$2"); headers+=("${3:-}"); }
add "facility list" "$base/facilities/"
add "filtered list (country + kind)" "$base/facilities/?country=JP&kind=synchrotron"
add "q= search" "$base/facilities/?q=tsukuba%20light"
add "near= radius search" "$base/facilities/?near=38.26,140.87&radius_km=300&ordering=distance"
add "detail" "$base/facilities/spring-8/"
add "cross-kind search" "$base/search/?q=spring8"
add "304 revalidation" "$base/facilities/spring-8/" "If-None-Match: $etag"

echo
echo "| endpoint | req/s | p50 ms | p95 ms | p99 ms | non-2xx/3xx |"
echo "|---|---:|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
  # warm up (connections, plans, caches), then measure
  WRK_HEADER="${headers[$i]}" wrk -t1 -c"$CONNECTIONS" -d2s -s bench/report.lua "${urls[$i]}" >/dev/null
  line=$(WRK_HEADER="${headers[$i]}" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/report.lua "${urls[$i]}" | grep '^RESULT')
  eval "$(echo "$line" | sed 's/^RESULT //')"
  printf '| %s | %s | %s | %s | %s | %s |\n' "${names[$i]}" "$rps" "$p50" "$p95" "$p99" "$bad_status"
done
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%d); gunicorn workers=$WORKERS, connections=$CONNECTIONS"
