#!/usr/bin/env bash
# Google Cloud Storage emulator (firebase-tools' Cloud Storage emulator, run without its Java rules
# runtime by gcs/emulator.cjs) for the GCS remote tests, on 127.0.0.1.
#   gcs.sh start|stop|status|install
# firebase-tools (~300 MB) is kept out of the main install: it lives in gcs/ with its own pinned
# lockfile, installed here with `npm ci` when missing (a few minutes, once).
# Writes the endpoint to $COPPER_SERVERS_DIR/gcs.json (default /tmp/copper-test-servers).
# Port: COPPER_GCS_PORT (default 9199). Exit status 3 from start: the emulator cannot be installed.
set -euo pipefail
BASE="${COPPER_SERVERS_DIR:-/tmp/copper-test-servers}"
RUN="$BASE/gcs"
INFO="$BASE/gcs.json"
PORT="${COPPER_GCS_PORT:-9199}"
HERE="$(cd "$(dirname "$0")" && pwd)"
PKG="$HERE/gcs"
PROJECT=demo-copper
mkdir -p "$BASE"
exec 9>"$BASE/gcs.lock"
flock -w 900 9 || { echo "gcs: lock busy" >&2; exit 1; }

http_up() { node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then(() => process.exit(0), () => process.exit(1))' "http://127.0.0.1:$PORT/storage/v1/b?project=$PROJECT"; }  # any HTTP answer (node, not curl: always installed)
# Alive = its process runs and it wrote its info. (Not an HTTP probe: a busy emulator answers slowly
# and must not be taken for dead and restarted under a running test.)
running() { [ -f "$RUN/gcs.pid" ] && kill -0 "$(cat "$RUN/gcs.pid")" 2>/dev/null && [ -f "$INFO" ]; }

install() {
  if [ -f "$PKG/node_modules/firebase-tools/package.json" ]; then return 0; fi
  echo "gcs: installing firebase-tools into $PKG (once; a few minutes)" >&2
  if ! (cd "$PKG" && npm ci --no-audit --no-fund --loglevel=error >"$BASE/gcs-install.log" 2>&1); then
    echo "gcs: not installed (npm ci in $PKG failed; see $BASE/gcs-install.log)" >&2
    exit 3
  fi
}

stop() {
  if [ -f "$RUN/gcs.pid" ] && kill -0 "$(cat "$RUN/gcs.pid")" 2>/dev/null; then
    pid="$(cat "$RUN/gcs.pid")"
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "gcs: stopped"
  else
    echo "gcs: not running"
  fi
  rm -f "$INFO" "$RUN/gcs.pid"
}

start() {
  if running; then echo "gcs: already running on http://127.0.0.1:$PORT"; return 0; fi
  install
  stop >/dev/null
  rm -rf "$RUN"; mkdir -p "$RUN"
  # HOME and config under RUN: firebase-tools keeps a config store and must not touch the user's.
  cd "$RUN"
  HOME="$RUN" XDG_CONFIG_HOME="$RUN/.config" PORT="$PORT" PROJECT="$PROJECT" \
    nohup node "$PKG/emulator.cjs" >"$RUN/gcs.log" 2>&1 9>&- &
  echo $! > "$RUN/gcs.pid"
  for _ in $(seq 300); do http_up && break; sleep 0.2; done
  if ! http_up; then echo "gcs: emulator did not come up; see $RUN/gcs.log" >&2; stop >/dev/null; exit 1; fi
  cat > "$INFO" <<JSON
{"endpoint": "http://127.0.0.1:$PORT", "project": "$PROJECT"}
JSON
  echo "gcs: running on http://127.0.0.1:$PORT (pid $(cat "$RUN/gcs.pid"))"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  install) install ;;
  status) if running; then echo "gcs: running on http://127.0.0.1:$PORT"; else echo "gcs: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status|install" >&2; exit 2 ;;
esac
