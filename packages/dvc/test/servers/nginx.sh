#!/usr/bin/env bash
# nginx for the HTTP and WebDAV remote tests, on 127.0.0.1 only.
#   nginx.sh start|stop|status
# :8080  plain HTTP remote: GET/HEAD, PUT, POST (proxied to itself as PUT: nginx DAV takes PUT only), DELETE
# :8081  WebDAV (DAV + dav-ext: PROPFIND/MKCOL/MOVE/COPY) with basic auth
# Writes the endpoints to $COPPER_SERVERS_DIR/nginx.json (default /tmp/copper-test-servers).
# Ports can be moved with COPPER_NGINX_HTTP_PORT / COPPER_NGINX_DAV_PORT. Exit 3 from start: nginx-extras
# (nginx + the dav-ext module) is not installed.
set -euo pipefail
BASE="${COPPER_SERVERS_DIR:-/tmp/copper-test-servers}"
RUN="$BASE/nginx"
INFO="$BASE/nginx.json"
HTTP_PORT="${COPPER_NGINX_HTTP_PORT:-8080}"
DAV_PORT="${COPPER_NGINX_DAV_PORT:-8081}"
USER_NAME=copper
PASSWORD=copper-dav-pass
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
MODULE=/usr/lib/nginx/modules/ngx_http_dav_ext_module.so

running() { [ -f "$RUN/nginx.pid" ] && kill -0 "$(cat "$RUN/nginx.pid")" 2>/dev/null; }

start() {
  if running; then echo "nginx: already running (pid $(cat "$RUN/nginx.pid"))"; return 0; fi
  if [ ! -x "$NGINX" ]; then echo "nginx: not installed (apt-get install nginx-extras)" >&2; exit 3; fi
  if [ ! -f "$MODULE" ]; then echo "nginx: dav-ext module missing (apt-get install nginx-extras)" >&2; exit 3; fi
  rm -rf "$RUN"
  mkdir -p "$RUN"/{body,proxy,fcgi,uwsgi,scgi} "$RUN/data/http" "$RUN/data/dav"
  printf '%s:{PLAIN}%s\n' "$USER_NAME" "$PASSWORD" > "$RUN/htpasswd"
  cat > "$RUN/nginx.conf" <<CONF
daemon on;
user root;
worker_processes 2;
pid $RUN/nginx.pid;
error_log $RUN/error.log warn;
load_module $MODULE;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $RUN/body;
  proxy_temp_path $RUN/proxy;
  fastcgi_temp_path $RUN/fcgi; uwsgi_temp_path $RUN/uwsgi; scgi_temp_path $RUN/scgi;
  client_max_body_size 0;
  sendfile on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$HTTP_PORT;
    root $RUN/data/http;
    location / {
      if (\$request_method = POST) { rewrite ^ /__post\$uri last; }
      dav_methods PUT DELETE MKCOL;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      autoindex on; autoindex_format json;
    }
    location /__post/ {
      internal;
      rewrite ^/__post(.*)\$ \$1 break;
      proxy_method PUT;
      proxy_request_buffering off;
      proxy_http_version 1.1;
      proxy_pass http://127.0.0.1:$HTTP_PORT;
    }
  }
  server {
    listen 127.0.0.1:$DAV_PORT;
    root $RUN/data/dav;
    location / {
      auth_basic "dav"; auth_basic_user_file $RUN/htpasswd;
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
CONF
  "$NGINX" -c "$RUN/nginx.conf" -e "$RUN/error.log"
  for _ in $(seq 50); do running && break; sleep 0.1; done
  if ! running; then echo "nginx: failed to start; see $RUN/error.log" >&2; return 1; fi
  cat > "$INFO" <<JSON
{"http": "http://127.0.0.1:$HTTP_PORT", "webdav": "http://127.0.0.1:$DAV_PORT", "user": "$USER_NAME", "password": "$PASSWORD", "httpRoot": "$RUN/data/http", "davRoot": "$RUN/data/dav", "pid": $(cat "$RUN/nginx.pid")}
JSON
  echo "nginx: running (pid $(cat "$RUN/nginx.pid")) http=127.0.0.1:$HTTP_PORT webdav=127.0.0.1:$DAV_PORT"
}

stop() {
  if running; then
    pid="$(cat "$RUN/nginx.pid")"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "nginx: stopped"
  else
    echo "nginx: not running"
  fi
  rm -f "$INFO"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "nginx: running (pid $(cat "$RUN/nginx.pid"))"; else echo "nginx: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
