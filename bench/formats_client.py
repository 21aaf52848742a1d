#!/usr/bin/env python3
"""Format-comparison client for bench/formats.sh (Python 3 standard library only).

measure: asks a running imgorigin, one request at a time, for each photo, width and answer:

  avif      /w_W,f_auto,q_auto/<id>   with Chromium's Accept        expects image/avif, Vary: Accept
  savedata  the same with Save-Data: on                              expects image/avif, Vary: Accept, Save-Data
  webp      /w_W,f_webp,q_auto/<id>                                  expects image/webp
  jpeg      /w_W,q_80/<id>.jpg          (the baseline)               expects image/jpeg
  png       /w_W/<id>.png               (PNGs only: f_auto's answer  expects image/png
            to a browser with neither AVIF nor WebP)

The answers for one photo and width are asked one after another, in an order that rotates
from photo to photo, so every format sees the same machine noise. After each answer it
reads /metrics: the change of imgorigin_render_duration_seconds_sum for the answer's format
is that answer's server-side render time (decode, resize, encode; no queueing, no HTTP),
and the change of _count must be exactly 1 (a cold render). Writes one TSV line per answer:

  rep width kind id variant status content_type bytes render_ms problem

report: reads that TSV and the manifest (id kind original_bytes width height name) and
prints the Markdown tables of bench/formats.sh.

usage: formats_client.py measure --base URL --manifest FILE --out FILE [--reps 2]
                                 [--widths 320,640,1280] [--warmup-width 200]
       formats_client.py report --manifest FILE --tsv FILE
"""
import argparse
import http.client
import re
import statistics
import sys
import time

sys.dont_write_bytecode = True  # importing benchlib leaves no bench/__pycache__ behind
import benchlib  # noqa: E402

CHROMIUM_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
VARIANTS = ["avif", "savedata", "webp", "jpeg", "png"]
# The q_auto levels of src/main/java/org/imgorigin/render/Encoder.java (good; eco with Save-Data).
QUALITY = {"avif": "60 (q_auto:good)", "savedata": "50 (q_auto:eco)", "webp": "78 (q_auto:good)",
           "jpeg": "80", "png": "lossless", "original": "–"}
LABEL = {"avif": "AVIF, f_auto + q_auto (Chromium)", "savedata": "AVIF, f_auto + q_auto + Save-Data",
         "webp": "WebP, f_webp + q_auto", "jpeg": "JPEG q80 (baseline)",
         "png": "PNG, f_auto without AVIF/WebP", "original": "original"}
URL = {"avif": "`/w_W,f_auto,q_auto/<id>`", "savedata": "`/w_W,f_auto,q_auto/<id>`",
       "webp": "`/w_W,f_webp,q_auto/<id>`", "jpeg": "`/w_W,q_80/<id>.jpg`",
       "png": "`/w_W/<id>.png`", "original": "–"}
MAGIC = {"image/avif": lambda b: b[4:8] == b"ftyp" and b[8:12] in (b"avif", b"avis"),
         "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
         "image/jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
         "image/png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n"}
METRIC = re.compile(r'^imgorigin_render_duration_seconds_(sum|count)\{([^}]*)\}\s+(\S+)', re.M)


def read_manifest(path):
    photos = []
    with open(path) as f:
        for line in f:
            if line.strip():
                image_id, kind, size, width, height, name = line.rstrip("\n").split("\t")
                photos.append({"id": image_id, "kind": kind, "bytes": int(size), "width": int(width),
                               "height": int(height), "name": name})
    return photos


def request_for(variant, width, image_id):
    headers = {"Accept": CHROMIUM_ACCEPT}
    if variant == "avif":
        return f"/w_{width},f_auto,q_auto/{image_id}", headers, "image/avif", "avif", {"accept", "save-data"}
    if variant == "savedata":
        headers["Save-Data"] = "on"
        return f"/w_{width},f_auto,q_auto/{image_id}", headers, "image/avif", "avif", {"accept", "save-data"}
    if variant == "webp":
        return f"/w_{width},f_webp,q_auto/{image_id}", headers, "image/webp", "webp", {"save-data"}
    if variant == "jpeg":
        return f"/w_{width},q_80/{image_id}.jpg", headers, "image/jpeg", "jpg", set()
    return f"/w_{width}/{image_id}.png", headers, "image/png", "png", set()


class Server:
    def __init__(self, base, timeout):
        self.host, self.port, self.prefix = benchlib.split_base(base)
        self.timeout = timeout
        self.conn = None

    def get(self, path, headers):
        for attempt in (1, 2):  # once more on a fresh connection if a kept-alive one was closed
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", self.prefix + path, headers=headers)
                resp = self.conn.getresponse()
                body = resp.read()
                if resp.will_close:
                    self.conn.close()
                    self.conn = None
                return resp, body
            except benchlib.HTTP_ERRORS:
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def render_totals(self):
        """{format: (sum seconds, count)} of successful renders so far."""
        resp, body = self.get("/metrics", {})
        if resp.status != 200:
            raise RuntimeError(f"/metrics answered {resp.status}")
        totals = {}
        for kind, labels, value in METRIC.findall(body.decode()):
            tags = dict(re.findall(r'(\w+)="([^"]*)"', labels))
            if tags.get("outcome") != "ok":
                continue
            s, c = totals.get(tags.get("format"), (0.0, 0))
            totals[tags.get("format")] = (s + float(value), c) if kind == "sum" else (s, c + int(float(value)))
        return totals


def measure_one(server, variant, width, image_id):
    """Returns (status, content type, bytes, render ms, problem)."""
    path, headers, want_type, fmt, want_vary = request_for(variant, width, image_id)
    before = server.render_totals().get(fmt, (0.0, 0))
    try:
        resp, body = server.get(path, headers)
    except benchlib.HTTP_ERRORS as e:
        return 0, "-", 0, float("nan"), f"{type(e).__name__}: {e}"
    after = server.render_totals().get(fmt, (0.0, 0))
    ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip()
    length = resp.getheader("Content-Length")
    vary = {v.strip().lower() for v in (resp.getheader("Vary") or "").split(",") if v.strip()}
    problems = []
    if resp.status != 200:
        problems.append(f"status {resp.status}")
    if ctype != want_type:
        problems.append(f"Content-Type {ctype or '(none)'}, not {want_type}")
    elif not MAGIC[want_type](body):
        problems.append(f"body is not {want_type}")
    if length is None or int(length) != len(body):
        problems.append(f"Content-Length {length} but {len(body)} bytes")
    if not want_vary <= vary:
        problems.append(f"Vary {resp.getheader('Vary')!r} lacks {', '.join(sorted(want_vary - vary))}")
    if resp.getheader("X-Cache") != "MISS":
        problems.append(f"X-Cache {resp.getheader('X-Cache')}")
    if after[1] - before[1] != 1:
        problems.append(f"{after[1] - before[1]} {fmt} renders, not 1")
    render_ms = (after[0] - before[0]) * 1000
    return resp.status, ctype or "-", len(body), render_ms, "; ".join(problems) or "-"


def measure(args):
    photos = read_manifest(args.manifest)
    widths = [int(w) for w in args.widths.split(",")]
    server = Server(args.base, args.timeout)

    def variants_for(photo, turn):
        vs = [v for v in VARIANTS if v != "png" or photo["kind"] == "png"]
        turn %= len(vs)
        return vs[turn:] + vs[:turn]

    # Warm-up, not recorded: first use of libjpeg, libwebp, libheif/aom, spng, and the JIT.
    # Another width, so nothing it renders could be reused (the caches are off anyway).
    warm = [p for p in photos if p["kind"] == "jpeg"][:3] + [p for p in photos if p["kind"] == "png"][:2]
    for photo in warm:
        for v in variants_for(photo, 0):
            status, _, _, _, problem = measure_one(server, v, args.warmup_width, photo["id"])
            if status != 200:
                print(f"formats: warm-up {v} of {photo['id']} failed: {problem}", file=sys.stderr)
                return 1

    total = args.reps * len(widths) * sum(len(variants_for(p, 0)) for p in photos)
    done, failures, start = 0, 0, time.monotonic()
    with open(args.out, "w") as out:
        for rep in range(1, args.reps + 1):
            for width in widths:
                for i, photo in enumerate(photos):
                    for v in variants_for(photo, i + rep + width):
                        status, ctype, size, ms, problem = measure_one(server, v, width, photo["id"])
                        out.write(f"{rep}\t{width}\t{photo['kind']}\t{photo['id']}\t{v}\t{status}\t{ctype}"
                                  f"\t{size}\t{ms:.3f}\t{problem}\n")
                        done += 1
                        if problem != "-":
                            failures += 1
                            print(f"formats: FAILED {v} w {width} {photo['name']}: {problem}", file=sys.stderr)
                out.flush()
                print(f"formats: rep {rep}/{args.reps}, w {width}: {done}/{total} answers, "
                      f"{time.monotonic() - start:.0f} s", file=sys.stderr)
    return 1 if failures else 0


# --- report ------------------------------------------------------------------------------

def fmt_bytes(n):
    return f"{n:,.0f}".replace(",", " ")


def fmt_ratio(x):
    if x is None:
        return "–"
    return f"{x:.2g}" if x < 0.1 else f"{x:.2f}"


def median_or_none(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else None


def report(args):
    photos = {p["id"]: p for p in read_manifest(args.manifest)}
    rows = []
    with open(args.tsv) as f:
        for line in f:
            rep, width, kind, image_id, variant, status, ctype, size, ms, problem = line.rstrip("\n").split("\t")
            rows.append({"rep": int(rep), "width": int(width), "kind": kind, "id": image_id, "variant": variant,
                         "ok": problem == "-", "ctype": ctype, "bytes": int(size), "ms": float(ms),
                         "problem": problem})
    widths = sorted({r["width"] for r in rows})
    reps = max(r["rep"] for r in rows)
    out, headline, heavier = [], [], []
    failures = [r for r in rows if not r["ok"]]
    unstable = set()

    # A PNG with transparency is measured against f_auto's own fallback for it, a PNG: a JPEG
    # loses the alpha channel, so it is shown for scale only.
    for kind, title, base in (("jpeg", "JPEG photos", "jpeg"), ("png", "PNGs with transparency", "png")):
        ids = [i for i, p in photos.items() if p["kind"] == kind]
        if not ids:
            continue
        variants = [v for v in VARIANTS if v != "png" or kind == "png"]
        mp = [photos[i]["width"] * photos[i]["height"] / 1e6 for i in ids]
        out.append(f"### {title}: {len(ids)} images, {min(mp):.1f}–{max(mp):.1f} MP, "
                   f"originals {fmt_bytes(sum(photos[i]['bytes'] for i in ids))} bytes in all\n")
        for width in widths:
            # bytes[variant][id]: one value (renders are deterministic; a change between reps is flagged)
            size, ms = {}, {}
            for r in rows:
                if r["width"] == width and r["kind"] == kind and r["ok"]:
                    prev = size.setdefault(r["variant"], {}).get(r["id"])
                    if prev is not None and prev != r["bytes"]:
                        unstable.add((r["variant"], width, r["id"]))
                    size[r["variant"]][r["id"]] = r["bytes"]
                    ms.setdefault(r["variant"], {}).setdefault(r["id"], []).append(r["ms"])
            size["original"] = {i: photos[i]["bytes"] for i in ids}
            complete = [i for i in ids if all(i in size.get(v, {}) for v in variants)]
            if not complete:
                out.append(f"**w {width}: no complete set of answers.**\n")
                continue
            base_total = sum(size[base][i] for i in complete)
            base_name = "JPEG q80" if base == "jpeg" else "PNG"
            orig_total = sum(size["original"][i] for i in complete)
            out.append(f"**w {width}**" + ("" if len(complete) == len(ids)
                                            else f" ({len(complete)} of {len(ids)} images had every answer)"))
            out.append("")
            out.append(f"| answer | URL | quality | median bytes | total bytes | total ÷ {base_name} "
                       f"| median of per-image ÷ {base_name} | total ÷ original | median render ms "
                       f"| median of per-image render ÷ {base_name} |")
            out.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|")
            for v in variants + ["original"]:
                b = [size[v][i] for i in complete]
                total = sum(b)
                per_image = [size[v][i] / size[base][i] for i in complete]
                if v == "original":
                    render, render_ratio = "–", "–"
                else:
                    all_ms = [m for i in complete for m in ms[v][i]]
                    # Paired: each image's median render time over reps against its own JPEG's.
                    paired = [statistics.median(ms[v][i]) / statistics.median(ms[base][i]) for i in complete]
                    render = f"{median_or_none(all_ms):.1f}"
                    render_ratio = fmt_ratio(median_or_none(paired))
                bold = "**" if v in ("avif", "original") else ""
                out.append(f"| {bold}{LABEL[v]}{bold} | {URL[v]} | {QUALITY[v]} | {fmt_bytes(statistics.median(b))} "
                           f"| {fmt_bytes(total)} | {bold}{fmt_ratio(total / base_total)}{bold} "
                           f"| {fmt_ratio(statistics.median(per_image))} | {bold}{fmt_ratio(total / orig_total)}{bold} "
                           f"| {render} | {render_ratio} |")
            out.append("")
            for v in variants:
                over = [i for i in complete if size[v][i] > size["original"][i]]
                if over:
                    heavier.append(f"- {title}, w {width}, {LABEL[v]}: {len(over)} of {len(complete)} images "
                                   f"({', '.join(photos[i]['name'].split('/')[-1] for i in over)}), "
                                   f"{fmt_ratio(sum(size[v][i] for i in over) / sum(size['original'][i] for i in over))}"
                                   "× their originals' bytes")
            t = {v: sum(size[v][i] for i in complete) for v in variants + ["original"]}
            r_ms = {v: median_or_none([statistics.median(ms[v][i]) / statistics.median(ms[base][i])
                                       for i in complete]) for v in variants}
            if base == "jpeg":
                headline.append(f"- {title}, w {width}: AVIF {fmt_ratio(t['avif'] / t['jpeg'])}× the bytes of "
                                f"JPEG q80 (WebP {fmt_ratio(t['webp'] / t['jpeg'])}×, Save-Data AVIF "
                                f"{fmt_ratio(t['savedata'] / t['jpeg'])}×), {fmt_ratio(t['avif'] / t['original'])}× "
                                f"the original; AVIF render {fmt_ratio(r_ms['avif'])}× JPEG's time "
                                f"(WebP {fmt_ratio(r_ms['webp'])}×).")
            else:
                headline.append(f"- {title}, w {width}: AVIF {fmt_ratio(t['avif'] / t['png'])}× the bytes of "
                                f"PNG (WebP {fmt_ratio(t['webp'] / t['png'])}×, Save-Data AVIF "
                                f"{fmt_ratio(t['savedata'] / t['png'])}×; JPEG q80, without alpha, "
                                f"{fmt_ratio(t['jpeg'] / t['png'])}×), {fmt_ratio(t['avif'] / t['original'])}× "
                                f"the original; AVIF render {fmt_ratio(r_ms['avif'])}× PNG's time "
                                f"(WebP {fmt_ratio(r_ms['webp'])}×, JPEG {fmt_ratio(r_ms['jpeg'])}×).")

    out = ["Headline (bytes: ratio of totals; render time: median of per-image ratios):", ""] \
        + headline + [""] + out
    if heavier:
        out.append("Answers heavier than their (larger) original; the server serves the original instead "
                   "only when the output would have the original's dimensions:")
        out.append("")
        out += heavier
        out.append("")
    out.append(f"Render times: {reps} measurement(s) of every answer, server-side "
               "(`imgorigin_render_duration_seconds`: decode + resize + encode, one worker, one request at a time).")
    if failures:
        out.append("")
        out.append(f"**{len(failures)} answer(s) FAILED the checks** (left out of the tables):")
        out.append("")
        for r in failures[:20]:
            out.append(f"- {r['variant']} w {r['width']} {photos[r['id']]['name']} ({r['id'][:12]}): {r['problem']}")
    else:
        out.append(f"Checks: all {len(rows)} answers were 200 with the expected Content-Type and body, "
                   "X-Cache: MISS and exactly one render; every f_auto answer was image/avif with "
                   "`Vary: Accept, Save-Data`.")
    if unstable:
        out.append("")
        out.append(f"**Warning:** {len(unstable)} answer(s) changed size between measurements.")
    print("\n".join(out))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--base", required=True)
    m.add_argument("--manifest", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--reps", type=int, default=2)
    m.add_argument("--widths", default="320,640,1280")
    m.add_argument("--warmup-width", type=int, default=200)
    m.add_argument("--timeout", type=float, default=120.0)
    r = sub.add_parser("report")
    r.add_argument("--manifest", required=True)
    r.add_argument("--tsv", required=True)
    args = ap.parse_args()
    return measure(args) if args.command == "measure" else report(args)


if __name__ == "__main__":
    sys.exit(main())
