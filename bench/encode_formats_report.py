#!/usr/bin/env python3
"""Markdown tables from bench/encode_formats.c's TSV rows. Used by bench/jxl.sh.

  encode_formats_report.py settings <tsv>   per width: every setting's bytes (total, against
                                            JPEG q80 and AVIF q60), CPU ms per MP, median SSIM
  encode_formats_report.py levels <tsv>     per q_auto level: for each JPEG XL Q (effort 5), on
                                            how many photos its SSIM is at least AVIF's and
                                            WebP's at that level, and its bytes against theirs
  encode_formats_report.py sizes <tsv>      large frames: seconds per MP and peak memory (the
                                            rows carry a last column maxrss_kb)

The SSIM is of the luma, 8x8 windows (encode_formats.c): a rough check that settings meant to
look alike do, not a perceptual metric.
"""
import statistics
import sys

FORMAT_NAMES = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF", "jxl": "JPEG XL"}
# imgorigin's q_auto levels for AVIF (effort 2) and WebP (effort 4): render/Encoder.java.
LEVELS = [("best", ("avif", 75, 2), ("webp", 88, 4)), ("good", ("avif", 60, 2), ("webp", 78, 4)),
          ("eco", ("avif", 50, 2), ("webp", 68, 4)), ("low", ("avif", 40, 2), ("webp", 55, 4))]
# A JPEG XL Q matches a level when its SSIM is at least AVIF's and WebP's on this many photos in 22.
MAJORITY = 17 / 22


def read(path):
    rows = []
    with open(path) as f:
        head = None
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if not line.strip():
                continue
            if cols[0] == "photo":
                head = cols
                continue
            r = dict(zip(head, cols))
            r["setting"] = (r["format"], int(r["q"]), int(r["effort"]))
            r["w"] = int(r["width"])
            r["mp"] = int(r["width"]) * int(r["height"]) / 1e6
            r["bytes"] = int(r["bytes"])
            r["ssim"] = float(r["ssim"])
            rows.append(r)
    return rows


def label(s):
    return f"{FORMAT_NAMES[s[0]]} q{s[1]}" + (f", effort {s[2]}" if s[0] != "jpeg" else "")


def settings_table(rows):
    for width, cell in sorted(width_groups(rows).items()):
        photos = sorted({p for p, _ in cell})
        settings = []
        for r in rows:
            if r["width_class"] == width and r["setting"] not in settings:
                settings.append(r["setting"])
        jpeg, avif = ("jpeg", 80, 0), ("avif", 60, 2)
        total = lambda s: sum(cell[(p, s)]["bytes"] for p in photos if (p, s) in cell)
        mps = [cell[(p, settings[0])]["mp"] for p in photos]
        print(f"**w {width}** ({len(photos)} photos, {min(mps):.2f}–{max(mps):.2f} MP each)\n")
        print("| setting | total bytes | ÷ JPEG q80 | ÷ AVIF q60 | CPU ms per MP | median SSIM |")
        print("|---|--:|--:|--:|--:|--:|")
        for s in settings:
            have = [p for p in photos if (p, s) in cell]
            cpu = sum(float(cell[(p, s)]["cpu_ms"]) for p in have) / sum(cell[(p, s)]["mp"] for p in have)
            ssim = statistics.median(cell[(p, s)]["ssim"] for p in have)
            size = f"{total(s):,}".replace(",", " ")
            print(f"| {label(s)} | {size} | {total(s) / total(jpeg):.2f} | {total(s) / total(avif):.2f} "
                  f"| {cpu:.0f} | {ssim:.4f} |")
        print()


def levels_table(rows):
    groups = width_groups(rows)
    widths = sorted(groups)
    qs = sorted({r["setting"][1] for r in rows if r["setting"][0] == "jxl" and r["setting"][2] == 5}, reverse=True)
    for level, avif, webp in LEVELS:
        print(f"**q_auto:{level}**: AVIF q{avif[1]}, WebP q{webp[1]}; JPEG XL (effort 5) at each Q. "
              "\"≥\": photos on which JPEG XL's SSIM is at least the other format's; bytes: totals' ratio.\n")
        print("| JPEG XL Q | " + " | ".join(f"w {w}: ≥ AVIF | bytes ÷ AVIF | ≥ WebP | bytes ÷ WebP" for w in widths)
              + " |")
        print("|--:|" + "--:|--:|--:|--:|" * len(widths))
        chosen, failed = None, False
        for q in qs:
            jxl = ("jxl", q, 5)
            cells, ok = [], True
            for w in widths:
                cell = groups[w]
                photos = sorted({p for p, s in cell if s == jxl and (p, avif) in cell and (p, webp) in cell})
                if not photos:
                    cells += ["–"] * 4
                    ok = False
                    continue
                ge_a = sum(cell[(p, jxl)]["ssim"] >= cell[(p, avif)]["ssim"] for p in photos)
                ge_w = sum(cell[(p, jxl)]["ssim"] >= cell[(p, webp)]["ssim"] for p in photos)
                tot = lambda s: sum(cell[(p, s)]["bytes"] for p in photos)
                ok = ok and ge_a >= MAJORITY * len(photos) and ge_w >= MAJORITY * len(photos)
                cells += [f"{ge_a}/{len(photos)}", f"{tot(jxl) / tot(avif):.2f}", f"{ge_w}/{len(photos)}",
                          f"{tot(jxl) / tot(webp):.2f}"]
            failed = failed or not ok
            if not failed:
                chosen = q
            print(f"| {q} | " + " | ".join(cells) + " |")
        print(f"\nLowest Q that, like every Q above it, is at or above AVIF's and WebP's SSIM on "
              f"{round(MAJORITY * 22)} of 22 photos at every width: "
              f"**{chosen if chosen is not None else 'none measured'}**\n")


def sizes_table(rows):
    print("| frame | MP | effort | CPU s | CPU s per MP | wall s per MP | peak memory MB | bytes per pixel |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        name = r["photo"].split("/")[-1]
        if name == "2560x1600.jpg":
            name = r["photo"].split("/")[-4]
        rss = int(r["maxrss_kb"]) / 1024
        print(f"| {name} at {r['width']}×{r['height']} | {r['mp']:.1f} | {r['setting'][2]} "
              f"| {float(r['cpu_ms']) / 1000:.2f} | {float(r['cpu_ms']) / 1000 / r['mp']:.2f} "
              f"| {float(r['wall_ms']) / 1000 / r['mp']:.2f} | {rss:.0f} | {rss * 1024 * 1024 / (r['mp'] * 1e6):.0f} |")
    print()


def width_groups(rows):
    groups = {}
    for r in rows:
        groups.setdefault(r["width_class"], {})[(r["photo"], r["setting"])] = r
    return groups


def main():
    mode, path = sys.argv[1], sys.argv[2]
    rows = read(path)
    # Rows of one requested width: a photo's frame at 1280 is 1280 wide; at 0 (own size) it varies.
    for r in rows:
        r["width_class"] = r["w"]
    {"settings": settings_table, "levels": levels_table, "sizes": sizes_table}[mode](rows)


if __name__ == "__main__":
    main()
