# `bin/imgorigin stack`: the documented production topology on one machine, on loopback,
# without Docker, from the shipped configs:
#
#   client ── Varnish (docker/varnish/default.vcl) ── balancer (nginx/cluster.conf)
#                 ──┬── nginx (nginx/nginx.conf) ── imgorigin node 1 ── cache 1
#                   ├── nginx (nginx/nginx.conf) ── imgorigin node 2 ── cache 2
#                   └── ...                                  one originals folder for all
#
# Sourced by bin/imgorigin (it uses its helpers: ensure_runtime, ensure_jar, say, die ...).
# Everything lives under $STACK_DIR (default data/stack): rendered configs, logs, pid files,
# caches and the originals. Ports, from IMGORIGIN_STACK_PORT (default 8000):
#   base      Varnish, the entry point
#   base+1    the balancer
#   base+10+i node i's nginx        base+20+i node i's origin (127.0.0.1 only)

STACK_DIR=${IMGORIGIN_STACK_DIR:-$ROOT/data/stack}
STACK_BASE=${IMGORIGIN_STACK_PORT:-8000}
NGINX=/usr/sbin/nginx
VARNISHD=/usr/sbin/varnishd

# Checks the settings before anything runs: the directory goes into nginx configs (absolute,
# nothing nginx would read as syntax), and every port must be a port.
stack_settings() {
  [[ $STACK_DIR == /* ]] || STACK_DIR=$CALLER_DIR/$STACK_DIR
  case $STACK_DIR in
    *[[:space:]\;\{\}\'\"]*) die "stack: IMGORIGIN_STACK_DIR must not contain spaces, ; { } or quotes: '$STACK_DIR'" ;;
  esac
  [[ $STACK_BASE =~ ^[0-9]{4,5}$ ]] && [ "$STACK_BASE" -ge 1024 ] && [ "$STACK_BASE" -le 65500 ] \
    || die "stack: IMGORIGIN_STACK_PORT must be a port from 1024 to 65500, got '$STACK_BASE'"
  # The shipped nginx.conf names its origin 127.0.0.1:8080; a node nginx on that very port
  # would be rewritten into its own origin's.
  if [ "$STACK_BASE" -le 8069 ] && [ "$STACK_BASE" -ge 8061 ]; then
    die "stack: IMGORIGIN_STACK_PORT $STACK_BASE would put a node's nginx on 8080; choose another"
  fi
}

# nginx, Varnish and its xkey vmod only (not the browsers the test suite needs).
ensure_stack_tools() {
  local -a missing=()
  [ -x "$NGINX" ] || missing+=(nginx)
  [ -x "$VARNISHD" ] || missing+=(varnish)
  compgen -G '/usr/lib/*/varnish/vmods/libvmod_xkey.so' >/dev/null \
    || [ -f /usr/lib/varnish/vmods/libvmod_xkey.so ] || missing+=(varnish-modules)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  [ "${#missing[@]}" -eq 0 ] && return 0
  apt_install "${missing[@]}" || die "stack needs ${missing[*]} (Debian: apt-get install ${missing[*]})"
  case " ${missing[*]} " in *" nginx "*) stop_service nginx /run/nginx.pid ;; esac
  case " ${missing[*]} " in *" varnish "*) stop_service varnish /run/varnishd.pid ;; esac
}

stack_usage() {
  cat <<'EOF'
usage: bin/imgorigin stack start [NODES]   start Varnish, the balancer and NODES nodes (1-9, default 3),
                                           each an origin behind its own nginx; all on 127.0.0.1
       bin/imgorigin stack status          one line per process: pid, port, answering or not
       bin/imgorigin stack stop            stop them all
       bin/imgorigin stack node I kill     SIGKILL node I's origin (a crash; its nginx stays)
       bin/imgorigin stack node I start    start node I's origin again
Files: $IMGORIGIN_STACK_DIR (default data/stack); ports from $IMGORIGIN_STACK_PORT (default 8000).
Also: IMGORIGIN_STACK_ORIGINALS (default file:<dir>/originals; s3://bucket with IMGORIGIN_S3_*),
IMGORIGIN_STACK_BALANCER_CONF (default nginx/cluster.conf), IMGORIGIN_STACK_VARNISH_MEMORY (256M).
EOF
}

stack_nodes() {
  if [ -f "$STACK_DIR/nodes" ]; then cat "$STACK_DIR/nodes"; else echo 0; fi
}

# Replaces each exact placeholder string in a shipped config; fails if one is missing, so a
# config that drifted from what this script (and the tests) expect is caught, not half-rendered.
stack_render() {
  local file=$1 out=$2
  shift 2
  local text
  text=$(<"$file")
  while [ "$#" -gt 0 ]; do
    [[ $text == *"$1"* ]] || die "stack: $file no longer has the placeholder '$1'"
    text=${text//"$1"/"$2"}
    shift 2
  done
  printf '%s\n' "$text" >"$out"
}

# The file places every nginx config has, under one directory.
stack_nginx_dirs() {
  local dir=$1
  mkdir -p "$dir/logs" "$dir/temp"
  printf '%s\n' /var/log/nginx/ "$dir/logs/" /var/lib/nginx/ "$dir/temp/" /run/nginx.pid "$dir/nginx.pid"
}

stack_wait_port() {
  local port=$1 what=$2 pidfile=${3:-} log=${4:-} i
  for ((i = 0; i < 150; i++)); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz"; then
      return 0
    fi
    if [ -n "$pidfile" ] && ! stack_pid "$pidfile" >/dev/null; then
      die "stack: $what exited: $(tail -n 5 "$log" 2>/dev/null)"
    fi
    sleep 0.2
  done
  die "stack: $what did not answer on 127.0.0.1:$port within 30 s (logs in $STACK_DIR)"
}

# Runs in a subshell with errexit on (see cmd_stack); the checks that must not stop a running
# stack are made before it.
stack_start() {
  local nodes=$1
  ensure_jdk
  ensure_libvips
  ensure_stack_tools
  # IMGORIGIN_STACK_CLASSPATH runs the nodes from a classpath instead of the jar (the tests,
  # which run before the jar is packaged).
  local -a launch=(-jar "$ROOT/$JAR")
  if [ -n "${IMGORIGIN_STACK_CLASSPATH:-}" ]; then
    launch=(-cp "$IMGORIGIN_STACK_CLASSPATH" org.imgorigin.app.Main)
  else
    ensure_maven
    ensure_jar
  fi
  mkdir -p "$STACK_DIR/originals"
  echo "$nodes" >"$STACK_DIR/nodes"
  printf '%s\n' "${launch[@]}" >"$STACK_DIR/launch"
  local i
  for ((i = 1; i <= nodes; i++)); do
    local dir=$STACK_DIR/node$i origin=$((STACK_BASE + 20 + i)) front=$((STACK_BASE + 10 + i))
    mkdir -p "$dir"
    : >"$dir/origin.log"
    stack_launch_origin "$i"
    local -a places
    mapfile -t places < <(stack_nginx_dirs "$dir/nginx")
    stack_render "$ROOT/nginx/nginx.conf" "$dir/nginx/nginx.conf" \
      "user www-data;" "user $(id -un);" \
      "listen 80;" "listen 127.0.0.1:$front;" \
      "127.0.0.1:8080" "127.0.0.1:$origin" \
      "/var/cache/imgorigin/" "$dir/cache/" \
      "${places[@]}"
  done
  for ((i = 1; i <= nodes; i++)); do
    stack_wait_port $((STACK_BASE + 20 + i)) "node $i's origin" "$STACK_DIR/node$i/origin.pid" \
      "$STACK_DIR/node$i/origin.log"
    "$NGINX" -p "$STACK_DIR/node$i/nginx/" -e "$STACK_DIR/node$i/nginx/logs/error.log" \
      -c "$STACK_DIR/node$i/nginx/nginx.conf" \
      || die "stack: node $i's nginx did not start (see $STACK_DIR/node$i/nginx/logs)"
  done
  # The balancer: cluster.conf's node1:80... lines become this machine's nginx ports; more or
  # fewer nodes than the shipped three get one `server` line each, cloned from node1's.
  local -a places
  mapfile -t places < <(stack_nginx_dirs "$STACK_DIR/balancer")
  local conf=$STACK_DIR/balancer/nginx.conf servers='' line
  local cluster_conf=${IMGORIGIN_STACK_BALANCER_CONF:-$ROOT/nginx/cluster.conf}
  line=$(grep -m1 'server node1:80' "$cluster_conf") || die "stack: $cluster_conf has no 'server node1:80' line"
  for ((i = 1; i <= nodes; i++)); do
    servers+=${line//node1:80/127.0.0.1:$((STACK_BASE + 10 + i))}$'\n'
  done
  grep -v 'server node[0-9]*:80' "$cluster_conf" \
    | awk -v servers="$servers" '/^[[:space:]]*upstream / && !done { print; printf "%s", servers; done = 1; next } { print }' \
    >"$conf.in"
  stack_render "$conf.in" "$conf" "user www-data;" "user $(id -un);" \
    "listen 80;" "listen 127.0.0.1:$((STACK_BASE + 1));" "${places[@]}"
  "$NGINX" -p "$STACK_DIR/balancer/" -e "$STACK_DIR/balancer/logs/error.log" -c "$conf" || die "stack: the balancer did not start (see $STACK_DIR/balancer/logs)"
  # Varnish on the shipped VCL, filled in by its own start script, in front of the balancer.
  mkdir -p "$STACK_DIR/varnish"
  VARNISH_VCL=$ROOT/docker/varnish/default.vcl VARNISH_VCL_OUT=$STACK_DIR/varnish/default.vcl \
    VARNISH_BACKEND_HOST=127.0.0.1 VARNISH_BACKEND_PORT=$((STACK_BASE + 1)) \
    sh "$ROOT/docker/varnish/start.sh" render || die "stack: could not render the VCL"
  # -j none: everything as the invoking user, like the nodes; Varnish's jail would otherwise
  # read the VCL as its own user, who may not see into this checkout.
  "$VARNISHD" -j none -n "$STACK_DIR/varnish/work" -P "$STACK_DIR/varnish/varnishd.pid" -f "$STACK_DIR/varnish/default.vcl" \
    -a "127.0.0.1:$STACK_BASE" -s "malloc,${IMGORIGIN_STACK_VARNISH_MEMORY:-256M}" >"$STACK_DIR/varnish/varnishd.log" 2>&1 \
    || die "stack: Varnish did not start: $(tail -n 5 "$STACK_DIR/varnish/varnishd.log")"
  stack_wait_port "$STACK_BASE" "Varnish"
  stack_status
  say "images: http://127.0.0.1:$STACK_BASE/ (upload to any node's origin, e.g. IMGORIGIN_URL=http://127.0.0.1:$((STACK_BASE + 21)) bin/imgorigin upload photo.jpg)"
  say "purge everywhere: IMGORIGIN_NODES=$(stack_origin_urls) IMGORIGIN_CDN=varnish IMGORIGIN_VARNISH_URL=http://127.0.0.1:$STACK_BASE bin/imgorigin purge <id>"
}

# Starts node i's origin in the background (its nginx is separate): loopback only, X-Accel hits
# for its nginx, one original store for all (IMGORIGIN_STACK_ORIGINALS, default a folder under
# the stack's directory; an s3:// store takes the usual IMGORIGIN_S3_* and AWS_* variables).
stack_launch_origin() {
  local i=$1 dir=$STACK_DIR/node$1
  local -a java_opts=() launch=()
  read -r -a java_opts <<<"${IMGORIGIN_JAVA_OPTS:--Xmx512m}"
  mapfile -t launch <"$STACK_DIR/launch"
  mkdir -p "$dir/cache"
  (
    export IMGORIGIN_PORT=$((STACK_BASE + 20 + i)) IMGORIGIN_HOST=127.0.0.1 IMGORIGIN_ACCEL_PREFIX=/_cache/
    export IMGORIGIN_CACHE_DIR=$dir/cache IMGORIGIN_ORIGINALS=${IMGORIGIN_STACK_ORIGINALS:-file:$STACK_DIR/originals}
    # -Dimgorigin.stack names the directory on the command line, which is how status and
    # stop recognise the process behind a pid file.
    exec java -Dimgorigin.stack="$dir" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
      --sun-misc-unsafe-memory-access=allow \
      --enable-native-access=ALL-UNNAMED "${java_opts[@]}" "${launch[@]}" >>"$dir/origin.log" 2>&1
  ) &
  echo $! >"$dir/origin.pid"
}

# `stack node <i> kill|start`: a crash (SIGKILL of the origin; its nginx stays and answers 503,
# so the balancer moves on) and the restart after it, with the settings of the first start.
stack_node() {
  local i=${1:-} action=${2:-}
  [[ $i =~ ^[1-9]$ ]] && [ "$i" -le "$(stack_nodes)" ] || die "stack: no node '$i' (nodes: $(stack_nodes))"
  case $action in
    kill)
      local pid
      pid=$(stack_pid "$STACK_DIR/node$i/origin.pid") || die "stack: node $i's origin is not running"
      kill -9 "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
      ;;
    start)
      ! stack_pid "$STACK_DIR/node$i/origin.pid" >/dev/null || die "stack: node $i's origin is running"
      ensure_jdk
      stack_launch_origin "$i"
      stack_wait_port $((STACK_BASE + 20 + i)) "node $i's origin" "$STACK_DIR/node$i/origin.pid" \
        "$STACK_DIR/node$i/origin.log"
      ;;
    *) stack_usage >&2; exit 2 ;;
  esac
}

stack_origin_urls() {
  local i urls=''
  for ((i = 1; i <= $(stack_nodes); i++)); do
    urls+="${urls:+,}http://127.0.0.1:$((STACK_BASE + 20 + i))"
  done
  printf '%s' "$urls"
}

# One line per process: what, pid, port, whether it answers.
stack_line() {
  local what=$1 pidfile=$2 port=$3 pid='-' state='stopped' answer found
  if found=$(stack_pid "$pidfile"); then
    pid=$found
    answer=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/healthz" || true)
    if [ "$answer" = 200 ]; then state='up'; else state="running, /healthz answered ${answer:-nothing}"; fi
  fi
  printf '%-18s pid %-8s 127.0.0.1:%-6s %s\n' "$what" "$pid" "$port" "$state"
}

stack_status() {
  local nodes i
  nodes=$(stack_nodes)
  [ "$nodes" != 0 ] || { echo "stack: not started"; return 0; }
  stack_line varnish "$STACK_DIR/varnish/varnishd.pid" "$STACK_BASE"
  stack_line balancer "$STACK_DIR/balancer/nginx.pid" $((STACK_BASE + 1))
  for ((i = 1; i <= nodes; i++)); do
    stack_line "node$i nginx" "$STACK_DIR/node$i/nginx/nginx.pid" $((STACK_BASE + 10 + i))
    stack_line "node$i origin" "$STACK_DIR/node$i/origin.pid" $((STACK_BASE + 20 + i))
  done
}

# The pid in a pid file, if that process is still one of the stack's (after a reboot the
# number may belong to anything): its command line must name the stack's directory.
stack_pid() {
  local pidfile=$1 pid
  [ -r "$pidfile" ] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"$STACK_DIR"* ]] || return 1
  printf '%s\n' "$pid"
}

# Stops a process from its pid file and waits for it (up to 20 s, then SIGKILL).
stack_kill() {
  local pidfile=$1 pid i
  if pid=$(stack_pid "$pidfile"); then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

stack_stop() {
  local nodes i
  nodes=$(stack_nodes)
  stack_kill "$STACK_DIR/varnish/varnishd.pid"
  stack_kill "$STACK_DIR/balancer/nginx.pid"
  for ((i = 1; i <= nodes; i++)); do
    stack_kill "$STACK_DIR/node$i/nginx/nginx.pid"
    stack_kill "$STACK_DIR/node$i/origin.pid"
  done
  rm -f "$STACK_DIR/nodes"
  say "stack stopped (files kept in $STACK_DIR)"
}

cmd_stack() {
  stack_settings
  case "${1:-}" in
    start)
      local nodes=${2:-3} rc=0
      [[ $nodes =~ ^[1-9]$ ]] || die "stack: NODES must be 1-9, got '$nodes'"
      [ "$(stack_nodes)" = 0 ] || die "stack: already started ($STACK_DIR/nodes); bin/imgorigin stack stop first"
      # A start that fails part-way, or is interrupted, stops what it started, so a retry
      # begins clean. errexit holds inside the subshell (an `if` around it would turn it off).
      trap 'stack_stop; exit 130' INT TERM
      set +e
      (
        set -e
        stack_start "$nodes"
      )
      rc=$?
      set -e
      trap - INT TERM
      if [ "$rc" -ne 0 ]; then
        stack_stop
        exit 1
      fi
      ;;
    status) stack_status ;;
    stop) stack_stop ;;
    node) stack_node "${2:-}" "${3:-}" ;;
    *) stack_usage >&2; exit 2 ;;
  esac
}
