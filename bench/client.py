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
import collections
import queue
import sys

sys.dont_write_bytecode = True  # importing benchlib leaves no bench/__pycache__ behind
import benchlib  # noqa: E402


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="passes over the id list")
    ap.add_argument("--width", type=int, default=300)
    ap.add_argument("--quality", type=int, default=80)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("ids", nargs="+")
    args = ap.parse_args()

    host, port, prefix = benchlib.split_base(args.base)

    jobs = queue.Queue()
    for _ in range(args.rounds):
        for image_id in args.ids:
            jobs.put(f"{prefix}/w_{args.width},q_{args.quality}/{image_id}.webp")

    latencies = []
    x_cache = collections.Counter()
    failures = collections.Counter()
    body_bytes = [0]

    def send(conn, path):
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp, resp.read()

    def check(path, resp, body):
        ctype = resp.getheader("Content-Type", "")
        if resp.status != 200:
            return f"status {resp.status}"
        if ctype.split(";")[0].strip() != "image/webp":
            return f"content-type {ctype!r}"
        if len(body) < 12 or body[:4] != b"RIFF" or body[8:12] != b"WEBP":
            return "body is not RIFF....WEBP"
        return None

    def record(path, elapsed, resp, body, problem):
        latencies.append(elapsed)
        if not problem:
            body_bytes[0] += len(body)
        x_cache["-" if resp is None else resp.getheader("X-Cache", "(none)")] += 1
        if problem:
            if not failures:
                print(f"client: first failure: GET {path}: {problem}", file=sys.stderr)
            failures[problem] += 1

    seconds = benchlib.run_pool(host, port, args.timeout, jobs, args.threads, send, check, record)

    n = len(latencies)
    x = ",".join(f"{k}:{v}" for k, v in sorted(x_cache.items()))
    print(
        f"req_per_s={n / seconds:.3f} requests={n} seconds={seconds:.3f} "
        f"failures={sum(failures.values())} {benchlib.latency_fields(latencies)} x_cache={x} bytes={body_bytes[0]}"
    )
    return benchlib.report_failures(failures)


if __name__ == "__main__":
    sys.exit(main())
