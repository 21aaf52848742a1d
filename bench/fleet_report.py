#!/usr/bin/env python3
"""Figures and charts of one bench/fleet.sh run (Python 3 standard library only).

Reads the run's directory (requests.tsv.gz, series.jsonl, events.tsv, replay.txt, run.txt,
check.txt, workload.txt, balancer.log.gz, uploads.tsv), writes summary.md and summary.json into it and,
with --img, SVG charts named <name>-*.svg; prints the one-line summary last:

  fleet: cdn_hit=<ratio> node_hit=<ratio> renders_per_1k=<n> s3_gets_per_render=<x> p99_ms=<n> errors=<n>

cdn_hit: Varnish's hits / (hits + misses) over the measured window (varnishstat). node_hit: the
nodes' disk and memory hits / their image requests (/metrics). renders_per_1k: renders per
1,000 client requests. s3_gets_per_render: S3 GETs (counted by S3Proxy) per render. p99_ms:
the 99th percentile of every client request's latency. errors: client requests answered 5xx,
429 or not at all, outside the S3 outage (requests that overlapped the time from S3 stopping
to --outage-grace seconds after it is back); those inside it are reported on their own.

summary.md also has the images uploaded during the window on their own (bench/fleet.sh
--eager): how many of their requests that reached the nodes were node cache hits, the renders
they cost per such request (eager renders + visitors' misses), and the nodes' eager counters.
"""
import argparse
import datetime
import gzip
import json
import os
import re
import sys

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[max(0, min(len(v) - 1, -(-len(v) * p // 100) - 1))]


def kv(path):
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            for m in re.finditer(r'(\w+)=("[^"]*"|\S+)', f.read()):
                out[m.group(1)] = m.group(2).strip('"')
    return out


def load(d):
    reqs = []
    with gzip.open(os.path.join(d, "requests.tsv.gz"), "rt") as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            reqs.append({"t": float(p[0]), "ms": float(p[1]), "status": int(p[2]), "bytes": int(p[3]),
                         "cdn": p[4], "origin": p[5], "format": p[6], "ref": p[7], "path": p[8], "error": p[9]})
    series = []
    with open(os.path.join(d, "series.jsonl")) as f:
        for line in f:
            series.append(json.loads(line))
    events = []
    with open(os.path.join(d, "events.tsv")) as f:
        next(f)
        for line in f:
            t, name, detail = (line.rstrip("\n").split("\t") + ["", ""])[:3]
            events.append((float(t), name, detail))
    return reqs, series, events


# IMGORIGIN_EAGER's counters (bench/fleet.sh --eager); all zero without it.
EAGER_KEYS = ("imgorigin_eager_renders_total:ok", "imgorigin_eager_renders_total:failed",
              "imgorigin_eager_handoff_total:accepted", "imgorigin_eager_handoff_total:refused",
              "imgorigin_eager_handoff_total:failed", "imgorigin_eager_decodes_total")


def load_uploads(d):
    """The day's uploads (uploads.tsv, written by the replay): ref -> time its upload was answered."""
    out = {}
    path = os.path.join(d, "uploads.tsv")
    if os.path.exists(path):
        with open(path) as f:
            next(f)
            for line in f:
                t, ref, _ = line.rstrip("\n").split("\t")
                out[ref] = float(t)
    return out


def eager_variant(path, fmt, eager_set):
    """Whether a request's variant (its transformation without f_, in the format it was served
    in) is one of IMGORIGIN_EAGER's entries ("w_640,f_avif;...", as run.txt records it)."""
    params = path.rsplit("/", 2)[-2].split(",")
    mine = frozenset(x for x in params if not x.startswith("f_"))
    for entry in eager_set:
        e = entry.split(",")
        fixed = [x[2:] for x in e if x.startswith("f_")]
        if frozenset(x for x in e if not x.startswith("f_")) == mine and (not fixed or fixed[0] == fmt):
            return True
    return False


def new_image_figures(reqs, uploads, eager_ok, eager_set=()):
    """Requests for the images uploaded during the window: of those that reached the nodes
    (CDN misses answered 200), the share the nodes served from their caches, and the renders
    they cost per such request: the eager renders (every one is of an upload of the day) plus
    the misses rendered for a visitor. A visitor's request that arrives while its variant's
    eager render is in flight waits for it and is answered MISS, so the sum can count one render
    twice; summary.json's renders_check compares the sum with the nodes' own render count."""
    mine = [r for r in reqs if r["ref"] in uploads]
    tier = [r for r in mine if r["status"] == 200 and not r["cdn"].startswith("HIT")]
    hits = sum(1 for r in tier if r["origin"].startswith("HIT"))
    misses = sum(1 for r in tier if r["origin"] == "MISS")
    renders = eager_ok + misses
    in_set = [r for r in tier if eager_variant(r["path"], r["format"], eager_set)]
    return {
        "eager_set_node_tier_requests": len(in_set),
        "eager_set_node_hits": sum(1 for r in in_set if r["origin"].startswith("HIT")),
        "uploads": len(uploads), "requests": len(mine), "images_requested": len({r["ref"] for r in mine}),
        "node_tier_requests": len(tier), "node_hits": hits, "node_misses": misses,
        "node_hit": round(hits / len(tier), 4) if tier else None,
        "eager_renders": eager_ok, "renders": renders,
        "renders_per_node_request": round(renders / len(tier), 3) if tier else None,
        "renders_per_upload": round(renders / len(uploads), 3) if uploads else None,
    }


def node_keys(series):
    return sorted({k for row in series for k in row if re.fullmatch(r"node\d+", k)})


def counter_delta(series, get):
    """Sum of increases of a counter along the series; a drop (a restarted node) counts from 0."""
    total = 0.0
    prev = None
    for row in series:
        v = get(row)
        if v is None:
            continue
        if prev is not None:
            total += v - prev if v >= prev else v
        prev = v
    return total


def metric(row, node, key):
    m = row.get(node)
    if m is None:
        return None
    return m.get(key, 0.0)


def window_deltas(series, a, b):
    """Per-interval rows (t, fields) of the deltas between consecutive samples."""
    out = []
    nodes = node_keys(series)
    for prev, row in zip(series, series[1:]):
        dt = row["t"] - prev["t"]
        if dt <= 0:
            continue
        f = {"t": row["t"], "dt": dt}
        hits = misses = renders = 0.0
        for n in nodes:
            for key, acc in (("imgorigin_requests_total:HIT-DISK", "h"), ("imgorigin_requests_total:HIT-MEMORY", "h"),
                             ("imgorigin_requests_total:MISS", "m"), ("renders:ok", "r")):
                v0, v1 = metric(prev, n, key), metric(row, n, key)
                if v1 is None:
                    continue
                d = v1 - (v0 or 0) if v0 is not None and v1 >= v0 else v1
                if acc == "h":
                    hits += d
                elif acc == "m":
                    misses += d
                else:
                    renders += d
        f["node_hit"] = hits / (hits + misses) if hits + misses else None
        f["renders_s"] = renders / dt
        vp, vr = prev.get("varnish") or {}, row.get("varnish") or {}
        ch = vr.get("cache_hit", 0) - vp.get("cache_hit", 0)
        cm = vr.get("cache_miss", 0) - vp.get("cache_miss", 0)
        f["cdn_hit"] = ch / (ch + cm) if ch + cm else None
        sp, sr = prev.get("s3") or {}, row.get("s3") or {}
        f["s3_gets_s"] = (sr.get("get", 0) - sp.get("get", 0)) / dt if sr and sp else None
        out.append(f)
    return out


# --- SVG ---------------------------------------------------------------------------------
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg_chart(title, ylabel, lines, events, xmax, ymax=None, width=760, height=280, log=False):
    """lines: [(label, [(x, y)...])]; events: [(t0, t1 or None, label)]."""
    ml, mr, mt, mb = 60, 20, 30, 40
    pw, ph = width - ml - mr, height - mt - mb
    ys = [y for _, pts in lines for _, y in pts if y is not None]
    top = ymax if ymax is not None else (max(ys) * 1.1 if ys else 1.0) or 1.0

    def X(x):
        return ml + pw * x / xmax

    def Y(y):
        return mt + ph * (1 - min(y, top) / top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{ml}" y="18" font-size="13" font-weight="bold">{esc(title)}</text>']
    for i, (t0, t1, label) in enumerate(events):
        if t1 is not None:
            parts.append(f'<rect x="{X(t0):.1f}" y="{mt}" width="{max(1.0, X(t1) - X(t0)):.1f}" height="{ph}" '
                         f'fill="#f2c2c2" opacity="0.5"/>')
        else:
            parts.append(f'<line x1="{X(t0):.1f}" y1="{mt}" x2="{X(t0):.1f}" y2="{mt + ph}" stroke="#999" '
                         f'stroke-dasharray="3,3"/>')
        parts.append(f'<text x="{X(t0) + 2:.1f}" y="{mt + 10 + 11 * (i % 3)}" fill="#666">{esc(label)}</text>')
    for k in range(5):
        v = top * k / 4
        y = Y(v)
        parts.append(f'<line x1="{ml}" y1="{y:.1f}" x2="{ml + pw}" y2="{y:.1f}" stroke="#eee"/>')
        label = f"{v:.2f}" if top <= 2 else f"{v:.1f}" if top < 20 else f"{v:.0f}"
        parts.append(f'<text x="{ml - 4}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    step = 30 if xmax <= 200 else 60 if xmax <= 700 else 120
    x = 0
    while x <= xmax:
        parts.append(f'<text x="{X(x):.1f}" y="{mt + ph + 14}" text-anchor="middle">{x}</text>')
        x += step
    parts.append(f'<text x="{ml + pw / 2}" y="{height - 6}" text-anchor="middle">seconds into the measured window</text>')
    parts.append(f'<text x="14" y="{mt + ph / 2}" transform="rotate(-90 14 {mt + ph / 2})" '
                 f'text-anchor="middle">{esc(ylabel)}</text>')
    parts.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    for i, (label, pts) in enumerate(lines):
        color = COLORS[i % len(COLORS)]
        segs, cur = [], []
        for x, y in pts:
            if y is None:
                if cur:
                    segs.append(cur)
                cur = []
            else:
                cur.append(f"{X(x):.1f},{Y(y):.1f}")
        if cur:
            segs.append(cur)
        for seg in segs:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{" ".join(seg)}"/>')
        lx = ml + pw - 150
        ly = mt + 14 + 14 * i
        parts.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 18}" y2="{ly - 4}" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{lx + 22}" y="{ly}">{esc(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--img")
    ap.add_argument("--outage-grace", type=float, default=10)
    a = ap.parse_args()
    reqs, series, events = load(a.dir)
    replay = kv(os.path.join(a.dir, "replay.txt"))
    run = kv(os.path.join(a.dir, "run.txt"))
    workload = kv(os.path.join(a.dir, "workload.txt"))
    duration = float(replay.get("seconds", max((r["t"] for r in reqs), default=1)))
    ev = {name: t for t, name, _ in events}
    s3_stop, s3_start = ev.get("s3-stop"), ev.get("s3-started", ev.get("s3-start"))
    outage = (s3_stop, (s3_start or duration) + a.outage_grace) if s3_stop is not None else None
    kill, started = ev.get("kill-node"), ev.get("node-started")

    def in_outage(r):
        # Any request that overlapped the outage: one in flight when S3 stopped fails with it.
        return outage is not None and r["t"] + r["ms"] / 1000 >= outage[0] and r["t"] <= outage[1]

    uploads = load_uploads(a.dir)
    n = len(reqs)
    first, last = series[0], series[-1]
    nodes = node_keys(series)
    # CDN
    vf, vl = first.get("varnish") or {}, last.get("varnish") or {}
    hit = vl.get("cache_hit", 0) - vf.get("cache_hit", 0)
    miss = vl.get("cache_miss", 0) - vf.get("cache_miss", 0)
    cdn_hit = hit / (hit + miss) if hit + miss else 0.0
    hdr_hits = sum(1 for r in reqs if r["cdn"].startswith("HIT"))
    hdr_hit = hdr_hits / n if n else 0.0
    # nodes
    per_node = {}
    for node in nodes:
        d = {}
        for key in ("imgorigin_requests_total:HIT-DISK", "imgorigin_requests_total:HIT-MEMORY",
                    "imgorigin_requests_total:MISS", "imgorigin_requests_total:none", "renders:ok", "renders:failed",
                    "imgorigin_fetch_duration_seconds_count") + EAGER_KEYS:
            d[key] = counter_delta(series, lambda row, node=node, key=key: metric(row, node, key))
        d["cpu_ms"] = (counter_delta(series, lambda row, node=node: row.get(f"{node}_cpu_jvm"))
                       + counter_delta(series, lambda row, node=node: row.get(f"{node}_cpu_nginx"))) * TICK_MS
        per_node[node] = d
    nh = sum(d["imgorigin_requests_total:HIT-DISK"] + d["imgorigin_requests_total:HIT-MEMORY"] for d in per_node.values())
    nm = sum(d["imgorigin_requests_total:MISS"] for d in per_node.values())
    node_hit = nh / (nh + nm) if nh + nm else 0.0
    renders = sum(d["renders:ok"] for d in per_node.values())
    eager = {k: sum(d[k] for d in per_node.values()) for k in EAGER_KEYS}
    eager_set = [e for e in run.get("eager_set", "-").split(";") if e and e != "-"]
    new_img = new_image_figures(reqs, uploads, eager["imgorigin_eager_renders_total:ok"], eager_set)
    # Every render is a visitor's MISS or an eager render, unless a MISS waited for one in flight.
    renders_check = {"renders_counted_by_nodes": renders,
                     "miss_answers_plus_eager": sum(1 for r in reqs if r["status"] == 200 and not r["cdn"].startswith("HIT")
                                                    and r["origin"] == "MISS") + eager["imgorigin_eager_renders_total:ok"]}
    s3f, s3l = first.get("s3") or {}, last.get("s3") or {}
    s3 = {k: s3l.get(k, 0) - s3f.get(k, 0) for k in ("get", "get_bytes", "head", "put", "put_bytes", "delete")}
    s3_per_render = s3["get"] / renders if renders else 0.0
    origin_cpu = sum(d["cpu_ms"] for d in per_node.values())
    bal_cpu = counter_delta(series, lambda row: row.get("balancer_cpu")) * TICK_MS
    var_cpu = counter_delta(series, lambda row: row.get("varnish_cpu")) * TICK_MS
    # latency per tier
    tiers = {"cdn hit": [], "node cache hit": [], "render": [], "other": []}
    for r in reqs:
        if r["status"] == 200 and r["cdn"].startswith("HIT"):
            tiers["cdn hit"].append(r["ms"])
        elif r["status"] == 200 and r["origin"].startswith("HIT"):
            tiers["node cache hit"].append(r["ms"])
        elif r["status"] == 200 and r["origin"] == "MISS":
            tiers["render"].append(r["ms"])
        else:
            tiers["other"].append(r["ms"])
    all_ms = [r["ms"] for r in reqs]
    p99 = pct(all_ms, 99)
    # errors
    def is_error(r):
        return r["status"] == 0 or r["status"] >= 500 or r["status"] == 429

    errs = [r for r in reqs if is_error(r)]
    errs_out = [r for r in errs if not in_outage(r)]
    errs_in = [r for r in errs if in_outage(r)]
    in_win = [r for r in reqs if in_outage(r)]
    served_in = sum(1 for r in in_win if r["status"] == 200)
    # purged-then-served: a 200 for a deleted image after its purge finished
    purged = {}
    dpath = os.path.join(a.dir, "deleted.tsv")
    if os.path.exists(dpath):
        with open(dpath) as f:
            for line in f:
                ref, _, t = line.rstrip("\n").split("\t")
                if float(t) >= 0:
                    purged[ref] = float(t)
    stale = [r for r in reqs if r["ref"] in purged and r["t"] > purged[r["ref"]] and r["status"] == 200]
    # bytes per hop
    hop = {
        "cdn_to_clients": vl.get("s_resp_bodybytes", 0) - vf.get("s_resp_bodybytes", 0),
        "origin_tier_to_cdn": vl.get("beresp_bodybytes", 0) - vf.get("beresp_bodybytes", 0),
        "s3_to_nodes": s3["get_bytes"],
        "uploads_to_s3": s3["put_bytes"],
    }
    # load balance and hot images, from the balancer's log (which node each origin request reached)
    t0 = float(replay.get("t0", 0))
    by_up, hot_nodes, ring = {}, {}, {"after_restart": {}}
    counts = {}
    for r in reqs:
        counts[r["ref"]] = counts.get(r["ref"], 0) + 1
    top = [ref for ref, _ in sorted(counts.items(), key=lambda x: -x[1])[:10]]
    id_of = {}
    for r in reqs:
        id_of.setdefault(r["ref"], r["path"].rsplit("/", 1)[1].split(".")[0])
    top_ids = {id_of[ref]: ref for ref in top}
    bpath = os.path.join(a.dir, "balancer.log.gz")
    if os.path.exists(bpath):
        with gzip.open(bpath, "rt") as f:
            for line in f:
                # up= lists every node tried ("a:1, b:2" after a retry): the last one answered.
                m = re.search(r'\[([^\]]+)\] "GET (\S+)[^"]*" \d+ \d+ .*?up=(.*?) ust=', line)
                if not m:
                    continue
                ts = datetime.datetime.fromisoformat(m.group(1)).timestamp() - t0
                if ts < 0 or ts > duration:
                    continue
                up = m.group(3).split(",")[-1].strip()
                by_up[up] = by_up.get(up, 0) + 1
                tail = m.group(2).rsplit("/", 1)[-1].split(".")[0]
                if tail in top_ids:
                    hot_nodes.setdefault(top_ids[tail], set()).add(up)
                if started is not None and ts > started + 15:
                    ring["after_restart"][up] = ring["after_restart"].get(up, 0) + 1
    ups = sorted(by_up)
    balance = (max(by_up.values()) / (sum(by_up.values()) / len(by_up))) if by_up else 0.0
    hot = {ref: len(v) for ref, v in hot_nodes.items()}
    # None: the node came back too late in the window (or never) to tell.
    ring_ok = (len(ring["after_restart"]) == len(nodes)
               if started is not None and started + 15 < duration - 10 else None)

    summary = {
        "name": a.name, "run": run, "workload": workload, "replay": replay,
        "requests": n, "duration_s": duration,
        "cdn_hit": round(cdn_hit, 4), "cdn_hit_from_headers": round(hdr_hit, 4),
        "node_hit": round(node_hit, 4), "renders": renders, "renders_per_1k": round(1000 * renders / n, 1) if n else 0,
        "s3": s3, "s3_gets_per_render": round(s3_per_render, 3),
        "origin_cpu_ms_per_1k": round(1000 * origin_cpu / n, 1) if n else 0,
        "balancer_cpu_ms_per_1k": round(1000 * bal_cpu / n, 1) if n else 0,
        "varnish_cpu_ms_per_1k": round(1000 * var_cpu / n, 1) if n else 0,
        "latency_ms": {k: {"n": len(v), "p50": round(pct(v, 50), 1), "p99": round(pct(v, 99), 1)}
                       for k, v in tiers.items()},
        "p50_ms": round(pct(all_ms, 50), 1), "p99_ms": round(p99, 1),
        "errors": len(errs_out), "errors_in_outage": len(errs_in), "served_200_in_outage": served_in,
        "requests_in_outage": len(in_win), "outage_window": outage,
        "error_samples": [f"t={r['t']:.1f} {r['status']} {r['error']} {r['path']}" for r in errs_out[:20]],
        "deleted_served_after_purge": len(stale),
        "bytes": hop, "per_node": per_node,
        "eager": eager, "new_images": new_img, "renders_check": renders_check,
        "balancer_requests_by_node": by_up, "max_over_mean_node_load": round(balance, 3),
        "top10_images_nodes": hot, "ring_after_restart": ring["after_restart"], "ring_healed": ring_ok,
        "status_counts": {s: sum(1 for r in reqs if r["status"] == s) for s in sorted({r["status"] for r in reqs})},
        "events": events,
    }
    with open(os.path.join(a.dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=list)

    line = (f"fleet: cdn_hit={cdn_hit:.3f} node_hit={node_hit:.3f} renders_per_1k={1000 * renders / max(n, 1):.0f} "
            f"s3_gets_per_render={s3_per_render:.2f} p99_ms={p99:.0f} errors={len(errs_out)}")
    md = [f"# {a.name}", "", "Written by bench/fleet.sh (bench/fleet_report.py).", "",
          f"Run: {' '.join(f'{k}={v}' for k, v in run.items())}", "",
          f"Workload: {' '.join(f'{k}={v}' for k, v in workload.items())}", "",
          f"Replay: {' '.join(f'{k}={v}' for k, v in replay.items() if k != 't0')}", "",
          "| figure | value |", "|---|---:|",
          f"| client requests in the window | {n} |",
          f"| CDN hit ratio (varnishstat; from X-Varnish-Cache) | {cdn_hit:.3f} ({hdr_hit:.3f}) |",
          f"| its ceiling: an unbounded CDN warmed by yesterday (from the log) | {workload.get('cdn_hit_ceiling', '?')} |",
          f"| node hit ratio (disk + memory, /metrics) | {node_hit:.3f} |",
          f"| renders (per 1,000 requests) | {renders:.0f} ({1000 * renders / max(n, 1):.0f}) |",
          f"| S3 GETs (per render) | {s3['get']} ({s3_per_render:.2f}) |",
          f"| S3 PUTs (uploads), HEADs, DELETEs | {s3['put']}, {s3['head']}, {s3['delete']} |",
          f"| origin CPU (node JVMs + their nginx) per 1,000 requests | {1000 * origin_cpu / max(n, 1):.0f} ms |",
          f"| balancer / Varnish CPU per 1,000 requests | {1000 * bal_cpu / max(n, 1):.0f} / {1000 * var_cpu / max(n, 1):.0f} ms |",
          f"| p50 / p99, all requests | {pct(all_ms, 50):.1f} / {p99:.1f} ms |",
          f"| errors outside the S3 outage (5xx, 429, no answer) | {len(errs_out)} |",
          f"| in the S3 outage: requests, answered 200, errors | {len(in_win)}, {served_in}, {len(errs_in)} |",
          f"| deleted images served after their purge (during the replay) | {len(stale)} |",
          f"| balancer: busiest node / mean | {balance:.2f} |",
          f"| ring healed: every node served after the restart (+15 s) | "
          f"{'not observed (restart too late)' if ring_ok is None else ring_ok} |",
          "", "Latency by the tier that answered:", "", "| tier | requests | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
    for k, v in tiers.items():
        md.append(f"| {k} | {len(v)} | {pct(v, 50):.1f} | {pct(v, 99):.1f} |")
    ni = new_img
    md += ["", f"Images uploaded during the window (eager: {run.get('eager', 'none')}; the eager set, rendered "
               f"unless none: {run.get('eager_set', '-')}):", "",
           "| figure | value |", "|---|---:|",
           f"| uploads; requests for them (images asked for) | {ni['uploads']}; {ni['requests']} ({ni['images_requested']}) |",
           f"| their requests that reached the nodes (CDN misses answered 200) | {ni['node_tier_requests']} |",
           f"| node cache hits among those (share) | {ni['node_hits']} "
           f"({'-' if ni['node_hit'] is None else format(ni['node_hit'], '.3f')}) |",
           f"| of those, for a variant of the eager set; node cache hits among them | "
           f"{ni['eager_set_node_tier_requests']}; {ni['eager_set_node_hits']} |",
           f"| renders for them: eager + visitors' misses (per node-tier request; per upload) | "
           f"{ni['eager_renders']:.0f} + {ni['node_misses']} "
           f"({'-' if ni['renders_per_node_request'] is None else format(ni['renders_per_node_request'], '.2f')}; "
           f"{'-' if ni['renders_per_upload'] is None else format(ni['renders_per_upload'], '.2f')}) |",
           f"| eager renders ok / failed; decodes shared by a set | "
           f"{eager['imgorigin_eager_renders_total:ok']:.0f} / {eager['imgorigin_eager_renders_total:failed']:.0f}; "
           f"{eager['imgorigin_eager_decodes_total']:.0f} |",
           f"| eager hand-offs accepted / refused / failed (the sender then rendered) | "
           f"{eager['imgorigin_eager_handoff_total:accepted']:.0f} / {eager['imgorigin_eager_handoff_total:refused']:.0f} / "
           f"{eager['imgorigin_eager_handoff_total:failed']:.0f} |"]
    md += ["", "Bytes per hop:", "", "| hop | bytes |", "|---|---:|"]
    for k, v in hop.items():
        md.append(f"| {k.replace('_', ' ')} | {v:,} |")
    md += ["", "Per node (deltas over the window):", "", "| node | disk hits | memory hits | misses | renders | CPU ms |",
           "|---|---:|---:|---:|---:|---:|"]
    for node, d in per_node.items():
        md.append(f"| {node} | {d['imgorigin_requests_total:HIT-DISK']:.0f} | {d['imgorigin_requests_total:HIT-MEMORY']:.0f} "
                  f"| {d['imgorigin_requests_total:MISS']:.0f} | {d['renders:ok']:.0f} | {d['cpu_ms']:.0f} |")
    md += ["", f"Balancer requests by node: {by_up}", "",
           f"Nodes that served each of the 10 most requested images: {sorted(hot.values(), reverse=True)}", "",
           f"Events: {'; '.join(f'{t:.0f}s {name} {detail}'.strip() for t, name, detail in events)}", "",
           f"Status counts: {summary['status_counts']}", ""]
    if errs_out:
        md += ["Errors outside the outage (first 20):", ""] + [f"- {s}" for s in summary["error_samples"]] + [""]
    md += [line, ""]
    with open(os.path.join(a.dir, "summary.md"), "w") as f:
        f.write("\n".join(md))

    if a.img:
        os.makedirs(a.img, exist_ok=True)
        rows = window_deltas(series, 0, duration)
        marks = []
        if kill is not None:
            marks.append((kill, started, "node 2 down"))
        if "purge-storm" in ev:
            marks.append((ev["purge-storm"], ev.get("purge-storm-done"), "purge storm"))
        if outage:
            marks.append((outage[0], s3_start, "S3 down"))
        xmax = duration
        charts = {
            "hit": svg_chart(f"Hit ratios ({a.name})", "hit ratio",
                             [("CDN (Varnish)", [(r["t"], r["cdn_hit"]) for r in rows]),
                              ("nodes (disk + memory)", [(r["t"], r["node_hit"]) for r in rows])], marks, xmax, ymax=1.0),
            "origin": svg_chart(f"Renders and S3 GETs per second ({a.name})", "per second",
                                [("renders", [(r["t"], r["renders_s"]) for r in rows]),
                                 ("S3 GETs", [(r["t"], r["s3_gets_s"]) for r in rows])], marks, xmax),
        }
        step = max(2.0, duration / 60)
        buckets = {}
        for r in reqs:
            buckets.setdefault(int(r["t"] // step), []).append(r)
        pts99, pts50, errp = [], [], []
        for b in sorted(buckets):
            v = buckets[b]
            x = (b + 0.5) * step
            pts99.append((x, pct([r["ms"] for r in v], 99)))
            pts50.append((x, pct([r["ms"] for r in v], 50)))
            errp.append((x, sum(1 for r in v if is_error(r)) / step))
        charts["latency"] = svg_chart(f"Client latency ({a.name})", "ms", [("p99", pts99), ("p50", pts50)], marks, xmax)
        charts["errors"] = svg_chart(f"Errors per second: 5xx, 429, no answer ({a.name})", "per second",
                                     [("errors", errp)], marks, xmax)
        for k, text in charts.items():
            with open(os.path.join(a.img, f"{a.name}-{k}.svg"), "w") as f:
                f.write(text)
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
