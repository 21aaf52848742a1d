#!/usr/bin/env bash
# A page of srcsets, as a CDN fetches it: imgorigin (with mezzanines) against ipx and the
# libvips C loop, side by side in one run; then the eager variants of an upload.
#
# Workload: the first N JPEG photos of bench/corpus/photos.sh (the large ones: 4-16 MP),
# each asked for at 5 widths as WebP q80, every request a new variant (no variant cache),
# 2 keep-alive clients taking the requests photo by photo from one queue:
#   page 1  widths 320,640,960,1280,1920: a first visit (imgorigin's mezzanines purged first)
#   page 2  widths 400,800,1120,1440,1760: the same photos at other widths, right after
# Contenders, taking turns page by page in an order that rotates:
#   imgorigin  java -jar target/imgorigin.jar, IMGORIGIN_WORKERS=2, variant caches off,
#              mezzanines on (IMGORIGIN_MEZZANINE's default), /w_W,q_80/<id>.webp
#   sharpvips  the same on the libvips ipx's sharp bundles (IMGORIGIN_LIBVIPS pointed at npm's
#              @img/sharp-libvips-linux-x64: a newer libvips, its own codecs)
#   direct     the same with IMGORIGIN_MEZZANINE=0: every variant from the original
#   ipx        ipx@3.1.1 as bench/peers.sh runs it (bench/peers_ipx.mjs, "matched")
#   libvips    bench/vips_baseline.c: 2 threads, every variant from the original (the C loop)
# A measurement is one page: seconds for its renders, CPU of the server process; the result
# is medians over --reps and ratios of them. Then the quality check: every variant of both
# pages from imgorigin (by then from its mezzanines) against the direct render, as PNG,
# compared by bench/mezzanine_measure.c (PSNR over RGB, luma SSIM); the bound is SSIM ≥ 0.99
# and PSNR ≥ 40 dB; sharpvips's variants are compared with the same direct renders (on the
# system's libvips), so its table shows what the other build changes too.
# Then the eager set: uploads of the photos (made distinct by bench/upload_client.py) to a
# server with IMGORIGIN_EAGER=f_webp,w_<each page-1 width>, with mezzanines and without
# (the set renders from one decode of the original either way; bench/eager.sh compares that
# with separate renders), and to one without eager variants; the eager set's CPU per upload
# is the difference.
#
# usage: bench/srcset.sh [--reps N] [--photos N] [--threads N] [--no-eager] [--no-record]
#   --reps N     measurements of each contender and page (default 3)
#   --photos N   the first N photos (default 8)
#   --threads N  clients, workers, libvips threads (default 2)
#   --no-eager   skip the upload measurement
#   --no-record  don't append to bench/results/
# Installs ipx with npm into $IMGORIGIN_BENCH_CACHE (default ~/.cache/imgorigin-bench) when
# missing. Environment: JAVA_HOME (a JDK 25), IMGORIGIN_JAVA_OPTS.
# Takes about 20 minutes with the defaults on 2 cores (--no-eager: about 6).
set -euo pipefail

BENCH=srcset
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=3 NPHOTOS=8 THREADS=2 EAGER=1
PAGE1=320,640,960,1280,1920 PAGE2=400,800,1120,1440,1760
QUALITY=80 WARM_WIDTH=200 IPX_VERSION=3.1.1 TOKEN=srcset-bench
MIN_SSIM=0.99 MIN_PSNR=40

while [ "$#" -gt 0 ]; do
  case "$1" in
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --photos) NPHOTOS=${2:?--photos needs a number}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --no-eager) EAGER=0; shift ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$REPS" "$NPHOTOS" "$THREADS"
need gcc python3 curl node npm sha256sum

ensure_ipx
SHARP_LIBVIPS=$(sharp_libvips)
[ -n "$SHARP_LIBVIPS" ] || die "no libvips-cpp.so under $IPX_DIR/node_modules/@img (sharp's libvips)"

make_tmp
export VIPS_WARNING=0
corpus PHOTOS jpeg "$NPHOTOS"
store_flat "${PHOTOS[@]}"
BASELINE=$TMP/vips_baseline
build_vips_baseline "$BASELINE"
COMPARE=$TMP/mezzanine_measure
gcc -O2 -o "$COMPARE" "$ROOT/bench/mezzanine_measure.c" -l:libvips.so.42 -l:libgobject-2.0.so.0 \
  -l:libglib-2.0.so.0 -lm || die "could not build bench/mezzanine_measure.c"

use_jdk
ensure_jar src/main "mvn -B -q -DskipTests package" src/main pom.xml
start_jar() { # start_jar <name> <env>...: sets JPORT and JPID (variant caches off)
  start_named "$1" IMGORIGIN_CACHE_MAX_BYTES=0 IMGORIGIN_WORKERS="$THREADS" IMGORIGIN_ADMIN_TOKEN="$TOKEN" "${@:2}"
}
start_jar imgorigin
M_PORT=$JPORT M_PID=$JPID
start_jar direct IMGORIGIN_MEZZANINE=0
D_PORT=$JPORT D_PID=$JPID
start_jar sharpvips IMGORIGIN_LIBVIPS="$SHARP_LIBVIPS"
S_PORT=$JPORT S_PID=$JPID

launch_ipx 2 matched "$TMP/ipx.log" "/w_$WARM_WIDTH,f_webp/${IDS[0]}.jpg"
I_PORT=$IPX_PORT I_PID=$IPX_PID

client() { # client <base> <template> <widths> [<ids>...]: the load client's key=value line
  local base=$1 template=$2 widths=$3
  shift 3
  python3 "$ROOT/bench/peers_client.py" --base "$base" --template "$template" --format webp \
    --width "$widths" --quality "$QUALITY" --threads "$THREADS" "$@"
}
M_TEMPLATE='/w_{w},q_{q}/{id}.webp'
I_TEMPLATE='/w_{w},q_{q},f_webp/{id}.jpg'
purge_mezzanines() { # a first visit: both imgorigins forget their mezzanines (and that they rendered them)
  local id port
  for port in "$M_PORT" "$S_PORT"; do
    for id in "${IDS[@]}"; do
      curl -sf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/admin/purge/$id" ||
        die "purge of $id failed"
    done
  done
}

say "warming up (JIT, codecs, page cache)"
for base in "http://127.0.0.1:$M_PORT" "http://127.0.0.1:$D_PORT" "http://127.0.0.1:$S_PORT"; do
  client "$base" "$M_TEMPLATE" "$WARM_WIDTH,$((WARM_WIDTH + 1))" "${IDS[@]}" >/dev/null
done
client "http://127.0.0.1:$I_PORT" "$I_TEMPLATE" "$WARM_WIDTH" "${IDS[@]}" >/dev/null

# --- measurements -----------------------------------------------------------------------
hz=$(getconf CLK_TCK)
measure() { # measure <tool> <widths>: "seconds cpu_ms renders failures"
  local tool=$1 widths=$2 out t0 t1 pid w seconds=0 cpu=0 jobs=0 failures=0
  case "$tool" in
    libvips)
      for w in ${widths//,/ }; do
        out=$("$BASELINE" -t "$THREADS" -r 1 -w "$w" -q "$QUALITY" -f webp -W 0 "${PHOTOS[@]}")
        seconds=$(awk -v a="$seconds" -v b="$(field seconds "$out")" 'BEGIN { print a + b }')
        cpu=$(awk -v a="$cpu" -v b="$(field cpu_ms "$out")" 'BEGIN { print a + b }')
        jobs=$((jobs + $(field jobs "$out"))) failures=$((failures + $(field failures "$out")))
      done
      printf '%s %s %s %s\n' "$seconds" "$cpu" "$jobs" "$failures"
      return
      ;;
    imgorigin) pid=$M_PID ;;
    sharpvips) pid=$S_PID ;;
    direct) pid=$D_PID ;;
    ipx) pid=$I_PID ;;
  esac
  t0=$(cpu_ticks "$pid")
  case "$tool" in
    imgorigin) out=$(client "http://127.0.0.1:$M_PORT" "$M_TEMPLATE" "$widths" "${IDS[@]}") ;;
    sharpvips) out=$(client "http://127.0.0.1:$S_PORT" "$M_TEMPLATE" "$widths" "${IDS[@]}") ;;
    direct) out=$(client "http://127.0.0.1:$D_PORT" "$M_TEMPLATE" "$widths" "${IDS[@]}") ;;
    ipx) out=$(client "http://127.0.0.1:$I_PORT" "$I_TEMPLATE" "$widths" "${IDS[@]}") ;;
  esac
  t1=$(cpu_ticks "$pid")
  printf '%s %s %s %s\n' "$(field seconds "$out")" "$(awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN { print d * 1000 / hz }')" \
    "$(field requests "$out")" "$(field failures "$out")"
}

TOOLS=(imgorigin sharpvips direct ipx libvips)
RESULTS=$TMP/results.tsv
: >"$RESULTS"
LOAD_START=$(loadavg)
STARTED=$SECONDS
say "${#PHOTOS[@]} photos × 5 widths per page, $THREADS at a time; ${TOOLS[*]} × $REPS measurements"
FAILURES=0
for ((rep = 1; rep <= REPS; rep++)); do
  purge_mezzanines
  for page in 1 2; do
    widths=$PAGE1
    [ "$page" = 2 ] && widths=$PAGE2
    for ((k = 0; k < ${#TOOLS[@]}; k++)); do
      tool=${TOOLS[$(((k + rep + page) % ${#TOOLS[@]}))]}
      read -r seconds cpu renders failed <<<"$(measure "$tool" "$widths")"
      FAILURES=$((FAILURES + failed))
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$page" "$tool" "$seconds" "$cpu" "$renders" >>"$RESULTS"
      say "rep $rep page $page $tool: $renders renders in $seconds s, CPU $cpu ms"
    done
  done
done
LOAD_END=$(loadavg)
[ "$FAILURES" = 0 ] || die "$FAILURES failed requests (see above)"
MEZZ=$(curl -sf "http://127.0.0.1:$M_PORT/metrics" | grep '^imgorigin_mezzanine_total' | sed 's/imgorigin_mezzanine_total//' |
  tr '\n' ' ')

# --- quality: imgorigin's variants (from its mezzanines now) against direct renders --------
say "comparing every variant of both pages with the direct render (PNG)"
QUALITY_TSV=$TMP/quality.tsv SHARP_QUALITY_TSV=$TMP/quality-sharpvips.tsv
: >"$QUALITY_TSV"
: >"$SHARP_QUALITY_TSV"
for id in "${IDS[@]}"; do
  for w in ${PAGE1//,/ } ${PAGE2//,/ }; do
    curl -sf -o "$TMP/d.png" "http://127.0.0.1:$D_PORT/w_$w/$id.png" || die "direct: no PNG"
    curl -sf -o "$TMP/m.png" "http://127.0.0.1:$M_PORT/w_$w/$id.png" || die "imgorigin: no PNG"
    out=$("$COMPARE" -C "$TMP/m.png" "$TMP/d.png")
    printf '%s\t%s\t%s\n' "$w" "$(field psnr "$out")" "$(field ssim "$out")" >>"$QUALITY_TSV"
    curl -sf -o "$TMP/s.png" "http://127.0.0.1:$S_PORT/w_$w/$id.png" || die "sharpvips: no PNG"
    out=$("$COMPARE" -C "$TMP/s.png" "$TMP/d.png")
    printf '%s\t%s\t%s\n' "$w" "$(field psnr "$out")" "$(field ssim "$out")" >>"$SHARP_QUALITY_TSV"
  done
done

# --- eager variants at upload -------------------------------------------------------------
EAGER_ROWS=""
if [ "$EAGER" = 1 ]; then
  EAGER_SET="f_webp,w_${PAGE1//,/;f_webp,w_}"
  eager_cpu() { # eager_cpu <name> <env>...: sets CPU_MS, ms per upload of the photos, eager variants done
    # (not run in $(...): a server it starts must be on this shell's PIDS, for cleanup)
    local name=$1 t0 t1 n expect=0 deadline
    shift
    # Room in the queue for every eager render of the uploads at once (IMGORIGIN_QUEUE's
    # default, 8 per worker, would turn some away with 429, which is not the subject here).
    start_jar "$name" IMGORIGIN_QUEUE=1000 "$@"
    python3 "$ROOT/bench/upload_client.py" --base "http://127.0.0.1:$JPORT" --tag "w$name" --threads 1 --rounds 1 \
      "${PHOTOS[@]}" >/dev/null || die "warm-up uploads failed ($name)"
    [[ " $* " == *IMGORIGIN_EAGER=* ]] && expect=$((2 * ${#PHOTOS[@]} * 5))
    deadline=$((SECONDS + 300))
    # The warm-up's eager variants are made before the measurement starts, not during it.
    until [ "$expect" = 0 ] || [ "$(curl -sf "http://127.0.0.1:$JPORT/metrics" |
      awk '/^imgorigin_eager_renders_total/ { n += $2 } END { printf "%d", n }')" -ge $((expect / 2)) ]; do
      [ "$SECONDS" -lt "$deadline" ] || die "$name: warm-up eager variants not done after 300 s"
      sleep 0.2
    done
    t0=$(cpu_ticks "$JPID")
    python3 "$ROOT/bench/upload_client.py" --base "http://127.0.0.1:$JPORT" --tag "m$name" --threads "$THREADS" \
      --rounds 1 "${PHOTOS[@]}" >/dev/null || die "uploads failed ($name)"
    while [ "$expect" != 0 ]; do
      n=$(curl -sf "http://127.0.0.1:$JPORT/metrics" | awk '/^imgorigin_eager_renders_total/ { n += $2 } END { print n + 0 }')
      [ "${n%.*}" -ge "$expect" ] && break
      [ "$SECONDS" -lt "$deadline" ] || die "$name: eager variants not done after 300 s ($n of $expect)"
      sleep 0.2
    done
    curl -sf "http://127.0.0.1:$JPORT/metrics" | grep -q '^imgorigin_eager_renders_total{outcome="failed"}' &&
      die "$name: eager variants failed (see $TMP/$name.log)"
    t1=$(cpu_ticks "$JPID")
    kill "$JPID"
    wait "$JPID" 2>/dev/null || true
    forget_pid "$JPID"
    CPU_MS=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="${#PHOTOS[@]}" 'BEGIN { printf "%.0f", d * 1000 / hz / n }')
  }
  say "eager variants at upload ($EAGER_SET)"
  declare -A EAGER_MS=()
  for ((rep = 1; rep <= REPS; rep++)); do
    eager_cpu "none$rep"
    EAGER_MS[none]+="$CPU_MS "
    eager_cpu "mezz$rep" IMGORIGIN_EAGER="$EAGER_SET"
    EAGER_MS[mezz]+="$CPU_MS "
    eager_cpu "eagerdirect$rep" IMGORIGIN_EAGER="$EAGER_SET" IMGORIGIN_MEZZANINE=0
    EAGER_MS[direct]+="$CPU_MS "
  done
  # shellcheck disable=SC2086 # lists of numbers
  {
    none=$(median ${EAGER_MS[none]})
    mezz=$(median ${EAGER_MS[mezz]})
    eagerdirect=$(median ${EAGER_MS[direct]})
  }
  em=$(awk -v a="$mezz" -v b="$none" 'BEGIN { printf "%.0f", a - b }')
  ed=$(awk -v a="$eagerdirect" -v b="$none" 'BEGIN { printf "%.0f", a - b }')
  EAGER_ROWS=$(printf '| upload alone (no eager variants) | %s | |\n| upload + eager set (one decode), mezzanines on | %s | eager set **%s ms** |\n| upload + eager set (one decode), mezzanines off | %s | eager set **%s ms** |\n\nWith mezzanines on, the eager set costs **%s** of its cost with them off (against separate renders: bench/eager.sh).\n' \
    "$none" "$mezz" "$em" "$eagerdirect" "$ed" "$(ratio "$em" "$ed")")
fi

# --- report -----------------------------------------------------------------------------
quality_table() { # quality_table <tsv of width, psnr, ssim>: min and median per width, then how many are out
  local tsv=$1 w
  # min and median of a column for width $w, at the column's own precision (median rounds to 2 places)
  col() { awk -F'\t' -v w="$w" -v c="$1" '$1 == w { print $c }' "$tsv" | sort -g |
    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s | %.5g", v[1], m }'; }
  printf '| width | min SSIM | median SSIM | min PSNR dB | median PSNR dB |\n|---|---|---|---|---|\n'
  for w in ${PAGE1//,/ } ${PAGE2//,/ }; do
    printf '| %s | %s | %s |\n' "$w" "$(col 3)" "$(col 2)"
  done
  awk -F'\t' -v s="$MIN_SSIM" -v p="$MIN_PSNR" '$3 < s || $2 < p { n++ } END {
    printf "\n%s of %s variants outside the bound.\n", n + 0, NR }' "$tsv"
}
med() { # med <page> <tool> <column: 4 seconds, 5 cpu>: the median over reps
  # shellcheck disable=SC2046 # a list of numbers
  median $(awk -F'\t' -v p="$1" -v t="$2" -v c="$3" '$2 == p && $3 == t { print $c }' "$RESULTS")
}
renders=$(awk -F'\t' 'NR == 1 { print $6 }' "$RESULTS")
{
  printf '\n## %s, commit %s\n\n' "$(date -u '+%F %H:%M UTC')" "$(commit_label src bench)"
  printf '%s photos (%s), %s renders a page, WebP q%s, %s clients / workers / threads, %s measurements;' \
    "${#PHOTOS[@]}" "$(megapixels "${PHOTOS[@]}")" \
    "$renders" "$QUALITY" "$THREADS" "$REPS"
  printf ' page 1 widths %s, page 2 %s; load average %s at the start, %s at the end; %s s; %s; %s.\n\n' \
    "$PAGE1" "$PAGE2" "$LOAD_START" "$LOAD_END" "$((SECONDS - STARTED))" "$(cpu_model)" "$ALLOCATOR"
  printf '| page | contender | seconds | images/s | CPU ms per image | throughput vs ipx | vs direct | vs libvips |\n'
  printf '|---|---|---|---|---|---|---|---|\n'
  for page in 1 2; do
    ipx_s=$(med "$page" ipx 4) direct_s=$(med "$page" direct 4) vips_s=$(med "$page" libvips 4)
    for tool in "${TOOLS[@]}"; do
      s=$(med "$page" "$tool" 4) c=$(med "$page" "$tool" 5)
      printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$page" "$tool" "$s" "$(ratio "$renders" "$s")" \
        "$(ratio "$c" "$renders")" "$(ratio "$ipx_s" "$s")" "$(ratio "$direct_s" "$s")" "$(ratio "$vips_s" "$s")"
    done
  done
  both() { awk -v a="$(med 1 "$1" 4)" -v b="$(med 2 "$1" 4)" 'BEGIN { print a + b }'; }
  printf '\nBoth pages: imgorigin **%s×** ipx'"'"'s throughput, %s× its own direct renders, %s× the libvips C loop;' \
    "$(ratio "$(both ipx)" "$(both imgorigin)")" "$(ratio "$(both direct)" "$(both imgorigin)")" \
    "$(ratio "$(both libvips)" "$(both imgorigin)")"
  printf ' on sharp'"'"'s libvips (%s), **%s×** ipx'"'"'s.\n' "${SHARP_LIBVIPS##*/}" "$(ratio "$(both ipx)" "$(both sharpvips)")"
  printf 'imgorigin'"'"'s mezzanine counters at the end: %s\n\n' "$MEZZ"
  printf 'Quality, imgorigin (from its mezzanines) against the direct render, PNG, every photo (bound: SSIM ≥ %s, PSNR ≥ %s dB):\n\n' \
    "$MIN_SSIM" "$MIN_PSNR"
  quality_table "$QUALITY_TSV"
  printf '\nThe same for sharpvips (its mezzanines, on sharp'"'"'s libvips) against the direct render on the system'"'"'s:\n\n'
  quality_table "$SHARP_QUALITY_TSV"
  if [ -n "$EAGER_ROWS" ]; then
    printf '\nEager variants at upload (IMGORIGIN_EAGER=%s), server CPU ms per upload, medians:\n\n' "$EAGER_SET"
    printf '| server | CPU ms per upload | |\n|---|---|---|\n%s\n' "$EAGER_ROWS"
  fi
} | show_and_record "Srcset pages and eager variants"
