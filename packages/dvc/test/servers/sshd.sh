#!/usr/bin/env bash
# OpenSSH (sshd with its own config, SFTP via internal-sftp) for the SSH remote tests, on
# 127.0.0.1 only, with a test user that logs in with a key or a password.
#   sshd.sh start|stop|status
# Writes host, port, user, password, key file and a data folder to $COPPER_SERVERS_DIR/sshd.json
# (default /tmp/copper-test-servers). Port: COPPER_SSHD_PORT (default 2222).
# Needs root (creates the user `copper-ssh`). Exit status 3 from start: sshd is not installed
# (apt-get install openssh-server).
set -euo pipefail
BASE="${COPPER_SERVERS_DIR:-/tmp/copper-test-servers}"
RUN="$BASE/sshd"
INFO="$BASE/sshd.json"
PORT="${COPPER_SSHD_PORT:-2222}"
TUSER=copper-ssh
TPASS=copper-ssh-pass
SSHD=/usr/sbin/sshd
mkdir -p "$BASE"
exec 9>"$BASE/sshd.lock"
flock -w 600 9 || { echo "sshd: lock busy" >&2; exit 1; }

port_up() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
running() { [ -f "$RUN/sshd.pid" ] && kill -0 "$(cat "$RUN/sshd.pid")" 2>/dev/null && [ -f "$INFO" ]; }

stop() {
  if [ -f "$RUN/sshd.pid" ] && kill -0 "$(cat "$RUN/sshd.pid")" 2>/dev/null; then
    pid="$(cat "$RUN/sshd.pid")"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "sshd: stopped"
  else
    echo "sshd: not running"
  fi
  rm -f "$INFO"
}

start() {
  if running; then echo "sshd: already running on 127.0.0.1:$PORT"; return 0; fi
  if [ ! -x "$SSHD" ] || ! command -v ssh-keygen >/dev/null; then
    echo "sshd: not installed ($SSHD missing; apt-get install openssh-server)" >&2; exit 3
  fi
  if [ "$(id -u)" != 0 ]; then echo "sshd: needs root to create the test user" >&2; exit 3; fi
  stop >/dev/null
  rm -rf "$RUN"; mkdir -p "$RUN"
  ssh-keygen -q -t ed25519 -N '' -f "$RUN/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C copper-test -f "$RUN/client_ed25519"
  if ! id "$TUSER" >/dev/null 2>&1; then useradd -m -s /bin/sh "$TUSER"; fi
  echo "$TUSER:$TPASS" | chpasswd
  local home
  home="$(getent passwd "$TUSER" | cut -d: -f6)"
  mkdir -p "$home/.ssh" "$home/data"
  # Append: other instances (another COPPER_SERVERS_DIR) may share the test user.
  cat "$RUN/client_ed25519.pub" >> "$home/.ssh/authorized_keys"
  chmod 755 "$home"; chmod 700 "$home/.ssh"; chmod 600 "$home/.ssh/authorized_keys"
  chown -R "$TUSER:" "$home/.ssh" "$home/data"
  cat > "$RUN/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $RUN/host_ed25519
PidFile $RUN/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $TUSER
UsePAM no
Subsystem sftp internal-sftp
StrictModes yes
MaxSessions 64
MaxStartups 64:30:128
CONF
  mkdir -p /run/sshd
  "$SSHD" -f "$RUN/sshd_config" -E "$RUN/sshd.log" 9>&-
  for _ in $(seq 50); do port_up && break; sleep 0.1; done
  if ! port_up; then echo "sshd: did not come up; see $RUN/sshd.log" >&2; exit 1; fi
  cat > "$INFO" <<JSON
{"host": "127.0.0.1", "port": "$PORT", "user": "$TUSER", "password": "$TPASS", "keyfile": "$RUN/client_ed25519", "root": "$home/data"}
JSON
  echo "sshd: running on 127.0.0.1:$PORT (user $TUSER)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "sshd: running on 127.0.0.1:$PORT"; else echo "sshd: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
