#!/usr/bin/env bash
# Prepares the primary (`db`) for the streaming standby `db-replica`: a replication role, a
# pg_hba.conf line that lets it connect for replication, and a physical replication slot, so the
# primary keeps the WAL the standby has not received yet (at most max_slot_wal_keep_size of it).
#
# Runs by itself on the primary's first start (mounted into /docker-entrypoint-initdb.d/).
# Safe to run again, e.g. on a primary whose volume predates it:
#   docker compose exec -u postgres db /docker-entrypoint-initdb.d/20-replication.sh
main() {
    set -Eeuo pipefail

    : "${PGDATA:?PGDATA is not set}"
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    : "${POSTGRES_REPLICATION_USER:=replicator}"
    : "${POSTGRES_REPLICATION_SLOT:=db_replica}"
    : "${POSTGRES_REPLICATION_MAX_WAL:=1GB}"

    if [ -z "${POSTGRES_REPLICATION_PASSWORD:-}" ]; then
        echo "init-replication: POSTGRES_REPLICATION_PASSWORD is empty; no replication role created." >&2
        echo "init-replication: set it and run this script again to enable the replica profile." >&2
        exit 0
    fi

    # The password, role and slot names travel as psql variables (:'pw'), never spliced into SQL.
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        --set role="$POSTGRES_REPLICATION_USER" \
        --set pw="$POSTGRES_REPLICATION_PASSWORD" \
        --set slot="$POSTGRES_REPLICATION_SLOT" \
        --set max_wal="$POSTGRES_REPLICATION_MAX_WAL" --output /dev/null <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') AS role_missing \gset
\if :role_missing
CREATE ROLE :"role" WITH REPLICATION LOGIN PASSWORD :'pw';
\else
ALTER ROLE :"role" WITH REPLICATION LOGIN PASSWORD :'pw';
\endif
SELECT pg_create_physical_replication_slot(:'slot')
 WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = :'slot');
-- A standby that stays away must not fill the primary's disk: past this, it needs a new copy.
ALTER SYSTEM SET max_slot_wal_keep_size = :'max_wal';
SQL

    # Replication connections match only lines whose database is "replication" ("all" excludes them).
    hba_line="host replication $POSTGRES_REPLICATION_USER all scram-sha-256"
    if ! grep -qxF "$hba_line" "$PGDATA/pg_hba.conf"; then
        printf '\n# Streaming standby (deploy/postgres/init-replication.sh)\n%s\n' "$hba_line" \
            >> "$PGDATA/pg_hba.conf"
    fi
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        --output /dev/null --command 'SELECT pg_reload_conf()'
    echo "init-replication: role $POSTGRES_REPLICATION_USER and slot $POSTGRES_REPLICATION_SLOT ready."
}

# The image sources *.sh files that are not executable: the subshell keeps this script's shell
# options and exits from leaking into the image's entrypoint.
( main "$@" )
