#!/usr/bin/env bash
# Bytes and render time of imgorigin's f_auto,q_auto answer to Chromium, against JPEG q80 and
# against the original, side by side in one run.
#
# Corpus: bench/corpus/photos.sh (JPEG photos of 2-16 MP, and PNGs with transparency,
# reported apart). For each image and width W (320, 640, 1280) one server is asked, one
# request at a time and in an order that rotates from image to image, for:
#   /w_W,f_auto,q_auto/<id>  with Chromium's Accept                 -> AVIF, q_auto:good
#   the same with Save-Data: on                                    -> AVIF, q_auto:eco
#   /w_W,f_webp,q_auto/<id>                                        -> WebP, q_auto:good
#   /w_W,q_80/<id>.jpg                                             -> JPEG q80, the baseline
#   /w_W/<id>.png            (PNGs only; f_auto's answer without AVIF/WebP support)
# Every request is a render (IMGORIGIN_MEMORY_CACHE_BYTES=0, IMGORIGIN_CACHE_MAX_BYTES=0) on
# one worker (IMGORIGIN_WORKERS=1), so render times are free of contention. A render's time
# is read server-side from /metrics (imgorigin_render_duration_seconds_sum of its format,
# before and after). Every answer is checked: 200, Content-Type and body of the expected
# format, X-Cache: MISS, one render; the f_auto answers also Vary: Accept (and Save-Data).
# Loopback only. Takes about 2.5 minutes with the defaults on 2 cores.
#
# usage: bench/formats.sh [--reps N] [--widths 320,640,1280] [--no-doc] [--no-record]
#   --reps N     measurements of every answer, for the render-time medians (default 3;
#                byte counts are the same every time)
#   --widths L   comma-separated output widths (default 320,640,1280)
#   --no-doc     don't rewrite docs/formats.md; only append to bench/results/
#   --no-record  don't append to bench/results/
# Environment: JAVA_HOME (a JDK 25; default /usr/lib/jvm/temurin-25-jdk-amd64),
#   IMGORIGIN_JAVA_OPTS (extra JVM flags, as for `bin/imgorigin serve`),
#   IMGORIGIN_AVIF_EFFORT (passed to the server; default 2).
# Writes docs/formats.md and appends the same tables to bench/results/formats-<date>.md.
set -euo pipefail

BENCH=formats
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=3 WIDTHS=320,640,1280 DOC=1
ARGS=("$@")

while [ "$#" -gt 0 ]; do
  case "$1" in
    --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
    --widths) WIDTHS=${2:?--widths needs a list}; shift 2 ;;
    --no-doc) DOC=0; shift ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done
positive "$REPS"
[[ $WIDTHS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "not a list of widths: $WIDTHS"

need python3 sha256sum curl vipsheader
make_tmp
export VIPS_WARNING=0

# --- images -----------------------------------------------------------------------------
corpus JPEGS jpeg
mapfile -t PNGS < <("$CORPUS" png)
mkdir -p "$TMP/originals" "$TMP/cache"
MANIFEST=$TMP/manifest.tsv
add_image() { # add_image <kind> <path>: stores it at its key, adds a manifest line
  store_original "$2"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$ID" "$1" "$(stat -c %s "$2")" \
    "$(vipsheader -f width "$2")" "$(vipsheader -f height "$2")" "$(basename "$(dirname "$2")")/$(basename "$2")" \
    >>"$MANIFEST"
}
# shellcheck disable=SC2153 # JPEGS is filled by corpus
for p in "${JPEGS[@]}"; do add_image jpeg "$p"; done
for p in "${PNGS[@]}"; do add_image png "$p"; done

# --- server -----------------------------------------------------------------------------
use_jdk
ensure_jar src/main "mvn -B -q -DskipTests package" src/main pom.xml
PORT=$(free_port)
launch_jar "$TMP/server.log" \
  IMGORIGIN_PORT="$PORT" \
  IMGORIGIN_ORIGINALS="file:$TMP/originals" \
  IMGORIGIN_CACHE_DIR="$TMP/cache" \
  IMGORIGIN_MEMORY_CACHE_BYTES=0 \
  IMGORIGIN_CACHE_MAX_BYTES=0 \
  IMGORIGIN_ACCESS_LOG=false \
  IMGORIGIN_WORKERS=1
await_ready "$PORT" "$LAUNCHED" "$TMP/server.log" "the server exited during start-up (log above)" \
  "no 200 from /readyz within 60 s (last: @CODE@)"

# --- measurement ------------------------------------------------------------------------
say "server up on :$PORT; ${#JPEGS[@]} JPEGs and ${#PNGS[@]} PNGs × widths $WIDTHS × $REPS measurements"
LOAD_START=$(loadavg)
STARTED=$SECONDS
MEASURED=0
python3 "$ROOT/bench/formats_client.py" measure --base "http://127.0.0.1:$PORT" --manifest "$MANIFEST" \
  --out "$TMP/results.tsv" --reps "$REPS" --widths "$WIDTHS" || MEASURED=$?
[ -s "$TMP/results.tsv" ] || { tail -n 20 "$TMP/server.log" >&2; die "no measurements"; }
MINUTES=$(((SECONDS - STARTED + 59) / 60))
# Does f_auto's AVIF keep a PNG's transparency? (libvips reads AVIF; Python alone cannot.)
ALPHA=0
mapfile -t PNG_IDS < <(awk -F'\t' '$2 == "png" { print $1 }' "$MANIFEST")
for id in "${PNG_IDS[@]}"; do
  curl -s -o "$TMP/alpha.avif" -H 'Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8' \
    "http://127.0.0.1:$PORT/w_640,f_auto,q_auto/$id" || true
  [ "$(vipsheader -f bands "$TMP/alpha.avif" 2>/dev/null)" = 4 ] && ALPHA=$((ALPHA + 1))
done
REPORTED=0
TABLES=$(python3 "$ROOT/bench/formats_client.py" report --manifest "$MANIFEST" --tsv "$TMP/results.tsv") ||
  REPORTED=$?
[ -n "$TABLES" ] || die "report failed"

commit=$(commit_label src/main pom.xml)
cpu=$(cpu_model)
command="bench/formats.sh${ARGS[*]:+ ${ARGS[*]}}"
run=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$commit"
  # shellcheck disable=SC2016 # the backquotes are Markdown
  printf 'Command: `%s` (%s min). Machine: %s cores, %s; %s; %s; AVIF effort %s; load average %s at the start, %s at the end.\n\n' \
    "$command" "$MINUTES" "$(nproc)" "${cpu:-unknown CPU}" "$(vips --version 2>/dev/null || echo libvips)" \
    "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)" "${IMGORIGIN_AVIF_EFFORT:-2}" \
    "$LOAD_START" "$(loadavg)"
  printf '%s\n' "$TABLES"
  [ "${#PNG_IDS[@]}" -eq 0 ] ||
    printf 'Alpha: %s of %s f_auto AVIF answers for the PNGs (w 640) have 4 bands (RGB + alpha).\n' \
      "$ALPHA" "${#PNG_IDS[@]}"
)
printf '\n%s\n' "$run"

printf '%s\n\n' "$run" | append_results "Format comparison"

if [ "$DOC" = 1 ]; then
  {
    cat <<'EOF'
# What f_auto and q_auto save

How many bytes imgorigin's device-aware answer (`f_auto,q_auto`; README, "Device awareness")
sends to a Chromium browser, against a plain JPEG at quality 80 and against the original, and what each
format costs to render. Written by `bench/formats.sh`; every run also appends its tables to
`bench/results/formats-<date>.md`.

## Method

- Images: `bench/corpus/photos.sh`, the JPEG photos (2–16 MP) and, reported apart, the
  PNGs with transparency. Widths 320, 640 and 1280 px (all originals are wider).
- One server (`java -jar target/imgorigin.jar`, `IMGORIGIN_WORKERS=1`, both variant caches
  off so every request renders), loopback, one request at a time. For each image and width
  the answers are asked one after the other, in an order that rotates from image to image,
  so all formats share the machine's noise (a shared 2-core machine).
- Chromium's `Accept` is `image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8`,
  so `f_auto` answers AVIF. `q_auto` is `q_auto:good`, or `q_auto:eco` with `Save-Data: on`;
  the levels are per format (`src/main/java/org/imgorigin/render/Encoder.java`): AVIF 60 / 50,
  WebP 78 / 68, JPEG 80 / 70.
- Bytes are the bodies' lengths (= `Content-Length`). "Total ÷ JPEG q80" weighs big images
  more; "median of per-image ÷ JPEG q80" treats every image alike.
- Render time is server-side: the change of `imgorigin_render_duration_seconds_sum` for the
  answer's format across the request. It covers decoding the original (with shrink-on-load),
  resizing and encoding; not the fetch, the queue or HTTP. The ratio column compares each
  image's render with its own JPEG q80 render, so the common decode cancels out of the noise.
- Every answer is checked: 200, the expected `Content-Type` and magic bytes, `X-Cache: MISS`,
  exactly one render; every `f_auto` answer must be `image/avif` with `Vary: Accept` (and
  `Save-Data`, as `q_auto` was used).

## Results

EOF
    printf '%s\n' "$run" | sed 's/^## /### Run: /; s/^### \([JP]\)/#### \1/'
    cat <<'EOF'

## What it means

- **Photos: about half the bytes.** AVIF at `q_auto:good` (60) is tuned to look like JPEG at
  80, so "÷ JPEG q80" is the saving at about equal quality, not at equal encoder settings.
  The saving grows with the width, and the per-image median is below the ratio of totals:
  the photos whose JPEG is heaviest (the most detailed) gain the least. WebP at `q_auto` lands between AVIF and JPEG. `Save-Data: on` moves
  AVIF to `q_auto:eco` (50) for roughly another third off, at no extra render time.
- **"÷ original" mostly measures the resize**: the originals are full-size camera and
  wallpaper files. It is the figure to quote for "what a page saves by asking imgorigin
  rather than linking the upload"; the format choice is the "÷ JPEG q80" column.
- **The effort 2 trade-off.** `IMGORIGIN_AVIF_EFFORT` defaults to 2 (libvips' default of 4
  costs seconds per large image). Even so, AVIF is the dearest encoder for photos, and its
  extra cost grows with the output's pixel count, because decoding the original (with
  shrink-on-load) is shared by all formats and only the encode grows: see "render ÷ JPEG" at
  320 against 1280. The cost is paid once per variant, which is then cached (memory, disk,
  CDN; a URL's bytes never change), while the saving is paid back on every transfer. Cold
  traffic is where it shows: one core renders about 1000 ÷ (median AVIF ms) such variants a
  second (extrapolated, not measured here). A higher effort would shrink AVIF further for a
  much longer first render; these tables are the baseline for such a change.
- **Safari 17 and later** list `image/jxl` and get JPEG XL from `f_auto`, which this
  benchmark does not ask for; JPEG XL is measured against AVIF and WebP in
  [jpeg-xl.md](jpeg-xl.md) (`bench/jxl.sh`).
- **PNGs with transparency.** For Chromium, `f_auto` answers AVIF for these too, lossy, with
  the alpha channel kept (the "Alpha" line checks it). It is read against the lossless PNG a
  browser with neither AVIF nor WebP gets (README, "Device awareness"), the `PNG` rows. WebP
  is far larger than AVIF here, and slower to render at the larger widths, because libvips' WebP encoder keeps
  the alpha plane lossless by default (`alpha_q` 100). The JPEG q80 row has no transparency (alpha flattened
  onto white) and is there only for scale: these wallpapers are mostly transparent, so the
  flattened JPEG is nearly blank and tiny. Their smooth gradients suit lossy codecs unusually
  well; screenshots and logos would save less. Resizing them also makes lossless PNG
  *heavier* than the compact originals at the larger widths (listed above under "heavier
  than their original"): the render-heavier-than-original rule only serves the original when
  the output has the original's dimensions, so a browser without AVIF/WebP support is sent
  more than the upload.

## Reproduce

```sh
bench/formats.sh                 # about 2.5 minutes on 2 cores; --reps 1 takes about 1
bench/formats.sh --help
```

It builds `target/imgorigin.jar` if missing (`mvn -B -q -DskipTests package`), installs the
corpus packages when missing, starts the server on a free loopback port, and stops it when
it ends. It exits non-zero if any answer failed a check.
EOF
  } >"$ROOT/docs/formats.md"
  say "wrote docs/formats.md"
fi

if [ "$MEASURED" -ne 0 ] || [ "$REPORTED" -ne 0 ] || [ "$ALPHA" -ne "${#PNG_IDS[@]}" ]; then
  printf '\n!!! WARNING: some answers failed their checks (listed above) !!!\n'
  exit 1
fi
