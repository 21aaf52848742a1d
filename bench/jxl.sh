#!/usr/bin/env bash
# JPEG XL against AVIF and WebP, encoder against encoder: the figures behind JPEG XL's effort,
# its q_auto levels, its encode budget and its rank in f_auto (README, "Device awareness").
#
# Corpus: bench/corpus/photos.sh, the JPEG photos (2-16 MP). bench/encode_formats.c (built
# here against the system's libvips) makes each photo's frame at 640 and 1280 px wide, as the
# server would (thumbnail, metadata removed, in memory), then times only the encoders on it,
# with the server's options, libvips concurrency 1 (libjxl then runs one worker thread) and
# process CPU time, and compares each result with the frame (luma SSIM). Three passes:
#   1. efforts: JPEG XL q75/q80 at effort 3, 4, 5, 7; JPEG q80, WebP q78, AVIF q60 beside
#   2. levels: AVIF (effort 2) and WebP (effort 4) at imgorigin's four q_auto levels, and
#      JPEG XL at effort 5 from Q 90 down to 15
#   3. sizes: JPEG XL at effort 5 and 3 on whole photos of 4-16 MP and one of 12-15 MP
#      scaled to 7000 px wide (over 30 MP),
#      each in a process of its own, for seconds per MP and peak resident memory
# Takes about 5 minutes on 2 cores.
#
# usage: bench/jxl.sh [--no-doc] [--no-record]
#   --no-doc     don't rewrite docs/jpeg-xl.md; only append to bench/results/
#   --no-record  don't append to bench/results/
# Writes docs/jpeg-xl.md and appends the same tables to bench/results/jxl-<date>.md.
set -euo pipefail

BENCH=jxl
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DOC=1
ARGS=("$@")
while [ "$#" -gt 0 ]; do
  case "$1" in
    --no-doc) DOC=0; shift ;;
    --no-record) RECORD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
need gcc python3 vips
[ -x /usr/bin/time ] || apt_ensure /usr/bin/time time

make_tmp
corpus PHOTOS jpeg
gcc -O2 -o "$TMP/encode_formats" "$ROOT/bench/encode_formats.c" -l:libvips.so.42 \
  -l:libgobject-2.0.so.0 -l:libglib-2.0.so.0 -lm 2>"$TMP/gcc.log" ||
  { cat "$TMP/gcc.log" >&2; die "cannot compile bench/encode_formats.c (is libvips42 installed?)"; }
LOAD_START=$(loadavg)
START=$(date +%s)
ENC=("$TMP/encode_formats")

say "pass 1 of 3: efforts (${#PHOTOS[@]} photos, 640 and 1280 px)"
efforts=jpeg:80:0,webp:78:4,avif:60:2
for q in 80 75; do for e in 3 4 5 7; do efforts="$efforts,jxl:$q:$e"; done; done
"${ENC[@]}" -s "$efforts" 640,1280 "${PHOTOS[@]}" >"$TMP/efforts.tsv" 2>"$TMP/efforts.log" ||
  { tail -n 5 "$TMP/efforts.log" >&2; die "pass 1 failed"; }

say "pass 2 of 3: q_auto levels"
levels=jpeg:80:0,avif:75:2,avif:60:2,avif:50:2,avif:40:2,webp:88:4,webp:78:4,webp:68:4,webp:55:4
for q in 90 85 80 75 70 65 60 55 50 45 40 35 30 25 20 15; do levels="$levels,jxl:$q:5"; done
"${ENC[@]}" -s "$levels" 640,1280 "${PHOTOS[@]}" >"$TMP/levels.tsv" 2>"$TMP/levels.log" ||
  { tail -n 5 "$TMP/levels.log" >&2; die "pass 2 failed"; }

say "pass 3 of 3: large frames"
largest=()
for p in "${PHOTOS[@]}"; do
  printf '%s\t%s\n' "$(( $(vipsheader -f width "$p" 2>/dev/null) * $(vipsheader -f height "$p" 2>/dev/null) ))" "$p"
done | sort -n >"$TMP/by-size"
# About 4, 8 and 16 MP at their own size, and one of 12-15 MP scaled to 7000 px wide.
for mp in 4000000 8000000 16000000; do
  largest+=("$(awk -F'\t' -v t="$mp" '{ d = $1 - t; if (d < 0) d = -d; if (best == "" || d < bd) { best = $2; bd = d } }
    END { print best }' "$TMP/by-size")")
done
big=$(awk -F'\t' '$1 > 12000000 && $1 < 15000000 { print $2; exit }' "$TMP/by-size")
{
  printf 'photo\twidth\theight\tformat\tq\teffort\tbytes\tcpu_ms\twall_ms\tssim\tmaxrss_kb\n'
  for spec in "${largest[@]/%/|0}" "${big:-${largest[2]}}|7000"; do
    for e in 5 3; do
      /usr/bin/time -f '%M' -o "$TMP/rss" "${ENC[@]}" -s "jxl:75:$e" "${spec##*|}" "${spec%|*}" \
        >"$TMP/one.tsv" 2>>"$TMP/sizes.log" || die "pass 3 failed on ${spec%|*}"
      printf '%s\t%s\n' "$(tail -n 1 "$TMP/one.tsv")" "$(tail -n 1 "$TMP/rss")"
    done
  done
} >"$TMP/sizes.tsv"
MINUTES=$(( ($(date +%s) - START + 59) / 60 ))

report() { python3 "$ROOT/bench/encode_formats_report.py" "$@"; }
commit=$(commit_label src/main bench/encode_formats.c)
cpu=$(cpu_model)
run=$(
  printf '## %s — commit %s\n\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')" "$commit"
  # shellcheck disable=SC2016 # the backquotes are Markdown
  printf 'Command: `bench/jxl.sh%s` (%s min). Machine: %s cores, %s; %s; libjxl %s; load average %s at the start, %s at the end.\n\n' \
    "${ARGS[*]:+ ${ARGS[*]}}" "$MINUTES" "$(nproc)" "${cpu:-unknown CPU}" "$(vips --version 2>/dev/null)" \
    "$(dpkg-query -W -f '${Version}' 'libjxl0*' 2>/dev/null | head -c 20 || echo '?')" "$LOAD_START" "$(loadavg)"
  printf '### Efforts\n\n'
  report settings "$TMP/efforts.tsv"
  printf '### q_auto levels\n\n'
  report levels "$TMP/levels.tsv"
  printf '### Large frames\n\nJPEG XL q75, one encode per process; peak memory is the process'"'"'s (decode and frame included).\n\n'
  report sizes "$TMP/sizes.tsv"
)
printf '\n%s\n' "$run"
printf '%s\n\n' "$run" | append_results "JPEG XL against AVIF and WebP"

if [ "$DOC" = 1 ]; then
  {
    cat <<'EOF'
# JPEG XL

imgorigin writes JPEG XL (`f_jxl`, `.jxl`, and `f_auto` for an `Accept` that lists
`image/jxl`) through libvips 8.14's `jxlsave` and libjxl; it never reads it (README, "Upload
details"). This page holds the measurements behind its settings, written by `bench/jxl.sh`;
every run also appends its tables to `bench/results/jxl-<date>.md`. The whole-server view of
`f_auto` for Chromium (AVIF) is [formats.md](formats.md).

## Method

- Images: `bench/corpus/photos.sh`, the 22 JPEG photos (2–16 MP), made 640 and 1280 px wide
  as the server makes them (shrink-on-load thumbnail, metadata removed), in memory.
- Encoders only: `bench/encode_formats.c` times each `*save_buffer` call with the server's
  options (`render/Encoder.java`, `vips/VipsScope.java`): JPEG `optimize_coding`; WebP
  effort 4; AVIF through AV1 at effort 2; JPEG XL at the effort and Q given (libvips maps Q to
  libjxl's butteraugli distance as `0.1 + (100 − Q) × 0.09` from Q 30 up). libvips
  concurrency 1, as in the server, so libjxl runs one worker thread. CPU is the process's
  (all threads); "per MP" divides the total by the total megapixels of the frames.
- Quality: SSIM of the luma against the frame, 8×8 windows with a stride of 4. It is a
  rough check that settings meant to look alike do, not a perceptual metric (no butteraugli
  or SSIMULACRA 2 is installed here); the levels below were also looked at side by side on
  two detailed photos.

## Results

EOF
    printf '%s\n' "$run" | sed 's/^## /### Run: /; s/^### \(Efforts\|q_auto\|Large\)/#### \1/'
    cat <<'EOF'

## What it means

- **Effort 5.** libvips' default, effort 7, took 1.7–3 times effort 5's CPU for files no
  smaller at the same Q. Effort 4 took about a third of effort 5's CPU (effort 3 a quarter to
  three quarters), but at the same Q effort 5's files were about 10% smaller *and* kept more
  (SSIM 0.981–0.982 against 0.976 at Q 75), so effort 5 is worth its cost on the sizes
  pages ask for. Past 4 MP the cost per megapixel roughly doubles (libjxl 0.7 encodes the
  whole frame at once, "Large frames"), so imgorigin keeps effort 5 up to 4 MP, when its
  estimate fits in half the render time limit, and uses effort 3 beyond, as it drops AVIF to
  effort 0 (`render/EncodeBudget.java`).
- **q_auto levels 90 / 75 / 70 / 60** (best, good, eco, low): for each level, the lowest Q
  whose SSIM was at least AVIF's *and* WebP's at the same level on 17 of the 22 photos at
  both widths. Below them, libjxl 0.7 spent far fewer bytes than AVIF on the detailed photos
  (forest, foliage, rock) and smeared their texture, dark areas first; the median SSIM hid
  that, so a per-photo majority decides, not the median. At q_auto:good JPEG XL's bytes are
  about 1.06–1.09 times AVIF's and 0.8 of WebP's; at eco about 1.4 times AVIF's (0.85 of
  WebP's), at best 1.4 times and at low 1.75 times.
- **Rank in f_auto: JPEG XL, then AVIF, then WebP.** On bytes alone AVIF is a little
  smaller at the same level; on CPU JPEG XL costs about half of AVIF at effort 2 (and 1.4–1.6
  times WebP). Every browser that sends `image/jxl` (Safari 17 and later) also sends
  `image/avif`, so ranked below AVIF JPEG XL would never be chosen, while the issue that
  asked for it (14) expects a browser that lists `image/jxl` to get it. The byte gap is the
  price, stated here and in the README; a browser that lists `image/jxl` with `q=0` gets
  AVIF.
- **Budget.** libjxl, as libvips 8.14 drives it, encodes the whole frame in one call a kill
  does not reach (in a one-off check, a 6 s encode killed 0.2 s in ran to its end), so JPEG
  XL is bounded before it starts, like AVIF, GIF and WebP: the rates in `EncodeBudget` are
  rounded up from the wall time per MP of large frames under load (effort 5: 0.8 s/MP;
  effort 3: 0.3 s/MP),
  which caps a JPEG XL output at about 36 MP under the default 10 s limit (400 beyond).
- **Memory.** The whole-frame encode needs about 50 bytes per output pixel (1.5 GB at
  33 MP): far more than AVIF. Size memory for `IMGORIGIN_WORKERS` such encodes when large
  outputs are allowed, or lower `IMGORIGIN_MAX_OUTPUT_PIXELS`.

## Reproduce

```sh
bench/jxl.sh               # about 5 minutes on 2 cores; rewrites this page
bench/jxl.sh --help
```
EOF
  } >"$ROOT/docs/jpeg-xl.md"
  say "wrote docs/jpeg-xl.md"
fi
