#!/usr/bin/env bash
# iiif-delivery vs IIPImage, side by side in one run (SPEC.md §10 "Tile serving"; a script, not a test).
#
#   apps/iiif-delivery/scripts/bench-compare.sh            # as root (apt-get for iipimage-server + lighttpd if missing)
#
# Needs `pnpm --filter @vellum/iiif-delivery build` first (dist/main.js, and the workspace packages' dist), the local
# Postgres (127.0.0.1:5432) and RabbitMQ (127.0.0.1:5672). In one run it:
#   1. installs Debian `iipimage-server` and `lighttpd` if missing;
#   2. clones a test database (@vellum/testing createTestDatabase) and a RabbitMQ vhost, seeds one asset with
#      bench-seed.mjs into a temporary fs store (pyramid TIFF: 512-px JPEG q85 tiles from fixtures/photo-large.jpg)
#      and starts `node dist/main.js` on a free 127.0.0.1 port (LOG_LEVEL=warn);
#   3. starts lighttpd on another free 127.0.0.1 port, iipsrv as its FastCGI backend (IIP_PROCS processes, default
#      nproc), FILESYSTEM_PREFIX = the store directory holding the SAME image.tif, MAX_IMAGE_CACHE_SIZE=0 (tile cache
#      off), JPEG_QUALITY=85, no memcached;
#   4. prints both info.json documents briefly;
#   5. runs the same load client (bench-compare.mjs load: bench-tiles.mjs's loop, which also accepts IIPImage's
#      `?IIIF=` URLs) against each in turn: tiles (each server's advertised grid; also Vellum's grid requested from
#      IIPImage when IIPImage advertises another tile size) and regions, concurrency 8, BENCH_SECONDS each; prints
#      req/s, p50, p99, server CPU per request (and the client's), peak RSS of the window (VmHWM, reset before each
#      run through /proc/PID/clear_refs; IIPImage = lighttpd + every iipsrv) and the Vellum/IIPImage ratios;
#   6. removes everything (processes by PID, temp dir, database, vhost) on exit, failure or ^C.
#
# Environment: BENCH_SECONDS (10), BENCH_CONCURRENCY (8), IIP_PROCS (nproc), BENCH_KEEP=1 keeps the temp dir.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APP_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
SECS="${BENCH_SECONDS:-10}"
CONC="${BENCH_CONCURRENCY:-8}"
IIP_PROCS="${IIP_PROCS:-$(nproc)}"
IIPSRV=/usr/lib/iipimage-server/iipsrv.fcgi
HELPER="$SCRIPT_DIR/bench-compare.mjs"
log() { printf '[bench-compare] %s\n' "$*" >&2; }

# ---- 1. IIPImage + lighttpd ------------------------------------------------------------------------------------
if ! command -v lighttpd >/dev/null 2>&1 || [ ! -x "$IIPSRV" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "iipimage-server/lighttpd missing and not root: run as root or apt-get install iipimage-server lighttpd"
    exit 1
  fi
  log "installing iipimage-server and lighttpd (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iipimage-server lighttpd >/dev/null
fi
LIGHTTPD="$(command -v lighttpd)"
[ -f "$APP_DIR/dist/main.js" ] || { log "no dist/main.js: pnpm --filter @vellum/iiif-delivery build"; exit 1; }

# ---- cleanup ----------------------------------------------------------------------------------------------------
TMP="$(mktemp -d /tmp/vellum-bench-compare.XXXXXX)"
LOAD_PID="" VELLUM_PID="" LIGHTTPD_PID="" DB_NAME="" VHOST="" DATABASE_URL=""
IIP_PIDS=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  for pid in $LOAD_PID $VELLUM_PID $LIGHTTPD_PID; do kill "$pid" 2>/dev/null; done
  for pid in $VELLUM_PID $LIGHTTPD_PID; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  # lighttpd stops the backends it spawned; these are only the ones it may have left behind.
  for pid in $IIP_PIDS; do
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q iipsrv; then kill "$pid" 2>/dev/null; fi
  done
  if [ -n "$DB_NAME" ]; then
    psql "$(printf '%s' "$DATABASE_URL" | sed 's#/[^/?]*\([?].*\)\{0,1\}$#/postgres#')" -q -v ON_ERROR_STOP=1 \
      -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $DB_NAME"
  fi
  if [ -n "$VHOST" ]; then rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || log "could not delete vhost $VHOST"; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_http() { # url timeout-seconds pid
  local url="$1" deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { log "process $3 exited while waiting for $url"; return 1; }
    [ "$SECONDS" -lt "$deadline" ] || { log "timed out waiting for $url"; return 1; }
    sleep 0.2
  done
}

cd "$APP_DIR"
PORTS="$(node "$HELPER" ports 2)"
VPORT="$(echo "$PORTS" | sed -n 1p)" LPORT="$(echo "$PORTS" | sed -n 2p)"

# ---- 2. database, vhost, seed, Vellum ---------------------------------------------------------------------------
log "creating a test database and a RabbitMQ vhost"
SETUP="$(node "$HELPER" setup)"
eval "$SETUP"
STORE="$TMP/store"
log "seeding $DB_NAME (fs store $STORE)"
ASSET_PATH="$(DATABASE_URL="$DATABASE_URL" VELLUM_STORAGE_ROOT="$STORE" node scripts/bench-seed.mjs)"
TIF="$(find "$STORE" -name image.tif -type f | head -1)"
[ -n "$TIF" ] || { log "no image.tif under $STORE"; exit 1; }

env PORT="$VPORT" DATABASE_URL="$DATABASE_URL" AMQP_URL="$AMQP_URL" AMQP_EXCHANGE="$AMQP_EXCHANGE" \
  VELLUM_STORAGE_ROOT="$STORE" VELLUM_DELIVERY_CACHE_DIR="$TMP/delivery-cache" \
  VELLUM_DELIVERY_URL="http://127.0.0.1:$VPORT" LOG_LEVEL=warn \
  node dist/main.js >"$TMP/vellum.log" 2>&1 &
VELLUM_PID=$!
VBASE="http://127.0.0.1:$VPORT$ASSET_PATH"
wait_http "$VBASE/info.json" 60 "$VELLUM_PID" || { cat "$TMP/vellum.log" >&2; exit 1; }

# ---- 3. lighttpd + iipsrv ---------------------------------------------------------------------------------------
mkdir -p "$TMP/www"
cat >"$TMP/lighttpd.conf" <<EOF
server.modules        = ( "mod_fastcgi" )
server.document-root  = "$TMP/www"
server.bind           = "127.0.0.1"
server.port           = $LPORT
server.errorlog       = "$TMP/lighttpd-error.log"
fastcgi.server = ( "/fcgi-bin/iipsrv.fcgi" => ((
  "socket"          => "$TMP/iipsrv.sock",
  "bin-path"        => "$IIPSRV",
  "max-procs"       => $IIP_PROCS,
  "check-local"     => "disable",
  "bin-environment" => (
    "FILESYSTEM_PREFIX"    => "$(dirname "$TIF")/",
    "MAX_IMAGE_CACHE_SIZE" => "0",
    "VERBOSITY"            => "0",
    "JPEG_QUALITY"         => "85",
    "LOGFILE"              => "$TMP/iipsrv.log"
  )
)))
EOF
"$LIGHTTPD" -tt -f "$TMP/lighttpd.conf" >&2
"$LIGHTTPD" -D -f "$TMP/lighttpd.conf" >"$TMP/lighttpd.out" 2>&1 &
LIGHTTPD_PID=$!
IBASE="http://127.0.0.1:$LPORT/fcgi-bin/iipsrv.fcgi?IIIF=$(basename "$TIF")"
wait_http "$IBASE/info.json" 30 "$LIGHTTPD_PID" || { cat "$TMP/lighttpd.out" "$TMP/lighttpd-error.log" >&2; exit 1; }
IIP_PIDS="$(ps -o pid= --ppid "$LIGHTTPD_PID" | tr -s ' \n' ' ')"

# ---- 4. info.json -----------------------------------------------------------------------------------------------
VINFO="$(node "$HELPER" info --base "$VBASE")"
IINFO="$(node "$HELPER" info --base "$IBASE")"
VTILE="$(curl -fsS "$VBASE/info.json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).tiles[0].width))')"
ITILE="$(curl -fsS "$IBASE/info.json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).tiles[0].width))')"
echo "pyramid  $TIF ($(stat -c %s "$TIF") bytes; the one file both servers read)"
echo "vellum   $VBASE  pid $VELLUM_PID: $VINFO"
echo "iipimage $IBASE  lighttpd pid $LIGHTTPD_PID, iipsrv pids $IIP_PIDS: $IINFO"
echo "load: concurrency $CONC, ${SECS} s per run after a 1 s warm-up, client on the same cores ($(nproc)); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 5. runs ----------------------------------------------------------------------------------------------------
TICK="$(getconf CLK_TCK)"
cpu_ticks() { local t=0 pid; for pid in "$@"; do [ -r "/proc/$pid/stat" ] && t=$((t + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'))); done; echo "$t"; }
hwm_kib() { local t=0 pid; for pid in "$@"; do [ -r "/proc/$pid/status" ] && t=$((t + $(awk '/^VmHWM/{print $2}' "/proc/$pid/status"))); done; echo "$t"; }
reset_hwm() { local pid; for pid in "$@"; do echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true; done; }

RESULTS="$TMP/results.tsv"
: >"$RESULTS"
run() { # label server mode base [grid]
  local label="$1" server="$2" mode="$3" base="$4" grid="${5:-}" pids out c0 c1
  if [ "$server" = vellum ]; then pids="$VELLUM_PID"; else pids="$LIGHTTPD_PID $IIP_PIDS"; fi
  # shellcheck disable=SC2086
  reset_hwm $pids
  # shellcheck disable=SC2086
  c0="$(cpu_ticks $pids)"
  node "$HELPER" load --base "$base" ${grid:+--grid "$grid"} --mode "$mode" --concurrency "$CONC" --seconds "$SECS" \
    >"$TMP/load.json" &
  LOAD_PID=$!
  wait "$LOAD_PID"
  LOAD_PID=""
  out="$(cat "$TMP/load.json")"
  # shellcheck disable=SC2086
  c1="$(cpu_ticks $pids)"
  # shellcheck disable=SC2086
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$server" "$mode" "$out" "$((c1 - c0))" "$(hwm_kib $pids)" >>"$RESULTS"
  log "$label: $out"
}

run "vellum tiles (${VTILE} grid)" vellum tiles "$VBASE"
run "iipimage tiles (${ITILE} grid)" iipimage tiles "$IBASE"
if [ "$ITILE" != "$VTILE" ]; then run "iipimage tiles (${VTILE} grid)" iipimage tiles "$IBASE" "$VBASE"; fi
run "vellum regions" vellum regions "$VBASE"
run "iipimage regions" iipimage regions "$IBASE"

# CPU per request: the server's user+system CPU over the warm-up and the measured window, divided by the requests of
# both (/proc/PID/stat; lighttpd + iipsrv summed for IIPImage).
echo
node - "$RESULTS" "$TICK" "$VTILE" <<'EOF'
const fs = require('node:fs');
const [file, tick, vtile] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => {
  const [label, server, mode, json, ticks, hwm] = l.split('\t');
  const r = JSON.parse(json);
  return { label, server, mode, ...r, cpuMs: (Number(ticks) * 1000) / Number(tick) / (r.n + r.warmN), rssMiB: Number(hwm) / 1024 };
});
const pad = (s, n) => String(s).padEnd(n);
const padl = (s, n) => String(s).padStart(n);
console.log(`${pad('run', 28)}${padl('distinct', 9)}${padl('req/s', 9)}${padl('p50 ms', 8)}${padl('p99 ms', 8)}${padl('errors', 7)}${padl('CPU ms/req', 11)}${padl('client CPU', 11)}${padl('KiB/resp', 9)}${padl('RSS MiB', 9)}`);
for (const r of rows)
  console.log(
    `${pad(r.label, 28)}${padl(r.distinct, 9)}${padl(r.rate.toFixed(0), 9)}${padl(r.p50.toFixed(1), 8)}${padl(r.p99.toFixed(1), 8)}` +
      `${padl(r.errors, 7)}${padl(r.cpuMs.toFixed(2), 11)}${padl(r.clientCpuMs.toFixed(2), 11)}${padl((r.bytes / r.n / 1024).toFixed(1), 9)}${padl(r.rssMiB.toFixed(0), 9)}`,
  );
const find = (server, mode, pred = () => true) => rows.find((r) => r.server === server && r.mode === mode && pred(r));
console.log();
const vt = find('vellum', 'tiles');
for (const it of rows.filter((r) => r.server === 'iipimage' && r.mode === 'tiles'))
  console.log(`ratio Vellum/IIPImage, tiles vs ${it.label}: req/s ${(vt.rate / it.rate).toFixed(2)}×, p99 ${(vt.p99 / it.p99).toFixed(2)}×, CPU/req ${(vt.cpuMs / it.cpuMs).toFixed(2)}×  (SPEC §10: ≥ 3× req/s)`);
const vr = find('vellum', 'regions');
const ir = find('iipimage', 'regions');
if (vr && ir)
  console.log(`ratio Vellum/IIPImage, regions: req/s ${(vr.rate / ir.rate).toFixed(2)}×, p99 ${(vr.p99 / ir.p99).toFixed(2)}×, CPU/req ${(vr.cpuMs / ir.cpuMs).toFixed(2)}×  (SPEC §10: ≥ 0.8× req/s, p99 < 50 ms)`);
const bad = rows.filter((r) => r.errors > 0);
if (bad.length) console.log(`errors in: ${bad.map((r) => r.label).join(', ')}`);
EOF
