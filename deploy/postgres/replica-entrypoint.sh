#!/bin/sh
# The streaming replica, run as the postgres user in the postgres image. On its first
# start (an empty data directory) it copies the primary with pg_basebackup; -R writes
# primary_conninfo and standby.signal, so PostgreSQL then starts as a hot standby that
# replays the primary's WAL as it streams in. Later starts just resume streaming.
set -eu
: "${PRIMARY_HOST:?set PRIMARY_HOST}" "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready --host "$PRIMARY_HOST" --username replicator --quiet; do
    echo "waiting for the primary at $PRIMARY_HOST"
    sleep 2
  done
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup --host "$PRIMARY_HOST" \
    --username replicator --pgdata "$PGDATA" --wal-method stream \
    --write-recovery-conf --checkpoint fast --progress
  chmod 0700 "$PGDATA"
fi
# hot_standby_feedback: a long read here does not get cancelled by the primary's vacuum.
exec postgres -c hot_standby=on -c hot_standby_feedback=on
