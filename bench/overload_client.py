#!/usr/bin/env python3
"""Load client for bench/overload.sh (Python 3 standard library only).

closed mode: --concurrency N clients, each on its own keep-alive connection, one request
after another for --seconds (the saturation throughput: every render worker always busy).

open mode: requests arrive at --rate per second on a fixed schedule whatever the server
does (as visitors do), for --seconds; a pool of --concurrency connections sends them, and
a request's latency counts from its scheduled arrival, so queueing in the client counts too.

Every request is a distinct cold variant: /w_<W>,q_<Q>/<id>.webp, W cycling from
--width-min upwards. Prints one line of key=value pairs:

  ok_per_s=… offered_per_s=… ok=… refused=… failed=… seconds=… p50_ms=… p99_ms=…

(latencies of the 200s only; "refused" are 429s, answered at once by design).

usage: overload_client.py --base URL --mode closed|open [--rate R] [--seconds S]
                          [--concurrency N] id...
"""
import collections
import http.client
import itertools
import queue
import sys
import threading
import time

sys.dont_write_bytecode = True
import benchlib  # noqa: E402


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--mode", choices=["closed", "open"], required=True)
    ap.add_argument("--rate", type=float, default=0.0, help="arrivals per second (open mode)")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--width-min", type=int, default=300)
    ap.add_argument("--start", type=int, default=0, help="first variant number (keeps runs cold)")
    ap.add_argument("ids", nargs="+")
    args = ap.parse_args()
    host, port, prefix = benchlib.split_base(args.base)

    counter = itertools.count(args.start)
    lock = threading.Lock()

    def next_path():
        with lock:
            n = next(counter)
        image_id = args.ids[n % len(args.ids)]
        width = args.width_min + (n // len(args.ids)) % 700
        quality = 60 + (n // (len(args.ids) * 700)) % 40
        return f"{prefix}/w_{width},q_{quality}/{image_id}.webp"

    statuses = collections.Counter()
    ok_latencies = []
    deadline = time.perf_counter() + args.seconds

    def send(conn, path):
        conn.request("GET", path, headers={"Accept": "image/webp"})
        resp = conn.getresponse()
        resp.read()
        return resp

    def record(status, seconds):
        with lock:
            statuses[status] += 1
            if status == 200:
                ok_latencies.append(seconds)

    def worker(jobs):
        conn = None
        while True:
            job = jobs() if callable(jobs) else jobs.get()
            if job is None:
                break
            path, scheduled = job
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=120)
            try:
                resp = send(conn, path)
                record(resp.status, time.perf_counter() - scheduled)
                if resp.will_close:
                    conn.close()
                    conn = None
            except benchlib.HTTP_ERRORS:
                record("error", time.perf_counter() - scheduled)
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    start = time.perf_counter()
    if args.mode == "closed":
        def closed_job():
            now = time.perf_counter()
            return None if now >= deadline else (next_path(), now)
        threads = [threading.Thread(target=worker, args=(closed_job,)) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        offered = 0.0
    else:
        jobs = queue.Queue()
        threads = [threading.Thread(target=worker, args=(jobs,)) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        interval = 1.0 / args.rate
        i = 0
        while True:
            scheduled = start + i * interval
            if scheduled >= deadline:
                break
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            jobs.put((next_path(), scheduled))
            i += 1
        for _ in threads:
            jobs.put(None)
        for t in threads:
            t.join()
        offered = i / args.seconds
    seconds = time.perf_counter() - start

    ok = statuses.get(200, 0)
    refused = statuses.get(429, 0)
    failed = sum(v for k, v in statuses.items() if k not in (200, 429))
    # Goodput over the scheduled window: answers that arrive after it still count, and the
    # window, not the drain, is the denominator (the drain would flatter an overloaded run).
    print(
        f"ok_per_s={ok / args.seconds:.3f} offered_per_s={offered:.3f} ok={ok} refused={refused} "
        f"failed={failed} seconds={seconds:.3f} {benchlib.latency_fields(ok_latencies)}"
    )
    if failed:
        print(f"client: statuses {dict(statuses)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
