#!/usr/bin/env python3
"""HTTP load client for bench/animation.sh (Python 3 standard library only).

GETs every path given on the command line (--rounds times over) from one server, with
--threads keep-alive connections taking jobs from one shared queue (all connections start
together), and checks every answer: 200, the Content-Type of its extension's format, its
magic bytes, and that it is an animation (an ANIM chunk in a WebP, a NETSCAPE2.0 loop
extension in a GIF). With --save DIR, each answer's body is written there (one file per
path, named by its position on the command line). Prints one line:

  requests=… seconds=… failures=… bytes=… p50_ms=… p99_ms=… x_cache=MISS:8

usage: animation_client.py --base http://127.0.0.1:8080 [--threads 2] [--rounds 1]
                           [--format webp|gif] [--save DIR] path...
--format sets the expected format where the path does not end in .webp or .gif (ipx's
paths end in the original's .gif whatever they ask for).
"""
import collections
import os
import queue
import sys

sys.dont_write_bytecode = True  # importing benchlib leaves no bench/__pycache__ behind
import benchlib  # noqa: E402

FORMATS = {  # format: (Content-Type, magic test, animation test)
    "webp": ("image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP", lambda b: b"ANIM" in b[:200]),
    "gif": ("image/gif", lambda b: b[:6] in (b"GIF87a", b"GIF89a"), lambda b: b"NETSCAPE2.0" in b),
}


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1, help="passes over the paths")
    ap.add_argument("--format", choices=sorted(FORMATS))
    ap.add_argument("--save", help="directory for the bodies")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()

    host, port, prefix = benchlib.split_base(args.base)
    jobs = queue.Queue()
    for _ in range(args.rounds):
        for index, path in enumerate(args.paths):
            jobs.put((index, path))

    latencies = []
    x_cache = collections.Counter()
    failures = collections.Counter()
    body_bytes = [0]

    def expected(path):
        ext = path.rsplit(".", 1)[-1]
        return ext if ext in FORMATS and args.format is None else args.format or ext

    def send(conn, job):
        conn.request("GET", prefix + job[1])
        resp = conn.getresponse()
        return resp, resp.read()

    def check(job, resp, body):
        fmt = expected(job[1])
        if fmt not in FORMATS:
            return f"no format for {job[1]} (--format)"
        ctype, magic, animated = FORMATS[fmt]
        got = resp.getheader("Content-Type", "").split(";")[0].strip()
        if resp.status != 200:
            return f"status {resp.status}"
        if got != ctype:
            return f"content-type {got!r}"
        if not magic(body):
            return f"body is not {fmt}"
        if not animated(body):
            return f"a still {fmt}, not an animation"
        return None

    def record(job, seconds, resp, body, problem):
        latencies.append(seconds)
        x_cache["-" if resp is None else resp.getheader("X-Cache", "(none)")] += 1
        if problem:
            if not failures:
                print(f"client: first failure: GET {job[1]}: {problem}", file=sys.stderr)
            failures[problem] += 1
            return
        body_bytes[0] += len(body)
        if args.save:
            with open(os.path.join(args.save, str(job[0])), "wb") as f:
                f.write(body)

    seconds = benchlib.run_pool(host, port, args.timeout, jobs, args.threads, send, check, record)
    x = ",".join(f"{k}:{v}" for k, v in sorted(x_cache.items()))
    print(f"requests={len(latencies)} seconds={seconds:.3f} failures={sum(failures.values())} "
          f"bytes={body_bytes[0]} {benchlib.latency_fields(latencies)} x_cache={x}")
    return benchlib.report_failures(failures)


if __name__ == "__main__":
    sys.exit(main())
