#!/usr/bin/env bash
# Where row level security's cost goes on the one-project query, in PostgreSQL alone: pgbench
# runs that query's three statements (the project by ID, its lead, its measures, each with the
# service layer's scoping, as the server sends them) as the tables' owner and as the runtime role,
# with and without the request transaction that names the actor (BEGIN, set_config, COMMIT).
#
#   python3 bench/rls.py --rounds 1 --duration 2 --keep      # seeds springboard_rls and keeps it
#   bash bench/rls_statements.sh [database] [seconds]
#
# The actor is the seeded funder, the project the seed's first. Needs pgbench and psql; trust auth
# on 127.0.0.1 as in this repository's CI.
set -euo pipefail
db=${1:-springboard_rls}
secs=${2:-8}
role=springboard_bench_runtime
psql_() { psql -h 127.0.0.1 -U postgres -d "$db" -Atc "$1"; }
funder=$(psql_ "SELECT funder_institution_id FROM programmes ORDER BY id LIMIT 1")
user=$(psql_ "SELECT user_id FROM memberships WHERE institution_id = '$funder' ORDER BY id LIMIT 1")
project=$(psql_ "SELECT id FROM projects ORDER BY id LIMIT 1")
lead=$(psql_ "SELECT lead_institution_id FROM projects WHERE id = '$project'")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

scope="(projects.lead_institution_id = '$funder' OR projects.id IN (SELECT project_id FROM project_sites
  WHERE project_sites.institution_id = '$funder' AND project_sites.status <> 'DECLINED') OR
  (projects.programme_id IN (SELECT id FROM programmes WHERE programmes.funder_institution_id = '$funder')
  AND projects.submitted_at IS NOT NULL))"
cat > "$work/request.sql" <<SQL
SELECT * FROM projects WHERE $scope AND projects.id IN ('$project');
SELECT * FROM institutions WHERE id IN ('$lead');
SELECT * FROM measures WHERE measures.project_id IN (SELECT projects.id FROM projects WHERE $scope) AND measures.project_id IN ('$project');
SQL
settings() {
    echo "SELECT set_config('springboard.institution', '$funder', $1), set_config('springboard.user', '$user', $1),
      set_config('springboard.token', '', $1), set_config('springboard.role', 'ADMIN', $1),
      set_config('springboard.platform_admin', '', $1), set_config('springboard.today', '$(date -u +%F)', $1);"
}
{ echo "BEGIN;"; settings true; cat "$work/request.sql"; echo "COMMIT;"; } > "$work/in_transaction.sql"
{ settings false; cat "$work/request.sql"; } > "$work/session_settings.sql"

run() {
    local user=$1 script=$2
    pgbench -h 127.0.0.1 -U "$user" -n -M prepared -c 8 -j 2 -T "$secs" -f "$script" "$db" 2>&1 |
        awk '/latency average/ { mean = $4 } /^tps/ { tps = $3 } END { printf "%10.0f requests/s  (mean %s ms)\n", tps, mean }'
}
printf "%-58s" "owner, the three statements";                         run postgres "$work/request.sql"
printf "%-58s" "owner, in the request transaction (no policies bind)";  run postgres "$work/in_transaction.sql"
printf "%-58s" "runtime role, settings per session, no transaction";    run "$role" "$work/session_settings.sql"
printf "%-58s" "runtime role, in the request transaction (as served)";  run "$role" "$work/in_transaction.sql"
