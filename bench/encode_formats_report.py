#!/usr/bin/env python3
"""Summarises bench/encode_formats.c's TSV (stdin or a file) as Markdown tables, one per width.

For every setting: total bytes against JPEG q80 and against AVIF q60 (the f_auto answer of
Chromium), CPU milliseconds per megapixel of output (total CPU / total megapixels), the median
luma SSIM, and how many photos it beats AVIF q60 on in bytes.
"""
import collections
import statistics
import sys


def main():
    src = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    rows = [line.rstrip("\n").split("\t") for line in src if line.strip()]
    head, rows = rows[0], rows[1:]
    rows = [dict(zip(head, r)) for r in rows]
    by_width = collections.defaultdict(list)
    for r in rows:
        by_width[int(r["width"])].append(r)
    for width in sorted(by_width):
        group = by_width[width]
        photos = sorted({r["photo"] for r in group})
        setting_of = lambda r: (r["format"], int(r["q"]), int(r["effort"]))
        settings = []
        for r in group:
            if setting_of(r) not in settings:
                settings.append(setting_of(r))
        cell = {(r["photo"], setting_of(r)): r for r in group}
        mp = {p: int(cell[(p, settings[0])]["width"]) * int(cell[(p, settings[0])]["height"]) / 1e6
              for p in photos if (p, settings[0]) in cell}
        jpeg, avif = ("jpeg", 80, 0), ("avif", 60, 2)
        total = lambda s: sum(int(cell[(p, s)]["bytes"]) for p in photos if (p, s) in cell)
        print(f"**w {width}** ({len(photos)} photos, {min(mp.values()):.2f}–{max(mp.values()):.2f} MP each)\n")
        print("| format | q | effort | total bytes | ÷ JPEG q80 | ÷ AVIF q60 | photos smaller than AVIF q60 "
              "| CPU ms per MP | median SSIM |")
        print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for s in settings:
            have = [p for p in photos if (p, s) in cell]
            t = total(s)
            cpu = sum(float(cell[(p, s)]["cpu_ms"]) for p in have) / sum(mp[p] for p in have)
            ssims = [float(cell[(p, s)]["ssim"]) for p in have if float(cell[(p, s)]["ssim"]) >= 0]
            smaller = sum(1 for p in have if (p, avif) in cell
                          and int(cell[(p, s)]["bytes"]) < int(cell[(p, avif)]["bytes"]))
            fmt = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF", "jxl": "JPEG XL"}[s[0]]
            print(f"| {fmt} | {s[1]} | {s[2] if s[0] != 'jpeg' else '–'} | {t:,} | {t / total(jpeg):.2f} "
                  f"| {t / total(avif):.2f} | {smaller} of {len(have)} | {cpu:.0f} "
                  f"| {statistics.median(ssims) if ssims else float('nan'):.4f} |".replace(",", " "))
        print()


if __name__ == "__main__":
    main()
