#!/usr/bin/env bash
# Upload throughput and CPU per upload, into the local file store and into an S3 protocol
# server, side by side in one run, plus the CPU split of an upload by stage.
#
# Workload: the JPEG photos of bench/corpus/photos.sh (22 real photos, 200 KB-1.8 MB),
# uploaded with POST /images (raw body, Content-Type image/jpeg) by bench/upload_client.py
# over keep-alive loopback connections. Uploads dedupe by content hash, so every request
# carries distinct bytes: the photo plus a few unique bytes after its JPEG EOI marker
# (decoders ignore them; the server answers 201 and the id of exactly those bytes).
#   F  java -jar target/imgorigin.jar, IMGORIGIN_ORIGINALS=file:<tmp>/originals
#   S  the same jar, IMGORIGIN_ORIGINALS=s3://bench/p against S3Proxy (jclouds filesystem
#      provider, path-style, SigV4) running as a separate JVM on the same machine
# Both servers: IMGORIGIN_WORKERS=2, no eager variants, both started and warmed up first.
# Measurements are interleaved (F S, F S, ...) so they share the machine's noise. The
# steady figure is the server's CPU time per upload (utime+stime of the whole JVM from
# /proc/<pid>/stat: HTTP, hashing, header parse, store client, GC, JIT); uploads/s per
# core = 1000 / that. The servers' CPU is also split by thread group (event loops: HTTP,
# copies, SHA-256; virtual threads: header parse and the store; GC; JIT). S3Proxy's and the
# client's own CPU are measured too, as shares of the machine. Warm-up: 40 passes (880
# uploads) per server: C2 is still compiling after a few hundred. The servers run with
# -Xmx1g (README: heap = memory cache + ~512 MB) unless IMGORIGIN_JAVA_OPTS says otherwise:
# with the JVM's default heap (1/4 of RAM) every upload's buffers land on never-touched heap
# pages for the first several GB, and the page faults (kernel time on the event loops) cost
# more than the hashing. Then bench/UploadStages.java splits an upload's CPU by stage,
# in-process, on a pre-touched 1 GB heap.
#
# usage: bench/uploads.sh [--rounds N] [--reps N] [--clients N] [--warmup N] [--passes N]
#                         [--no-stages] [--no-record]
#   --rounds N   passes over the photo list per measurement (default 20: 440 uploads)
#   --reps N     measurements of each kind (default 4)
#   --warmup N   passes over the photo list per server before measuring (default 40)
#   --clients N  concurrent keep-alive connections (default 4)
#   --passes N   measured passes of bench/UploadStages.java (default 10)
#   --no-stages  skip the stage split
#   --no-record  don't append to bench/results/
# Environment: JAVA_HOME (a JDK 25; default /usr/lib/jvm/temurin-25-jdk-amd64),
#   IMGORIGIN_JAVA_OPTS (JVM flags for the servers, as for `bin/imgorigin serve`;
#   default here -Xmx1g).
# Needs python3, curl, mvn (for the jar when missing and S3Proxy's class path; offline if
# ~/.m2 has it). Stops by itself. Prints a report and appends it to
# bench/results/uploads-<date>.md.
set -euo pipefail

BENCH=uploads
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROUNDS=20 REPS=4 CLIENTS=4 PASSES=10 STAGES=1 WARM_ROUNDS=40
S3_ID=imgorigin-bench S3_SECRET=imgorigin-bench-secret S3_BUCKET=bench
JAVA_OPTS_DEFAULT=-Xmx1g

while [ "$#" -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --clients) CLIENTS=${2:?--clients needs a number}; shift 2 ;;
    --passes) PASSES=${2:?--passes needs a number}; shift 2 ;;
    --warmup) WARM_ROUNDS=${2:?--warmup needs a number}; shift 2 ;;
    --no-stages) STAGES=0; shift ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$ROUNDS" "$REPS" "$CLIENTS" "$PASSES" "$WARM_ROUNDS"
need python3 curl mvn
make_tmp

# libvips prints a warning per photo with an odd EXIF resolution unit; not our subject.
export VIPS_WARNING=0

# --- photos -----------------------------------------------------------------------------
corpus PHOTOS jpeg
# shellcheck disable=SC2153 # PHOTOS is filled by corpus
read -r MIN_B MAX_B MEAN_B < <(stat -c %s "${PHOTOS[@]}" | sort -n |
  awk '{ s += $1; v[NR] = $1 } END { printf "%d %d %d\n", v[1], v[NR], s / NR }')
JOBS=$((${#PHOTOS[@]} * ROUNDS))

# --- JDK and jar ------------------------------------------------------------------------
use_jdk
JAVA=$JAVA_HOME/bin/java
export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
ensure_jar src/ "mvn -DskipTests package" src pom.xml

# CPU ticks of a JVM's threads, one "<tid> <group> <ticks>" line each.
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    # comm first (it may contain spaces), then the fields after it.
    printf '%s\t%s\t%s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)" \
      "$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{ print $12 + $13 }')"
  done | awk -F'\t' '$3 != "" {
    g = "other"
    if ($2 ~ /^vert\.x-eventloo/) g = "eventloop"
    else if ($2 ~ /^ForkJoinPool-[0-9]/) g = "virtual"
    else if ($2 ~ /^Z/ || $2 ~ /^GC/) g = "gc"
    else if ($2 ~ /Compiler/) g = "jit"
    print $1, g, $3 }'
}
TGROUPS="eventloop virtual gc jit other"
group_deltas() { # group_deltas <before> <after>: "<group> <ticks>" for threads alive at the end
  awk 'NR == FNR { t0[$1] = $3; next } { d[$2] += $3 - t0[$1] } END {
    n = split("eventloop virtual gc jit other", g, " "); for (i = 1; i <= n; i++) print g[i], d[g[i]] + 0 }' \
    <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# --- S3Proxy, as its own process --------------------------------------------------------
# The s3proxy jar is not self-contained: its class path comes from the project's pom (test
# scope). slf4j-jdk14 is left out: next to S3Proxy's JUL-to-SLF4J bridge it makes a logging
# loop (StackOverflowError at start-up); logback logs at WARN (its default, DEBUG, would log
# every request and cost CPU).
start_s3proxy() {
  say "resolving S3Proxy's class path"
  (cd "$ROOT" && { mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$TMP/cp.raw" >"$TMP/mvn-cp.log" 2>&1 ||
    mvn -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile="$TMP/cp.raw" >>"$TMP/mvn-cp.log" 2>&1; }) ||
    { tail -n 20 "$TMP/mvn-cp.log" >&2; die "mvn dependency:build-classpath failed"; }
  local cp
  cp=$(tr ':' '\n' <"$TMP/cp.raw" | grep -v '/slf4j-jdk14-' | paste -sd:)
  [[ $cp == *s3proxy-* ]] || die "no s3proxy jar on the test class path of pom.xml"
  cat >"$TMP/logback.xml" <<'EOF'
<configuration>
  <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="ERR"/></root>
</configuration>
EOF
  S3_PORT=$(free_port)
  mkdir -p "$TMP/s3/$S3_BUCKET" # filesystem provider: a bucket is a directory
  cat >"$TMP/s3proxy.properties" <<EOF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ID
s3proxy.credential=$S3_SECRET
jclouds.provider=filesystem
jclouds.filesystem.basedir=$TMP/s3
EOF
  "$JAVA" -XX:+UseZGC -Xmx1g -Dlogback.configurationFile="$TMP/logback.xml" -cp "$cp" \
    org.gaul.s3proxy.Main --properties "$TMP/s3proxy.properties" >"$TMP/s3proxy.log" 2>&1 &
  S3_PID=$!
  PIDS+=("$S3_PID")
  local deadline=$((SECONDS + 60)) code
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/" || true)
    [ "$code" != 000 ] && break # any answer (403: unsigned) means it listens
    kill -0 "$S3_PID" 2>/dev/null || { tail -n 20 "$TMP/s3proxy.log" >&2; die "S3Proxy exited during start-up"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$TMP/s3proxy.log" >&2; die "S3Proxy did not listen within 60 s"; }
    sleep 0.5
  done
  say "S3Proxy up on :$S3_PORT"
}

# --- imgorigin servers ------------------------------------------------------------------
start_server() { # start_server <name> <originals> ; sets <name>_PID and <name>_PORT
  local name=$1 originals=$2 port
  port=$(free_port)
  mkdir -p "$TMP/cache-$name"
  # Uploads need no token from loopback; no eager variants.
  launch_jar "$TMP/server-$name.log" \
    -u IMGORIGIN_EAGER -u IMGORIGIN_UPLOAD_TOKEN -u IMGORIGIN_PRESETS \
    IMGORIGIN_PORT="$port" \
    IMGORIGIN_ORIGINALS="$originals" \
    IMGORIGIN_CACHE_DIR="$TMP/cache-$name" \
    IMGORIGIN_WORKERS=2 \
    IMGORIGIN_S3_ENDPOINT="http://127.0.0.1:$S3_PORT" \
    IMGORIGIN_S3_PATH_STYLE=true \
    AWS_ACCESS_KEY_ID=$S3_ID AWS_SECRET_ACCESS_KEY=$S3_SECRET AWS_REGION=us-east-1
  printf -v "${name}_PID" '%s' "$LAUNCHED"
  printf -v "${name}_PORT" '%s' "$port"
}

wait_ready() { # wait_ready <name>
  local name=$1 pid port
  pid=${name}_PID port=${name}_PORT
  pid=${!pid} port=${!port}
  await_ready "$port" "$pid" "$TMP/server-$name.log" "server $name exited during start-up" \
    "server $name: no 200 from /readyz within 60 s (last: @CODE@)"
  say "server $name up on :$port"
}

upload() { # upload <name> <tag> <rounds>: runs the client, dies on any failure; prints its line
  local name=$1 tag=$2 rounds=$3 port out
  port=${name}_PORT
  port=${!port}
  if ! out=$(python3 "$ROOT/bench/upload_client.py" --base "http://127.0.0.1:$port" --tag "$tag" \
    --threads "$CLIENTS" --rounds "$rounds" "${PHOTOS[@]}" 2>"$TMP/client.err"); then
    cat "$TMP/client.err" >&2
    tail -n 20 "$TMP/server-$name.log" >&2
    [ "$name" = S ] && tail -n 20 "$TMP/s3proxy.log" >&2
    die "uploads to server $name failed (above: client, then server log): $out"
  fi
  printf '%s\n' "$out"
}

start_s3proxy
start_server F "file:$TMP/originals"
start_server S "s3://$S3_BUCKET/p"
wait_ready F
wait_ready S

# Warm-up, not counted: JIT, first S3 connections, page cache, heap.
for name in F S; do
  say "warming up server $name ($WARM_ROUNDS passes)"
  upload "$name" "warm-$name" "$WARM_ROUNDS" >/dev/null
done
# One upload must also render from each store: the trailing bytes do not upset libvips.
for name in F S; do
  port=${name}_PORT
  { cat "${PHOTOS[0]}"; printf '\nimgorigin-bench-check-%s' "$name"; } >"$TMP/check.jpg"
  id=$(content_id "$TMP/check.jpg")
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: image/jpeg' --data-binary @"$TMP/check.jpg" \
    "http://127.0.0.1:${!port}/images")
  [ "$code" = 201 ] || die "server $name: upload with trailing bytes answered $code, not 201"
  code=$(curl -s -o "$TMP/check.webp" -w '%{http_code}' "http://127.0.0.1:${!port}/w_200/$id.webp")
  if [ "$code" != 200 ] || [ "$(head -c 4 "$TMP/check.webp")" != RIFF ]; then
    die "server $name: the uploaded variant does not render (GET /w_200/$id.webp: $code)"
  fi
done

# --- measurements -----------------------------------------------------------------------
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
LOAD_START=$(loadavg)
say "${#PHOTOS[@]} photos × $ROUNDS passes = $JOBS uploads per measurement, $CLIENTS connections, $REPS measurements each"

measure() { # measure <name> <rep>: appends to $TMP/groups-<name>; prints req/s cpu_ms s3proxy_ms p50 p99 MB/s server% s3proxy% client% wall
  local name=$1 rep=$2 pid t0 t1 p0 p1 w0 w1 out
  pid=${name}_PID
  pid=${!pid}
  local g0 g1
  g0=$(thread_ticks "$pid")
  t0=$(cpu_ticks "$pid") p0=$(cpu_ticks "$S3_PID") w0=$(date +%s.%N)
  out=$(upload "$name" "$name$rep" "$ROUNDS")
  w1=$(date +%s.%N) t1=$(cpu_ticks "$pid") p1=$(cpu_ticks "$S3_PID")
  g1=$(thread_ticks "$pid")
  group_deltas "$g0" "$g1" >>"$TMP/groups-$name" # ticks by thread group, a file per server
  awk -v t=$((t1 - t0)) -v p=$((p1 - p0)) -v hz="$HZ" -v n="$JOBS" -v w0="$w0" -v w1="$w1" -v c="$NCPU" \
    -v rps="$(field req_per_s "$out")" -v p50="$(field p50_ms "$out")" -v p99="$(field p99_ms "$out")" \
    -v mbs="$(field mb_per_s "$out")" -v ccpu="$(field client_cpu_s "$out")" 'BEGIN {
      wall = w1 - w0
      printf "%s %.2f %.2f %s %s %s %.0f %.0f %.0f %.2f\n", rps, t * 1000 / hz / n, p * 1000 / hz / n, p50, p99, mbs,
        100 * t / hz / wall / c, 100 * p / hz / wall / c, 100 * ccpu / wall / c, wall }'
}

ROWS=()
declare -A RPS CPU PX BOX
for ((i = 1; i <= REPS; i++)); do
  for name in F S; do
    line=$(measure "$name" "$i")
    read -r rps cpu px p50 p99 mbs sbox pbox cbox _ <<<"$line"
    RPS[$name]+="$rps " CPU[$name]+="$cpu " PX[$name]+="$px " BOX[$name]+="$pbox "
    label=$([ "$name" = F ] && echo "file store" || echo "S3 (S3Proxy)")
    ROWS+=("| $i | $label | $rps | $mbs | $p50 / $p99 | **$cpu** | $sbox% | $px | $pbox% | $cbox% |")
    say "run $i $label: $rps uploads/s, server $cpu CPU ms/upload, S3Proxy $px CPU ms/upload"
  done
done

# Every measured and warm-up upload, plus the render check, must be in the stores.
expected=$(((REPS * ROUNDS + WARM_ROUNDS) * ${#PHOTOS[@]} + 1))
nf=$(find "$TMP/originals" -type f ! -name '.*' | wc -l)
ns=$(find "$TMP/s3/$S3_BUCKET/p" -type f ! -name '.*' | wc -l)
[ "$nf" = "$expected" ] || die "the file store holds $nf originals, expected $expected"
[ "$ns" = "$expected" ] || die "the S3 bucket holds $ns objects, expected $expected"
rss_mb() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
# shellcheck disable=SC2153 # F_PID and S_PID are set by start_server through printf -v
RSS_F=$(rss_mb "$F_PID") RSS_S=$(rss_mb "$S_PID") RSS_P=$(rss_mb "$S3_PID")

# shellcheck disable=SC2086 # the lists are space-separated on purpose
{
  mRF=$(median ${RPS[F]}) mRS=$(median ${RPS[S]})
  mCF=$(median ${CPU[F]}) mCS=$(median ${CPU[S]})
  mPS=$(median ${PX[S]}) mBS=$(median ${BOX[S]})
}
perCore() { awk -v ms="$1" 'BEGIN { printf "%.0f", 1000 / ms }'; }
group_ms() { # group_ms <name> <group>: mean ms per upload over all measurements
  awk -v g="$2" -v hz="$HZ" -v n=$((REPS * JOBS)) '$1 == g { t += $2 } END { printf "%.2f", t * 1000 / hz / n }' \
    "$TMP/groups-$1"
}
GROUP_TABLE=$(
  printf '| server thread group | what runs there | file store, CPU ms/upload | S3, CPU ms/upload |\n'
  printf '|---|---|---:|---:|\n'
  for g in $TGROUPS; do
    case $g in
      eventloop) what="Vert.x event loops: HTTP parsing, body chunk copies, SHA-256, sniff, JSON answer" ;;
      virtual) what="virtual threads: header parse (libvips), exists check, store put (file write + fsync, or the S3 SDK: SigV4 incl. a second SHA-256 of the body, HTTP)" ;;
      gc) what="ZGC threads" ;;
      jit) what="C1/C2 compiler threads" ;;
      other) what="everything else (S3 SDK timers, Vert.x internals, …)" ;;
    esac
    printf '| %s | %s | %s | %s |\n' "$g" "$what" "$(group_ms F "$g")" "$(group_ms S "$g")"
  done
  printf '| **sum of groups** | (mean over all runs, threads alive at the end of each; the medians above are per run) | **%s** | **%s** |\n' \
    "$(awk -v hz="$HZ" -v n=$((REPS * JOBS)) '{ t += $2 } END { printf "%.2f", t * 1000 / hz / n }' "$TMP/groups-F")" \
    "$(awk -v hz="$HZ" -v n=$((REPS * JOBS)) '{ t += $2 } END { printf "%.2f", t * 1000 / hz / n }' "$TMP/groups-S")"
)

# --- stage split ------------------------------------------------------------------------
STAGE_TABLE="" STAGE_LINE=""
if [ "$STAGES" = 1 ]; then
  # The servers are idle now; S3Proxy serves the S3 stages.
  say "splitting an upload's CPU by stage (bench/UploadStages.java, $PASSES passes)"
  if ! stage_out=$(AWS_ACCESS_KEY_ID=$S3_ID AWS_SECRET_ACCESS_KEY=$S3_SECRET AWS_REGION=us-east-1 \
    "$JAVA" --enable-native-access=ALL-UNNAMED -XX:+UseZGC -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp "$JAR" "$ROOT/bench/UploadStages.java" \
    --passes "$PASSES" --warmup 3 --dir "$TMP/stages" \
    --s3 "s3://$S3_BUCKET/stages" --s3-endpoint "http://127.0.0.1:$S3_PORT" "${PHOTOS[@]}" 2>"$TMP/stages.err"); then
    cat "$TMP/stages.err" >&2
    die "bench/UploadStages.java failed"
  fi
  STAGE_TABLE=$(printf '%s\n' "$stage_out" | grep -v '^stages ')
  STAGE_LINE=$(printf '%s\n' "$stage_out" | grep '^stages ')
fi

# --- report -----------------------------------------------------------------------------
commit=$(commit_label src pom.xml)
cpu=$(cpu_model)
report=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$commit"
  printf '%s JPEG photos (%s–%s bytes, mean %s) × %s passes = %s uploads per measurement, each made unique by a\n' \
    "${#PHOTOS[@]}" "$MIN_B" "$MAX_B" "$MEAN_B" "$ROUNDS" "$JOBS"
  printf 'suffix after its EOI marker; POST /images, raw body, %s keep-alive loopback connections; both servers\n' "$CLIENTS"
  # shellcheck disable=SC2016 # the backquotes are Markdown
  printf 'IMGORIGIN_WORKERS=2, no eager variants, JVM flags `-XX:+UseZGC %s`, warmed up with %s uploads each;\n' \
    "${IMGORIGIN_JAVA_OPTS:--Xmx1g}" "$((WARM_ROUNDS * ${#PHOTOS[@]}))"
  printf 'S3Proxy 2.7.0 (filesystem provider) as its own JVM; stores on %s.\n' \
    "$(df -T "$TMP" | awk 'NR == 2 { print $2 }')"
  printf 'Machine: %s cores, %s; %s; load average %s at the start, %s at the end (the machine is shared).\n\n' \
    "$NCPU" "${cpu:-unknown CPU}" "$("$JAVA" -version 2>&1 | head -n 1)" "$LOAD_START" "$(loadavg)"
  printf '| run | store | uploads/s (box) | MB/s | p50 / p99 (ms) | server CPU ms/upload | server %% of box | S3Proxy CPU ms/upload | S3Proxy %% of box | client %% of box |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${ROWS[@]}"
  printf '| **median** | file store | %s | | | **%s** | | | | |\n' "$mRF" "$mCF"
  printf '| **median** | S3 (S3Proxy) | %s | | | **%s** | | %s | %s%% | |\n\n' "$mRS" "$mCS" "$mPS" "$mBS"
  printf '**Uploads per second per core (1000 / server CPU ms): file store %s, S3 %s.** ' "$(perCore "$mCF")" "$(perCore "$mCS")"
  printf 'Server CPU per upload S3 / file = %s; observed uploads/s S3 / file = %s.\n' \
    "$(ratio "$mCS" "$mCF")" "$(ratio "$mRS" "$mRF")"
  printf 'S3Proxy, the stand-in for S3, used %s CPU ms per upload (%s%% of the box in the S3 runs); on AWS that work is not on the node.\n' \
    "$mPS" "$mBS"
  printf 'Uploads/s (box) is what this shared 2-core machine did with client, server and S3Proxy on it; it is not a per-node figure.\n'
  printf 'Peak RSS: file server %s MB, S3 server %s MB, S3Proxy %s MB. Stored: %s originals in each store, as expected.\n' \
    "$RSS_F" "$RSS_S" "$RSS_P" "$expected"
  printf '\n### Server CPU by thread group (from /proc/<pid>/task/*/stat, all measured runs)\n\n%s\n' "$GROUP_TABLE"
  nojit() { awk -v hz="$HZ" -v n=$((REPS * JOBS)) '$1 != "jit" { t += $2 } END { printf "%.2f", t * 1000 / hz / n }' "$TMP/groups-$1"; }
  printf '\nWithout the JIT threads (still compiling after the warm-up; that fades in a long-running server): '
  printf 'file store %s ms/upload (%s uploads/s/core), S3 %s ms/upload (%s uploads/s/core).\n' \
    "$(nojit F)" "$(perCore "$(nojit F)")" "$(nojit S)" "$(perCore "$(nojit S)")"
  if [ -n "$STAGE_TABLE" ]; then
    printf '\n### CPU split by stage (bench/UploadStages.java, in-process, same photos, ZGC on a pre-touched 1 GB heap)\n\n%s\n' "$STAGE_TABLE"
    printf '\n%s\n' "\`$STAGE_LINE\`"
  fi
)

printf '\n%s\n' "$report"
printf '%s\n\n' "$report" | append_results "Upload benchmark"
