#!/usr/bin/env python3
"""A day of image traffic as an access log, from a seed (Python 3 standard library only).

Writes into --out:
  catalogue.tsv   one line per image: <ref> <base photo index> <upload second or -1>
                  (-1: stored before the day starts); bench/fleet_client.py makes the bytes
  yesterday.log   the day before, for warming the caches by replay
  today.log       the measured window
Each log line: <seconds> <verb> <arguments...>, in time order:
  <t> GET <path with @ref for the id> <accept class> <device>
  <t> UPLOAD @ref              a new image arrives (through the balancer, any node)
  <t> DELETE @ref              the owner deletes it (retried until the store confirms), then purges it
  <t> PURGE @ref               every node and the CDN forget the image
  <t> EVENT <name> [<arg>]     kill-node <i> / start-node <i> / s3-stop / s3-start / purge-storm
The replay client replaces @ref by the id the upload returned.

The model, and why:
- Popularity: Zipf over the catalogue, exponent --alpha (default 0.8). Breslau et al., "Web
  caching and Zipf-like distributions" (INFOCOM 1999) found 0.64-0.83 in proxy traces; Huang
  et al., "An Analysis of Facebook Photo Caching" (SOSP 2013), found photo popularity Zipf-like
  at every tier, flattening as each cache takes the head off, and strongly tied to age. This
  log is the stream that reaches the CDN (browser caches are not modelled), so 0.8 is at the
  steep end of the proxy range. Which image has which rank is a random permutation.
- Age: an image uploaded during the day takes a rank drawn log-uniformly from the whole
  catalogue (new photos are often among the hottest) and is asked for only after it exists.
- Page views: a page shows 1-6 images in a feed slot plus 0-4 square thumbnails. The device
  mix decides the widths: phones (DPR 3 or 2, CSS width 360-430) and desktops (DPR 1 or 2,
  feed slot 600 or grid slot 300). The browser picks the smallest srcset width (SRCSET) at
  least slot x DPR, as browsers do with w descriptors; every pixel size is halved (SRCSET).
- Accept: current browsers. AVIF+WebP (Chrome, Edge, Firefox, Safari 16.4+), WebP only
  (older Safari, some in-app views), JPEG only (old clients, bots, e-mail): 85/10/5 %. Every
  URL uses f_auto, so the CDN keeps one object per URL and format class.
- URL spelling: 10 % of the views come from a page that writes Cloudinary's
  /image/upload/ prefix; the rest write /w_<n>,f_auto/<id>. Same variant, different URL.
- Deletions: --deletes images chosen by popularity (people delete what was seen), each
  followed by a purge; a few stale pages keep asking for them (404 expected).
"""
import argparse
import bisect
import math
import os
import random

# Half the pixel sizes of a real page (srcset 320-1280, 200 px thumbnails), so that two shared
# cores can render the misses: the caches see the same number of distinct variants, only
# smaller ones. The base photos are 640 px wide to match (fleet.sh).
SRCSET = [160, 240, 320, 480, 640]
THUMB = 100  # half of a 200 CSS px c_fill square
# (name, share, dpr, css widths of the feed slot)
DEVICES = [
    ("phone-dpr3", 0.35, 3, [360, 390, 412, 430]),
    ("phone-dpr2", 0.20, 2, [360, 375, 390]),
    ("desktop-dpr1", 0.25, 1, [600, 300]),
    ("desktop-dpr2", 0.20, 2, [600, 300]),
]
ACCEPTS = [("avif", 0.85), ("webp", 0.10), ("jpeg", 0.05)]


def pick(rng, table, share_index=1):
    x = rng.random()
    acc = 0.0
    for row in table:
        acc += row[share_index]
        if x < acc:
            return row
    return table[-1]


def srcset_width(css, dpr):
    need = css * dpr / 2  # half scale, as SRCSET
    for w in SRCSET:
        if w >= need:
            return w
    return SRCSET[-1]


class Popularity:
    """Zipf weights over refs; images can be added (with a weight) as the day goes on."""

    def __init__(self, rng, refs, alpha):
        self.alpha = alpha
        self.n = len(refs)
        order = list(refs)
        rng.shuffle(order)
        self.refs = order
        self.cum = []
        total = 0.0
        for rank in range(1, len(order) + 1):
            total += rank ** -alpha
            self.cum.append(total)

    def weight_of_rank(self, rank):
        return rank ** -self.alpha

    def add(self, ref, weight):
        self.refs.append(ref)
        self.cum.append(self.cum[-1] + weight)

    def remove(self, ref):
        # A deleted image keeps its slot (stale pages still link to it) but with 2 % of its weight.
        i = self.refs.index(ref)
        w = self.cum[i] - (self.cum[i - 1] if i else 0.0)
        delta = w * 0.98
        for j in range(i, len(self.cum)):
            self.cum[j] -= delta

    def draw(self, rng):
        x = rng.random() * self.cum[-1]
        return self.refs[bisect.bisect_right(self.cum, x)]

    def head(self, k):
        return self.refs[:k]


def day(rng, pop, start_ref, duration, views_per_s, uploads, deletes, bases, events, catalogue, deleted):
    """The lines of one day of `duration` seconds; adds the day's uploads to `catalogue`."""
    lines = []
    t = 0.0
    upload_times = sorted(rng.uniform(0, duration * 0.9) for _ in range(uploads))
    pending = []  # (time, ref, weight)
    ref = start_ref
    for ut in upload_times:
        rank = math.exp(rng.uniform(0, math.log(pop.n)))
        pending.append((ut, ref, pop.weight_of_rank(rank)))
        catalogue.append((ref, rng.randrange(bases), ut))
        ref += 1
    delete_times = sorted(rng.uniform(duration * 0.1, duration * 0.9) for _ in range(deletes))
    for ev in events:
        lines.append((ev[0], "EVENT " + " ".join(str(x) for x in ev[1:])))
    pi = di = 0
    while t < duration:
        t += rng.expovariate(views_per_s)
        while pi < len(pending) and pending[pi][0] <= t:
            ut, r, w = pending[pi]
            lines.append((ut, f"UPLOAD @{r}"))
            # Seen only a little after it is stored: the replay's upload must finish first.
            pop.add(r, w)
            pi += 1
        while di < len(delete_times) and delete_times[di] <= t:
            victim = pop.draw(rng)
            if victim not in deleted:
                deleted.add(victim)
                lines.append((delete_times[di], f"DELETE @{victim}"))
                pop.remove(victim)
            di += 1
        name, _, dpr, slots = pick(rng, DEVICES)
        accept = pick(rng, ACCEPTS)[0]
        prefix = "/image/upload" if rng.random() < 0.10 else ""
        css = rng.choice(slots)
        w = srcset_width(css, dpr)
        at = t
        for _ in range(rng.randint(1, 6)):
            r = pop.draw(rng)
            lines.append((at, f"GET {prefix}/w_{w},f_auto/@{r} {accept} {name}"))
            at += 0.002
        tw = THUMB * dpr
        for _ in range(rng.choice([0, 0, 2, 4])):
            r = pop.draw(rng)
            lines.append((at, f"GET {prefix}/c_fill,w_{tw},h_{tw},f_auto/@{r} {accept} {name}"))
            at += 0.002
    lines.sort(key=lambda x: x[0])
    return [f"{tt:.3f} {text}" for tt, text in lines if tt < duration], ref


def storm_refs(pop, n):
    return pop.head(n)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--images", type=int, default=20000, help="catalogue before the day")
    ap.add_argument("--bases", type=int, default=20, help="distinct base photos the bytes are made from")
    ap.add_argument("--alpha", type=float, default=0.8)
    ap.add_argument("--yesterday", type=float, default=300, help="seconds of yesterday's log")
    ap.add_argument("--duration", type=float, default=600, help="seconds of the measured window")
    ap.add_argument("--views", type=float, default=12, help="page views a second (about 4.5 requests each)")
    ap.add_argument("--uploads", type=float, default=0.02, help="new images a day, as a share of the catalogue")
    ap.add_argument("--deletes", type=int, default=20)
    ap.add_argument("--storm", type=int, default=100, help="images purged by the purge storm")
    ap.add_argument("--s3-outage", type=float, default=30)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    catalogue = [(r, rng.randrange(a.bases), -1) for r in range(a.images)]
    pop = Popularity(rng, range(a.images), a.alpha)
    deleted = set()
    n_up = int(a.images * a.uploads)
    # Yesterday: views only, so that a cold start (no replay of it) begins from the same store.
    yest, next_ref = day(rng, pop, a.images, a.yesterday, a.views, 0, 0, a.bases, [], catalogue, deleted)
    d = a.duration
    events = [
        (0.25 * d, "kill-node", 2),
        (0.25 * d + max(10.0, 0.05 * d), "start-node", 2),
        (0.45 * d, "purge-storm", a.storm),
        (0.65 * d, "s3-stop"),
        (0.65 * d + a.s3_outage, "s3-start"),
    ]
    today, _ = day(rng, pop, next_ref, d, a.views, n_up, a.deletes, a.bases, events,
                   catalogue, deleted)
    head = pop.head(a.storm)
    with open(os.path.join(a.out, "catalogue.tsv"), "w") as f:
        for r, b, ut in catalogue:
            f.write(f"@{r}\t{b}\t{ut:.3f}\n")
    with open(os.path.join(a.out, "storm.txt"), "w") as f:
        f.write("".join(f"@{r}\n" for r in head if r not in deleted))
    header = (f"# imgorigin fleet workload: seed={a.seed} images={a.images} alpha={a.alpha} views/s={a.views} "
              f"srcset={','.join(map(str, SRCSET))}\n")
    for name, lines, dur in (("yesterday.log", yest, a.yesterday), ("today.log", today, d)):
        with open(os.path.join(a.out, name), "w") as f:
            f.write(header + f"# duration={dur}\n")
            f.write("\n".join(lines) + "\n")
    # The ceiling of a CDN hit ratio for today: an unbounded cache that never forgets, warmed
    # by yesterday: every (URL, format class) is a miss the first time only.
    seen = {(x.split()[2], x.split()[3]) for x in yest if " GET " in x}
    gets = first = 0
    for x in today:
        if " GET " in x:
            gets += 1
            k = (x.split()[2], x.split()[3])
            if k not in seen:
                seen.add(k)
                first += 1
    print(f"workload: catalogue={len(catalogue)} today_gets={gets} today_new_objects={first} "
          f"cdn_hit_ceiling={1 - first / max(gets, 1):.3f} yesterday_gets={sum(1 for x in yest if ' GET ' in x)}")


if __name__ == "__main__":
    main()
