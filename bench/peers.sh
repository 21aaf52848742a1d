#!/usr/bin/env bash
# Cold-render throughput of imgorigin against libvips and against its peers, side by side in
# one run: same photos, same outputs, same concurrency.
#
# Workload: the JPEG photos of bench/corpus/photos.sh (2-16 MP), each resized to W px
# wide (W = 320, 640, 1280) and saved as JPEG q80, WebP q80 and AVIF q60 (q60 is imgorigin's
# q_auto:good for AVIF, its match for JPEG q80; AVIF effort 2, IMGORIGIN_AVIF_EFFORT's
# default), metadata stripped, 2 at a time. Every answer is a render: no tool caches.
#   libvips    bench/vips_baseline.c on the system libvips: 2 threads in one process, from
#              memory, libvips concurrency 1, cache off (the ceiling: what the server wraps)
#   imgorigin  java -jar target/imgorigin.jar, IMGORIGIN_WORKERS=2, both variant caches off,
#              /w_W,q_Q/<id>.<ext> over HTTP
#   ipx        ipx (npm; sharp and the libvips sharp bundles) behind node:http
#              (bench/peers_ipx.mjs), /w_W,q_Q,f_<format>/<id>.jpg over HTTP, set to do
#              imgorigin's work (baseline JPEG, AVIF effort 2 and 4:2:0, shrink-on-load
#              leaving a factor of 2; ipxdefaults, not run unless asked: as it comes)
#   nginx      nginx's image_filter (libgd), 2 worker processes, /w<W>/<id>.jpg over HTTP;
#              JPEG rows only: image_filter writes the input's format
#   magick     ImageMagick's convert, one process per image (as it is run), 2 at a time
#              (xargs -P2, MAGICK_THREAD_LIMIT=1), with the jpeg:size hint for shrink-on-load
#   sharpvips  bench/vips_baseline.c on the libvips that ipx's sharp bundles (newer codecs):
#              a second ceiling, so that ipx's figures can be read apart from its codecs
# The HTTP tools are asked by bench/peers_client.py: 2 keep-alive connections, one queue of
# jobs, every answer checked (status, Content-Type, magic bytes; imgorigin's X-Cache: MISS).
# Measurements are interleaved finely: for every output (format, width) the photos are
# split into chunks of about 6 and the tools take turns chunk by chunk, in an order that
# rotates, so all share the machine's noise; a measurement is a tool's renders of all the
# photos over the time it took; the result is ratios of medians of those.
# Takes about 12 minutes with the defaults on 2 cores, 2 with --quick.
#
# usage: bench/peers.sh [--quick] [--reps N] [--rounds N] [--photos N] [--chunk N] [--widths L]
#                       [--formats L] [--tools L] [--threads N] [--no-doc] [--no-record]
#   --quick      --reps 1 --photos 8: a smoke run (not for quoting)
#   --reps N     measurements of each tool and output (default 3)
#   --rounds N   passes over the photos per measurement (default 1)
#   --photos N   use the first N photos (default: all)
#   --chunk N    photos per turn of a tool (default 6)
#   --widths L   comma-separated output widths (default 320,640,1280)
#   --formats L  comma-separated, of jpeg,webp,avif (default all three)
#   --tools L    comma-separated, of libvips,imgorigin,ipx,nginx,magick,sharpvips (the
#                default) and ipxdefaults
#   --threads N  concurrent renders / connections / processes (default 2)
#   --no-doc     don't rewrite the peers section of docs/benchmarks.md and docs/img/peers-*.svg
#   --no-record  don't append to bench/results/
# Installs what it compares against when missing: ImageMagick and nginx's image_filter with
# apt-get (as root), ipx with npm into $IMGORIGIN_BENCH_CACHE (default ~/.cache/imgorigin-bench).
# Environment: JAVA_HOME (a JDK 25; default /usr/lib/jvm/temurin-25-jdk-amd64),
#   IMGORIGIN_JAVA_OPTS (extra JVM flags, as for `bin/imgorigin serve`),
#   IMGORIGIN_AVIF_EFFORT (AVIF effort for every tool that has one; default 2).
# Prints the tables and appends them to bench/results/peers-<date>.md; rewrites the peers
# section of docs/benchmarks.md and its charts (docs/img/peers-*.svg).
set -euo pipefail

BENCH=peers
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=3 ROUNDS=1 NPHOTOS="" CHUNK_SIZE=6 THREADS=2 DOC=1
WIDTHS=320,640,1280 FORMATS=jpeg,webp,avif TOOLS=libvips,imgorigin,ipx,nginx,magick,sharpvips
WARM_WIDTH=200 AVIF_EFFORT=${IMGORIGIN_AVIF_EFFORT:-2}
IPX_VERSION=3.1.1
NGINX=/usr/sbin/nginx
NGINX_FILTER=/usr/lib/nginx/modules/ngx_http_image_filter_module.so
CONVERT=/usr/bin/convert # not /usr/local/bin/convert, which may be a stand-in or a wrapper
ARGS=("$@")

while [ "$#" -gt 0 ]; do
  case "$1" in
    --quick) REPS=1 NPHOTOS=8; shift ;;
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    --photos) NPHOTOS=${2:?--photos needs a number}; shift 2 ;;
    --chunk) CHUNK_SIZE=${2:?--chunk needs a number}; shift 2 ;;
    --widths) WIDTHS=${2:?--widths needs a list}; shift 2 ;;
    --formats) FORMATS=${2:?--formats needs a list}; shift 2 ;;
    --tools) TOOLS=${2:?--tools needs a list}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --no-doc) DOC=0; shift ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$REPS" "$ROUNDS" "$CHUNK_SIZE" "$THREADS" ${NPHOTOS:+"$NPHOTOS"}
[[ $WIDTHS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "not a list of widths: $WIDTHS"
[[ $FORMATS =~ ^(jpeg|webp|avif)(,(jpeg|webp|avif))*$ ]] || die "not a list of jpeg, webp, avif: $FORMATS"
KNOWN='(libvips|imgorigin|ipx|ipxdefaults|nginx|magick|sharpvips)'
[[ $TOOLS =~ ^$KNOWN(,$KNOWN)*$ ]] || die "not a list of libvips, imgorigin, ipx, ipxdefaults, nginx, magick, sharpvips: $TOOLS"
[[ $AVIF_EFFORT =~ ^[0-9]$ ]] || die "IMGORIGIN_AVIF_EFFORT is not 0-9: $AVIF_EFFORT"
IFS=, read -r -a WIDTH_LIST <<<"$WIDTHS"
IFS=, read -r -a FORMAT_LIST <<<"$FORMATS"
IFS=, read -r -a TOOL_LIST <<<"$TOOLS"
uses() { [[ ,$TOOLS, == *,$1,* ]]; }

quality_of() { [ "$1" = avif ] && echo 60 || echo 80; }
ext_of() { [ "$1" = jpeg ] && echo jpg || echo "$1"; }

# --- what it compares against -----------------------------------------------------------
need gcc python3 sha256sum curl vipsheader
if uses nginx; then
  apt_ensure "$NGINX" nginx-light
  apt_ensure "$NGINX_FILTER" libnginx-mod-http-image-filter
fi
if uses magick; then
  apt_ensure "$CONVERT" imagemagick
  # Not `convert | grep -q`: grep's early exit fails the pipeline under pipefail.
  [[ $("$CONVERT" -list format 2>/dev/null) =~ AVIF\*\ +HEIC\ +rw ]] ||
    die "$CONVERT has no AVIF writer (libheif); run with --tools without magick"
fi
if uses ipx || uses ipxdefaults || uses sharpvips; then
  ensure_ipx
  SHARP_LIBVIPS=$(sharp_libvips)
  uses sharpvips && [ -z "$SHARP_LIBVIPS" ] && die "no libvips-cpp.so under $IPX_DIR/node_modules/@img (sharp's libvips)"
fi

make_tmp
chmod 755 "$TMP" # nginx's workers (www-data when run as root) read the photos through it
# libvips prints a warning per photo with an odd EXIF resolution unit; not our subject.
export VIPS_WARNING=0

# --- photos -----------------------------------------------------------------------------
corpus PHOTOS jpeg "$NPHOTOS"
mkdir -p "$TMP/originals" "$TMP/cache" "$TMP/flat" "$TMP/magick"
IDS=() DIMS=()
# shellcheck disable=SC2153 # PHOTOS is filled by corpus
for p in "${PHOTOS[@]}"; do
  store_original "$p"                # imgorigin's store
  ln -s "$p" "$TMP/flat/$ID.jpg"     # ipx, nginx and ImageMagick read these
  IDS+=("$ID")
  DIMS+=("$(vipsheader -f width "$p") $(vipsheader -f height "$p")")
done

# --- the libvips yardsticks ---------------------------------------------------------------
if uses libvips; then
  BASELINE=$TMP/vips_baseline
  build_vips_baseline "$BASELINE"
fi
if uses sharpvips; then
  SHARP_BASELINE=$TMP/vips_baseline_sharp
  build_vips_baseline "$SHARP_BASELINE" "$SHARP_LIBVIPS"
fi

# --- servers ----------------------------------------------------------------------------
await_http() { # await_http <url> <pid> <log> <name>: waits up to 60 s for a 200
  local deadline=$((SECONDS + 60))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$3" >&2; forget_pid "$2"; die "$4 exited during start-up (log above)"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$3" >&2; die "$4 does not answer $1 within 60 s"; }
    sleep 0.3
  done
}

warm() { # warm <base> <template> <format> <rounds> [<client option>...]: uncounted requests
  local base=$1 template=$2 format=$3 rounds=$4
  shift 4
  python3 "$ROOT/bench/peers_client.py" --base "$base" --template "$template" --format "$format" \
    --width "$WARM_WIDTH" --quality "$(quality_of "$format")" --threads "$THREADS" --rounds "$rounds" "$@" \
    "${IDS[@]}" >"$TMP/warm.out" 2>&1 || { cat "$TMP/warm.out" >&2; die "warm-up failed: $base$template ($format)"; }
}

if uses imgorigin; then
  use_jdk
  ensure_jar src/main "mvn -B -q -DskipTests package" src/main pom.xml
  S_PORT=$(free_port)
  launch_jar "$TMP/imgorigin.log" \
    IMGORIGIN_PORT="$S_PORT" \
    IMGORIGIN_ORIGINALS="file:$TMP/originals" \
    IMGORIGIN_CACHE_DIR="$TMP/cache" \
    IMGORIGIN_MEMORY_CACHE_BYTES=0 \
    IMGORIGIN_CACHE_MAX_BYTES=0 \
    IMGORIGIN_ACCESS_LOG=false \
    IMGORIGIN_AVIF_EFFORT="$AVIF_EFFORT" \
    IMGORIGIN_WORKERS="$THREADS"
  S_PID=$LAUNCHED
  await_ready "$S_PORT" "$S_PID" "$TMP/imgorigin.log" "imgorigin exited during start-up (log above)" \
    "imgorigin: no 200 from /readyz within 60 s (last: @CODE@)"
fi

start_ipx() { # start_ipx <matched|defaults>: sets IPX_PORT and IPX_PID
  launch_ipx "$AVIF_EFFORT" "$1" "$TMP/ipx-$1.log" "/w_$WARM_WIDTH,f_jpeg/${IDS[0]}.jpg"
}
if uses ipx; then
  start_ipx matched
  I_PORT=$IPX_PORT I_PID=$IPX_PID
fi
if uses ipxdefaults; then
  start_ipx defaults
  D_PORT=$IPX_PORT D_PID=$IPX_PID
fi

if uses nginx; then
  N=$TMP/nginx
  mkdir -p "$N/logs" "$N/temp"
  N_PORT=$(free_port)
  # reuseport gives each worker its own socket, so that --pin can reach both of them.
  cat >"$N/nginx.conf" <<EOF
load_module $NGINX_FILTER;
worker_processes $THREADS;
pid $N/nginx.pid;
error_log $N/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $N/temp/body;
  proxy_temp_path $N/temp/proxy;
  fastcgi_temp_path $N/temp/fastcgi;
  uwsgi_temp_path $N/temp/uwsgi;
  scgi_temp_path $N/temp/scgi;
  server {
    listen 127.0.0.1:$N_PORT reuseport;
    location = /pid { default_type text/plain; return 200 \$pid; }
    location ~ ^/w(?<width>[0-9]+)/ {
      root $TMP/flat;
      rewrite ^/w[0-9]+/(.*)\$ /\$1 break;
      image_filter resize \$width -;
      image_filter_jpeg_quality 80;
      image_filter_buffer 32M;
    }
  }
}
EOF
  "$NGINX" -t -q -p "$N/" -c "$N/nginx.conf" || die "nginx -t failed on $N/nginx.conf"
  "$NGINX" -p "$N/" -c "$N/nginx.conf" -g 'daemon off;' >"$N/logs/stdout.log" 2>&1 &
  N_PID=$!
  PIDS+=("$N_PID") # nginx's fast shutdown (TERM) takes its workers along
  await_http "http://127.0.0.1:$N_PORT/pid" "$N_PID" "$N/logs/error.log" nginx
fi

# --- one measurement: a tool renders the photos of CHUNK (indices into PHOTOS and IDS) ----
# Each prints "seconds CPU-ms bytes failures renders note": the wall time, the CPU time of
# the process(es) doing the work (not the load client), the output bytes, failed renders,
# renders asked for, and imgorigin's X-Cache counts ("-" for the others).
ticks() { # ticks <pid>...: their CPU time, in clock ticks
  local total=0 pid
  for pid in "$@"; do total=$((total + $(cpu_ticks "$pid"))); done
  printf '%s\n' "$total"
}
nginx_workers() { pgrep -P "$N_PID" | tr '\n' ' '; }

measure_baseline() { # measure_baseline <binary> <format> <width>
  local out i files=()
  for i in "${CHUNK[@]}"; do files+=("${PHOTOS[$i]}"); done
  out=$("$1" -t "$THREADS" -r "$ROUNDS" -w "$3" -q "$(quality_of "$2")" -f "$2" -e "$AVIF_EFFORT" \
    -W "$WARM_WIDTH" "${files[@]}") || say "vips_baseline failed: $out"
  printf '%s %s %s %s %s -\n' "$(field seconds "$out")" "$(field cpu_ms "$out")" "$(field out_bytes "$out")" \
    "$(field failures "$out")" "$(field jobs "$out")"
}

measure_http() { # measure_http <base> <template> <format> <width> <pids to charge> [<client option>...]
  local base=$1 template=$2 format=$3 width=$4 pids=$5 out t0 t1 i names=()
  shift 5
  for i in "${CHUNK[@]}"; do names+=("${IDS[$i]}"); done
  # shellcheck disable=SC2086 # $pids is a list
  t0=$(ticks $pids)
  out=$(python3 "$ROOT/bench/peers_client.py" --base "$base" --template "$template" --format "$format" \
    --width "$width" --quality "$(quality_of "$format")" --threads "$THREADS" --rounds "$ROUNDS" "$@" \
    "${names[@]}") || true
  # shellcheck disable=SC2086
  t1=$(ticks $pids)
  [ -n "$out" ] || die "peers_client.py failed against $base"
  printf '%s %s %s %s %s %s\n' "$(field seconds "$out")" \
    "$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", d * 1000 / hz }')" \
    "$(field bytes "$out")" "$(field failures "$out")" "$(field requests "$out")" "$(field x_cache "$out")"
}

measure_magick() { # measure_magick <format> <width>
  local format=$1 w=$2 q r i pw ph start end cpu bytes=0 made=0 f
  q=$(quality_of "$format")
  rm -f "$TMP/magick/"*
  : >"$TMP/magick.jobs"
  for ((r = 0; r < ROUNDS; r++)); do
    for i in "${CHUNK[@]}"; do
      read -r pw ph <<<"${DIMS[$i]}"
      # jpeg:size: libjpeg decodes at the smallest 1/N scale of at least twice the output,
      # as ImageMagick's documentation advises for thumbnails.
      printf -- '-define jpeg:size=%dx%d %s -thumbnail %dx -strip -quality %d %s\n' \
        $((2 * w)) $((2 * w * ph / pw)) "$TMP/flat/${IDS[$i]}.jpg" "$w" "$q" \
        "$TMP/magick/${IDS[$i]}.$(ext_of "$format")" >>"$TMP/magick.jobs"
    done
  done
  start=$(date +%s.%N)
  # `times` in the subshell: the CPU time of the convert processes (its children).
  cpu=$( (MAGICK_THREAD_LIMIT=1 xargs -P "$THREADS" -L 1 "$CONVERT" <"$TMP/magick.jobs" >"$TMP/magick.log" 2>&1 ||
    true; times) | awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
  end=$(date +%s.%N)
  for f in "$TMP/magick/"*; do
    [ -s "$f" ] || continue
    made=$((made + 1)) bytes=$((bytes + $(stat -c %s "$f")))
  done
  printf '%s %s %s %s %s -\n' "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')" \
    "$(awk -v c="$cpu" 'BEGIN { printf "%.1f", c * 1000 }')" $((bytes * ROUNDS)) \
    $(((${#CHUNK[@]} - made) * ROUNDS)) $((${#CHUNK[@]} * ROUNDS))
}

measure() { # measure <tool> <format> <width>
  case "$1" in
    libvips) measure_baseline "$BASELINE" "$2" "$3" ;;
    sharpvips) measure_baseline "$SHARP_BASELINE" "$2" "$3" ;;
    imgorigin) measure_http "http://127.0.0.1:$S_PORT" '/w_{w},q_{q}/{id}.{ext}' "$2" "$3" "$S_PID" ;;
    ipx) measure_http "http://127.0.0.1:$I_PORT" '/w_{w},q_{q},f_{f}/{id}.jpg' "$2" "$3" "$I_PID" ;;
    ipxdefaults) measure_http "http://127.0.0.1:$D_PORT" '/w_{w},q_{q},f_{f}/{id}.jpg' "$2" "$3" "$D_PID" ;;
    nginx) measure_http "http://127.0.0.1:$N_PORT" '/w{w}/{id}.jpg' "$2" "$3" "$(nginx_workers)" --pin /pid ;;
    magick) measure_magick "$2" "$3" ;;
  esac
}

takes_part() { [ "$1" != nginx ] || [ "$2" = jpeg ]; } # takes_part <tool> <format>

# --- warm-up and a check that every tool makes the same output ----------------------------
say "warming up (JIT, codecs, page cache)"
for format in "${FORMAT_LIST[@]}"; do
  uses imgorigin && warm "http://127.0.0.1:$S_PORT" '/w_{w},q_{q}/{id}.{ext}' "$format" 2
  uses ipx && warm "http://127.0.0.1:$I_PORT" '/w_{w},q_{q},f_{f}/{id}.jpg' "$format" 1
  uses ipxdefaults && warm "http://127.0.0.1:$D_PORT" '/w_{w},q_{q},f_{f}/{id}.jpg' "$format" 1
  uses nginx && [ "$format" = jpeg ] && warm "http://127.0.0.1:$N_PORT" '/w{w}/{id}.jpg' jpeg 1 --pin /pid
done

# Same output: the first photo at the first width, from every tool, in every format: the
# format, the width asked for and the height of the photo's aspect ratio (±1 px of rounding).
read -r pw ph <<<"${DIMS[0]}"
w=${WIDTH_LIST[0]} id=${IDS[0]}
expect_h=$(((2 * w * ph / pw + 1) / 2))
check_output() { # check_output <tool> <format> <file>
  local got_w got_h loader
  got_w=$(vipsheader -f width "$3" 2>/dev/null || echo 0)
  got_h=$(vipsheader -f height "$3" 2>/dev/null || echo 0)
  loader=$(vipsheader -f vips-loader "$3" 2>/dev/null || echo none)
  case "$2:$loader" in jpeg:jpegload* | webp:webpload* | avif:heifload*) ;; *) die "$1 $2: made $loader";; esac
  if [ "$got_w" != "$w" ] || [ $((got_h - expect_h)) -gt 1 ] || [ $((expect_h - got_h)) -gt 1 ]; then
    die "$1 $2: ${got_w}x$got_h for w $w, expected ${w}x$expect_h"
  fi
}
for format in "${FORMAT_LIST[@]}"; do
  q=$(quality_of "$format") ext=$(ext_of "$format")
  if uses imgorigin; then
    curl -sf -o "$TMP/check" "http://127.0.0.1:$S_PORT/w_$w,q_$q/$id.$ext" || die "imgorigin: no $format"
    check_output imgorigin "$format" "$TMP/check"
  fi
  if uses ipx; then
    curl -sf -o "$TMP/check" "http://127.0.0.1:$I_PORT/w_$w,q_$q,f_$format/$id.jpg" || die "ipx: no $format"
    check_output ipx "$format" "$TMP/check"
  fi
  if uses ipxdefaults; then
    curl -sf -o "$TMP/check" "http://127.0.0.1:$D_PORT/w_$w,q_$q,f_$format/$id.jpg" || die "ipx (defaults): no $format"
    check_output ipxdefaults "$format" "$TMP/check"
  fi
  if uses nginx && [ "$format" = jpeg ]; then
    curl -sf -o "$TMP/check" "http://127.0.0.1:$N_PORT/w$w/$id.jpg" || die "nginx: no jpeg"
    check_output nginx jpeg "$TMP/check"
  fi
  if uses magick; then
    MAGICK_THREAD_LIMIT=1 "$CONVERT" -define "jpeg:size=$((2 * w))x$((2 * w * ph / pw))" "$TMP/flat/$id.jpg" \
      -thumbnail "${w}x" -strip -quality "$q" "$TMP/check.$ext" || die "ImageMagick: no $format"
    check_output magick "$format" "$TMP/check.$ext"
  fi
done

# --- measurements -----------------------------------------------------------------------
# The photos go round-robin into chunks of about CHUNK_SIZE (big and small photos in each);
# for every output the tools take turns chunk by chunk, in an order that moves on by one
# each turn, so that every tool's time is spread over the whole measurement and they all
# see the same noise. A measurement is a tool's renders of all chunks over its total time.
NCHUNKS=$(((${#PHOTOS[@]} + CHUNK_SIZE - 1) / CHUNK_SIZE))
CHUNKS=()
for ((c = 0; c < NCHUNKS; c++)); do
  chunk=""
  for ((i = c; i < ${#PHOTOS[@]}; i += NCHUNKS)); do chunk+="$i "; done
  CHUNKS+=("$chunk")
done
LOAD_START=$(loadavg)
STARTED=$SECONDS
say "${#PHOTOS[@]} photos × $ROUNDS pass(es) in $NCHUNKS chunks, $THREADS at a time;" \
  "formats $FORMATS × widths $WIDTHS × tools $TOOLS × $REPS measurements"
RESULTS=$TMP/results.tsv
printf 'rep\tformat\twidth\ttool\timages_per_s\tcpu_ms_per_image\tbytes_per_image\tfailures\tnote\n' >"$RESULTS"
FAILURES=0 HITS=0 turn=0
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }
for ((rep = 1; rep <= REPS; rep++)); do
  for format in "${FORMAT_LIST[@]}"; do
    for width in "${WIDTH_LIST[@]}"; do
      order=()
      for tool in "${TOOL_LIST[@]}"; do takes_part "$tool" "$format" && order+=("$tool"); done
      n=${#order[@]}
      declare -A SEC=() CPU=() OUT=() FAILED=() RENDERS=()
      for tool in "${order[@]}"; do SEC[$tool]=0 CPU[$tool]=0 OUT[$tool]=0 FAILED[$tool]=0 RENDERS[$tool]=0; done
      misses=0
      for chunk in "${CHUNKS[@]}"; do
        read -r -a CHUNK <<<"$chunk"
        for ((k = 0; k < n; k++)); do
          tool=${order[$(((k + turn) % n))]}
          result=$(measure "$tool" "$format" "$width") || die "measuring $tool ($format, w $width) failed"
          read -r sec cpu bytes fails renders note <<<"$result"
          SEC[$tool]=$(add "${SEC[$tool]}" "$sec") CPU[$tool]=$(add "${CPU[$tool]}" "$cpu")
          OUT[$tool]=$((OUT[$tool] + bytes)) FAILED[$tool]=$((FAILED[$tool] + fails))
          RENDERS[$tool]=$((RENDERS[$tool] + renders))
          if [ "$tool" = imgorigin ]; then # every answer a render: X-Cache MISS, nothing else
            if [[ $note =~ ^MISS:([0-9]+)$ ]]; then misses=$((misses + BASH_REMATCH[1])); else HITS=$((HITS + 1)); fi
          fi
        done
        turn=$((turn + 1))
      done
      line=""
      for tool in "${order[@]}"; do
        r=${RENDERS[$tool]}
        FAILURES=$((FAILURES + FAILED[$tool]))
        ips=$(awk -v n="$r" -v s="${SEC[$tool]}" 'BEGIN { printf "%.3f", n / s }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$format" "$width" "$tool" "$ips" \
          "$(awk -v c="${CPU[$tool]}" -v n="$r" 'BEGIN { printf "%.1f", c / n }')" "$((OUT[$tool] / r))" \
          "${FAILED[$tool]}" "$([ "$tool" = imgorigin ] && echo "MISS:$misses" || echo -)" >>"$RESULTS"
        line+=" $tool $ips"
      done
      say "run $rep, $format w $width (img/s):$line"
    done
  done
done
MINUTES=$(((SECONDS - STARTED + 59) / 60))

# --- report -----------------------------------------------------------------------------
sharp_versions() {
  # shellcheck disable=SC2016 # ${…} is JavaScript's
  (cd "$IPX_DIR" && node -e 'const v = require("sharp").versions;
    console.log(`sharp ${v.sharp} (libvips ${v.vips}, mozjpeg, libwebp ${v.webp}, libheif ${v.heif}, aom ${v.aom})`)')
}
deb_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null | sed 's/-.*//'; }
versions() {
  printf '%s' "$(vips --version 2>/dev/null || echo libvips)"
  if uses imgorigin; then printf '; %s' "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)"; fi
  if uses ipx || uses ipxdefaults || uses sharpvips; then printf '; ipx %s, %s' "$IPX_VERSION" "$(sharp_versions)"; fi
  if uses nginx; then
    printf '; %s (libgd %s)' "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')" "$(deb_version libgd3)"
  fi
  if uses magick; then printf '; %s' "$("$CONVERT" -version | sed -n '1s/^Version: \(ImageMagick [^ ]*\).*/\1/p')"; fi
  printf '; system libjpeg-turbo %s, libwebp %s, libheif %s, aom %s' "$(deb_version libjpeg62-turbo)" \
    "$(deb_version libwebp7)" "$(deb_version libheif1)" "$(deb_version libaom3)"
}
commit=$(commit_label src/main pom.xml bench/peers.sh bench/peers_client.py bench/peers_ipx.mjs bench/peers_report.py \
  bench/vips_baseline.c)
cpu=$(cpu_model)
command="bench/peers.sh${ARGS[*]:+ ${ARGS[*]}}"
header=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$commit"
  # shellcheck disable=SC2016 # the backquotes are Markdown
  printf 'Command: `%s` (%s min of measurements). %s photos (2-16 MP JPEG) × %s pass(es) = %s renders per measurement, taken in turns of %s chunks, %s at a time; %s measurements of each; JPEG and WebP q80, AVIF q60 at effort %s.\n' \
    "$command" "$MINUTES" "${#PHOTOS[@]}" "$ROUNDS" $((${#PHOTOS[@]} * ROUNDS)) "$NCHUNKS" "$THREADS" "$REPS" "$AVIF_EFFORT"
  printf 'Machine: %s cores, %s, shared with other work; load average %s at the start, %s at the end.\n' \
    "$(nproc)" "${cpu:-unknown CPU}" "$LOAD_START" "$(loadavg)"
  printf 'Versions: %s.\n' "$(versions)"
)
TABLES=$(python3 "$ROOT/bench/peers_report.py" tables --tsv "$RESULTS") || die "peers_report.py failed"
report=$(
  printf '%s\n\n%s\n' "$header" "$TABLES"
  [ "$HITS" -eq 0 ] || printf '\n**Warning:** %s imgorigin measurements had answers that were not X-Cache: MISS.\n' "$HITS"
  [ "$FAILURES" -eq 0 ] || printf '\n**Warning:** %s renders failed (see the failures column of the raw data).\n' "$FAILURES"
  printf '\n<details><summary>Raw measurements (bench/peers_report.py reads them back)</summary>\n\n```tsv\n'
  cat "$RESULTS"
  printf '```\n\n</details>\n'
)
printf '\n%s\n' "$report"
printf '%s\n\n' "$report" | append_results "Peers: cold renders against libvips, ipx, nginx and ImageMagick"

if [ "$DOC" = 1 ]; then
  python3 "$ROOT/bench/peers_report.py" doc --tsv "$RESULTS" --header <(printf '%s\n' "$header") \
    --doc "$ROOT/docs/benchmarks.md" --svg-dir "$ROOT/docs/img" || die "could not update docs/benchmarks.md"
  say "rewrote the peers section of docs/benchmarks.md and docs/img/peers-*.svg"
fi

if [ "$FAILURES" -gt 0 ] || [ "$HITS" -gt 0 ]; then
  printf '\n!!! WARNING: %s failed renders, %s imgorigin measurements with cache hits !!!\n' "$FAILURES" "$HITS"
  exit 1
fi
