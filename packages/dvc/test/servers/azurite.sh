#!/usr/bin/env bash
# Azurite (Microsoft's Azure Storage emulator, npm dev dependency) for the Azure remote tests,
# blob service only, on 127.0.0.1.
#   azurite.sh start|stop|status
# Writes the connection string to $COPPER_SERVERS_DIR/azurite.json (default /tmp/copper-test-servers).
# Port: COPPER_AZURITE_PORT (default 10000). Exit status 3 from start: azurite is not installed (npm ci).
set -euo pipefail
BASE="${COPPER_SERVERS_DIR:-/tmp/copper-test-servers}"
RUN="$BASE/azurite"
INFO="$BASE/azurite.json"
PORT="${COPPER_AZURITE_PORT:-10000}"
ROOT="$(cd "$(dirname "$0")/../../../.." && pwd)"
BIN="$ROOT/node_modules/.bin/azurite-blob"
ACCOUNT=devstoreaccount1
# The emulator's well-known development key (public, documented by Microsoft).
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
mkdir -p "$BASE"
exec 9>"$BASE/azurite.lock"
flock -w 600 9 || { echo "azurite: lock busy" >&2; exit 1; }

http_up() { node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then(() => process.exit(0), () => process.exit(1))' "http://127.0.0.1:$PORT/$ACCOUNT?comp=list"; }  # any HTTP answer (node, not curl: always installed)
# Alive = its process runs and it wrote its info (a slow answer under load is not death).
running() { [ -f "$RUN/azurite.pid" ] && kill -0 "$(cat "$RUN/azurite.pid")" 2>/dev/null && [ -f "$INFO" ]; }

stop() {
  if [ -f "$RUN/azurite.pid" ] && kill -0 "$(cat "$RUN/azurite.pid")" 2>/dev/null; then
    pid="$(cat "$RUN/azurite.pid")"
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "azurite: stopped"
  else
    echo "azurite: not running"
  fi
  rm -f "$INFO" "$RUN/azurite.pid"
}

start() {
  if running; then echo "azurite: already running on http://127.0.0.1:$PORT"; return 0; fi
  if [ ! -x "$BIN" ]; then echo "azurite: not installed ($BIN missing; run npm ci)" >&2; exit 3; fi
  stop >/dev/null
  rm -rf "$RUN"; mkdir -p "$RUN/data"
  # --disableTelemetry: no calls out; --skipApiVersionCheck: the SDK speaks a newer API version.
  # (Its --blobKeepAliveTimeout is not honoured in 3.35: idle sockets close after 5 s.)
  nohup "$BIN" --blobHost 127.0.0.1 --blobPort "$PORT" --location "$RUN/data" --silent \
    --disableTelemetry --skipApiVersionCheck >"$RUN/azurite.log" 2>&1 9>&- &
  echo $! > "$RUN/azurite.pid"
  for _ in $(seq 150); do http_up && break; sleep 0.2; done
  if ! http_up; then echo "azurite: did not come up; see $RUN/azurite.log" >&2; stop >/dev/null; exit 1; fi
  local cs="DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$PORT/$ACCOUNT;"
  cat > "$INFO" <<JSON
{"endpoint": "http://127.0.0.1:$PORT/$ACCOUNT", "account_name": "$ACCOUNT", "account_key": "$KEY", "connection_string": "$cs"}
JSON
  echo "azurite: running on http://127.0.0.1:$PORT (pid $(cat "$RUN/azurite.pid"))"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "azurite: running on http://127.0.0.1:$PORT"; else echo "azurite: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
