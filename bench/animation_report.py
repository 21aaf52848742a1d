#!/usr/bin/env python3
"""Markdown tables of bench/animation.sh's measurements (Python 3 standard library only).

usage: animation_report.py --bytes bytes.tsv --cpu cpu.tsv --rss rss.tsv --warm-peak MB --hwm MB

bytes.tsv: one row per animation, width and format (imgorigin's output read back by
vipsheader); cpu.tsv: one row per measurement (rep, format, tool); rss.tsv: one row per
round of 8 concurrent renders. Prints (a) bytes, (b) CPU per render against ipx, (c) RSS.
"""
import argparse
import collections
import csv
import statistics


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def kb(n):
    return f"{n / 1024:,.0f}"


def bytes_table(data):
    out = ["### (a) Bytes: imgorigin's animated WebP and GIF against the original GIF", "",
           "Sums over the animations of each shape; ratios of the sums, and the range of the "
           "per-animation WebP ÷ GIF ratio. \"Kept\": outputs with every frame, the width asked "
           "for, the original's delays and loop count (read back by vipsheader).", "",
           "| animations | w | n | original GIF (KB) | WebP (KB) | GIF (KB) | **WebP ÷ GIF** | per animation | "
           "WebP ÷ original | GIF ÷ original | WebP < GIF | kept |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    by = collections.defaultdict(dict)  # (shape, width) -> animation -> {format: row}
    for r in data:
        shape = f"{r['orig_width']} px × {r['frames']} frames"
        by[(shape, int(r["width"]))].setdefault(r["animation"], {})[r["format"]] = r
        by[("all", int(r["width"]))].setdefault(r["animation"], {})[r["format"]] = r
    order = sorted(by, key=lambda k: (k[0] == "all", k[0], k[1]))
    problems = []
    for key in order:
        anims = {a: f for a, f in by[key].items() if "webp" in f and "gif" in f}
        if not anims:
            continue
        orig = sum(int(f["webp"]["orig_bytes"]) for f in anims.values())
        webp = sum(int(f["webp"]["bytes"]) for f in anims.values())
        gif = sum(int(f["gif"]["bytes"]) for f in anims.values())
        per = [int(f["webp"]["bytes"]) / int(f["gif"]["bytes"]) for f in anims.values()]
        lighter = sum(1 for p in per if p < 1)
        kept = 0
        for a, f in anims.items():
            for fmt in ("webp", "gif"):
                r = f[fmt]
                ok = (r["out_frames"] == r["frames"] and r["out_width"] == r["width"]
                      and r["delays_kept"] == "yes" and r["loop_kept"] == "yes")
                kept += ok
                if not ok and key[0] != "all":
                    problems.append(f"{a} w {r['width']} {fmt}: {r['out_frames']} of {r['frames']} frames, "
                                    f"{r['out_width']} px wide, delays kept {r['delays_kept']}, "
                                    f"loop kept {r['loop_kept']}")
        label = "**all**" if key[0] == "all" else key[0]
        out.append(f"| {label} | {key[1]} | {len(anims)} | {kb(orig)} | {kb(webp)} | {kb(gif)} | "
                   f"**{webp / gif:.2f}** | {min(per):.2f}–{max(per):.2f} | {webp / orig:.3f} | "
                   f"{gif / orig:.3f} | {lighter} of {len(per)} | {kept} of {2 * len(per)} |")
    heavier = [f"{r['animation']} w {r['width']} {r['format']}: {r['bytes']} B, original {r['orig_bytes']} B"
               for r in data if int(r["bytes"]) > int(r["orig_bytes"])]
    if heavier:
        out += ["", "Outputs heavier than their original GIF: " + "; ".join(heavier) + "."]
    if problems:
        out += ["", "Not kept: " + "; ".join(problems) + "."]
    return out


def cpu_table(data):
    out = ["### (b) CPU per animation render at w 320: imgorigin against ipx (sharp)", "",
           "Median over the measurements (each: every animation once, 2 at a time) of the "
           "server's CPU time per render; the range in brackets when there are several. Ratios of medians.", "",
           "| format | imgorigin CPU ms | ipx CPU ms | **imgorigin ÷ ipx CPU** | imgorigin renders/s | "
           "ipx renders/s | imgorigin bytes | ipx bytes | bytes ratio | x_cache (imgorigin) |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    by = collections.defaultdict(list)
    for r in data:
        by[(r["format"], r["tool"])].append(r)
    for fmt in ("webp", "gif"):
        a, b = by.get((fmt, "imgorigin")), by.get((fmt, "ipx"))
        if not a or not b:
            continue
        def med(rs, k):
            return statistics.median(float(r[k]) for r in rs)

        def rng(rs, k):
            v = [float(r[k]) for r in rs]
            return f" ({min(v):.0f}–{max(v):.0f})" if len(v) > 1 else ""

        def rate(rs):
            # renders per second of one measurement: the animations over its wall time
            return statistics.median(count / float(r["seconds"]) for r in rs)

        count = renders_per_measurement
        ca, cb = med(a, "cpu_ms_per_render"), med(b, "cpu_ms_per_render")
        ba, bb = med(a, "bytes_per_render"), med(b, "bytes_per_render")
        xc = ", ".join(sorted({r["x_cache"] for r in a}))
        out.append(f"| {fmt} | {ca:.0f}{rng(a, 'cpu_ms_per_render')} | {cb:.0f}{rng(b, 'cpu_ms_per_render')} | "
                   f"**{ca / cb:.2f}** | {rate(a):.2f} | {rate(b):.2f} | {ba / 1024:.0f} KB | {bb / 1024:.0f} KB | "
                   f"{ba / bb:.2f} | {xc} |")
    return out


def rss_table(data, warm_peak, hwm):
    out = ["### (c) Memory: peak RSS of the imgorigin JVM during 8 concurrent animated renders", "",
           f"A fresh server (8 workers, caches off); after one render of each of the 8 paths in turn "
           f"its peak RSS was {warm_peak} MB. Then 8 at once, RSS sampled every 20 ms:", "",
           "| round | RSS before (MB) | peak (MB) | peak − before (MB) | seconds for the 8 |",
           "|--:|--:|--:|--:|--:|"]
    for r in data:
        before, peak = int(r["rss_before_mb"]), int(r["rss_peak_mb"])
        out.append(f"| {r['round']} | {before} | **{peak}** | +{peak - before} | {r['seconds']} |")
    out += ["", f"The kernel's high-water mark (VmHWM) at the end: {hwm} MB."]
    return out


renders_per_measurement = 1


def main():
    global renders_per_measurement
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bytes", required=True)
    ap.add_argument("--cpu", required=True)
    ap.add_argument("--rss", required=True)
    ap.add_argument("--warm-peak", required=True)
    ap.add_argument("--hwm", required=True)
    args = ap.parse_args()
    data = rows(args.bytes)
    renders_per_measurement = len({r["animation"] for r in data})
    lines = bytes_table(data) + [""] + cpu_table(rows(args.cpu)) + [""] + rss_table(rows(args.rss), args.warm_peak,
                                                                                      args.hwm)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
