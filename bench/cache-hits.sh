#!/usr/bin/env bash
# Disk-cache hits through nginx with X-Accel-Redirect, against nginx serving the same files
# as plain static files, side by side in one run.
#
#   X  nginx (nginx/nginx.conf) -> origin (IMGORIGIN_ACCEL_PREFIX=/_cache/) -> a few headers
#      with X-Accel-Redirect -> nginx sends the file from the cache directory: what a CDN
#      miss costs once a variant is on disk
#   F  the same nginx and the same X-Accel hand-off, but the upstream is bench/floor-upstream.c,
#      a C loop that answers each URL at once with the very headers the origin sent for it:
#      the floor, what the hand-off costs with an upstream that does one read and one write
#      per request. F / S is the best any origin could reach on this machine; X / F is how
#      close imgorigin comes to it
#   S  the same nginx, a second server block: `location /static/ { alias <cache dir>/; }`,
#      the same files by their paths in the cache directory (the yardstick)
# Workload: WebP variants of 20-60 KB (q_80 and a width picked per photo) of the JPEG photos
# of bench/corpus/photos.sh, every URL in turn, by wrk over keep-alive connections on
# loopback. Measurements are interleaved (X F S, X F S, ...) so they share the machine's
# noise; the result is the ratio of median requests per second X / S (goal: at least 0.6),
# with X / F, F / S and latency p50 / p99 of all three.
#
# usage: bench/cache-hits.sh [--duration S] [--reps N] [--connections N] [--threads N] [--photos N]
#                            [--no-record]
#   --duration S     seconds per measurement (default 10)
#   --reps N         measurements of each kind (default 3)
#   --connections N  wrk connections (default 32)
#   --threads N      wrk threads (default 2)
#   --photos N       photos, one variant each (default 8)
#   --no-record      don't append to bench/results/
# Environment: JAVA_HOME (a JDK 25; default /usr/lib/jvm/temurin-25-jdk-amd64),
#   IMGORIGIN_JAVA_OPTS (extra JVM flags, as for `bin/imgorigin serve`).
# Installs wrk and nginx with apt-get when missing (as root). Prints a table and appends it
# to bench/results/cache-hits-<date>.md.
set -euo pipefail

BENCH=cache-hits
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=10 REPS=3 CONNECTIONS=32 THREADS=2 NPHOTOS=8
MIN_BYTES=20000 MAX_BYTES=60000
WIDTHS="800 1000 700 1200 600 1400 500 1600 400"
NGINX=/usr/sbin/nginx

while [ "$#" -gt 0 ]; do
  case "$1" in
    --duration) DURATION=${2:?--duration needs a number}; shift 2 ;;
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --connections) CONNECTIONS=${2:?--connections needs a number}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --photos) NPHOTOS=${2:?--photos needs a number}; shift 2 ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$DURATION" "$REPS" "$CONNECTIONS" "$THREADS" "$NPHOTOS"

apt_ensure wrk wrk
apt_ensure "$NGINX" nginx-light
need curl python3 sha256sum cc

# nginx's workers (www-data when run as root) read the cache: the tree must be traversable.
make_tmp
chmod 755 "$TMP"
SERVER_PID="" NGINX_PID="" FLOOR_PID=""
stop() { # stop <pid>: TERM, wait up to 10 s, then KILL
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  [ -n "$NGINX_PID" ] && stop "$NGINX_PID"   # nginx's fast shutdown takes its workers along
  [ -n "$SERVER_PID" ] && stop "$SERVER_PID"
  [ -n "$FLOOR_PID" ] && stop "$FLOOR_PID"
  rm -rf "$TMP"
}

header() { # header <name> <file of response headers>: its value (case-insensitive name)
  tr -d '\r' <"$2" | awk -v n="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" '
    { i = index($0, ":") } i && tolower(substr($0, 1, i - 1)) == n { print substr($0, i + 2); exit }'
}

# --- photos -----------------------------------------------------------------------------
corpus PHOTOS jpeg "$NPHOTOS"
mkdir -p "$TMP/originals" "$TMP/cache" "$TMP/nginx/logs" "$TMP/nginx/temp"
chmod 755 "$TMP/cache"
# shellcheck disable=SC2153 # PHOTOS is filled by corpus
store_all "${PHOTOS[@]}"

# --- origin -----------------------------------------------------------------------------
start_origin IMGORIGIN_ACCEL_PREFIX=/_cache/
ORIGIN_PORT=$PORT
say "origin up on :$ORIGIN_PORT"

# --- variants of 20-60 KB: render each once, straight from the origin -------------------
ACCEPT='image/webp,image/*,*/*;q=0.8'
: >"$TMP/accel.paths"
: >"$TMP/static.paths"
: >"$TMP/floor.responses"
TOTAL_BYTES=0
for id in "${IDS[@]}"; do
  picked=""
  for w in $WIDTHS; do
    url="/q_80,w_$w/$id.webp"
    size=$(curl -sS -o /dev/null -w '%{size_download}' -H "Accept: $ACCEPT" "http://127.0.0.1:$ORIGIN_PORT$url") ||
      die "origin request failed: $url"
    if [ "$size" -ge "$MIN_BYTES" ] && [ "$size" -le "$MAX_BYTES" ]; then picked=$url; break; fi
  done
  if [ -z "$picked" ]; then say "no width of $WIDTHS gives $MIN_BYTES-$MAX_BYTES bytes for $id; skipped"; continue; fi
  # Asked again, the origin points at the file it wrote.
  curl -sS -o /dev/null -D "$TMP/hit.headers" -H "Accept: $ACCEPT" "http://127.0.0.1:$ORIGIN_PORT$picked" ||
    die "origin request failed: $picked"
  accel=$(header X-Accel-Redirect "$TMP/hit.headers")
  [[ $accel == /_cache/* ]] || die "no X-Accel-Redirect from the origin for a cached variant: $picked"
  # F's upstream answers this URL with the same response, byte for byte.
  printf '%s\n%s\n' "$picked" "$(wc -c <"$TMP/hit.headers")" >>"$TMP/floor.responses"
  cat "$TMP/hit.headers" >>"$TMP/floor.responses"
  [ -f "$TMP/cache/${accel#/_cache/}" ] || die "X-Accel-Redirect names a missing file: $accel"
  printf '%s\n' "$picked" >>"$TMP/accel.paths"
  printf '/static/%s\n' "${accel#/_cache/}" >>"$TMP/static.paths"
  TOTAL_BYTES=$((TOTAL_BYTES + size))
done
NVARIANTS=$(wc -l <"$TMP/accel.paths")
[ "$NVARIANTS" -gt 0 ] || die "no variant of $MIN_BYTES-$MAX_BYTES bytes"
AVG_BYTES=$((TOTAL_BYTES / NVARIANTS))
say "$NVARIANTS variants, $AVG_BYTES bytes on average"

# --- nginx: the project's config, placeholders replaced, plus a plain static server ------
NGINX_PORT=$(free_port)
STATIC_PORT=$(free_port)
FLOOR_PORT=$(free_port)
FLOOR_UP_PORT=$(free_port)
N=$TMP/nginx
# F's upstream, built from bench/floor-upstream.c and started on its own port.
cc -O2 -Wall -o "$TMP/floor-upstream" "$ROOT/bench/floor-upstream.c" || die "could not build bench/floor-upstream.c"
"$TMP/floor-upstream" "$FLOOR_UP_PORT" "$TMP/floor.responses" &
FLOOR_PID=$!
sed -e "s|listen 80;|listen 127.0.0.1:$NGINX_PORT;|" \
  -e "s|127\.0\.0\.1:8080|127.0.0.1:$ORIGIN_PORT|" \
  -e "s|/var/cache/imgorigin/|$TMP/cache/|g" \
  -e "s|/var/log/nginx/|$N/logs/|g" \
  -e "s|/var/lib/nginx/|$N/temp/|g" \
  -e "s|/run/nginx\.pid|$N/nginx.pid|" \
  "$ROOT/nginx/nginx.conf" | awk -v port="$STATIC_PORT" -v dir="$TMP/cache/" -v fport="$FLOOR_PORT" \
    -v fup="$FLOOR_UP_PORT" '
    { lines[NR] = $0 }
    /^    server \{/ && !from { from = NR }
    from && !to && /^    \}/ { to = NR }
    END {
      for (last = NR; lines[last] !~ /^}/; last--) {}
      for (i = 1; i < last; i++) print lines[i]
      print "    # bench/cache-hits.sh: F, the project server block again on its own port, its"
      print "    # upstream bench/floor-upstream.c, which answers at once with the origin'"'"'s headers."
      print "    upstream floor {"
      print "        server 127.0.0.1:" fup ";"
      print "        keepalive 64;"
      print "        keepalive_requests 100000;"
      print "        keepalive_timeout 60s;"
      print "    }"
      for (i = from; i <= to; i++) {
        line = lines[i]
        sub(/listen 127\.0\.0\.1:[0-9]+;/, "listen 127.0.0.1:" fport ";", line)
        gsub(/http:\/\/imgorigin/, "http://floor", line)
        print line
      }
      print "    # bench/cache-hits.sh: the same files as plain static files (inherits sendfile,"
      print "    # open_file_cache and the access log from http)."
      print "    server {"
      print "        listen 127.0.0.1:" port ";"
      print "        location /static/ {"
      print "            alias " dir ";"
      print "        }"
      print "    }"
      for (i = last; i <= NR; i++) print lines[i]
    }' >"$N/nginx.conf"
"$NGINX" -t -q -p "$N/" -c "$N/nginx.conf" || die "nginx -t failed on $N/nginx.conf"
"$NGINX" -p "$N/" -c "$N/nginx.conf" -g 'daemon off;' >"$N/logs/stdout.log" 2>&1 &
NGINX_PID=$!
deadline=$((SECONDS + 15))
until curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz"; do
  kill -0 "$NGINX_PID" 2>/dev/null || { cat "$N/logs/stdout.log" "$N/logs/error.log" >&2 2>/dev/null; NGINX_PID=""; die "nginx exited"; }
  [ "$SECONDS" -lt "$deadline" ] || die "nginx does not answer on :$NGINX_PORT"
  sleep 0.2
done

# Every URL once through each path: X must be a disk hit sent by nginx, F and S the same bytes.
while read -r xpath && read -r spath <&3; do
  xcache=$(curl -sS -o "$TMP/x.bin" -D - -H "Accept: $ACCEPT" "http://127.0.0.1:$NGINX_PORT$xpath" |
    tr -d '\r' | sed -n 's/^[Xx]-[Cc]ache: //p')
  [ "$xcache" = HIT-DISK ] || die "expected X-Cache: HIT-DISK through nginx for $xpath, got '$xcache'"
  curl -sS -o "$TMP/s.bin" -f "http://127.0.0.1:$STATIC_PORT$spath" || die "static request failed: $spath"
  cmp -s "$TMP/x.bin" "$TMP/s.bin" || die "different bytes for $xpath and $spath"
  curl -sS -o "$TMP/f.bin" -D "$TMP/f.headers" -f "http://127.0.0.1:$FLOOR_PORT$xpath" || die "floor request failed: $xpath"
  cmp -s "$TMP/x.bin" "$TMP/f.bin" || die "different bytes for $xpath through the origin and through the floor"
  [ "$(header X-Cache "$TMP/f.headers")" = HIT-DISK ] || die "the floor lost the origin's headers for $xpath"
done <"$TMP/accel.paths" 3<"$TMP/static.paths"

# --- measurements -----------------------------------------------------------------------
cat >"$TMP/cycle.lua" <<'LUA'
-- Every path of the list in turn (each thread starting elsewhere); one summary line at the end.
local paths = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept"] = "image/webp,image/*,*/*;q=0.8" })
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d errors=%d\n",
    summary.requests / summary.duration * 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

nginx_ticks() { # master and workers
  local total=0 pid
  for pid in $NGINX_PID $(pgrep -P "$NGINX_PID" || true); do
    total=$((total + $(cpu_ticks "$pid")))
  done
  printf '%s\n' "$total"
}

run_wrk() { # run_wrk <port> <paths file> <seconds>: prints the RESULT line
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${3}s" --latency -s "$TMP/cycle.lua" \
    "http://127.0.0.1:$1" -- "$2" | sed -n 's/^RESULT //p'
}

LOG=$N/logs/imgorigin-access.log
hits_since() { # hits_since <byte offset>: "<HIT-DISK count> <other proxied answers>"
  sleep 1.5 # the access log is flushed every second
  # 499: wrk closed connections with requests in flight when its time was up; not answers.
  tail -c +"$(($1 + 1))" "$LOG" | awk -v up="up=127.0.0.1:$ORIGIN_PORT" '
    index($0, up) && $6 != 499 { if (index($0, "cache=HIT-DISK")) h++; else o++ }
    END { printf "%d %d\n", h, o }'
}
alive() { # every server still running, or stop with their logs
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$TMP/server.log" >&2; SERVER_PID=""; die "the origin died"; }
  kill -0 "$NGINX_PID" 2>/dev/null || { tail -n 30 "$N/logs/error.log" >&2; NGINX_PID=""; die "nginx died"; }
  kill -0 "$FLOOR_PID" 2>/dev/null || { FLOOR_PID=""; die "the floor upstream died"; }
}

say "warming up (JIT, page cache; 15 + 3 + 3 s), not counted"
run_wrk "$NGINX_PORT" "$TMP/accel.paths" 15 >/dev/null
run_wrk "$FLOOR_PORT" "$TMP/accel.paths" 3 >/dev/null
run_wrk "$STATIC_PORT" "$TMP/static.paths" 3 >/dev/null

LOAD_START=$(loadavg)
awk -v l="$LOAD_START" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }' &&
  say "warning: load average $LOAD_START on $(nproc) cores before the first measurement; the numbers will be noisy"
X=() F=() S=() P50X=() P99X=() P50F=() P99F=() P50S=() P99S=() ROWS=() PROBLEMS=0
for ((r = 1; r <= REPS; r++)); do
  offset=$(stat -c %s "$LOG")
  j0=$(cpu_ticks "$SERVER_PID") n0=$(nginx_ticks)
  x=$(run_wrk "$NGINX_PORT" "$TMP/accel.paths" "$DURATION")
  alive
  j1=$(cpu_ticks "$SERVER_PID") n1=$(nginx_ticks)
  [ -n "$x" ] || die "wrk failed"
  read -r hits others <<<"$(hits_since "$offset")"
  xreq=$(field requests "$x")
  jvm_us=$(awk -v d=$((j1 - j0)) -v hz="$(getconf CLK_TCK)" -v n="$xreq" 'BEGIN { printf "%.0f", d * 1e6 / hz / n }')
  ngx_us=$(awk -v d=$((n1 - n0)) -v hz="$(getconf CLK_TCK)" -v n="$xreq" 'BEGIN { printf "%.0f", d * 1e6 / hz / n }')

  n0=$(nginx_ticks) u0=$(cpu_ticks "$FLOOR_PID")
  f=$(run_wrk "$FLOOR_PORT" "$TMP/accel.paths" "$DURATION")
  alive
  n1=$(nginx_ticks) u1=$(cpu_ticks "$FLOOR_PID")
  [ -n "$f" ] || die "wrk failed"
  freq=$(field requests "$f")
  fngx_us=$(awk -v d=$((n1 - n0)) -v hz="$(getconf CLK_TCK)" -v n="$freq" 'BEGIN { printf "%.0f", d * 1e6 / hz / n }')
  fup_us=$(awk -v d=$((u1 - u0)) -v hz="$(getconf CLK_TCK)" -v n="$freq" 'BEGIN { printf "%.0f", d * 1e6 / hz / n }')

  n0=$(nginx_ticks)
  s=$(run_wrk "$STATIC_PORT" "$TMP/static.paths" "$DURATION")
  alive
  n1=$(nginx_ticks)
  [ -n "$s" ] || die "wrk failed"
  sreq=$(field requests "$s")
  sngx_us=$(awk -v d=$((n1 - n0)) -v hz="$(getconf CLK_TCK)" -v n="$sreq" 'BEGIN { printf "%.0f", d * 1e6 / hz / n }')

  bad=$(($(field non2xx "$x") + $(field errors "$x") + $(field non2xx "$f") + $(field errors "$f") +
    $(field non2xx "$s") + $(field errors "$s") + others))
  PROBLEMS=$((PROBLEMS + bad))
  X+=("$(field rps "$x")") F+=("$(field rps "$f")") S+=("$(field rps "$s")")
  ROWS+=("| $r | $(field rps "$x") | $(field p50_ms "$x") / $(field p99_ms "$x") | $jvm_us | $ngx_us | HIT-DISK:$hits others:$others | $(field rps "$f") | $(field p50_ms "$f") / $(field p99_ms "$f") | $fup_us | $fngx_us | $(field rps "$s") | $(field p50_ms "$s") / $(field p99_ms "$s") | $sngx_us |")
  say "run $r: X-Accel $(field rps "$x") req/s, floor $(field rps "$f") req/s, static $(field rps "$s") req/s$([ "$bad" = 0 ] || echo ", $bad PROBLEMS")"
  P50X+=("$(field p50_ms "$x")") P99X+=("$(field p99_ms "$x")") P50S+=("$(field p50_ms "$s")") P99S+=("$(field p99_ms "$s")")
  P50F+=("$(field p50_ms "$f")") P99F+=("$(field p99_ms "$f")")
done

mX=$(median "${X[@]}") mF=$(median "${F[@]}") mS=$(median "${S[@]}")
ratio=$(ratio "$mX" "$mS")

commit=$(commit_label src pom.xml nginx)
cpu=$(cpu_model)
report=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$commit"
  printf '%s WebP variants of %s-%s bytes (%s on average), every URL in turn; wrk -t%s -c%s, %s s per measurement, on loopback.\n' \
    "$NVARIANTS" "$MIN_BYTES" "$MAX_BYTES" "$AVG_BYTES" "$THREADS" "$CONNECTIONS" "$DURATION"
  printf 'Machine: %s cores, %s; %s; %s; server allocator: %s; load average %s at the start, %s at the end. wrk, nginx and the JVM share the cores.\n\n' \
    "$(nproc)" "${cpu:-unknown CPU}" "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')" \
    "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)" "${ALLOCATOR:-?}" "$LOAD_START" "$(loadavg)"
  printf '| run | X: nginx → origin → X-Accel (req/s) | X p50 / p99 (ms) | X JVM CPU (µs/req) | X nginx CPU (µs/req) | X-Cache (access log) | F: nginx → no-work upstream → X-Accel (req/s) | F p50 / p99 (ms) | F upstream CPU (µs/req) | F nginx CPU (µs/req) | S: static nginx (req/s) | S p50 / p99 (ms) | S nginx CPU (µs/req) |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${ROWS[@]}"
  printf '| **median** | **%s** | %s / %s | | | | **%s** | %s / %s | | | **%s** | %s / %s | |\n\n' "$mX" "$(median "${P50X[@]}")" \
    "$(median "${P99X[@]}")" "$mF" "$(median "${P50F[@]}")" "$(median "${P99F[@]}")" \
    "$mS" "$(median "${P50S[@]}")" "$(median "${P99S[@]}")"
  printf '**Throughput X-Accel / static = %s** (%s the goal of 0.60). ' "$ratio" \
    "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.6) ? "meets" : "BELOW" }')"
  printf 'The floor, the hand-off with an upstream that does no work: F / static = %s; imgorigin / floor = %s.\n' \
    "$(ratio "$mF" "$mS")" "$(ratio "$mX" "$mF")"
)

printf '\n%s\n' "$report"
[ "$PROBLEMS" -gt 0 ] && printf '\n!!! WARNING: %s answers were errors, not 2xx, or not disk hits !!!\n' "$PROBLEMS"

{
  printf '%s\n' "$report"
  [ "$PROBLEMS" -gt 0 ] && printf '\n**Warning:** %s answers were errors, not 2xx, or not disk hits.\n' "$PROBLEMS"
  printf '\n'
} | append_results "Cache-hit benchmark"
[ "$PROBLEMS" -eq 0 ]
