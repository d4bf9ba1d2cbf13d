#!/usr/bin/env bash
# Starts or stops every test server the remote tests use (S3 on Ceph RGW, Azure on Azurite, GCS on
# the firebase-tools emulator, SSH on OpenSSH, HTTP/WebDAV on nginx), each on 127.0.0.1, by running
# each packages/dvc/test/servers/*.sh with the same argument.
#   scripts/test-servers.sh start|stop|status
# A server that is not installed (its script exits 3) is reported and skipped: its tests skip
# with the reason. Any other failure to start fails this script.
set -uo pipefail
cd "$(dirname "$0")/.."
cmd="${1:-}"
case "$cmd" in start|stop|status) ;; *) echo "usage: $0 start|stop|status" >&2; exit 2 ;; esac
rc=0
# Servers start in parallel (Ceph takes ~15 s, a first GCS emulator install minutes); each script
# takes its own lock, so a test that starts one at the same time just waits for it.
names=(); pids=()
for s in packages/dvc/test/servers/*.sh; do
  names+=("$(basename "$s" .sh)")
  if [ "$cmd" = status ]; then bash "$s" "$cmd"; pids+=("$?"); else bash "$s" "$cmd" & pids+=("$!"); fi
done
for i in "${!names[@]}"; do
  name="${names[$i]}"
  if [ "$cmd" = status ]; then r="${pids[$i]}"; else wait "${pids[$i]}"; r=$?; fi
  if [ "$r" = 3 ]; then
    echo "test-servers: $name not installed; its tests will skip" >&2
  elif [ "$r" != 0 ] && [ "$cmd" != status ]; then
    echo "test-servers: $name $cmd failed (exit $r)" >&2
    rc=1
  fi
done
exit $rc
