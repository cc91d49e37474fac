#!/usr/bin/env bash
# Entrypoint of `db-replica`: a hot standby that streams the WAL of the primary `db`.
#
# First start (no database in $PGDATA): wait for the primary, copy it with
#   pg_basebackup -R -X stream -S <slot>
# (-R writes standby.signal and primary_conninfo, so PostgreSQL starts as a standby and keeps
# streaming through the slot), into a scratch directory first, so an interrupted copy is
# never mistaken for a finished one. Every start then runs its command (the image's
# docker-entrypoint.sh), which finds the database and starts PostgreSQL on it.
# To take a fresh copy (e.g. after the standby fell more than max_slot_wal_keep_size behind):
#   docker compose --profile replica rm -sf db-replica && docker volume rm <project>_postgres-replica-data
set -Eeuo pipefail

: "${PGDATA:?PGDATA is not set}"
: "${PRIMARY_HOST:=db}"
: "${PRIMARY_PORT:=5432}"
: "${POSTGRES_REPLICATION_USER:=replicator}"
: "${POSTGRES_REPLICATION_SLOT:=db_replica}"

if [ "$(id -u)" = 0 ]; then
    # The volume's root belongs to root on first use; the copy is made as postgres.
    mkdir -p "$(dirname "$PGDATA")"
    chown postgres:postgres "$(dirname "$PGDATA")"
    exec gosu postgres bash "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_REPLICATION_PASSWORD:?set POSTGRES_REPLICATION_PASSWORD (password of the replication role on the primary)}"
    until pg_isready --quiet --host "$PRIMARY_HOST" --port "$PRIMARY_PORT"; do
        echo "standby: waiting for the primary at $PRIMARY_HOST:$PRIMARY_PORT"
        sleep 2
    done
    partial="$PGDATA.partial"
    rm -rf "$partial"
    echo "standby: copying the primary (pg_basebackup)"
    PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD" pg_basebackup \
        --host "$PRIMARY_HOST" --port "$PRIMARY_PORT" --username "$POSTGRES_REPLICATION_USER" \
        --pgdata "$partial" --write-recovery-conf --wal-method stream \
        --slot "$POSTGRES_REPLICATION_SLOT" --checkpoint fast --no-password
    chmod 0700 "$partial"
    rm -rf "$PGDATA"
    mv "$partial" "$PGDATA"
    echo "standby: copy complete; starting as a hot standby"
fi

exec "$@"
