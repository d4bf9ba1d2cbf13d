#!/usr/bin/env bash
# Ceph RADOS Gateway (a real S3 server) for the S3 remote tests: one monitor, one memstore OSD and
# radosgw, no cluster auth, everything bound to 127.0.0.1.
#   ceph.sh start|stop|status
# Writes the endpoint and the S3 credentials it made to $COPPER_SERVERS_DIR/ceph.json
# (default /tmp/copper-test-servers). Port: COPPER_CEPH_PORT (default 7480), monitor 3300.
# Exit status 3 from start: Ceph is not installed (apt-get install ceph-mon ceph-osd radosgw).
set -euo pipefail
BASE="${COPPER_SERVERS_DIR:-/tmp/copper-test-servers}"
RUN="$BASE/ceph"
INFO="$BASE/ceph.json"
PORT="${COPPER_CEPH_PORT:-7480}"
MON_PORT="${COPPER_CEPH_MON_PORT:-3300}"
ACCESS_KEY=COPPERACCESSKEY
SECRET_KEY=copper-secret-key
mkdir -p "$BASE"
exec 9>"$BASE/ceph.lock"
# The daemons are started with fd 9 closed (9>&-) so they do not hold the lock after we exit.
flock -w 900 9 || { echo "ceph: lock busy" >&2; exit 1; }

pids() { cat "$RUN"/run/*.pid 2>/dev/null || true; }
alive() { local p; for p in $(pids); do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
http_up() { node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then(() => process.exit(0), () => process.exit(1))' "http://127.0.0.1:$PORT/"; }  # any HTTP answer (node, not curl: always installed)
# Alive = radosgw runs and the info was written (a slow answer under load is not death).
running() { [ -f "$INFO" ] && [ -f "$RUN/run/client.rgw.a.pid" ] && kill -0 "$(cat "$RUN/run/client.rgw.a.pid")" 2>/dev/null; }

stop() {
  if alive; then
    # radosgw first, then the OSD, then the monitor; each by its own PID.
    for name in client.rgw.a osd.0 mon.a; do
      f="$RUN/run/$name.pid"
      [ -f "$f" ] || continue
      p="$(cat "$f")"
      kill "$p" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$p" 2>/dev/null || true
    done
    echo "ceph: stopped"
  else
    echo "ceph: not running"
  fi
  rm -f "$INFO"
}

start() {
  if running; then echo "ceph: already running on http://127.0.0.1:$PORT"; return 0; fi
  for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
    if ! command -v "$b" >/dev/null; then
      echo "ceph: not installed ($b missing; apt-get install ceph-mon ceph-osd radosgw)" >&2
      exit 3
    fi
  done
  alive && stop >/dev/null
  rm -rf "$RUN"
  mkdir -p "$RUN"/{mon.a,osd.0,log,run}
  local fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  cat > "$RUN/ceph.conf" <<CONF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$MON_PORT
mon_initial_members = a
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_mon_client_mode = crc
ms_client_mode = crc
ms_mon_service_mode = crc
ms_service_mode = crc
ms_cluster_mode = crc
ms_mon_cluster_mode = crc
mon_data_avail_warn = 1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
run_dir = $RUN/run
admin_socket = $RUN/run/\$name.asok
log_file = $RUN/log/\$name.log
pid_file = $RUN/run/\$name.pid
mon_data = $RUN/mon.\$id
osd_data = $RUN/osd.\$id
osd_objectstore = memstore
memstore_device_bytes = 4294967296
osd_memory_target = 1073741824
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw_dns_name = 127.0.0.1
CONF
  export CEPH_CONF="$RUN/ceph.conf"
  monmaptool --create --add a "v2:127.0.0.1:$MON_PORT" --fsid "$fsid" "$RUN/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$RUN/monmap" 9>&-
  ceph-mon -i a 9>&-
  local osd
  osd="$(timeout 60 ceph osd create)"
  ceph-osd -i "$osd" --mkfs >/dev/null 2>&1
  ceph-osd -i "$osd" 9>&-
  for _ in $(seq 200); do timeout 10 ceph osd stat 2>/dev/null | grep -q "1 up" && break; sleep 0.3; done
  radosgw -n client.rgw.a 9>&-
  for _ in $(seq 300); do http_up && break; sleep 0.3; done
  if ! http_up; then echo "ceph: radosgw did not come up; see $RUN/log" >&2; stop >/dev/null; exit 1; fi
  radosgw-admin user create --uid=copper --display-name=copper \
    --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null
  cat > "$INFO" <<JSON
{"endpoint": "http://127.0.0.1:$PORT", "region": "us-east-1", "access_key_id": "$ACCESS_KEY", "secret_access_key": "$SECRET_KEY", "conf": "$RUN/ceph.conf"}
JSON
  echo "ceph: running on http://127.0.0.1:$PORT (key $ACCESS_KEY)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "ceph: running on http://127.0.0.1:$PORT"; else echo "ceph: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
