#!/usr/bin/env python3
"""Upload load client for bench/uploads.sh (Python 3 standard library only).

Uploads every photo --rounds times with POST /images (raw body, Content-Type image/jpeg)
from N threads, each on its own keep-alive connection, taking jobs from one shared queue.
Every upload is made distinct, since the server dedupes by content hash: a few unique
bytes ("\\nimgorigin-bench-<tag>-<round>-<index>") are sent after the photo's last byte,
i.e. after the JPEG EOI marker, where decoders ignore them. The photo and the suffix go
out as two send() calls, so no body is copied.

Every answer must be 201 with JSON whose id is the first 40 hex characters of the SHA-256
of the bytes sent (computed from a per-photo hash state, so it costs the client next to
nothing) and whose format is jpg; anything else is a failure, reported on stderr.
Prints one line of key=value pairs:

  req_per_s=… uploads=… seconds=… failures=… p50_ms=… p99_ms=… mb_per_s=… bytes=…
  client_cpu_s=… status=201:220

usage: upload_client.py --base http://127.0.0.1:8080 --tag f1 [--threads 4] [--rounds 10]
                        photo.jpg...
"""
import argparse
import collections
import hashlib
import http.client
import json
import os
import queue
import sys
import threading
import time
import urllib.parse


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(rank) - 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="server base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--tag", required=True, help="unique per run: makes the bytes of every upload new")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=10, help="passes over the photo list")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("photos", nargs="+")
    args = ap.parse_args()

    base = urllib.parse.urlsplit(args.base)
    host, port = base.hostname, base.port or 80
    path = base.path.rstrip("/") + "/images"

    photos = []
    for p in args.photos:
        with open(p, "rb") as f:
            data = f.read()
        if data[-2:] != b"\xff\xd9":
            # Not fatal for the server, but the suffix would then not sit after an EOI marker.
            print(f"client: warning: {p} does not end with a JPEG EOI marker", file=sys.stderr)
        photos.append((p, data, hashlib.sha256(data)))

    jobs = queue.Queue()
    for r in range(args.rounds):
        for i in range(len(photos)):
            jobs.put((r, i))

    lock = threading.Lock()
    latencies = []
    statuses = collections.Counter()
    failures = collections.Counter()
    sent_bytes = [0]

    def worker():
        conn = None
        while True:
            try:
                r, i = jobs.get_nowait()
            except queue.Empty:
                break
            name, data, state = photos[i]
            suffix = f"\nimgorigin-bench-{args.tag}-{r}-{i}".encode("ascii")
            h = state.copy()
            h.update(suffix)
            expected = h.hexdigest()[:40]
            length = len(data) + len(suffix)
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=args.timeout)
            start = time.perf_counter()
            problem = None
            status = "-"
            try:
                conn.putrequest("POST", path)
                conn.putheader("Content-Type", "image/jpeg")
                conn.putheader("Content-Length", str(length))
                conn.endheaders()
                conn.send(data)
                conn.send(suffix)
                resp = conn.getresponse()
                body = resp.read()
                elapsed = time.perf_counter() - start
                status = str(resp.status)
                if resp.status != 201:
                    problem = f"status {resp.status}: {body[:200]!r}"
                else:
                    answer = json.loads(body)
                    if answer.get("id") != expected:
                        problem = f"id {answer.get('id')!r}, expected {expected}"
                    elif answer.get("format") != "jpg" or answer.get("bytes") != length:
                        problem = f"unexpected answer {answer!r}"
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException, ValueError) as e:
                elapsed = time.perf_counter() - start
                problem = f"{type(e).__name__}: {e}"
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
                if problem:
                    if not failures:
                        print(f"client: first failure: POST {name} (round {r}): {problem}", file=sys.stderr)
                    failures[problem] += 1
                else:
                    sent_bytes[0] += length
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    cpu0 = os.times()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    cpu1 = os.times()

    n = len(latencies)
    lat = sorted(latencies)
    st = ",".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
    client_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    print(
        f"req_per_s={n / seconds:.3f} uploads={n} seconds={seconds:.3f} "
        f"failures={sum(failures.values())} p50_ms={percentile(lat, 50) * 1000:.1f} "
        f"p99_ms={percentile(lat, 99) * 1000:.1f} mb_per_s={sent_bytes[0] / seconds / 1e6:.2f} "
        f"bytes={sent_bytes[0]} client_cpu_s={client_cpu:.3f} status={st}"
    )
    for problem, count in failures.most_common(5):
        print(f"client: {count} × {problem}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
