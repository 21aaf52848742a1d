#!/usr/bin/env bash
# An upload's eager variants from one decode, against the same variants rendered separately.
#
# Workload: the first N JPEG photos of bench/corpus/photos.sh (4-16 MP), each with an eager
# set of 5 widths (320,640,960,1280,1920) as WebP, and the same 5 widths as WebP and AVIF.
#   shared    uploads (made distinct by bench/upload_client.py) to a server with
#             IMGORIGIN_EAGER set, less the same uploads to a server without it: the eager set's
#             CPU, rendered from one decode of each original (Renderer#renderMany)
#   separate  the same variants asked for one by one (GET, 2 clients) of the same photos on a
#             server without eager variants and without mezzanines: one decode per variant
# CPU of the server process, ms per photo, medians over --reps; the ratio shared/separate
# is the figure (issue 18's goal: at most 0.5).
#
# usage: bench/eager.sh [--reps N] [--photos N] [--threads N] [--no-avif] [--no-record]
#   --reps N     measurements of each (default 3)
#   --photos N   the first N photos (default 8)
#   --threads N  upload and GET clients, workers (default 2)
#   --no-avif    the WebP set only
#   --no-record  don't append to bench/results/
# Environment: JAVA_HOME (a JDK 25), IMGORIGIN_JAVA_OPTS. About 4 minutes with the defaults.
set -euo pipefail

BENCH=eager
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=3 NPHOTOS=8 THREADS=2 AVIF=1
WIDTHS=320,640,960,1280,1920

while [ "$#" -gt 0 ]; do
  case "$1" in
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --photos) NPHOTOS=${2:?--photos needs a number}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --no-avif) AVIF=0; shift ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$REPS" "$NPHOTOS" "$THREADS"
need python3 curl sha256sum

make_tmp
corpus PHOTOS jpeg "$NPHOTOS"
mkdir -p "$TMP/originals"
store_all "${PHOTOS[@]}"
use_jdk
ensure_jar src/main "mvn -B -q -DskipTests package" src/main pom.xml
hz=$(getconf CLK_TCK)

start_jar() { # start_jar <name> <env>...: sets JPORT and JPID
  start_named "$1" IMGORIGIN_WORKERS="$THREADS" IMGORIGIN_QUEUE=1000 "${@:2}"
}
stop_jar() {
  kill "$JPID"
  wait "$JPID" 2>/dev/null || true
  forget_pid "$JPID"
}
ms_per_photo() { awk -v d=$(($2 - $1)) -v hz="$hz" -v n="${#PHOTOS[@]}" 'BEGIN { printf "%.0f", d * 1000 / hz / n }'; }
metric() { curl -sf "http://127.0.0.1:$JPORT/metrics" | awk -v m="$1" 'index($0, m) == 1 { n += $2 } END { print n + 0 }'; }

eager_done() { # eager_done <count> <deadline>: waits until that many eager variants are made
  local n
  while [ "$1" != 0 ]; do
    n=$(metric 'imgorigin_eager_renders_total{')
    [ "${n%.*}" -ge "$1" ] && break
    [ "$SECONDS" -lt "$2" ] || die "eager variants not done after 600 s ($n of $1)"
    sleep 0.2
  done
}

uploads() { # uploads <name> <formats> [<eager set>]: sets CPU_MS, ms per upload, eager variants done
  local name=$1 formats=$2 set=${3:-} t0 t1 expect=0 deadline
  if [ -n "$set" ]; then
    start_jar "$name" IMGORIGIN_EAGER="$set"
    expect=$((2 * ${#PHOTOS[@]} * 5 * formats))
  else
    start_jar "$name"
  fi
  python3 "$ROOT/bench/upload_client.py" --base "http://127.0.0.1:$JPORT" --tag "w$name" --threads 1 --rounds 1 \
    "${PHOTOS[@]}" >/dev/null || die "warm-up uploads failed ($name)"
  deadline=$((SECONDS + 600))
  eager_done $((expect / 2)) "$deadline" # the warm-up's eager variants, before the measurement
  t0=$(cpu_ticks "$JPID")
  python3 "$ROOT/bench/upload_client.py" --base "http://127.0.0.1:$JPORT" --tag "m$name" --threads "$THREADS" \
    --rounds 1 "${PHOTOS[@]}" >/dev/null || die "uploads failed ($name)"
  eager_done "$expect" "$deadline"
  t1=$(cpu_ticks "$JPID")
  [ "$(metric 'imgorigin_eager_renders_total{outcome="failed"}')" = 0 ] || die "$name: eager variants failed"
  DECODES=$(metric 'imgorigin_eager_decodes_total')
  stop_jar
  CPU_MS=$(ms_per_photo "$t0" "$t1")
}

separate() { # separate <name> <format>...: sets CPU_MS, ms per photo for every width in each format
  local name=$1 t0 t1 f
  shift
  start_jar "$name" IMGORIGIN_MEZZANINE=0
  for f in "$@"; do # warm-up: JIT and codecs, on other widths
    python3 "$ROOT/bench/peers_client.py" --base "http://127.0.0.1:$JPORT" --template "/w_{w}/{id}.{ext}" \
      --format "$f" --width 200,201 --threads "$THREADS" "${IDS[@]}" >/dev/null || die "warm-up failed ($name)"
  done
  t0=$(cpu_ticks "$JPID")
  for f in "$@"; do
    python3 "$ROOT/bench/peers_client.py" --base "http://127.0.0.1:$JPORT" --template "/w_{w}/{id}.{ext}" \
      --format "$f" --width "$WIDTHS" --threads "$THREADS" "${IDS[@]}" >/dev/null || die "renders failed ($name)"
  done
  t1=$(cpu_ticks "$JPID")
  stop_jar
  CPU_MS=$(ms_per_photo "$t0" "$t1")
}

SETS=(webp)
[ "$AVIF" = 1 ] && SETS+=(webp+avif)
LOAD_START=$(loadavg)
STARTED=$SECONDS
declare -A MS=()
for ((rep = 1; rep <= REPS; rep++)); do
  uploads "none$rep" 0
  MS[none]+="$CPU_MS "
  say "rep $rep: uploads alone $CPU_MS ms per photo"
  for s in "${SETS[@]}"; do
    if [ "$s" = webp ]; then
      set="f_webp,w_${WIDTHS//,/;f_webp,w_}" formats=(webp)
    else
      set="f_webp,w_${WIDTHS//,/;f_webp,w_};f_avif,w_${WIDTHS//,/;f_avif,w_}" formats=(webp avif)
    fi
    uploads "shared-$s-$rep" "${#formats[@]}" "$set"
    MS[shared-$s]+="$CPU_MS " SHARED_MS=$CPU_MS
    [ "${DECODES%.*}" = $((2 * ${#PHOTOS[@]})) ] || die "shared-$s: $DECODES shared decodes, not one per upload"
    separate "separate-$s-$rep" "${formats[@]}"
    MS[separate-$s]+="$CPU_MS "
    say "rep $rep $s: uploads with the eager set $SHARED_MS ms, separate renders $CPU_MS ms per photo"
  done
done
LOAD_END=$(loadavg)

{
  printf '\n## %s, commit %s\n\n' "$(date -u '+%F %H:%M UTC')" "$(commit_label src bench)"
  printf '%s photos (%s), widths %s, %s clients / workers, %s measurements; load average %s at the start, %s at the end; %s s; %s.\n\n' \
    "${#PHOTOS[@]}" "$(for p in "${PHOTOS[@]}"; do basename "$p" .jpg; done | paste -sd, - | sed 's/,/, /g')" \
    "$WIDTHS" "$THREADS" "$REPS" "$LOAD_START" "$LOAD_END" "$((SECONDS - STARTED))" "$(cpu_model)"
  printf '| eager set | shared: CPU ms per photo (uploads with it %s) | separate renders | shared / separate |\n' \
    "less uploads alone"
  printf '|---|---|---|---|\n'
  # shellcheck disable=SC2086 # lists of numbers
  none=$(awk -v a="$(median ${MS[none]})" 'BEGIN { printf "%.0f", a }')
  for s in "${SETS[@]}"; do
    # shellcheck disable=SC2086 # lists of numbers
    shared=$(awk -v a="$(median ${MS[shared-$s]})" -v b="$none" 'BEGIN { printf "%.0f", a - b }')
    # shellcheck disable=SC2086
    sep=$(awk -v a="$(median ${MS[separate-$s]})" 'BEGIN { printf "%.0f", a }')
    printf '| 5 widths, %s | %s | %s | **%s×** |\n' "$s" "$shared" "$sep" "$(ratio "$shared" "$sep")"
  done
  printf '\nUploads alone: %s ms per photo (median of %s).\n' "$none" "${MS[none]% }"
} | show_and_record "Eager variants from one decode"
