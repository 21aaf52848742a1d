#!/usr/bin/env python3
"""HTTP load client for bench/peers.sh (Python 3 standard library only).

Asks one image server for one output (format, width) of every photo, --rounds times over
(--width may be a comma-separated list: every width of one photo, then the next photo's, as
a page of srcsets is fetched),
with --threads keep-alive connections taking jobs from one shared queue; checks every
answer (200, the Content-Type and magic bytes of --format) and prints one line:

  req_per_s=… requests=… seconds=… failures=… bytes=… p50_ms=… p99_ms=… x_cache=MISS:44

--template is the path of one job, with {w} (width), {q} (quality), {id} (a name given on
the command line), {f} (jpeg, webp or avif) and {ext} (jpg, webp or avif) filled in, e.g.
"/w_{w},q_{q}/{id}.{ext}".

--pin PATH is for servers of several processes with blocking renders (nginx's
image_filter): every connection is opened before the clock starts and asks PATH, which
must answer the worker's process id; a connection that lands on a worker another one
already has is reopened, so that N connections keep N workers busy, as N workers of the
others do. The clock starts when every connection is ready.

usage: peers_client.py --base http://127.0.0.1:8080 --template T --format jpeg --width 320
                       [--quality 80] [--threads 2] [--rounds 1] [--pin /pid] name...
"""
import collections
import http.client
import queue
import sys
import threading
import time

sys.dont_write_bytecode = True  # importing benchlib leaves no bench/__pycache__ behind
import benchlib  # noqa: E402

FORMATS = {  # --format: (extension, Content-Type, magic test)
    "jpeg": ("jpg", "image/jpeg", lambda b: b[:3] == b"\xff\xd8\xff"),
    "webp": ("webp", "image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    "avif": ("avif", "image/avif", lambda b: b[4:8] == b"ftyp" and b[8:12] in (b"avif", b"avis")),
}


def connect(host, port, timeout, pin, taken, lock):
    """A connected keep-alive connection; with pin, one to a worker no other one has."""
    for _ in range(100):
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        if pin is None:
            conn.connect()
            return conn
        conn.request("GET", pin)
        resp = conn.getresponse()
        worker = resp.read().strip()
        with lock:
            if resp.status == 200 and worker not in taken:
                taken.add(worker)
                return conn
        conn.close()
    raise SystemExit(f"client: no connection to a free worker after 100 tries (asked {pin})")


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--template", required=True)
    ap.add_argument("--format", required=True, choices=sorted(FORMATS))
    ap.add_argument("--width", required=True, help="a width, or comma-separated widths")
    ap.add_argument("--quality", type=int, default=80)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1, help="passes over the names")
    ap.add_argument("--pin", help="path answering the worker's process id (nginx: $pid)")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("names", nargs="+")
    args = ap.parse_args()

    host, port, prefix = benchlib.split_base(args.base)
    ext, ctype_expected, magic = FORMATS[args.format]
    jobs = queue.Queue()
    for _ in range(args.rounds):
        for name in args.names:
            for width in args.width.split(","):
                jobs.put(prefix + args.template.format(w=int(width), q=args.quality, id=name, f=args.format, ext=ext))

    lock = threading.Lock()
    taken = set()
    conns = [connect(host, port, args.timeout, args.pin, taken, lock) for _ in range(args.threads)]
    latencies = []
    x_cache = collections.Counter()
    failures = collections.Counter()
    body_bytes = [0]
    start_line = threading.Barrier(args.threads + 1)

    def check(resp, body):
        ctype = resp.getheader("Content-Type", "").split(";")[0].strip()
        if resp.status != 200:
            return f"status {resp.status}"
        if ctype != ctype_expected:
            return f"content-type {ctype!r}"
        if not magic(body):
            return f"body is not {args.format}"
        return None

    def worker(conn):
        start_line.wait()
        while True:
            try:
                path = jobs.get_nowait()
            except queue.Empty:
                break
            start = time.perf_counter()
            resp = None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=args.timeout)
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                problem = check(resp, body)
            except benchlib.HTTP_ERRORS as e:
                problem = f"{type(e).__name__}: {e}"
                conn.close()
                conn = None
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                x_cache["-" if resp is None else resp.getheader("X-Cache", "(none)")] += 1
                if problem:
                    if not failures:
                        print(f"client: first failure: GET {path}: {problem}", file=sys.stderr)
                    failures[problem] += 1
                else:
                    body_bytes[0] += len(body)
        if conn is not None:
            conn.close()

    pool = [threading.Thread(target=worker, args=(c,)) for c in conns]
    for t in pool:
        t.start()
    start_line.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - start

    n = len(latencies)
    x = ",".join(f"{k}:{v}" for k, v in sorted(x_cache.items()))
    print(
        f"req_per_s={n / seconds:.3f} requests={n} seconds={seconds:.3f} "
        f"failures={sum(failures.values())} bytes={body_bytes[0]} {benchlib.latency_fields(latencies)} x_cache={x}"
    )
    return benchlib.report_failures(failures)


if __name__ == "__main__":
    sys.exit(main())
