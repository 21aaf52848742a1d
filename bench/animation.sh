#!/usr/bin/env bash
# Animated GIFs through imgorigin, side by side with ipx (sharp) in one run: bytes, CPU per
# render and memory (issue 16).
#
# Workload: real animated GIFs made from the JPEG photos of bench/corpus/photos.sh by
# bench/animation_make.mjs with sharp (each frame a window panning and zooming across the
# photo; sharp's GIF writer: libimagequant, cgif), in two shapes: 480x270 × 24 frames of
# 80 ms and 800x450 × 12 frames of 150 ms, loop 0. They are made once and kept in
# $IMGORIGIN_BENCH_CACHE/animations (default ~/.cache/imgorigin-bench).
#   (a) bytes: imgorigin's /w_W/<id>.webp and /w_W/<id>.gif (its defaults: WebP q_auto:good,
#       GIF by libvips' cgifsave) at W = 160, 320, 480 against the original GIF; every
#       output is read back with vipsheader (frames, width, delays, loop).
#   (b) CPU per animation render at w 320, imgorigin (/w_320,q_80/<id>.webp, /w_320/<id>.gif)
#       against ipx (/animated,w_320,q_80,f_webp/<id>.gif and f_gif; ipx run as in
#       bench/peers.sh: bench/peers_ipx.mjs, libvips cache off, one libvips thread per
#       image): both servers' CPU time (/proc) over every animation, 2 at a time, REPS
#       interleaved measurements in an order that rotates; ratios of medians.
#   (c) peak RSS of a fresh imgorigin JVM (IMGORIGIN_WORKERS=8, render timeout 120 s, caches
#       off) while 8 different animated renders (w 480 and 320, WebP and GIF) run at once,
#       sampled every 20 ms, against its RSS just before; REPS rounds.
# ImageMagick is not compared: it is run only when /usr/bin/convert exists (on this machine
# /usr/local/bin/convert is a stand-in, not ImageMagick); the report says so.
# Every answer is checked (status, Content-Type, magic bytes, an animation) by
# bench/animation_client.py; imgorigin's caches are off and its X-Cache is reported.
# Takes 5-8 minutes with the defaults on 2 shared cores, by their load (8 at a load average
# of 9; plus about 2 minutes the first time, to make the GIFs), about 1 with --quick.
#
# usage: bench/animation.sh [--quick] [--photos N] [--reps N] [--threads N] [--no-record]
#   --quick      --photos 1 --reps 1: a smoke run (not for quoting)
#   --photos N   photos to make animations from, spread over the corpus (default 6; each
#                gives one animation of each shape)
#   --reps N     CPU measurements of each tool and format, and RSS rounds (default 3)
#   --threads N  concurrent renders for (a) and (b), and the servers' workers (default 2)
#   --no-record  don't append to bench/results/
# Environment: JAVA_HOME (a JDK 25), IMGORIGIN_JAVA_OPTS (extra JVM flags),
#   IMGORIGIN_BENCH_CACHE (where ipx and the GIFs are kept).
# Prints the tables and appends them to bench/results/animation-<date>.md.
set -euo pipefail

BENCH=animation
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NPHOTOS=6 REPS=3 THREADS=2
WIDTHS=(160 320 480)
CPU_WIDTH=320
SHAPES=("480 270 24 80" "800 450 12 150") # width height frames delay-ms
IPX_VERSION=3.1.1
CONVERT=/usr/bin/convert # ImageMagick's, not /usr/local/bin/convert (a stand-in here)
ARGS=("$@")

while [ "$#" -gt 0 ]; do
  case "$1" in
    --quick) NPHOTOS=1 REPS=1; shift ;;
    --photos) NPHOTOS=${2:?--photos needs a number}; shift 2 ;;
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$NPHOTOS" "$REPS" "$THREADS"
need python3 sha256sum curl vipsheader node npm
STARTED=$SECONDS

# --- ipx (and sharp, which also makes the GIFs) -------------------------------------------
CACHE=${IMGORIGIN_BENCH_CACHE:-$HOME/.cache/imgorigin-bench}
ensure_ipx
cp "$ROOT/bench/animation_make.mjs" "$ROOT/bench/peers_ipx.mjs" "$IPX_DIR/"
if [ -x "$CONVERT" ]; then
  MAGICK="ImageMagick found at $CONVERT but not yet compared by this script"
else
  MAGICK="ImageMagick is not installed ($CONVERT is missing; /usr/local/bin/convert here is a stand-in, not ImageMagick): not compared"
fi
say "$MAGICK"

make_tmp
export VIPS_WARNING=0

# --- the animations ---------------------------------------------------------------------
corpus ALL jpeg
PHOTOS=()
step=$(((${#ALL[@]} + NPHOTOS - 1) / NPHOTOS))
[ "$step" -gt 0 ] || step=1
for ((i = 0; i < ${#ALL[@]} && ${#PHOTOS[@]} < NPHOTOS; i += step)); do PHOTOS+=("${ALL[$i]}"); done
# A GIF's name says what it was made from and by which version of the maker.
MAKER=$(sha256sum "$ROOT/bench/animation_make.mjs" | cut -c1-8)
GIF_DIR=$CACHE/animations
mkdir -p "$GIF_DIR"
GIFS=() JOBS=()
for p in "${PHOTOS[@]}"; do
  for shape in "${SHAPES[@]}"; do
    read -r w h n d <<<"$shape"
    name=$(basename "$(dirname "$(dirname "$(dirname "$p")")")")
    case "$p" in /usr/share/wallpapers/*) ;; *) name=$(basename "$p" .jpg) ;; esac
    gif=$GIF_DIR/$name-${w}x$h-${n}f-${d}ms-$MAKER.gif
    GIFS+=("$gif")
    [ -s "$gif" ] || JOBS+=("$p $w $h $n $d $gif")
  done
done
if [ "${#JOBS[@]}" -gt 0 ]; then
  say "making ${#JOBS[@]} animated GIFs with sharp (kept in $GIF_DIR for the next run)"
  printf '%s\n' "${JOBS[@]}" | (cd "$IPX_DIR" && xargs -P "$THREADS" -L 1 sh -c \
    'node animation_make.mjs "$0" "$1" "$2" "$3" "$4" "$5.part" >/dev/null && mv "$5.part" "$5"') ||
    die "making the GIFs failed"
fi
mkdir -p "$TMP/originals" "$TMP/flat" "$TMP/out" "$TMP/cache"
IDS=() FRAMES=() OWIDTH=() DELAYS=() LOOPS=()
for gif in "${GIFS[@]}"; do
  store_original "$gif"
  ln -s "$gif" "$TMP/flat/$ID.gif"
  IDS+=("$ID")
  FRAMES+=("$(vipsheader -f n-pages "$gif")")
  OWIDTH+=("$(vipsheader -f width "$gif")")
  DELAYS+=("$(vipsheader -f delay "$gif")")
  LOOPS+=("$(vipsheader -f loop "$gif")")
done
say "${#GIFS[@]} animations from ${#PHOTOS[@]} photo(s)"

# --- servers ----------------------------------------------------------------------------
use_jdk
ensure_jar src/main "mvn -B -q -DskipTests package" src/main pom.xml
imgorigin() { # imgorigin <log> <env argument>...: a server over $TMP/originals, caches off; sets S_PORT, S_PID
  local log=$1
  shift
  S_PORT=$(free_port)
  launch_jar "$log" IMGORIGIN_PORT="$S_PORT" IMGORIGIN_ORIGINALS="file:$TMP/originals" \
    IMGORIGIN_CACHE_DIR="$TMP/cache" IMGORIGIN_MEMORY_CACHE_BYTES=0 IMGORIGIN_CACHE_MAX_BYTES=0 \
    IMGORIGIN_ACCESS_LOG=false "$@"
  S_PID=$LAUNCHED
  await_ready "$S_PORT" "$S_PID" "$log" "imgorigin exited during start-up (log above)" \
    "imgorigin: no 200 from /readyz within 60 s (last: @CODE@)"
}
imgorigin "$TMP/imgorigin.log" IMGORIGIN_WORKERS="$THREADS"
IMG=http://127.0.0.1:$S_PORT
IMG_PID=$S_PID

I_PORT=$(free_port)
(cd "$IPX_DIR" && exec node peers_ipx.mjs "$I_PORT" "$TMP/flat") >"$TMP/ipx.log" 2>&1 &
I_PID=$!
PIDS+=("$I_PID")
deadline=$((SECONDS + 60))
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$I_PORT/w_16,f_webp/${IDS[0]}.gif" || true)" = 200 ]; do
  kill -0 "$I_PID" 2>/dev/null || { cat "$TMP/ipx.log" >&2; forget_pid "$I_PID"; die "ipx exited during start-up"; }
  [ "$SECONDS" -lt "$deadline" ] || die "ipx does not answer within 60 s"
  sleep 0.3
done
IPX=http://127.0.0.1:$I_PORT

client() { python3 "$ROOT/bench/animation_client.py" "$@"; }
FAILURES=0

# --- (a) bytes ----------------------------------------------------------------------------
# Also the warm-up (JIT, codecs, page cache): every animation at every width, both formats.
say "(a) bytes: ${#IDS[@]} animations × widths ${WIDTHS[*]} × WebP, GIF"
BYTES=$TMP/bytes.tsv
printf 'animation\tframes\torig_width\torig_bytes\twidth\tformat\tbytes\tout_frames\tout_width\tdelays_kept\tloop_kept\n' >"$BYTES"
paths=()
for i in "${!IDS[@]}"; do
  for w in "${WIDTHS[@]}"; do
    for f in webp gif; do paths+=("/w_$w/${IDS[$i]}.$f"); done
  done
done
out=$(client --base "$IMG" --threads "$THREADS" --save "$TMP/out" "${paths[@]}") || FAILURES=$((FAILURES + 1))
say "imgorigin: $out"
k=0
for i in "${!IDS[@]}"; do
  for w in "${WIDTHS[@]}"; do
    for f in webp gif; do
      file=$TMP/out/$k
      k=$((k + 1))
      if [ ! -s "$file" ]; then
        FAILURES=$((FAILURES + 1))
        continue
      fi
      frames=$(vipsheader -f n-pages "$file" 2>/dev/null || echo 1)
      ow=$(vipsheader -f width "$file")
      dk=no lk=no
      [ "$(vipsheader -f delay "$file" 2>/dev/null)" = "${DELAYS[$i]}" ] && dk=yes
      [ "$(vipsheader -f loop "$file" 2>/dev/null)" = "${LOOPS[$i]}" ] && lk=yes
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(basename "${GIFS[$i]}" .gif)" "${FRAMES[$i]}" \
        "${OWIDTH[$i]}" "$(stat -c %s "${GIFS[$i]}")" "$w" "$f" "$(stat -c %s "$file")" "$frames" "$ow" "$dk" "$lk" >>"$BYTES"
    done
  done
done

# ipx warms up too (uncounted).
for f in webp gif; do
  warm_ipx=()
  for id in "${IDS[@]}"; do warm_ipx+=("/animated,w_$CPU_WIDTH,q_80,f_$f/$id.gif"); done
  client --base "$IPX" --threads "$THREADS" --format "$f" "${warm_ipx[@]}" >/dev/null || die "ipx warm-up failed ($f)"
done

# --- (b) CPU per render -------------------------------------------------------------------
path_of() { # path_of <tool> <format> <id>
  case "$1:$2" in
    imgorigin:webp) printf '/w_%s,q_80/%s.webp' "$CPU_WIDTH" "$3" ;;
    imgorigin:gif) printf '/w_%s/%s.gif' "$CPU_WIDTH" "$3" ;;
    ipx:webp) printf '/animated,w_%s,q_80,f_webp/%s.gif' "$CPU_WIDTH" "$3" ;;
    ipx:gif) printf '/animated,w_%s,f_gif/%s.gif' "$CPU_WIDTH" "$3" ;;
  esac
}
measure() { # measure <tool> <format>: "seconds cpu_ms bytes failures requests x_cache"
  local tool=$1 f=$2 base pid t0 t1 out id p=()
  if [ "$tool" = imgorigin ]; then base=$IMG pid=$IMG_PID; else base=$IPX pid=$I_PID; fi
  for id in "${IDS[@]}"; do p+=("$(path_of "$tool" "$f" "$id")"); done
  t0=$(cpu_ticks "$pid")
  out=$(client --base "$base" --threads "$THREADS" --format "$f" "${p[@]}") || true
  t1=$(cpu_ticks "$pid")
  [ -n "$out" ] || die "animation_client.py failed against $tool"
  printf '%s %s %s %s %s %s\n' "$(field seconds "$out")" \
    "$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", d * 1000 / hz }')" \
    "$(field bytes "$out")" "$(field failures "$out")" "$(field requests "$out")" "$(field x_cache "$out")"
}
say "(b) CPU: ${#IDS[@]} animations at w $CPU_WIDTH, WebP and GIF, imgorigin and ipx, $REPS measurements"
LOAD_START=$(loadavg)
CPU=$TMP/cpu.tsv
printf 'rep\tformat\ttool\tseconds\tcpu_ms_per_render\tbytes_per_render\tfailures\tx_cache\n' >"$CPU"
TOOLS=(imgorigin ipx)
turn=0
for ((rep = 1; rep <= REPS; rep++)); do
  for f in webp gif; do
    for ((t = 0; t < 2; t++)); do
      tool=${TOOLS[$(((t + turn) % 2))]}
      read -r sec cpu bytes fails n xc <<<"$(measure "$tool" "$f")"
      [ -n "$xc" ] || die "measuring $tool ($f) failed"
      FAILURES=$((FAILURES + fails))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$f" "$tool" "$sec" \
        "$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.1f", c / n }')" "$((bytes / n))" "$fails" "$xc" >>"$CPU"
      say "run $rep, $f, $tool: $sec s, $cpu ms CPU for $n renders ($xc)"
    done
    turn=$((turn + 1))
  done
done
LOAD_END=$(loadavg)

# --- (c) peak RSS of 8 concurrent animated renders ----------------------------------------
kill "$IMG_PID" "$I_PID" 2>/dev/null || true
wait "$IMG_PID" "$I_PID" 2>/dev/null || true
forget_pid "$IMG_PID"
forget_pid "$I_PID"
imgorigin "$TMP/imgorigin-rss.log" IMGORIGIN_WORKERS=8 IMGORIGIN_QUEUE=64 IMGORIGIN_RENDER_TIMEOUT=120
RSS_BASE=http://127.0.0.1:$S_PORT
# 8 different renders (no request coalescing): w 480 then 320, WebP and GIF, over the animations.
RSS_PATHS=()
for w in 480 320; do
  for shift in 0 1; do
    for i in "${!IDS[@]}"; do
      fmts=(webp gif)
      if [ "${#RSS_PATHS[@]}" -lt 8 ]; then RSS_PATHS+=("/w_$w/${IDS[$i]}.${fmts[$(((i + shift) % 2))]}"); fi
    done
  done
done
[ "${#RSS_PATHS[@]}" -eq 8 ] || die "fewer than 8 different renders for (c)"
say "(c) RSS: 8 renders at once, $REPS rounds, on a fresh server with 8 workers"
client --base "$RSS_BASE" --threads 1 "${RSS_PATHS[@]}" >/dev/null || die "(c) warm-up failed" # one at a time
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$S_PID/status"; }
RSS=$TMP/rss.tsv
printf 'round\trss_before_mb\trss_peak_mb\tseconds\tfailures\n' >"$RSS"
WARM_PEAK=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$S_PID/status")
for ((round = 1; round <= REPS; round++)); do
  before=$(rss_kb)
  peak=$before
  client --base "$RSS_BASE" --threads 8 "${RSS_PATHS[@]}" >"$TMP/rss.out" 2>&1 &
  cpid=$!
  while kill -0 "$cpid" 2>/dev/null; do
    now=$(rss_kb)
    [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.02
  done
  wait "$cpid" || true
  out=$(tail -n 1 "$TMP/rss.out")
  FAILURES=$((FAILURES + $(field failures "$out")))
  printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$((before / 1024))" "$((peak / 1024))" "$(field seconds "$out")" \
    "$(field failures "$out")" >>"$RSS"
  say "round $round: RSS $((before / 1024)) MB before, $((peak / 1024)) MB at the peak ($out)"
done
HWM=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$S_PID/status")
MINUTES=$(((SECONDS - STARTED + 59) / 60))

# --- report -----------------------------------------------------------------------------
sharp_versions() {
  # shellcheck disable=SC2016 # ${…} is JavaScript's
  (cd "$IPX_DIR" && node -e 'const v = require("sharp").versions;
    console.log(`sharp ${v.sharp} (libvips ${v.vips}, libwebp ${v.webp}, cgif ${v.cgif}, libimagequant ${v.imagequant})`)')
}
commit=$(commit_label src/main pom.xml bench/animation.sh bench/animation_make.mjs bench/animation_client.py \
  bench/animation_report.py bench/peers_ipx.mjs)
cpu_name=$(cpu_model)
command="bench/animation.sh${ARGS[*]:+ ${ARGS[*]}}"
header=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$commit"
  # shellcheck disable=SC2016 # the backquotes are Markdown
  printf 'Command: `%s` (%s min in all). %s animated GIFs made by sharp from %s photo(s): 480x270 × 24 frames of 80 ms and 800x450 × 12 frames of 150 ms, loop 0. CPU: %s at a time, %s measurements; RSS: %s rounds.\n' \
    "$command" "$MINUTES" "${#IDS[@]}" "${#PHOTOS[@]}" "$THREADS" "$REPS" "$REPS"
  printf 'Machine: %s cores, %s, shared with other work; load average %s at the start of (b), %s at its end.\n' \
    "$(nproc)" "${cpu_name:-unknown CPU}" "$LOAD_START" "$LOAD_END"
  printf 'Versions: imgorigin on %s; %s; ipx %s, %s.\n' "$(vips --version 2>/dev/null || echo libvips)" \
    "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)" "$IPX_VERSION" "$(sharp_versions)"
  printf '%s.\n' "$MAGICK"
)
TABLES=$(python3 "$ROOT/bench/animation_report.py" --bytes "$BYTES" --cpu "$CPU" --rss "$RSS" \
  --warm-peak "$WARM_PEAK" --hwm "$HWM") || die "animation_report.py failed"
report=$(
  printf '%s\n\n%s\n' "$header" "$TABLES"
  [ "$FAILURES" -eq 0 ] || printf '\n**Warning:** %s failed renders or checks.\n' "$FAILURES"
  printf '\n<details><summary>Raw measurements</summary>\n\n```tsv\n'
  cat "$BYTES"
  printf '\n'
  cat "$CPU"
  printf '\n'
  cat "$RSS"
  printf '```\n\n</details>\n'
)
printf '\n%s\n' "$report"
printf '%s\n\n' "$report" | append_results "Animations: bytes, CPU against ipx, memory"
if [ "$FAILURES" -gt 0 ]; then
  printf '\n!!! WARNING: %s failed renders or checks !!!\n' "$FAILURES"
  exit 1
fi
