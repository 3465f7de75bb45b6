#!/usr/bin/env bash
# Runs every test: installs what the tests need (as root, on Debian), starts a throwaway PostgreSQL + PostGIS and a
# NATS JetStream server on 127.0.0.1, runs all test projects on SQLite, runs the data tests again on PostgreSQL,
# stops what it started and ends with one line "N passed, N failed[, N skipped]". Exit code is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
run_dir=$(mktemp -d /tmp/civicgrid-test.XXXXXX)
chmod 755 "$run_dir"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[test.sh] %s\n' "$*" >&2; }

# --- 1. What the tests need -------------------------------------------------------------------------------------
pg_bin=/usr/lib/postgresql/15/bin
need=()
command -v chromium >/dev/null || need+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
[ -x "$pg_bin/initdb" ] || need+=(postgresql-15)
[ -e /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then
    log "installing: ${need[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
      || { log "apt-get install failed"; exit 1; }
  else
    log "missing packages (run as root to install): ${need[*]}"; exit 1
  fi
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# --- 2. Throwaway PostgreSQL (trust auth, loopback only) and NATS JetStream ---------------------------------------
pg_port=$(free_port)
pg_data="$run_dir/pg"
mkdir -p "$pg_data"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_data"
cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  [ -n "${nats_pid:-}" ] && kill "$nats_pid" 2>/dev/null || true
  rm -rf "$run_dir" 2>/dev/null || true
}
trap cleanup EXIT
as_pg "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$run_dir/initdb.log" 2>&1 \
  || { cat "$run_dir/initdb.log" >&2; log "initdb failed"; exit 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_data" -w -t 60 -l "$pg_data/server.log" \
  -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" start >/dev/null \
  || { cat "$pg_data/server.log" >&2; log "PostgreSQL did not start"; exit 1; }
export CIVICGRID_PG="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Pooling=true;Include Error Detail=true"

nats_port=$(free_port)
nats_bin=$(command -v nats-server || echo /usr/sbin/nats-server)
"$nats_bin" -js -a 127.0.0.1 -p "$nats_port" -sd "$run_dir/nats" >"$run_dir/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 1 100); do grep -q "Server is ready" "$run_dir/nats.log" && break; sleep 0.1; done
grep -q "Server is ready" "$run_dir/nats.log" || { cat "$run_dir/nats.log" >&2; log "NATS did not start"; exit 1; }
export CIVICGRID_NATS_URL="nats://127.0.0.1:$nats_port"
export CIVICGRID_CHROMIUM=$(command -v chromium)

# --- 3. Build once, then run every test project -----------------------------------------------------------------
log "building"
dotnet build CivicGrid.slnx -c Debug -nologo -v q >"$run_dir/build.log" 2>&1 || { tail -60 "$run_dir/build.log"; log "build failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; skipped=0; crashed=0
run_tests() { # $1 project, $2 label, rest: extra env assignments
  local project=$1 label=$2; shift 2
  local out="$run_dir/$(basename "$project")-$label.log"
  log "testing $(basename "$project") on $label"
  env "$@" dotnet test "$project" --no-build -nologo >"$out" 2>&1
  local rc=$?
  local line
  line=$(grep -E '^(Passed|Failed)!' "$out" | tail -1)
  if [ -z "$line" ]; then
    tail -80 "$out"; log "$(basename "$project") on $label produced no summary (exit $rc)"; crashed=$((crashed + 1)); return
  fi
  echo "$(basename "$project") [$label]: $line"
  local f p s
  f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line"); p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line"); s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
    grep -E '^\s+Failed |Error Message|Assert|Exception' "$out" | head -60
    [ "$f" = 0 ] && crashed=$((crashed + 1))
  fi
}

for project in tests/*/; do
  name=$(basename "$project")
  [ "$name" = CivicGrid.Testing ] && continue
  [ -f "$project/$name.csproj" ] || continue
  run_tests "$project" sqlite
done
# The data tests again on PostgreSQL + PostGIS.
for name in CivicGrid.Places.Tests CivicGrid.Population.Tests CivicGrid.AntiFraud.Tests CivicGrid.Web.Tests; do
  [ -d "tests/$name" ] && run_tests "tests/$name" postgres CIVICGRID_TEST_PG="$CIVICGRID_PG"
done

failed=$((failed + crashed))
summary="$passed passed, $failed failed"
[ "$skipped" != 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]
