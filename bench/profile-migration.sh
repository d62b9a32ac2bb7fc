#!/bin/sh
# Where a migration batch's time goes (issue 12): on a fresh copy of make
# bench's migration template (.bench/migration, made by
# BenchmarkMigration1M), one batch under auto_explain with its nested
# statements and their triggers (the plan goes to the cluster's log and is
# printed), then the paths per second of one and of two batch loops side
# by side, each after a warm-up (the first batches after the copy pay the
# full-page writes of a fresh checkpoint).
# Usage: bench/profile-migration.sh [migbench_1000000] [batch size]
# The cluster must be running: a make bench run leaves it stopped; start it
# with `pg_ctl -D .bench/migration/pgdata -l .bench/migration/postgresql.log start`
# as postgres. The copy (profile_migration) is dropped at the end.
set -eu
tpl=${1:-migbench_1000000}
size=${2:-6000}
here=$(cd "$(dirname "$0")" && pwd)
run=$(cd "$here/../.bench/migration/run" && pwd)
log="$here/../.bench/migration/postgresql.log"
db=profile_migration
q() { psql -X -q -At -U postgres -h "$run" -v ON_ERROR_STOP=1 "$@"; }

q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db TEMPLATE $tpl STRATEGY FILE_COPY"
trap 'q -c "DROP DATABASE IF EXISTS '$db' WITH (FORCE)"' EXIT
id=$(q -d $db -c "SELECT id FROM manufacturer_migrations ORDER BY id LIMIT 1")
q -d $db -c "SELECT count(*) FROM path_registry" -c "SELECT count(*) FROM path_migration_queue" >/dev/null

echo "== one batch of $size, explained (auto_explain, nested statements over 5 ms)"
from=$(wc -l < "$log")
q -d $db -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 5" \
  -c "SET auto_explain.log_nested_statements = on" -c "SET auto_explain.log_analyze = on" \
  -c "SET auto_explain.log_triggers = on" -c "SELECT moved FROM wallet_migration_batch($id, $size, 'profile')" >/dev/null
tail -n +"$from" "$log" | grep -E "duration:|->|Trigger|Execution|Update on|Insert on|Aggregate" | cut -c1-160

loops() { # loops N BATCHES: N loops of BATCHES batches each; prints paths/s
  t0=$(date +%s.%N)
  i=0
  while [ $i -lt "$1" ]; do
    ( j=0; while [ $j -lt "$2" ]; do q -d $db -c "SELECT moved FROM wallet_migration_batch($id, $size, 'profile')" >/dev/null; j=$((j + 1)); done ) &
    i=$((i + 1))
  done
  wait
  t1=$(date +%s.%N)
  echo "$1 loop(s) x $2 batches of $size: $(echo "$1 * $2 * $size / ($t1 - $t0)" | bc) paths/s"
}
echo "== throughput (after a warm-up of 2 x 4 batches)"
loops 2 4 >/dev/null
loops 1 8
loops 2 8
