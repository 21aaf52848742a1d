#!/usr/bin/env bash
# Bursts: many requests for several variants of one original waiting for a worker together (a
# CDN filling a srcset after a purge, a page asked for by many devices at once), imgorigin with
# them rendered from one decode (IMGORIGIN_BURST's default) against the same server rendering
# each alone (IMGORIGIN_BURST=1), and ipx, side by side in one run.
#
# Workload: a first visit under load: the corpus JPEG photos (bench/corpus/photos.sh, 2-16 MP),
# each asked for at 5 widths as WebP q80, every request a new variant (variant caches off, and
# imgorigin's memory of the originals, mezzanines included, purged before each measurement), by
# --clients keep-alive clients taking the requests photo by photo from one queue, against 2
# render workers: more clients than workers, so requests wait.
# Contenders, taking turns in an order that rotates:
#   imgorigin  java -jar target/imgorigin.jar, IMGORIGIN_WORKERS=2, caches off, /w_W,q_80/<id>.webp
#   alone      the same with IMGORIGIN_BURST=1: every variant decodes the original
#   ipx        ipx@3.1.1 as bench/peers.sh runs it (bench/peers_ipx.mjs, "matched", 2 libvips threads)
# A measurement is one page of every photo (widths shifted by one pixel each time): seconds, CPU of the server process, p99 latency; the
# result is medians over --reps and ratios of them, with imgorigin's burst counters.
#
# usage: bench/burst.sh [--reps N] [--clients N] [--no-record]
#   --reps N      measurements of each contender (default 3)
#   --clients N   concurrent clients (default 8)
#   --no-record   don't append to bench/results/
# Installs ipx with npm into $IMGORIGIN_BENCH_CACHE (default ~/.cache/imgorigin-bench) when
# missing. Environment: JAVA_HOME (a JDK 25), IMGORIGIN_JAVA_OPTS. About 3 minutes.
set -euo pipefail

BENCH=burst
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=3 CLIENTS=8 WORKERS=2 WIDTHS=(320 640 960 1280 1920) QUALITY=80 IPX_VERSION=3.1.1 TOKEN=burst-bench

while [ "$#" -gt 0 ]; do
  case "$1" in
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --clients) CLIENTS=${2:?--clients needs a number}; shift 2 ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$REPS" "$CLIENTS"
need python3 curl node npm sha256sum vipsheader

ensure_ipx

make_tmp
export VIPS_WARNING=0
corpus PHOTOS jpeg
store_flat "${PHOTOS[@]}"

use_jdk
ensure_jar src/main "mvn -B -q -DskipTests package" src/main pom.xml
start_jar() { # start_jar <name> <env>...: sets JPORT and JPID (variant caches off)
  start_named "$1" IMGORIGIN_CACHE_MAX_BYTES=0 IMGORIGIN_WORKERS="$WORKERS" IMGORIGIN_QUEUE=1000 \
    IMGORIGIN_ADMIN_TOKEN="$TOKEN" "${@:2}"
}
start_jar imgorigin
B_PORT=$JPORT B_PID=$JPID
start_jar alone IMGORIGIN_BURST=1
A_PORT=$JPORT A_PID=$JPID

launch_ipx 2 matched "$TMP/ipx.log" "/w_200,f_webp/${IDS[0]}.jpg"
I_PORT=$IPX_PORT I_PID=$IPX_PID

declare -A PORT=([imgorigin]=$B_PORT [alone]=$A_PORT [ipx]=$I_PORT)
declare -A PID=([imgorigin]=$B_PID [alone]=$A_PID [ipx]=$I_PID)
declare -A TEMPLATE=([imgorigin]='/w_{w},q_{q}/{id}.webp' [alone]='/w_{w},q_{q}/{id}.webp'
  [ipx]='/w_{w},q_{q},f_webp/{id}.jpg')
client() { # client <tool> <widths> <clients>: the load client's key=value line
  python3 "$ROOT/bench/peers_client.py" --base "http://127.0.0.1:${PORT[$1]}" --template "${TEMPLATE[$1]}" \
    --format webp --width "$2" --quality "$QUALITY" --threads "$3" "${IDS[@]}"
}
say "warming up (JIT, codecs, page cache)"
for tool in imgorigin alone ipx; do
  client "$tool" 200,201 2 >/dev/null || die "$tool: warm-up failed"
done

forget() { # forget <tool>: a first visit, imgorigin forgets what it rendered of the photos (mezzanines too)
  local id
  for id in "${IDS[@]}"; do
    curl -sf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:${PORT[$1]}/admin/purge/$id" ||
      die "$1: purge of $id failed"
  done
}
hz=$(getconf CLK_TCK)
TOOLS=(imgorigin alone ipx)
RESULTS=$TMP/results.tsv
: >"$RESULTS"
LOAD_START=$(loadavg)
STARTED=$SECONDS
say "${#PHOTOS[@]} photos × ${#WIDTHS[@]} widths, $CLIENTS clients, $WORKERS workers; ${TOOLS[*]} × $REPS"
for ((rep = 1; rep <= REPS; rep++)); do
  widths=$(printf '%s\n' "${WIDTHS[@]}" | awk -v r="$rep" '{ printf "%s%d", (NR > 1 ? "," : ""), $1 + r }')
  for ((k = 0; k < ${#TOOLS[@]}; k++)); do
    tool=${TOOLS[$(((k + rep) % ${#TOOLS[@]}))]}
    [ "$tool" = ipx ] || forget "$tool"
    t0=$(cpu_ticks "${PID[$tool]}")
    out=$(client "$tool" "$widths" "$CLIENTS") || die "$tool: the load client failed"
    t1=$(cpu_ticks "${PID[$tool]}")
    [ "$(field failures "$out")" = 0 ] || die "$tool: failed requests: $out"
    cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN { print d * 1000 / hz }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$tool" "$(field seconds "$out")" "$cpu" "$(field requests "$out")" \
      "$(field p99_ms "$out")" >>"$RESULTS"
    say "rep $rep $tool: $(field requests "$out") renders in $(field seconds "$out") s, CPU $cpu ms, p99 $(field p99_ms "$out") ms"
  done
done
LOAD_END=$(loadavg)
counters() { curl -sf "http://127.0.0.1:$1/metrics" | { grep -E '^imgorigin_(burst|mezzanine)_' || true; } | tr '\n' ' '; }
BURSTS=$(counters "$B_PORT") ALONE_BURSTS=$(counters "$A_PORT")

med() { # med <tool> <column: 3 seconds, 4 cpu, 6 p99>: the median over reps
  # shellcheck disable=SC2046 # a list of numbers
  median $(awk -F'\t' -v t="$1" -v c="$2" '$2 == t { print $c }' "$RESULTS")
}
renders=$(awk -F'\t' 'NR == 1 { print $5 }' "$RESULTS")
{
  printf '\n## %s, commit %s\n\n' "$(date -u '+%F %H:%M UTC')" "$(commit_label src bench)"
  printf '%s photos (%s), %s renders a measurement, WebP q%s, %s clients, %s workers, %s measurements;' \
    "${#PHOTOS[@]}" "$(megapixels "${PHOTOS[@]}")" \
    "$renders" "$QUALITY" "$CLIENTS" "$WORKERS" "$REPS"
  printf ' widths %s (+1 px each measurement); load average %s at the start, %s at the end; %s s; %s; %s.\n\n' \
    "$(IFS=,; echo "${WIDTHS[*]}")" "$LOAD_START" "$LOAD_END" "$((SECONDS - STARTED))" "$(cpu_model)" "$ALLOCATOR"
  printf '| contender | seconds | images/s | CPU ms per image | p99 ms | throughput vs ipx | vs alone | CPU vs alone |\n'
  printf '|---|---|---|---|---|---|---|---|\n'
  for tool in "${TOOLS[@]}"; do
    s=$(med "$tool" 3) c=$(med "$tool" 4)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$tool" "$s" "$(ratio "$renders" "$s")" \
      "$(ratio "$c" "$renders")" "$(med "$tool" 6)" "$(ratio "$(med ipx 3)" "$s")" "$(ratio "$(med alone 3)" "$s")" \
      "$(ratio "$c" "$(med alone 4)")"
  done
  printf '\nimgorigin'"'"'s burst and mezzanine counters at the end (warm-up included): %s\n' "${BURSTS:-none}"
  printf 'alone'"'"'s (IMGORIGIN_BURST=1: no bursts): %s\n' "${ALONE_BURSTS:-none}"
} | show_and_record "Bursts of variants of one original"
