#!/usr/bin/env bash
# Goodput under overload, and render latency at half and full saturation, in one run.
#
# Every request is a cold render (caches off; distinct variants, /w_<W>,q_<Q>/<id>.webp of
# the JPEG photos of bench/corpus/photos.sh). The server runs with IMGORIGIN_WORKERS=2
# and its default queue (8 × workers); the client is bench/overload_client.py.
#   P     closed loop, 2 clients (= workers): the saturation throughput, renders/s
#   0.5×  open loop: requests arrive at half of P's rate on a fixed schedule
#   1×    open loop at P's rate
#   2×    open loop at twice P's rate: the overload the issue names
# Measurements are interleaved (P 0.5× 1× 2×, P 0.5× 1× 2×, ...), each open-loop rate taken
# from the P just measured, so they share the machine's noise. Goodput is 200s per second of
# the arrival window; the result is goodput at 2× / P (goal: at least 0.9), with the share
# refused by 429 and the latency p50/p99 of the 200s (counted from each request's scheduled
# arrival, so time spent queueing in the client counts too).
#
# usage: bench/overload.sh [--seconds S] [--reps N] [--photos N] [--no-record]
#   --seconds S  length of each measurement (default 20)
#   --reps N     rounds of the four measurements (default 3)
#   --photos N   photos (default 12)
#   --no-record  don't append to bench/results/
# Environment: JAVA_HOME (a JDK 25; default /usr/lib/jvm/temurin-25-jdk-amd64),
#   IMGORIGIN_JAVA_OPTS (extra JVM flags, as for `bin/imgorigin serve`).
# Prints a table and appends it to bench/results/overload-<date>.md.
set -euo pipefail

BENCH=overload
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS_EACH=20 REPS=3 NPHOTOS=12 WORKERS=2

while [ "$#" -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=${2:?--seconds needs a number}; shift 2 ;;
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --photos) NPHOTOS=${2:?--photos needs a number}; shift 2 ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$SECONDS_EACH" "$REPS" "$NPHOTOS"
need python3 sha256sum curl
make_tmp
export VIPS_WARNING=0

corpus PHOTOS jpeg "$NPHOTOS"
mkdir -p "$TMP/originals" "$TMP/cache"
# shellcheck disable=SC2153 # PHOTOS is filled by corpus
store_all "${PHOTOS[@]}"
start_origin IMGORIGIN_WORKERS="$WORKERS" IMGORIGIN_MEMORY_CACHE_BYTES=0 IMGORIGIN_CACHE_MAX_BYTES=0 \
  IMGORIGIN_ACCESS_LOG=false
NEXT=0 # variant counter: every request of the run asks for a variant never asked before

client() { # client <args...>: one measurement; advances NEXT past the variants it may have used
  local out
  out=$(python3 "$ROOT/bench/overload_client.py" --base "$BASE" --start "$NEXT" "$@" "${IDS[@]}") ||
    die "overload_client.py failed"
  NEXT=$((NEXT + 100000))
  printf '%s\n' "$out"
}

say "server up on :$PORT; warming up (not counted)"
client --mode closed --concurrency "$WORKERS" --seconds 10 >/dev/null

LOAD_START=$(loadavg)
P=() G=() ROWS=()
for ((i = 1; i <= REPS; i++)); do
  peak=$(client --mode closed --concurrency "$WORKERS" --seconds "$SECONDS_EACH")
  p=$(field ok_per_s "$peak")
  P+=("$p")
  line="| $i | $p | $(field p50_ms "$peak") / $(field p99_ms "$peak")"
  for mult in 0.5 1 2; do
    rate=$(awk -v p="$p" -v m="$mult" 'BEGIN { printf "%.3f", p * m }')
    out=$(client --mode open --rate "$rate" --concurrency 64 --seconds "$SECONDS_EACH")
    ok=$(field ok "$out") refused=$(field refused "$out") failed=$(field failed "$out")
    share=$(awk -v r="$refused" -v o="$ok" -v f="$failed" 'BEGIN { t = r + o + f; printf "%.0f%%", t ? 100 * r / t : 0 }')
    line="$line | $(field ok_per_s "$out") | $(field p50_ms "$out") / $(field p99_ms "$out") | $share"
    [ "$failed" = 0 ] || line="$line ($failed failed)"
    if [ "$mult" = 2 ]; then
      G+=("$(ratio "$(field ok_per_s "$out")" "$p")")
    fi
  done
  ROWS+=("$line |")
  say "round $i: P $p renders/s; goodput at 2× = ${G[-1]} of P"
done

mP=$(median "${P[@]}") mG=$(median "${G[@]}")
cpu=$(cpu_model)
report=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$(commit_label src pom.xml)"
  printf '%s photos (JPEG), cold WebP renders 300-1000 px wide, %s workers, queue %s; %s s per measurement.\n' \
    "${#PHOTOS[@]}" "$WORKERS" "$((8 * WORKERS))" "$SECONDS_EACH"
  printf 'Machine: %s cores, %s; %s; load average %s at the start, %s at the end.\n\n' \
    "$(nproc)" "${cpu:-unknown CPU}" "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)" "$LOAD_START" "$(loadavg)"
  printf '| round | P: saturation (renders/s) | P p50 / p99 (ms) | 0.5×: goodput (/s) | 0.5× p50 / p99 (ms) | 0.5× refused | 1×: goodput (/s) | 1× p50 / p99 (ms) | 1× refused | 2×: goodput (/s) | 2× p50 / p99 (ms) | 2× refused |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${ROWS[@]}"
  printf '\n**Goodput at 2× saturation / peak = %s** (median of %s rounds; %s the goal of 0.90); peak %s renders/s.\n' \
    "$mG" "$REPS" "$(awk -v g="$mG" 'BEGIN { print (g >= 0.9) ? "meets" : "BELOW" }')" "$mP"
  printf 'Latency counts from the scheduled arrival; "refused" is the share answered 429 (at once, with Retry-After).\n'
)
printf '\n%s\n' "$report"
printf '%s\n\n' "$report" | append_results "Overload benchmark"
