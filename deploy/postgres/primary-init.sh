#!/bin/sh
# The primary, first start only (the postgres image runs /docker-entrypoint-initdb.d/
# scripts once, when it creates the data directory): a role that may stream the WAL, and
# a pg_hba.conf line that lets the replica connect with it. The server restarts after
# this script, so the line takes effect before anyone connects.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
