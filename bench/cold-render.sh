#!/usr/bin/env bash
# Cold-render throughput of imgorigin against libvips itself, side by side in one run.
#
# Every request is a render: the server runs with IMGORIGIN_MEMORY_CACHE_BYTES=0 and
# IMGORIGIN_CACHE_MAX_BYTES=0, and the client reports the X-Cache of every answer.
# Workload: the JPEG photos of bench/corpus/photos.sh (2-16 MP), each resized to
# 300 px wide and saved as WebP q80 (metadata stripped), 2 at a time:
#   A  bench/vips_baseline.c: one process, 2 threads, vips_thumbnail_buffer +
#      vips_webpsave_buffer from memory, libvips concurrency 1, cache off (the yardstick)
#   B  vipsthumbnail, one process per image, xargs -P2 (process start-up included; reference)
#   S  java -jar target/imgorigin.jar, IMGORIGIN_WORKERS=2, 2 keep-alive clients
#      (bench/client.py) asking for /w_300,q_80/<id>.webp
# Measurements are interleaved (A B S, A B S, ...) so they share the machine's noise; the
# result is the ratio of medians S / A (goal: at least 0.9).
#
# usage: bench/cold-render.sh [--rounds N] [--reps N] [--threads N] [--no-server] [--no-record]
#   --rounds N   passes over the photo list per measurement (default 3)
#   --reps N     measurements of each kind (default 2)
#   --threads N  concurrent renders / clients (default 2)
#   --no-server  baselines only
#   --no-record  don't append to bench/results/
# Environment: JAVA_HOME (a JDK 25; default /usr/lib/jvm/temurin-25-jdk-amd64),
#   IMGORIGIN_JAVA_OPTS (extra JVM flags, as for `bin/imgorigin serve`).
# Prints a table and appends it to bench/results/cold-render-<date>.md.
set -euo pipefail

BENCH=cold-render
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROUNDS=3 REPS=2 THREADS=2 SERVER=1
WIDTH=300 QUALITY=80 WARM_WIDTH=200

while [ "$#" -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --no-server) SERVER=0; shift ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$ROUNDS" "$REPS" "$THREADS"
need gcc python3 vipsthumbnail sha256sum curl
make_tmp

# libvips prints a warning per photo with an odd EXIF resolution unit; not our subject.
export VIPS_WARNING=0

# --- photos -----------------------------------------------------------------------------
corpus PHOTOS jpeg
mkdir -p "$TMP/cache" "$TMP/thumbs"
store_flat "${PHOTOS[@]}"
JOBS=$((${#PHOTOS[@]} * ROUNDS))

# --- baseline A: compile ----------------------------------------------------------------
BASELINE=$TMP/vips_baseline
build_vips_baseline "$BASELINE"

# --- server -----------------------------------------------------------------------------
start_server() {
  use_jdk
  ensure_jar src/ "bin/imgorigin bench" src pom.xml
  PORT=$(free_port)
  launch_jar "$TMP/server.log" \
    IMGORIGIN_PORT="$PORT" \
    IMGORIGIN_ORIGINALS="file:$TMP/originals" \
    IMGORIGIN_CACHE_DIR="$TMP/cache" \
    IMGORIGIN_WORKERS="$THREADS" \
    IMGORIGIN_MEMORY_CACHE_BYTES=0 \
    IMGORIGIN_CACHE_MAX_BYTES=0
  SERVER_PID=$LAUNCHED
  await_ready "$PORT" "$SERVER_PID" "$TMP/server.log" "the server exited during start-up (log above)" \
    "no 200 from /readyz within 60 s (last: @CODE@)"
  # Warm-up, not counted: JIT, libvips and libwebp first use, page cache. A different
  # width, so that nothing it renders could be reused by the measured requests.
  say "server up on :$PORT; warming up"
  python3 "$ROOT/bench/client.py" --base "http://127.0.0.1:$PORT" --threads "$THREADS" \
    --rounds 2 --width "$WARM_WIDTH" --quality "$QUALITY" "${IDS[@]}" >"$TMP/warmup.out" ||
    { cat "$TMP/warmup.out" >&2; tail -n 20 "$TMP/server.log" >&2; die "warm-up requests failed"; }
}

# --- measurements -----------------------------------------------------------------------
run_a() { # prints: images/s  CPU ms per image  output bytes
  local out
  out=$("$BASELINE" -t "$THREADS" -r "$ROUNDS" -w "$WIDTH" -q "$QUALITY" -W "$WARM_WIDTH" \
    "${PHOTOS[@]}") || die "vips_baseline failed: $out"
  printf '%s %s %s\n' "$(field images_per_s "$out")" "$(field cpu_ms_per_image "$out")" \
    "$(field out_bytes "$out")"
}

run_b() { # prints: images/s
  local start end r
  start=$(date +%s.%N)
  for ((r = 0; r < ROUNDS; r++)); do printf '%s\n' "$TMP"/flat/*.jpg; done |
    VIPS_CONCURRENCY=1 xargs -P "$THREADS" -n 1 \
      vipsthumbnail -s "${WIDTH}x" -o "$TMP/thumbs/%s.webp[Q=$QUALITY,strip]" ||
    die "vipsthumbnail failed"
  end=$(date +%s.%N)
  awk -v n="$JOBS" -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", n / (e - s) }'
}

run_s() { # prints: req/s  server CPU ms per image  p50  p99  x-cache  failures  bytes
  local out t0 t1
  t0=$(cpu_ticks "$SERVER_PID")
  out=$(python3 "$ROOT/bench/client.py" --base "http://127.0.0.1:$PORT" --threads "$THREADS" \
    --rounds "$ROUNDS" --width "$WIDTH" --quality "$QUALITY" "${IDS[@]}") || true
  t1=$(cpu_ticks "$SERVER_PID")
  [ -n "$out" ] || die "client.py failed"
  printf '%s %s %s %s %s %s %s\n' "$(field req_per_s "$out")" \
    "$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$JOBS" 'BEGIN { printf "%.1f", d * 1000 / hz / n }')" \
    "$(field p50_ms "$out")" "$(field p99_ms "$out")" "$(field x_cache "$out")" \
    "$(field failures "$out")" "$(field bytes "$out")"
}

[ "$SERVER" = 1 ] && start_server

LOAD_START=$(loadavg)
say "${#PHOTOS[@]} photos × $ROUNDS passes = $JOBS renders per measurement, $THREADS at a time, $REPS measurements each"
A=() ACPU=() B=() S=() SCPU=() ROWS=() SERVER_FAILURES=0 SERVER_HITS=0 A_BYTES=0 S_BYTES=0
for ((i = 1; i <= REPS; i++)); do
  line=$(run_a)
  read -r a acpu A_BYTES <<<"$line"
  A+=("$a") ACPU+=("$acpu")
  b=$(run_b)
  B+=("$b")
  if [ "$SERVER" = 1 ]; then
    line=$(run_s)
    read -r s scpu p50 p99 xc fails S_BYTES <<<"$line"
    S+=("$s") SCPU+=("$scpu")
    SERVER_FAILURES=$((SERVER_FAILURES + fails))
    [[ $xc == MISS:* && $xc != *,* ]] || SERVER_HITS=$((SERVER_HITS + 1))
    ROWS+=("| $i | $a | $acpu | $b | $s | $scpu | $p50 / $p99 | $xc |")
    say "run $i: A $a img/s, B $b img/s, server $s req/s$([ "$fails" = 0 ] || echo ", $fails FAILED")"
  else
    ROWS+=("| $i | $a | $acpu | $b | – | – | – | – |")
    say "run $i: A $a img/s, B $b img/s"
  fi
done

mA=$(median "${A[@]}") mAcpu=$(median "${ACPU[@]}") mB=$(median "${B[@]}") mS="–" mScpu="–"
if [ "$SERVER" = 1 ]; then
  mS=$(median "${S[@]}") mScpu=$(median "${SCPU[@]}")
fi

commit=$(commit_label src pom.xml)
cpu=$(cpu_model)
report=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$commit"
  printf '%s photos (2-16 MP JPEG) × %s passes = %s renders per measurement, w %s WebP q%s, %s at a time.\n' \
    "${#PHOTOS[@]}" "$ROUNDS" "$JOBS" "$WIDTH" "$QUALITY" "$THREADS"
  printf 'Machine: %s cores, %s; %s; %s; server allocator: %s; load average %s at the start, %s at the end.\n\n' \
    "$(nproc)" "${cpu:-unknown CPU}" "$(vips --version 2>/dev/null || echo libvips)" \
    "$([ "$SERVER" = 1 ] && "$JAVA_HOME/bin/java" -version 2>&1 | head -n 1 || echo 'server not run')" \
    "${ALLOCATOR:-none}" "$LOAD_START" "$(loadavg)"
  printf '| run | A: libvips in-process (img/s) | A CPU (ms/img) | B: vipsthumbnail, 1 process/img (img/s) | server (req/s) | server CPU (ms/img) | server p50 / p99 (ms) | X-Cache |\n'
  printf '|---|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${ROWS[@]}"
  printf '| **median** | **%s** | %s | **%s** | **%s** | %s | | |\n\n' "$mA" "$mAcpu" "$mB" "$mS" "$mScpu"
  if [ "$SERVER" = 1 ]; then
    r=$(ratio "$mS" "$mA")
    printf '**Throughput server / libvips (A) = %s** (%s the goal of 0.90); server / vipsthumbnail (B) = %s.\n' \
      "$r" "$(awk -v r="$r" 'BEGIN { print (r >= 0.9) ? "meets" : "BELOW" }')" "$(ratio "$mS" "$mB")"
    printf 'CPU per image libvips / server = %s (server CPU includes HTTP, file reads, JIT and GC; not the client).\n' \
      "$(ratio "$mAcpu" "$mScpu")"
    printf 'Output per image: libvips %s bytes, server %s bytes (same work: these should be close).\n' \
      "$((A_BYTES / JOBS))" "$((S_BYTES / JOBS))"
  else
    printf 'Server not measured (--no-server).\n'
  fi
)

printf '\n%s\n' "$report"
if [ "$SERVER" = 1 ] && [ "$SERVER_HITS" -gt 0 ]; then
  printf '\n!!! WARNING: some answers were not X-Cache: MISS — those were not cold renders !!!\n'
fi
if [ "$SERVER_FAILURES" -gt 0 ]; then
  printf '\n!!! WARNING: %s server requests failed (not 200 image/webp) !!!\n' "$SERVER_FAILURES"
fi

{
  printf '%s\n' "$report"
  [ "$SERVER_HITS" -gt 0 ] && printf '\n**Warning:** some answers were cache hits.\n'
  [ "$SERVER_FAILURES" -gt 0 ] && printf '\n**Warning:** %s server requests failed.\n' "$SERVER_FAILURES"
  printf '\n'
} | append_results "Cold-render benchmark"
[ "$SERVER_FAILURES" -eq 0 ]
