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
import collections
import hashlib
import json
import os
import queue
import sys

sys.dont_write_bytecode = True  # importing benchlib leaves no bench/__pycache__ behind
import benchlib  # noqa: E402


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--tag", required=True, help="unique per run: makes the bytes of every upload new")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=10, help="passes over the photo list")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("photos", nargs="+")
    args = ap.parse_args()

    host, port, prefix = benchlib.split_base(args.base)
    path = prefix + "/images"

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

    latencies = []
    statuses = collections.Counter()
    failures = collections.Counter()
    sent_bytes = [0]

    def prepare(job):  # -> (round, photo name, photo bytes, suffix, expected id, length)
        r, i = job
        name, data, state = photos[i]
        suffix = f"\nimgorigin-bench-{args.tag}-{r}-{i}".encode("ascii")
        h = state.copy()
        h.update(suffix)
        return r, name, data, suffix, h.hexdigest()[:40], len(data) + len(suffix)

    def send(conn, job):
        _, _, data, suffix, _, length = job
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "image/jpeg")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        conn.send(data)
        conn.send(suffix)
        resp = conn.getresponse()
        return resp, resp.read()

    def check(job, resp, body):
        expected, length = job[4], job[5]
        if resp.status != 201:
            return f"status {resp.status}: {body[:200]!r}"
        answer = json.loads(body)
        if answer.get("id") != expected:
            return f"id {answer.get('id')!r}, expected {expected}"
        if answer.get("format") != "jpg" or answer.get("bytes") != length:
            return f"unexpected answer {answer!r}"
        return None

    def record(job, elapsed, resp, body, problem):
        r, name, length = job[0], job[1], job[5]
        latencies.append(elapsed)
        statuses["-" if resp is None else str(resp.status)] += 1
        if problem:
            if not failures:
                print(f"client: first failure: POST {name} (round {r}): {problem}", file=sys.stderr)
            failures[problem] += 1
        else:
            sent_bytes[0] += length

    cpu0 = os.times()
    seconds = benchlib.run_pool(host, port, args.timeout, jobs, args.threads, send, check, record,
                                prepare=prepare, errors=benchlib.HTTP_ERRORS + (ValueError,))
    cpu1 = os.times()

    n = len(latencies)
    st = ",".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
    client_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    print(
        f"req_per_s={n / seconds:.3f} uploads={n} seconds={seconds:.3f} "
        f"failures={sum(failures.values())} {benchlib.latency_fields(latencies)} "
        f"mb_per_s={sent_bytes[0] / seconds / 1e6:.2f} "
        f"bytes={sent_bytes[0]} client_cpu_s={client_cpu:.3f} status={st}"
    )
    return benchlib.report_failures(failures)


if __name__ == "__main__":
    sys.exit(main())
