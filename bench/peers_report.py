#!/usr/bin/env python3
"""Tables and charts of bench/peers.sh (Python 3 standard library only).

tables: reads the measurements (TSV: rep format width tool images_per_s cpu_ms_per_image
        bytes_per_image failures note) and prints the Markdown tables: medians of images/s
        and of CPU ms per image, mean output bytes, and the ratios to libvips and to imgorigin.
doc:    writes the charts (SVG, hand-drawn, no plotting library) into --svg-dir and replaces
        the part of --doc between "<!-- BEGIN peers.sh -->" and "<!-- END peers.sh -->" with
        the run's header, the charts and the tables. --from-md takes the header and the
        measurements of the last run recorded in a bench/results/peers-<date>.md instead of
        --tsv and --header, so the charts can be redrawn without measuring again.

usage: peers_report.py tables --tsv FILE
       peers_report.py doc (--tsv FILE --header FILE | --from-md FILE) --doc FILE --svg-dir DIR
"""
import argparse
import collections
import math
import os
import re
import statistics
import sys
from xml.sax.saxutils import escape

TOOLS = ["libvips", "sharpvips", "imgorigin", "ipx", "ipxdefaults", "nginx", "magick"]
LABEL = {"libvips": "libvips (C)", "sharpvips": "sharp's libvips (C)", "imgorigin": "imgorigin",
         "ipx": "ipx", "ipxdefaults": "ipx, its defaults", "nginx": "nginx image_filter",
         "magick": "ImageMagick"}
# What imgorigin is to be ahead of, doing the same work. The C loops are yardsticks, and ipx
# with its defaults does less work (see docs/benchmarks.md): it is reported on its own line.
PEERS = ["ipx", "nginx", "magick"]
COLOUR = {"libvips": "#7f7f7f", "sharpvips": "#c7c7c7", "imgorigin": "#0072b2", "ipx": "#e69f00",
          "ipxdefaults": "#f5c869", "nginx": "#009e73", "magick": "#cc79a7"}
FORMAT_LABEL = {"jpeg": "JPEG q80", "webp": "WebP q80", "avif": "AVIF q60"}
FORMAT_SHORT = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF"}
GOAL = 0.9  # imgorigin ÷ libvips, from the issue
BEGIN, END = "<!-- BEGIN peers.sh -->", "<!-- END peers.sh -->"


# --- data ---------------------------------------------------------------------------------
def read_tsv(lines):
    rows = []
    for line in lines:
        if not line.strip() or line.startswith("rep\t"):
            continue
        rep, fmt, width, tool, ips, cpu, size, failures, note = line.rstrip("\n").split("\t")
        rows.append({"rep": int(rep), "format": fmt, "width": int(width), "tool": tool, "ips": float(ips),
                     "cpu": float(cpu), "bytes": int(size), "failures": int(failures), "note": note})
    return rows


def from_md(path):
    """(header, TSV lines) of the last run in a results file."""
    text = open(path).read()
    runs = re.split(r"(?m)^(?=## )", text)
    run = [r for r in runs if r.startswith("## ")][-1]
    header = "\n".join(line for line in run.splitlines() if line.startswith(("## ", "Command:", "Machine:", "Versions:")))
    m = re.search(r"```tsv\n(.*?)```", run, re.S)
    if not m:
        sys.exit(f"peers_report: no raw measurements in the last run of {path}")
    return header, m.group(1).splitlines()


class Summary:
    """Medians over the measurements of every (format, width, tool)."""

    def __init__(self, rows):
        by = collections.defaultdict(list)
        for r in rows:
            by[(r["format"], r["width"], r["tool"])].append(r)
        self.reps = max(r["rep"] for r in rows)
        self.cells = sorted({(r["format"], r["width"]) for r in rows},
                            key=lambda c: (["jpeg", "webp", "avif"].index(c[0]), c[1]))
        self.tools = [t for t in TOOLS if any(r["tool"] == t for r in rows)]
        self.ips = {k: statistics.median(r["ips"] for r in v) for k, v in by.items()}
        self.cpu = {k: statistics.median(r["cpu"] for r in v) for k, v in by.items()}
        self.bytes = {k: statistics.mean(r["bytes"] for r in v) for k, v in by.items()}
        self.failures = sum(r["failures"] for r in rows)

    def get(self, table, cell, tool):
        return table.get((cell[0], cell[1], tool))

    def ratio(self, table, cell, a, b):
        x, y = self.get(table, cell, a), self.get(table, cell, b)
        return None if x is None or y is None or y == 0 else x / y

    def best_peer(self, cell):
        peers = [(self.get(self.ips, cell, p), p) for p in PEERS if self.get(self.ips, cell, p) is not None]
        return max(peers) if peers else (None, None)


# --- Markdown -------------------------------------------------------------------------------
def num(x, digits=None):
    if x is None:
        return "–"
    if digits is None:
        digits = 2 if x < 10 else 1 if x < 100 else 0
    return f"{x:,.{digits}f}".replace(",", " ")


def cell_name(cell):
    return f"{FORMAT_LABEL.get(cell[0], cell[0])}, w {cell[1]}"


def table(s, title, values, extra_heads, extra, fmt=num):
    heads = ["output"] + [LABEL[t] for t in s.tools] + extra_heads
    out = [f"**{title}**", "", "| " + " | ".join(heads) + " |", "|---|" + "--:|" * (len(heads) - 1)]
    for cell in s.cells:
        vals = []
        for t in s.tools:
            v = s.get(values, cell, t)
            v = "–" if v is None else fmt(v)
            vals.append(f"**{v}**" if t == "imgorigin" and v != "–" else v)
        out.append("| " + " | ".join([cell_name(cell)] + vals + extra(cell)) + " |")
    return "\n".join(out)


def headline(s):
    lines = []
    if {"imgorigin", "libvips"} <= set(s.tools):
        r = [x for x in (s.ratio(s.ips, c, "imgorigin", "libvips") for c in s.cells) if x is not None]
        below = [cell_name(c) for c in s.cells if (s.ratio(s.ips, c, "imgorigin", "libvips") or GOAL) < GOAL]
        lines.append(f"- **imgorigin ÷ libvips, throughput: median {num(statistics.median(r))}, "
                     f"{num(min(r))}–{num(max(r))}** over the {len(r)} outputs; the goal of {GOAL} is met in "
                     f"{len(r) - len(below)} of {len(r)}" + (f" (below it: {'; '.join(below)})." if below else "."))
        c = [x for x in (s.ratio(s.cpu, cell, "libvips", "imgorigin") for cell in s.cells) if x is not None]
        lines.append(f"- CPU per image, libvips ÷ imgorigin: median {num(statistics.median(c))}, "
                     f"{num(min(c))}–{num(max(c))} (1.00: imgorigin spends no more CPU than libvips alone; "
                     f"its figure includes HTTP, JIT and GC, not the client's).")
    if "imgorigin" in s.tools:
        for what, table, better in (("throughput", s.ips, max), ("CPU per image", s.cpu, min)):
            total, behind = 0, []
            for cell in s.cells:
                mine = s.get(table, cell, "imgorigin")
                peers = [(s.get(table, cell, p), p) for p in PEERS if s.get(table, cell, p) is not None]
                if mine is None or not peers:
                    continue
                total += 1
                best, who = better(peers)
                if better(best, mine) == best and best != mine:
                    behind.append(f"{cell_name(cell)} ({LABEL[who]} {num(best)}, imgorigin {num(mine)})")
            if total:
                lines.append(f"- {'**' if what == 'throughput' else ''}Ahead of every peer in {what} in "
                             f"{total - len(behind)} of {total} outputs{'**' if what == 'throughput' else ''}"
                             + (f"; behind in: {'; '.join(behind)}." if behind else "."))
        for p in PEERS + ["ipxdefaults"]:
            r = [x for x in (s.ratio(s.ips, c, "imgorigin", p) for c in s.cells) if x is not None]
            if r:
                lines.append(f"- imgorigin ÷ {LABEL[p]}, throughput: median {num(statistics.median(r))}, "
                             f"{num(min(r))}–{num(max(r))} ({len(r)} outputs).")
    if {"ipx", "sharpvips"} <= set(s.tools):
        r = [x for x in (s.ratio(s.ips, c, "ipx", "sharpvips") for c in s.cells) if x is not None]
        lines.append(f"- ipx ÷ the libvips it bundles (sharp's, driven from C like libvips above), throughput: "
                     f"median {num(statistics.median(r))}, {num(min(r))}–{num(max(r))}: what Node and ipx cost "
                     f"on top of their codecs.")
    return "\n".join(lines)


def tables(s, with_headline=True):
    have = set(s.tools)
    parts = [headline(s), ""] if with_headline else []
    heads, extra = [], lambda cell: []
    if {"imgorigin", "libvips"} <= have:
        heads = ["imgorigin ÷ libvips", "imgorigin ÷ best peer"]

        def extra(cell):
            best, who = s.best_peer(cell)
            r = s.ratio(s.ips, cell, "imgorigin", "libvips")
            b = None if best is None else s.get(s.ips, cell, "imgorigin") / best
            return [f"**{num(r)}**", "–" if b is None else f"{num(b)} ({LABEL[who]})"]
    parts.append(table(s, f"Throughput, images/s (median of {s.reps}; higher is better)", s.ips, heads, extra))
    parts.append("")
    heads, extra = [], lambda cell: []
    if {"imgorigin", "libvips"} <= have:
        heads = ["libvips ÷ imgorigin"]

        def extra(cell):
            return [num(s.ratio(s.cpu, cell, "libvips", "imgorigin"))]
    parts.append(table(s, f"CPU per image, ms (median of {s.reps}; lower is better; the process(es) "
                          "doing the work, not the load client)", s.cpu, heads, extra))
    parts.append("")
    heads, extra = [], lambda cell: []
    if "libvips" in have:
        others = [t for t in s.tools if t != "libvips"]
        heads = [f"{LABEL[t]} ÷ libvips" for t in others]

        def extra(cell):
            return [num(s.ratio(s.bytes, cell, t, "libvips")) for t in others]
    parts.append(table(s, "Output bytes per image (mean): like is compared with like", s.bytes, heads, extra,
                       fmt=lambda x: num(x, 0)))
    if s.failures:
        parts.append(f"\n**{s.failures} renders failed**: see the raw measurements.")
    return "\n".join(parts)


# --- SVG ------------------------------------------------------------------------------------
def nice_max(x):
    """A round number just above x, and a tick step for it."""
    if x <= 0:
        return 1.0, 0.2
    exp = 10 ** math.floor(math.log10(x))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= x * 1.08:
            top = m * exp
            break
    step = next(s * exp / 10 for s in (1, 2, 2.5, 5, 10, 20) if top / (s * exp / 10) <= 6)
    return top, step


def bar_chart(title, subtitle, groups, series, values, y_label, refs=(), cap=None):
    """A grouped bar chart: values[g][s] (None: no bar). refs: (y, label, dashed, label below).
    Bars above cap are cut at the top of the axis, marked with a break, and keep their label."""
    bar, left, bottom = 15, 64, 34
    right = 104 if refs else 16  # reference lines are labelled in the right margin
    group_w = max(len(series) * bar + 26, 600 / len(groups))
    width = round(left + len(groups) * group_w + right)
    # legend entries, wrapped to the width
    legend, x, row = [], left, 0
    for s in series:
        w = 24 + 7 * len(LABEL[s])
        if x + w > width - right and x > left:
            x, row = left, row + 1
        legend.append((x, 52 + 18 * row, s))
        x += w
    top = 52 + 18 * row + 30
    height = top + 300 + bottom
    plot_h = height - top - bottom
    vmax = max([v for g in values for v in g if v is not None] + [r[0] for r in refs] + [0])
    ymax, step = nice_max(vmax if cap is None else min(vmax, cap))

    def y(v):
        return top + plot_h * (1 - v / ymax)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{left}" y="22" font-size="16" font-weight="bold">{escape(title)}</text>',
           f'<text x="{left}" y="40" fill="#555555">{escape(subtitle)}</text>']
    for lx, ly, s in legend:
        out.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{COLOUR[s]}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly + 10}">{escape(LABEL[s])}</text>')
    t = 0.0
    while t <= ymax + 1e-9:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" fill="#555555">{t:g}</text>')
        t += step
    out.append(f'<text transform="translate(16,{top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle" '
               f'fill="#555555">{escape(y_label)}</text>')
    for gi, g in enumerate(groups):
        gx = left + gi * group_w + (group_w - len(series) * bar) / 2
        for si, s in enumerate(series):
            v = values[gi][si]
            if v is None:
                continue
            bx = gx + si * bar
            shown = min(v, ymax)
            out.append(f'<rect x="{bx:.1f}" y="{y(shown):.1f}" width="{bar - 2}" height="{y(0) - y(shown):.1f}" '
                       f'fill="{COLOUR[s]}"><title>{escape(LABEL[s])}, {escape(g)}: {num(v)}</title></rect>')
            if v > ymax:  # cut: a white break across the bar's top
                out.append(f'<path d="M{bx - 1:.1f},{y(shown) + 12:.1f} L{bx + bar - 1:.1f},{y(shown) + 6:.1f}" '
                           f'stroke="#ffffff" stroke-width="3"/>')
                out.append(f'<text transform="translate({bx + bar / 2 + 3:.1f},{y(shown) + 16:.1f}) rotate(-90)" '
                           f'text-anchor="end" font-size="9" fill="#222222">{num(v)}</text>')
            else:
                out.append(f'<text transform="translate({bx + bar / 2 + 3:.1f},{y(v) - 4:.1f}) rotate(-90)" '
                           f'font-size="9" fill="#333333">{num(v)}</text>')
        out.append(f'<text x="{gx + len(series) * bar / 2:.1f}" y="{y(0) + 18:.1f}" text-anchor="middle">'
                   f'{escape(g)}</text>')
    for ry, label, dashed, below in refs:
        dash = ' stroke-dasharray="5,4"' if dashed else ""
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(ry):.1f}" y2="{y(ry):.1f}" stroke="#d62728"'
                   f' stroke-width="1.2"{dash}/>')
        ty = y(ry) + 11 if below else y(ry) - 2
        out.append(f'<text x="{width - right + 4}" y="{ty:.1f}" fill="#d62728" font-size="11">{escape(label)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#333333"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def charts(s, svg_dir, when):
    """Writes the SVGs; returns [(file name, alt text)]."""
    os.makedirs(svg_dir, exist_ok=True)
    made = []
    if "libvips" in s.tools:
        series = [t for t in s.tools if t != "libvips"]
        values = [[s.ratio(s.ips, c, t, "libvips") for t in series] for c in s.cells]
        groups = [f"{FORMAT_SHORT[c[0]]} {c[1]}" for c in s.cells]
        svg = bar_chart("Cold renders: throughput ÷ libvips", f"median images/s of each ÷ libvips' own, "
                        f"2 at a time, {when}; higher is better", groups, series, values, "throughput ÷ libvips (C)",
                        refs=[(1.0, "libvips = 1", False, False), (GOAL, f"goal: {GOAL}", True, True)])
        made.append(("peers-ratio.svg", "Throughput of each tool divided by libvips', per output"))
        open(os.path.join(svg_dir, made[-1][0]), "w").write(svg)
        values = [[s.ratio(s.cpu, c, t, "libvips") for t in series] for c in s.cells]
        svg = bar_chart("Cold renders: CPU per image ÷ libvips", f"median CPU ms per image of each ÷ libvips' own, "
                        f"{when}; lower is better; steadier than throughput on a shared machine", groups, series,
                        values, "CPU per image ÷ libvips (C)", refs=[(1.0, "libvips = 1", False, False)], cap=2.5)
        made.append(("peers-cpu.svg", "CPU time per image of each tool divided by libvips', per output"))
        open(os.path.join(svg_dir, made[-1][0]), "w").write(svg)
    for fmt in ["jpeg", "webp", "avif"]:
        cells = [c for c in s.cells if c[0] == fmt]
        if not cells:
            continue
        series = [t for t in s.tools if any(s.get(s.ips, c, t) is not None for c in cells)]
        values = [[s.get(s.ips, c, t) for t in series] for c in cells]
        svg = bar_chart(f"Cold renders to {FORMAT_LABEL[fmt]}: images per second",
                        f"median of {s.reps}, 2 at a time, {when}; higher is better",
                        [f"w {c[1]}" for c in cells], series, values, "images / s")
        made.append((f"peers-{fmt}.svg", f"Images per second to {FORMAT_LABEL[fmt]} by width and tool"))
        open(os.path.join(svg_dir, made[-1][0]), "w").write(svg)
    return made


def doc(s, header, doc_path, svg_dir):
    when = re.search(r"^## (\S+)", header, re.M)
    made = charts(s, svg_dir, when.group(1) if when else "")
    rel = os.path.relpath(svg_dir, os.path.dirname(os.path.abspath(doc_path)))
    title, *rest = header.strip().splitlines()
    body = [BEGIN, "", title.replace("## ", "### Latest run: ", 1), ""]
    body += [f"- {line}" for line in rest if line.strip()] + ["", "**Summary**", "", headline(s), ""]
    body += [f"![{alt}]({rel}/{name})" + "\n" for name, alt in made]
    body += [tables(s, with_headline=False), "", END]
    text = open(doc_path).read()
    if BEGIN not in text or END not in text:
        sys.exit(f"peers_report: {doc_path} has no {BEGIN} … {END} section to replace")
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    with open(doc_path, "w") as f:
        f.write(before + "\n".join(body) + after)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("tables")
    t.add_argument("--tsv", required=True)
    d = sub.add_parser("doc")
    d.add_argument("--tsv")
    d.add_argument("--header")
    d.add_argument("--from-md")
    d.add_argument("--doc", required=True)
    d.add_argument("--svg-dir", required=True)
    args = ap.parse_args()
    if args.command == "tables":
        print(tables(Summary(read_tsv(open(args.tsv)))))
        return 0
    if args.from_md:
        header, lines = from_md(args.from_md)
    elif args.tsv and args.header:
        header, lines = open(args.header).read().strip(), open(args.tsv).read().splitlines()
    else:
        ap.error("doc needs --tsv and --header, or --from-md")
    doc(Summary(read_tsv(lines)), header, args.doc, args.svg_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
