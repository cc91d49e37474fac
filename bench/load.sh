# Shared by bench/run.sh and bench/soak.sh (sourced, not run): the benchmark environment and
# the synthetic data set in PostgreSQL. Sourcing it only defines variables and functions.
#
#   FACILITIES / INSTITUTIONS / PROGRAMMES   size of the synthetic data (100k / 100k / 10k)
#   PG_URL, BENCH_DB                         server and database (dropped and re-created)
#   REUSE=1                                  keep the database already loaded

FACILITIES=${FACILITIES:-100000}
INSTITUTIONS=${INSTITUTIONS:-100000}
PROGRAMMES=${PROGRAMMES:-10000}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB=${BENCH_DB:-directory_bench}
REUSE=${REUSE:-0}

# Production-like settings for the app under test: no debug, JSON logs at WARNING (slow-request
# warnings only), no throttling (the benchmark would measure 429s otherwise).
bench_env() {
  export DEBUG=false
  export SECRET_KEY=${SECRET_KEY:-bench-only-secret-key-not-for-production-0123456789}
  export ALLOWED_HOSTS=127.0.0.1,localhost
  export DATABASE_URL="$PG/$DB"
  export API_ANON_RATE=${API_ANON_RATE:-100000000/minute}
  export LOG_LEVEL=WARNING
  export STATIC_MANIFEST=false
}

# Create the database and load the curated fixtures plus the synthetic records, unless REUSE=1.
bench_load() {
  if [ "$REUSE" = 1 ]; then
    echo "== reusing database $DB"
    return
  fi
  echo "== loading: $FACILITIES facilities, $INSTITUTIONS institutions, $PROGRAMMES programmes"
  dropdb --if-exists "$DB" -h 127.0.0.1 -U postgres
  createdb "$DB" -h 127.0.0.1 -U postgres
  .venv/bin/python manage.py migrate --no-input -v0
  .venv/bin/python manage.py seed_directory -v0
  .venv/bin/python manage.py seed_synthetic --facilities "$FACILITIES" \
    --institutions "$INSTITUTIONS" --programmes "$PROGRAMMES" --seed 1
  psql -q -h 127.0.0.1 -U postgres "$DB" -c "VACUUM ANALYZE"
}
