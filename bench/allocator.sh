#!/usr/bin/env bash
# The allocator under the server's renders: the same jar on serve's allocator (jemalloc with
# bin/imgorigin's MALLOC_CONF), on the settings shipped before, and on glibc's malloc (which
# the server trims after renders), side by side in one run.
#
# Workload: the first 8 JPEG photos of bench/corpus/photos.sh (the large ones: 6-16 MP), each
# asked for at 5 widths as WebP q80 by one client, every request a new variant (variant
# caches, mezzanines and bursts off: every request is one render from the original), 2
# workers. What differs is only the C heap under libvips and its codecs: how often a render
# faults its memory in again (kernel time) and zeroes it.
# Contenders, all started at once and measured in turns, in an order that rotates:
#   serve       jemalloc, MALLOC_CONF as bin/imgorigin serve and the Docker image set it
#   tuned       jemalloc, background_thread:true,oversize_threshold:0,dirty_decay_ms:1000,muzzy_decay_ms:1000
#               (shipped 2026-12-06 until thp:always was added)
#   jemalloc    jemalloc, background_thread:true (shipped until 2026-12-06)
#   glibc       glibc's malloc (IMGORIGIN_NO_JEMALLOC=1)
# A measurement is one page of every photo (widths shifted by one pixel each time): CPU of the
# server process per variant, and the kernel's share of it (system time, from /proc). The
# result is medians over --reps and ratios to serve's, with each server's peak resident memory.
# Resident memory under a mixed load over time is SoakTest's measure, not this one's
# (-Dimgorigin.soakPreload=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 with MALLOC_CONF set).
#
# usage: bench/allocator.sh [--reps N] [--no-record]
#   --reps N      measurements of each contender (default 5)
#   --no-record   don't append to bench/results/
# Needs libjemalloc2. Environment: JAVA_HOME (a JDK 25), IMGORIGIN_JAVA_OPTS. About 5 minutes.
set -euo pipefail

BENCH=allocator
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=5 NPHOTOS=8 WORKERS=2 WIDTHS=(320 640 960 1280 1920) QUALITY=80
TUNED=background_thread:true,oversize_threshold:0,dirty_decay_ms:1000,muzzy_decay_ms:1000

while [ "$#" -gt 0 ]; do
  case "$1" in
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$REPS"
need python3 curl sha256sum vipsheader
compgen -G '/usr/lib/*/libjemalloc.so.2' >/dev/null || [ -f /usr/lib/libjemalloc.so.2 ] ||
  die "no libjemalloc.so.2 (apt-get install libjemalloc2)"
[ -z "${MALLOC_CONF:-}" ] || die "MALLOC_CONF is set in the environment: unset it, serve's own is what is compared"
[ -z "${IMGORIGIN_NO_JEMALLOC:-}" ] || die "IMGORIGIN_NO_JEMALLOC is set in the environment: unset it"

make_tmp
export VIPS_WARNING=0
corpus PHOTOS jpeg "$NPHOTOS"
mkdir -p "$TMP/originals"
store_all "${PHOTOS[@]}"

use_jdk
ensure_jar src/main "mvn -B -q -DskipTests package" src/main pom.xml
TOOLS=(serve tuned jemalloc glibc)
declare -A PORT PID ALLOC
start_jar() { # start_jar <name>: one contender, every request a render from the original
  start_named "$1" IMGORIGIN_CACHE_MAX_BYTES=0 IMGORIGIN_WORKERS="$WORKERS" IMGORIGIN_QUEUE=1000 \
    IMGORIGIN_MEZZANINE=0 IMGORIGIN_BURST=1
  PORT[$1]=$JPORT PID[$1]=$JPID ALLOC[$1]=$ALLOCATOR
}
start_jar serve
MALLOC_CONF=$TUNED start_jar tuned
MALLOC_CONF=background_thread:true start_jar jemalloc
IMGORIGIN_NO_JEMALLOC=1 start_jar glibc
[ "${ALLOC[serve]}" != "${ALLOC[tuned]}" ] || say "note: serve's MALLOC_CONF is the tuned one: two equal contenders"

client() { # client <tool> <widths>: the load client's key=value line
  python3 "$ROOT/bench/peers_client.py" --base "http://127.0.0.1:${PORT[$1]}" --template '/w_{w},q_{q}/{id}.webp' \
    --format webp --width "$2" --quality "$QUALITY" --threads 1 "${IDS[@]}"
}
say "warming up (JIT, codecs, page cache)"
for tool in "${TOOLS[@]}"; do
  client "$tool" 200,201,800 >/dev/null || die "$tool: warm-up failed"
done

system_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $13 }'; }
peak_mb() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
RESULTS=$TMP/results.tsv
: >"$RESULTS"
LOAD_START=$(loadavg)
STARTED=$SECONDS
say "${#PHOTOS[@]} photos × ${#WIDTHS[@]} widths, one client, $WORKERS workers; ${TOOLS[*]} × $REPS"
for ((rep = 1; rep <= REPS; rep++)); do
  widths=$(printf '%s\n' "${WIDTHS[@]}" | awk -v r="$rep" '{ printf "%s%d", (NR > 1 ? "," : ""), $1 + r }')
  for ((k = 0; k < ${#TOOLS[@]}; k++)); do
    tool=${TOOLS[$(((k + rep) % ${#TOOLS[@]}))]}
    t0=$(cpu_ticks "${PID[$tool]}") s0=$(system_ticks "${PID[$tool]}")
    out=$(client "$tool" "$widths") || die "$tool: the load client failed"
    t1=$(cpu_ticks "${PID[$tool]}") s1=$(system_ticks "${PID[$tool]}")
    [ "$(field failures "$out")" = 0 ] || die "$tool: failed requests: $out"
    n=$(field requests "$out")
    per=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.1f", d * 1000 / hz / n }')
    kernel=$(awk -v s=$((s1 - s0)) -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d ? 100 * s / d : 0 }')
    printf '%s\t%s\t%s\t%s\n' "$rep" "$tool" "$per" "$kernel" >>"$RESULTS"
    say "rep $rep $tool: $n renders, CPU $per ms a variant, kernel $kernel %"
  done
done
LOAD_END=$(loadavg)

med() { # med <tool> <column: 3 CPU per variant, 4 kernel %>: the median over reps
  # shellcheck disable=SC2046 # a list of numbers
  median $(awk -F'\t' -v t="$1" -v c="$2" '$2 == t { print $c }' "$RESULTS")
}
{
  printf '\n## %s, commit %s\n\n' "$(date -u '+%F %H:%M UTC')" "$(commit_label src bench bin)"
  printf '%s photos (%s), %s widths each as WebP q%s, one client, %s workers, every request a render from the' \
    "${#PHOTOS[@]}" "$(megapixels "${PHOTOS[@]}")" \
    "${#WIDTHS[@]}" "$QUALITY" "$WORKERS"
  printf ' original; %s measurements of each; load average %s at the start, %s at the end; %s s; %s.\n\n' \
    "$REPS" "$LOAD_START" "$LOAD_END" "$((SECONDS - STARTED))" "$(cpu_model)"
  printf '| contender | allocator | CPU ms per variant | vs serve | kernel share | peak RSS MB |\n'
  printf '|---|---|---|---|---|---|\n'
  for tool in "${TOOLS[@]}"; do
    printf '| %s | %s | %s | %s | %s %% | %s |\n' "$tool" "${ALLOC[$tool]}" "$(med "$tool" 3)" \
      "$(ratio "$(med "$tool" 3)" "$(med serve 3)")" "$(med "$tool" 4)" "$(peak_mb "${PID[$tool]}")"
  done
} | show_and_record "The allocator under the server's renders"
