#!/usr/bin/env bash
# Load and soak benchmark (reported, never a timed test): 100k facilities, 100k institutions
# and 10k programmes in PostgreSQL, the response cache in Redis, the app under gunicorn, wrk
# over loopback at 64 connections.
#
#   bash bench/soak.sh            # full size (loading takes ~2 minutes; REUSE=1 keeps the data)
#   REUSE=1 WORKERS=3 bash bench/soak.sh
#
# 1. Per endpoint: a warm-up, then ROUNDS slices of the endpoint alternating with slices of the
#    bare floor (bench/bare_floor.py: Django with CommonMiddleware alone and no database,
#    answering a constant body of the facility list's byte size, served by a second gunicorn
#    with the same options), DURATION seconds of each in all; the ratio is the endpoint's
#    requests over the bare floor's in those slices, so background load drifting on a shared
#    machine hits both alike. The first row is the project floor (bench/floor_urls.py: the same
#    body through the project's whole middleware stack): what the middleware costs. Each row
#    also shows its ratio to the project floor (its own ratio over the project floor's; the
#    figures of the runs before 2026-12-03 were against the project floor). Each endpoint runs as response-cache
#    hits (the same URL again and again) and as misses (same URL, same SQL, same body, but a
#    unique extra media range in Accept, part of the cache key: see bench/soak.lua), then 304
#    revalidations. A first row measures the DRF floor: the same body through a bare Django
#    REST framework view with the API's settings, what any API answer pays before its own
#    work. Two rows measure the best case of an uncached filtered page: PostgreSQL building a
#    simplified page as JSON in one query behind a bare Django view, then the same view under
#    /api/ (rate count, response-cache lookup and store). Every row runs against the same
#    gunicorn processes.
# 2. The soak: one wrk run of SOAK_SECONDS rotating through list, filter, search, radius,
#    detail (2,000 different records) and 304 requests, with per-kind status counts.
#
# Prints Markdown tables and a machine line. Exits 1 if any run had a socket error (connect,
# read, write, timeout) or a status outside 2xx/3xx. Talks to 127.0.0.1 only; stops what it
# started. Options (environment): WORKERS (default 2 x cores + 1), CONNECTIONS (64), THREADS
# (2), DURATION (20), ROUNDS (5), WARMUP (3), SOAK_SECONDS (60), WRK_TIMEOUT (wrk's socket
# timeout per request in the per-endpoint runs, 10s: a slow row's requests are answered, not
# abandoned and served anyway), SOAK_TIMEOUT (in the soak, 2s as wrk's default),
# API_ANON_RATE (1000000/second: never refuses; the throttle still counts every request, as in
# production, in the same Redis round trip as the cache lookup), SOAK_REDIS_DB (9; flushed at start and end), BENCH_PORT (8798),
# RESPONSE_CACHE_SECONDS (the app's default), VENV (the virtualenv to run, .venv), and those of
# bench/load.sh. ENDPOINT_ROWS=floors measures only the reference rows (the floors, the SQL
# page), ENDPOINT_ROWS=cached only the floors and the cached rows (hits and 304s).
# SOAK_ONLY=1 skips the per-endpoint rows (only the soak runs). SOAK_WRITES (writes per second
# during the soak, default 0) runs bench/writer.py beside wrk: description edits of random
# published records through the write services, rotating through SOAK_WRITE_KINDS (default
# facility,institution,programme,call). SOAK_OTHER_KINDS=1 adds an "other" kind to the soak's
# mix: the lists of the other resources, programme and institution details and the cross search.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/load.sh
. bench/load.sh
CORES=$(nproc)
WORKERS=${WORKERS:-$((2 * CORES + 1))}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-20}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-3}
SOAK_SECONDS=${SOAK_SECONDS:-60}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
SOAK_TIMEOUT=${SOAK_TIMEOUT:-2s}
export API_ANON_RATE=${API_ANON_RATE:-1000000/second}
REDIS_DB=${SOAK_REDIS_DB:-9}
SOAK_ONLY=${SOAK_ONLY:-0}
ENDPOINT_ROWS=${ENDPOINT_ROWS:-all}
SOAK_WRITES=${SOAK_WRITES:-0}
SOAK_WRITE_KINDS=${SOAK_WRITE_KINDS:-facility,institution,programme,call}
SOAK_OTHER_KINDS=${SOAK_OTHER_KINDS:-0}
PORT=${BENCH_PORT:-8798}
BARE_PORT=${BENCH_BARE_PORT:-$((PORT + 1))}
HOST=127.0.0.1

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli is required" >&2; exit 1; }
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || make venv
case "$PG" in
  *@127.0.0.1:* | *@127.0.0.1/* | *@localhost:* | *@localhost/*) ;;
  *) echo "PG_URL must point at 127.0.0.1 (got $PG)" >&2; exit 1 ;;
esac
case "$REDIS_DB" in
  '' | *[!0-9]*) echo "SOAK_REDIS_DB must be a number" >&2; exit 1 ;;
esac
export PGCONNECT_TIMEOUT=10

workdir=$(mktemp -d /tmp/bench-soak.XXXXXX)
server=""
bare_server=""
writer=""
redis() { timeout 10 redis-cli -h "$HOST" -p 6379 -n "$REDIS_DB" "$@"; }
cleanup() {
  local status=$?
  if [ -n "$writer" ] && kill -0 "$writer" 2>/dev/null; then kill -TERM "$writer" 2>/dev/null || true; fi
  local pid
  for pid in $server $bare_server; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  redis flushdb >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ] && [ -s "$workdir/gunicorn.log" ]; then
    echo "-- gunicorn log (last 20 lines):" >&2
    tail -n 20 "$workdir/gunicorn.log" >&2
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_env
bench_load

export REDIS_URL="redis://$HOST:6379/$REDIS_DB"
# The floor's URL lives in the bench's settings only; the API is the project's, unchanged.
export DJANGO_SETTINGS_MODULE=bench.floor_settings
base="http://$HOST:$PORT"
bare="http://$HOST:$BARE_PORT"
list_path="/api/v1/facilities/"

# The floor answers as many bytes as the facility list: measured in-process, cache off, with
# the Host the server will see (the body's links are absolute).
FLOOR_BYTES=$(RESPONSE_CACHE_SECONDS=0 timeout 120 "$VENV"/bin/python -W ignore -c "
import django
django.setup()
from django.test import Client
response = Client().get('$list_path', HTTP_HOST='$HOST:$PORT')
assert response.status_code == 200, response.status_code
print(len(response.content))
" 2>"$workdir/size.log" | tail -n 1) || { cat "$workdir/size.log" >&2; exit 1; }
export FLOOR_BYTES

if curl -s --max-time 2 -o /dev/null "$base/"; then
  echo "something already listens on $HOST:$PORT: set BENCH_PORT" >&2
  exit 1
fi
redis flushdb >/dev/null
"$VENV"/bin/gunicorn config.wsgi --bind "$HOST:$PORT" --workers "$WORKERS" \
  --log-level warning >"$workdir/gunicorn.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  curl -sf --max-time 2 -o /dev/null "$base/readyz" && break
  kill -0 "$server" 2>/dev/null || { echo "gunicorn exited" >&2; exit 1; }
  sleep 1
done
curl -sf --max-time 5 -o /dev/null "$base/readyz" || { echo "server not ready after 60 s" >&2; exit 1; }
if curl -s --max-time 2 -o /dev/null "$bare/"; then
  echo "something already listens on $HOST:$BARE_PORT: set BENCH_BARE_PORT" >&2
  exit 1
fi
# The bare floor: the same gunicorn options, a settings module of its own (no database).
DJANGO_SETTINGS_MODULE=bench.bare_floor "$VENV"/bin/gunicorn bench.bare_floor:application \
  --bind "$HOST:$BARE_PORT" --workers "$WORKERS" --log-level warning >"$workdir/bare.log" 2>&1 &
bare_server=$!
for _ in $(seq 1 30); do
  curl -sf --max-time 2 -o /dev/null "$bare/bench/floor/" && break
  kill -0 "$bare_server" 2>/dev/null || { cat "$workdir/bare.log" >&2; echo "bare gunicorn exited" >&2; exit 1; }
  sleep 1
done

body_size() { curl -sf --max-time 10 -o /dev/null -w '%{size_download}' "$base$1"; }
list_bytes=$(body_size "$list_path")
floor_bytes=$(body_size /bench/floor/)
bare_bytes=$(curl -sf --max-time 10 -o /dev/null -w '%{size_download}' "$bare/bench/floor/")
if [ "$list_bytes" != "$FLOOR_BYTES" ] || [ "$floor_bytes" != "$FLOOR_BYTES" ] ||
  [ "$bare_bytes" != "$FLOOR_BYTES" ]; then
  echo "body sizes differ: list $list_bytes, floor $floor_bytes, bare floor $bare_bytes," \
    "FLOOR_BYTES $FLOOR_BYTES" >&2
  exit 1
fi
etag=$(curl -sf --max-time 10 -D - -o /dev/null "$base/api/v1/facilities/spring-8/" |
  tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
[ -n "$etag" ] || { echo "no ETag on the detail" >&2; exit 1; }

filter_path="/api/v1/facilities/?country=JP&kind=synchrotron"
search_path="/api/v1/facilities/?q=tsukuba%20light"
radius_path="/api/v1/facilities/?near=38.26,140.87&radius_km=300&ordering=distance"
detail_path="/api/v1/facilities/spring-8/"

# One wrk run; sets the associative array R from its RESULT line and keeps the KIND lines.
# Wait until the server is idle: when wrk stops, the requests it leaves queued in the listen
# backlog are still served, and a slow endpoint's backlog would otherwise eat into the next run.
drain() {
  local quick=0 took
  for _ in $(seq 1 120); do
    took=$(curl -s --max-time 10 -o /dev/null -w '%{time_total}' "$base/bench/floor/" || echo 10)
    if awk -v t="$took" 'BEGIN{exit !(t < 0.05)}'; then
      quick=$((quick + 1))
      [ "$quick" -ge 3 ] && return 0
    else
      quick=0
      sleep 0.2
    fi
  done
  echo "server still busy after the drain limit" >&2
  return 1
}

declare -A R
kinds_out=""
runs=0
run_wrk() { # seconds url [env assignments...]; wrk's timeout from TIMEOUT
  local seconds=$1 url=$2 output line kv
  shift 2
  drain
  runs=$((runs + 1))
  output=$(env SOAK_NONCE="$$-$runs" "$@" timeout $((seconds + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" \
    -d"${seconds}s" --timeout "$TIMEOUT" -s bench/soak.lua "$url")
  line=$(printf '%s\n' "$output" | grep '^RESULT ')
  kinds_out=$(printf '%s\n' "$output" | grep '^KIND ' || true)
  R=()
  for kv in ${line#RESULT }; do R[${kv%%=*}]=${kv#*=}; done
}

failures=0
floor_requests=0
floor_seconds=0
project_ratio=""
rows=()
# The machine's background load drifts (other jobs share the cores), so each endpoint is
# measured in ROUNDS slices alternating with slices of the floor, and its ratio is its
# requests over the floor's requests in the slices next to it (equal durations).
measure() { # name cache url [env assignments...]
  local name=$1 cache=$2 url=$3 share ratio round slice
  local requests=0 answered=0 hits=0 socket=0 bad=0 floor_here=0 p50s=() p99=0
  shift 3
  slice=$(((DURATION + ROUNDS - 1) / ROUNDS))
  run_wrk "$WARMUP" "$url" "$@"
  for round in $(seq 1 "$ROUNDS"); do
    run_wrk "$slice" "$bare/bench/floor/"
    floor_here=$((floor_here + R[requests]))
    socket=$((socket + R[socket_errors]))
    bad=$((bad + R[bad]))
    run_wrk "$slice" "$url" "$@"
    requests=$((requests + R[requests]))
    answered=$((answered + R[answered]))
    hits=$((hits + R[hits]))
    socket=$((socket + R[socket_errors]))
    bad=$((bad + R[bad]))
    p50s+=("${R[p50]}")
    p99=$(awk -v a="$p99" -v b="${R[p99]}" 'BEGIN{print (b > a ? b : a)}')
    : "$round"
  done
  floor_requests=$((floor_requests + floor_here))
  floor_seconds=$((floor_seconds + slice * ROUNDS))
  local rps floor_rps p50
  rps=$(awk -v n="$requests" -v s="$((slice * ROUNDS))" 'BEGIN{printf "%.0f", n / s}')
  floor_rps=$(awk -v n="$floor_here" -v s="$((slice * ROUNDS))" 'BEGIN{printf "%.0f", n / s}')
  ratio=$(awk -v a="$requests" -v b="$floor_here" 'BEGIN{if (b) printf "%.2f", a / b; else print "n/a"}')
  local to_project
  if [ -z "$project_ratio" ]; then
    project_ratio=$ratio # the first row: the project floor itself
  fi
  to_project=$(awk -v a="$ratio" -v b="$project_ratio" 'BEGIN{if (b + 0 > 0) printf "%.2f", a / b; else print "n/a"}')
  p50=$(printf '%s\n' "${p50s[@]}" | sort -g | awk '{v[NR]=$1} END{print v[int((NR + 1) / 2)]}')
  if [ "$cache" = "revalidation" ]; then
    # Served from the cache, but a 304 carries no X-Cache header to count.
    cache="hit"
    share="n/a"
  elif [ "$cache" = "-" ]; then
    share="-"
  else
    share=$(awk -v h="$hits" -v n="$answered" 'BEGIN{printf "%.0f%%", n ? 100 * h / n : 0}')
  fi
  rows+=("| $name | $cache | $share | $rps | $floor_rps | **$ratio** | $to_project | $p50 | $p99 | $socket | $bad |")
  if [ "$socket" != 0 ] || [ "$bad" != 0 ]; then failures=$((failures + 1)); fi
  printf '  %-60s %6s req/s, floor %6s, ratio %s, hits %s, errors %s/%s\n' "$name ($cache)" \
    "$rps" "$floor_rps" "$ratio" "$share" "$socket" "$bad" >&2
}

TIMEOUT=$WRK_TIMEOUT
if [ "$SOAK_ONLY" != 1 ]; then
echo "== per endpoint: $CONNECTIONS connections, ${WARMUP} s warm-up, then $ROUNDS x (bare floor, endpoint) slices of $(((DURATION + ROUNDS - 1) / ROUNDS)) s" >&2
measure "project floor (\`/bench/floor/\`: the same body through the project's middleware)" - "$base/bench/floor/"
measure "project floor, full stack (\`/bench/full-floor/\`: the same, as a signed-in or admin request's stack)" - "$base/bench/full-floor/"
if [ "$ENDPOINT_ROWS" != cached ]; then measure "DRF floor (\`/bench/drf-floor/\`: the same body through a bare DRF view)" - "$base/bench/drf-floor/"; fi
# The best case of an uncached filtered page (bench/floor_urls.py): PostgreSQL builds a smaller,
# simpler page as JSON in one query; bare, then under /api/ with what every API answer pays.
sql_page_query="?country=JP&kind=synchrotron"
sql_page_bytes=$(body_size "/bench/sql-page/$sql_page_query")
if [ "$ENDPOINT_ROWS" != cached ]; then measure "SQL page, bare Django view (\`/bench/sql-page/\`: one query, JSON built by PostgreSQL, $sql_page_bytes bytes)" - "$base/bench/sql-page/$sql_page_query"; fi
if [ "$ENDPOINT_ROWS" != cached ]; then measure "SQL page under \`/api/\` (plus rate count, response-cache lookup and store, change marker)" miss "$base/api/bench/sql-page/$sql_page_query" SOAK_MISS=1; fi
# The least an uncached API answer can cost (bench/floor_urls.py): the floors' constant body
# under /api/, public, every request a miss, so each pays the rate count, the response-cache
# lookup and store and the change marker, and no data work; without DRF, with DRF, and with
# DRF at a detail's size (the one to hold a detail miss against).
detail_bytes=$(body_size "$detail_path")
if [ "$ENDPOINT_ROWS" != cached ]; then
  measure "miss floor (\`/api/bench/floor/\`: the floor's body as an \`/api/\` response-cache miss)" miss "$base/api/bench/floor/" SOAK_MISS=1
  measure "DRF miss floor (\`/api/bench/drf-floor/\`: the DRF floor as an \`/api/\` miss)" miss "$base/api/bench/drf-floor/" SOAK_MISS=1
  measure "DRF miss floor at a detail's size ($detail_bytes bytes)" miss "$base/api/bench/drf-floor/?bytes=$detail_bytes" SOAK_MISS=1
  # The least list page plain DRF gives (bench/floor_urls.py): ListAPIView, DRF's pagination with
  # the kept count, the per-record representations; no filterset, checks or extra headers.
  measure "DRF list floor (\`/api/bench/drf-list/\`: the facility list's page in plain DRF with the representation cache)" miss "$base/api/bench/drf-list/" SOAK_MISS=1
fi
if [ "$ENDPOINT_ROWS" != floors ]; then measure "facility list (\`/facilities/\`)" hit "$base$list_path"; fi
if [ "$ENDPOINT_ROWS" = all ]; then measure "facility list (\`/facilities/\`)" miss "$base$list_path" SOAK_MISS=1; fi
if [ "$ENDPOINT_ROWS" != floors ]; then measure "filtered list (\`?country=JP&kind=synchrotron\`)" hit "$base$filter_path"; fi
if [ "$ENDPOINT_ROWS" = all ]; then measure "filtered list (\`?country=JP&kind=synchrotron\`)" miss "$base$filter_path" SOAK_MISS=1; fi
if [ "$ENDPOINT_ROWS" != floors ]; then measure "\`q=\` search (\`?q=tsukuba light\`)" hit "$base$search_path"; fi
if [ "$ENDPOINT_ROWS" = all ]; then measure "\`q=\` search (\`?q=tsukuba light\`)" miss "$base$search_path" SOAK_MISS=1; fi
if [ "$ENDPOINT_ROWS" != floors ]; then measure "\`near=\` radius (300 km, by distance)" hit "$base$radius_path"; fi
if [ "$ENDPOINT_ROWS" = all ]; then measure "\`near=\` radius (300 km, by distance)" miss "$base$radius_path" SOAK_MISS=1; fi
if [ "$ENDPOINT_ROWS" != floors ]; then measure "detail (\`/facilities/spring-8/\`)" hit "$base$detail_path"; fi
if [ "$ENDPOINT_ROWS" = all ]; then measure "detail (\`/facilities/spring-8/\`)" miss "$base$detail_path" SOAK_MISS=1; fi
if [ "$ENDPOINT_ROWS" != floors ]; then measure "304 revalidation (\`If-None-Match\`)" revalidation "$base$detail_path" "WRK_HEADER=If-None-Match: $etag"; fi
fi

# The soak's mix: list pages, filtered pages, searches, radius searches, 2,000 details and 304s.
# Few distinct lists (mostly cache hits after the first minute's misses), many details
# (mostly misses), as a crawler and a map page would mix them.
mix="$workdir/mix.tsv"
{
  for page in 0 1 2 3 4; do printf 'list\t/api/v1/facilities/?offset=%d\n' $((page * 20)); done
  for country in JP DE FR US GB; do
    for kind in synchrotron spallation_neutron; do
      printf 'filter\t/api/v1/facilities/?country=%s&kind=%s\n' "$country" "$kind"
    done
  done
  for q in "tsukuba%20light" "neutron" "hamburg" "compact%20source" "grenoble"; do
    printf 'search\t/api/v1/facilities/?q=%s\n' "$q"
  done
  for centre in 38.26,140.87 53.55,9.99 45.19,5.72 41.71,-87.98 55.70,13.19; do
    printf 'radius\t/api/v1/facilities/?near=%s&radius_km=300&ordering=distance\n' "$centre"
  done
  psql -Atq -h "$HOST" -U postgres "$DB" -c "SELECT slug FROM directory_facility
    WHERE is_published ORDER BY md5(slug) LIMIT 2000" |
    while read -r slug; do printf 'detail\t/api/v1/facilities/%s/\n' "$slug"; done
  printf '304\t%s\tIf-None-Match: %s\n' "$detail_path" "$etag"
  if [ "$SOAK_OTHER_KINDS" = 1 ]; then
    for resource in programmes institutions calls agreements techniques fields; do
      printf 'other\t/api/v1/%s/\n' "$resource"
    done
    printf 'other\t/api/v1/calls.ics\n'
    printf 'other\t/api/v1/search/?q=%s\n' "neutron" "x-ray" "tokyo"
    psql -Atq -h "$HOST" -U postgres "$DB" -c "(SELECT 'programmes/' || slug FROM directory_programme
      WHERE is_published ORDER BY md5(slug) LIMIT 20) UNION ALL (SELECT 'institutions/' || slug
      FROM directory_institution WHERE is_published ORDER BY md5(slug) LIMIT 20)" |
      while read -r path; do printf 'other\t/api/v1/%s/\n' "$path"; done
  fi
} >"$mix"

TIMEOUT=$SOAK_TIMEOUT
echo "== soak: $CONNECTIONS connections, ${SOAK_SECONDS} s, mixed requests, $SOAK_WRITES writes/s" >&2
if awk -v w="$SOAK_WRITES" 'BEGIN{exit !(w > 0)}'; then
  drain
  # config.settings, not the bench's: the writer needs no URLs, only the same database and cache.
  DJANGO_SETTINGS_MODULE=config.settings "$VENV"/bin/python -m bench.writer "$SOAK_WRITES" \
    "$SOAK_SECONDS" "$SOAK_WRITE_KINDS" >"$workdir/writer.log" 2>&1 &
  writer=$!
fi
run_wrk "$SOAK_SECONDS" "$base/" "SOAK_MIX=$mix"
writes_line="no writes"
if [ -n "$writer" ]; then
  wait "$writer" || { cat "$workdir/writer.log" >&2; failures=$((failures + 1)); }
  writer=""
  writes_line=$(grep '^WRITES ' "$workdir/writer.log" || echo "writer: no result")
fi
soak_kinds=$kinds_out
declare -A S
for key in "${!R[@]}"; do S[$key]=${R[$key]}; done
if [ "${S[socket_errors]}" != 0 ] || [ "${S[bad]}" != 0 ]; then failures=$((failures + 1)); fi
if [ "${S[requests]}" != "${S[answered]}" ]; then
  echo "soak: wrk counted ${S[requests]} responses, the script ${S[answered]}" >&2
  failures=$((failures + 1))
fi

if [ "$SOAK_ONLY" != 1 ]; then
echo
echo "Bare floor (\`bench/bare_floor.py\`: Django, CommonMiddleware alone, a constant $FLOOR_BYTES-byte" \
  "JSON body, the facility list's size): $(awk -v n="$floor_requests" -v s="$floor_seconds" 'BEGIN{printf "%.0f", n / s}') req/s" \
  "over all its slices."
echo
echo "| endpoint | cache | hits | req/s | bare floor req/s | × bare floor | × project floor | p50 ms | p99 ms | socket errors | non-2xx/3xx |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
fi
echo
echo "Soak: ${SOAK_SECONDS} s, $CONNECTIONS connections, ${S[requests]} requests (${S[rps]} req/s," \
  "p50 ${S[p50]} ms, p99 ${S[p99]} ms), ${S[socket_errors]} socket errors" \
  "(connect ${S[connect]}, read ${S[read]}, write ${S[write]}, timeout ${S[timeout]})," \
  "${S[bad]} responses outside 2xx/3xx; of the answers the response cache looked up" \
  "(X-Cache; the 304s are answered after it) ${S[hits]} hits, ${S[coalesced]} coalesced" \
  "(waited for another worker's computation) and ${S[misses]} misses: hit rate" \
  "$(awk -v h="${S[hits]}" -v c="${S[coalesced]}" -v m="${S[misses]}" \
    'BEGIN{n = h + c + m; printf "%.1f%% (%.1f%% with the coalesced)", n ? 100 * h / n : 0, n ? 100 * (h + c) / n : 0}');" \
  "writes: $writes_line."
echo
echo "| kind | requests | 2xx/3xx | of which 304 | non-2xx/3xx | cache hits | coalesced | misses | statuses |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
while read -r _ fields; do
  declare -A K=()
  for kv in $fields; do K[${kv%%=*}]=${kv#*=}; done
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${K[kind]}" "${K[requests]}" \
    "${K[ok]}" "${K[not_modified]}" "${K[bad]}" "${K[hits]}" "${K[coalesced]}" "${K[misses]}" \
    "${K[statuses]}"
done <<<"$soak_kinds"
echo
echo "machine: $CORES cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%d);" \
  "gunicorn $WORKERS sync workers; wrk -t$THREADS -c$CONNECTIONS;" \
  "per endpoint ${WARMUP} s warm-up + $ROUNDS x (bare floor, endpoint) slices, ${DURATION} s of each," \
  "timeout $WRK_TIMEOUT; soak ${SOAK_SECONDS} s, timeout $SOAK_TIMEOUT;" \
  "response cache in Redis db $REDIS_DB (RESPONSE_CACHE_SECONDS=${RESPONSE_CACHE_SECONDS:-default});" \
  "API_ANON_RATE=$API_ANON_RATE;" \
  "$FACILITIES facilities, $INSTITUTIONS institutions, $PROGRAMMES programmes"
if [ "$failures" -ne 0 ]; then
  echo "FAILED: $failures run(s) had socket errors or statuses outside 2xx/3xx" >&2
  exit 1
fi
