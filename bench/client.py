#!/usr/bin/env python3
"""Cold-render load client for bench/cold-render.sh (Python 3 standard library only).

Requests /w_<W>,q_<Q>/<id>.webp for every (id, pass) with N threads, each on its own
keep-alive connection, taking jobs from one shared queue. Checks every answer (200,
Content-Type image/webp, a RIFF....WEBP body), counts X-Cache values, and prints one
line of key=value pairs:

  req_per_s=… requests=… seconds=… failures=… p50_ms=… p99_ms=… x_cache=MISS:66

usage: client.py --base http://127.0.0.1:8080 [--threads 2] [--rounds 3]
                 [--width 300] [--quality 80] id...
"""
import argparse
import collections
import http.client
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
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="passes over the id list")
    ap.add_argument("--width", type=int, default=300)
    ap.add_argument("--quality", type=int, default=80)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("ids", nargs="+")
    args = ap.parse_args()

    base = urllib.parse.urlsplit(args.base)
    host, port = base.hostname, base.port or 80
    prefix = base.path.rstrip("/")

    jobs = queue.Queue()
    for _ in range(args.rounds):
        for image_id in args.ids:
            jobs.put(f"{prefix}/w_{args.width},q_{args.quality}/{image_id}.webp")

    lock = threading.Lock()
    latencies = []
    x_cache = collections.Counter()
    failures = collections.Counter()
    body_bytes = [0]

    def worker():
        conn = None
        while True:
            try:
                path = jobs.get_nowait()
            except queue.Empty:
                break
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=args.timeout)
            start = time.perf_counter()
            problem = None
            cache = "-"
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                elapsed = time.perf_counter() - start
                cache = resp.getheader("X-Cache", "(none)")
                ctype = resp.getheader("Content-Type", "")
                if resp.status != 200:
                    problem = f"status {resp.status}"
                elif ctype.split(";")[0].strip() != "image/webp":
                    problem = f"content-type {ctype!r}"
                elif len(body) < 12 or body[:4] != b"RIFF" or body[8:12] != b"WEBP":
                    problem = "body is not RIFF....WEBP"
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                elapsed = time.perf_counter() - start
                problem = f"{type(e).__name__}: {e}"
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                latencies.append(elapsed)
                if not problem:
                    body_bytes[0] += len(body)
                x_cache[cache] += 1
                if problem:
                    if not failures:
                        print(f"client: first failure: GET {path}: {problem}", file=sys.stderr)
                    failures[problem] += 1
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start

    n = len(latencies)
    lat = sorted(latencies)
    x = ",".join(f"{k}:{v}" for k, v in sorted(x_cache.items()))
    print(
        f"req_per_s={n / seconds:.3f} requests={n} seconds={seconds:.3f} "
        f"failures={sum(failures.values())} p50_ms={percentile(lat, 50) * 1000:.1f} "
        f"p99_ms={percentile(lat, 99) * 1000:.1f} x_cache={x} bytes={body_bytes[0]}"
    )
    for problem, count in failures.most_common(5):
        print(f"client: {count} × {problem}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
