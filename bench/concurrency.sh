#!/usr/bin/env bash
# Memory of concurrent renders of large photos, and what 16 requests for one cold variant cost.
#
#   M  peak resident memory of the server while 8 renders of 16-24 MP photos run at once
#      (IMGORIGIN_WORKERS=8, caches off), above its resident memory just before, for JPEG,
#      WebP and AVIF output 1280 px wide; next to it, the peak of libvips itself doing the
#      same 8 WebP renders in one process (bench/vips_baseline.c, 8 threads).
#   C  server CPU for 16 simultaneous requests for one cold variant, against the CPU of one
#      request for a cold variant: one render should serve all 16 (goal: close to 1×).
# The corpus (bench/corpus/photos.sh) tops out at 16 MP, so the 8 largest photos are
# scaled up by libvips to about 20 MP each (real photographic content, more pixels).
#
# usage: bench/concurrency.sh [--reps N] [--no-record]
#   --reps N     measurements of each kind (default 3)
#   --no-record  don't append to bench/results/
# Prints a table and appends it to bench/results/concurrency-<date>.md.
set -euo pipefail

BENCH=concurrency
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=3 TARGET_MP=20 WIDTH=1280

while [ "$#" -gt 0 ]; do
  case "$1" in
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$REPS"
need python3 sha256sum curl vips vipsheader gcc
make_tmp
export VIPS_WARNING=0

# --- 8 photos of ~20 MP -----------------------------------------------------------------
corpus ALL jpeg
mkdir -p "$TMP/big" "$TMP/originals" "$TMP/cache"
# shellcheck disable=SC2153 # ALL is filled by corpus
mapfile -t LARGEST < <(for p in "${ALL[@]}"; do
  printf '%s %s\n' "$(($(vipsheader -f width "$p") * $(vipsheader -f height "$p")))" "$p"
done | sort -rn | head -n 8 | cut -d' ' -f2-)
[ "${#LARGEST[@]}" -eq 8 ] || die "need 8 photos, found ${#LARGEST[@]}"
BIG=()
for p in "${LARGEST[@]}"; do
  pixels=$(($(vipsheader -f width "$p") * $(vipsheader -f height "$p")))
  scale=$(awk -v px="$pixels" -v t="$TARGET_MP" 'BEGIN { printf "%.4f", sqrt(t * 1e6 / px) }')
  out="$TMP/big/$(basename "$p" .jpg).jpg"
  vips resize "$p" "${out}[Q=90]" "$scale" >/dev/null
  BIG+=("$out")
done
store_all "${BIG[@]}"
MP=$(for p in "${BIG[@]}"; do echo "$(($(vipsheader -f width "$p") * $(vipsheader -f height "$p")))"; done |
  awk '{ s += $1; if (min == "" || $1 < min) min = $1; if ($1 > max) max = $1 } END { printf "%.1f-%.1f", min / 1e6, max / 1e6 }')
say "8 originals of $MP MP"

# --- libvips itself, 8 threads ----------------------------------------------------------
BASELINE=$TMP/vips_baseline
build_vips_baseline "$BASELINE"
baseline_peak() { # peak RSS (MB) of one process rendering the 8 photos, 8 threads at once
  /usr/bin/time -f '%M' -o "$TMP/time.out" "$BASELINE" -t 8 -r 1 -w "$WIDTH" -q 80 -W 64 "${BIG[@]}" >/dev/null
  awk '{ printf "%.0f", $1 / 1024 }' "$TMP/time.out"
}

# --- server -----------------------------------------------------------------------------
start_origin IMGORIGIN_WORKERS=8 IMGORIGIN_QUEUE=64 IMGORIGIN_MEMORY_CACHE_BYTES=0 IMGORIGIN_CACHE_MAX_BYTES=0 \
  IMGORIGIN_ACCESS_LOG=false
for id in "${IDS[@]}"; do curl -fsS -o /dev/null "$BASE/w_300/$id.webp"; done # warm-up, not counted

rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

server_peak() { # server_peak <ext> <quality>: peak RSS above the level before, while 8 renders run
  local ext=$1 q=$2 before peak pid now
  before=$(rss_mb)
  peak=$before
  local -a pids=()
  for id in "${IDS[@]}"; do
    curl -fsS -o /dev/null "$BASE/w_$WIDTH,q_$q/$id.$ext" &
    pids+=("$!")
  done
  while :; do
    now=$(rss_mb)
    [ "$now" -gt "$peak" ] && peak=$now
    running=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
    [ "$running" = 1 ] || break
    sleep 0.02
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "a render failed ($ext)"; done
  printf '%s %s\n' "$before" "$peak"
}

ticks_of() { # ticks_of <command...>: server CPU ticks the command cost
  local t0 t1
  t0=$(cpu_ticks "$SERVER_PID")
  "$@"
  t1=$(cpu_ticks "$SERVER_PID")
  echo $((t1 - t0))
}
one_cold() { curl -fsS -o /dev/null "$BASE/w_$1,q_81/${IDS[0]}.webp"; }
sixteen_cold() {
  local i
  local -a pids=()
  for ((i = 0; i < 16; i++)); do curl -fsS -o /dev/null "$BASE/w_$1,q_81/${IDS[0]}.webp" & pids+=("$!"); done
  for pid in "${pids[@]}"; do wait "$pid" || die "one of 16 requests failed"; done
}
renders() { curl -fsS "$BASE/metrics" | awk '/^imgorigin_render_duration_seconds_count/ { s += $2 } END { print s + 0 }'; }

LOAD_START=$(loadavg)
ROWS=() C=() WIDTH_NEXT=700
for ((i = 1; i <= REPS; i++)); do
  row="| $i"
  for spec in jpg:80 webp:80 avif:50; do
    read -r before peak <<<"$(server_peak "${spec%%:*}" "${spec#*:}")"
    row="$row | $before → $peak (+$((peak - before)))"
  done
  row="$row | $(baseline_peak)"
  r0=$(renders)
  one=$(ticks_of one_cold $WIDTH_NEXT)
  r1=$(renders)
  sixteen=$(ticks_of sixteen_cold $((WIDTH_NEXT + 1)))
  r2=$(renders)
  WIDTH_NEXT=$((WIDTH_NEXT + 2))
  c=$(awk -v a="$sixteen" -v b="$one" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
  C+=("$c")
  ROWS+=("$row | $one | $sixteen | $c | $((r1 - r0)) / $((r2 - r1)) |")
  say "round $i done: 16 requests cost ${c}× one"
done

report=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$(commit_label src pom.xml)"
  printf '8 originals of %s MP (the 8 largest corpus photos scaled up by libvips), renders %s px wide; server with 8 workers, caches off.\n' "$MP" "$WIDTH"
  printf 'Machine: %s cores, %s; load average %s at the start, %s at the end. CPU ticks are 1/%s s.\n\n' \
    "$(nproc)" "$(cpu_model)" "$LOAD_START" "$(loadavg)" "$(getconf CLK_TCK)"
  printf '| round | 8 × JPEG q80: server RSS before → peak (MB) | 8 × WebP q80 | 8 × AVIF q50 | libvips alone, 8 × WebP, peak RSS (MB) | 1 cold request: server CPU (ticks) | 16 at once, one cold variant (ticks) | 16 / 1 | renders (1 / 16) |\n'
  printf '|---|---|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${ROWS[@]}"
  printf '\n**16 simultaneous requests for one cold variant cost %s× the CPU of one** (median; one render serves all 16).\n' "$(median "${C[@]}")"
)
printf '\n%s\n' "$report"
printf '%s\n\n' "$report" | append_results "Concurrency benchmark"
