#!/bin/sh
# Where an allocation's time goes (issue 13): one pgbench client inserting
# random new paths through the overlap rule, then into the trigger-less floor
# copy, on make bench's cluster in .bench/ with pg_stat_statements (nested
# statements too), I/O timing and a 10 ms sample of the backend's wait events.
# Usage: bench/profile-allocation.sh [bench_10000000] [seconds]
# The cluster must be running (a make bench run leaves it stopped: start it
# with `pg_ctl -D .bench/pg/pgdata start` as postgres). Settings are reset
# at the end.
set -eu
db=${1:-bench_10000000}
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
run=$(cd "$here/../.bench/pg/run" && pwd)
pgdata=$(cd "$here/../.bench/pg/pgdata" && pwd)
q() { psql -X -q -U postgres -h "$run" -d "$db" -v ON_ERROR_STOP=1 "$@"; }
asowner() { su postgres -s /bin/sh -c "$*"; }

q -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
  -c "ALTER SYSTEM SET track_io_timing = on"
asowner "pg_ctl -D '$pgdata' -w restart -m fast" >/dev/null
q -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
trap 'q -c "ALTER SYSTEM RESET shared_preload_libraries" -c "ALTER SYSTEM RESET pg_stat_statements.track" -c "ALTER SYSTEM RESET track_io_timing"; asowner "pg_ctl -D '"'$pgdata'"' -w restart -m fast" >/dev/null' EXIT
q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"

# The generated (dense) namespace, as store's benchmark picks it.
ns=$(q -At -c "SELECT max(manufacturer_index) FROM manufacturer_registry WHERE wallet_version = 1")

for table in path_registry path_registry_floor; do
  # Warm up, then measure from clean counters.
  pgbench -n -U postgres -h "$run" -c 1 -T 5 -f "$here/allocate.pgbench" -D table=$table -D ns=$ns "$db" >/dev/null 2>&1
  q -c "SELECT pg_stat_statements_reset(), pg_stat_reset()" >/dev/null
  rm -f /tmp/wlc-waits
  ( end=$(( $(date +%s) + secs )); while [ "$(date +%s)" -lt "$end" ]; do
      q -At -c "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity WHERE application_name = 'pgbench' AND state = 'active'" >> /tmp/wlc-waits 2>/dev/null
      sleep 0.01; done ) &
  sampler=$!
  dir=$(mktemp -d); (cd "$dir" && pgbench -n -U postgres -h "$run" -c 1 -T "$secs" -l -f "$here/allocate.pgbench" -D table=$table -D ns=$ns "$db" >/dev/null 2>&1)
  wait $sampler
  echo "== $table: $(cat "$dir"/pgbench_log.* | wc -l) transactions (BEGIN; INSERT; ROLLBACK) in ${secs}s, latency ms:"
  cat "$dir"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "   p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", a[int(NR*.5)]/1000, a[int(NR*.95)]/1000, a[int(NR*.99)]/1000, a[NR]/1000}'
  rm -rf "$dir"
  echo "-- wait events sampled (every 10 ms):"; sort /tmp/wlc-waits | uniq -c | sort -rn | head -8
  echo "-- statements, top by total time (nested ones included):"
  q -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric * 1000, 1) AS mean_us,
               round(total_plan_time::numeric, 1) AS plan_ms, shared_blks_hit AS hit, shared_blks_read AS read,
               round(blk_read_time::numeric, 1) AS read_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
          FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 18"
  echo "-- index buffers per insert:"
  q -c "SELECT i.indexrelname, round((i.idx_blks_hit + i.idx_blks_read)::numeric / greatest(t.n_tup_ins, 1), 2) AS blocks_per_insert,
               round(i.idx_blks_read::numeric / greatest(t.n_tup_ins, 1), 3) AS reads_per_insert
          FROM pg_statio_user_indexes i JOIN pg_stat_user_tables t ON t.relid = i.relid
         WHERE i.relname = '$table' ORDER BY 2 DESC"
done
