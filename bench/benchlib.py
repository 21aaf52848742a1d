"""Shared pieces of the load clients in bench/ (Python 3 standard library only).

client.py and upload_client.py run a pool of threads, each on its own keep-alive
connection, over one queue of jobs (run_pool); formats_client.py splits its base URL the
same way (split_base).
"""
import argparse
import http.client
import queue
import sys
import threading
import time
import urllib.parse

HTTP_ERRORS = (OSError, http.client.HTTPException)


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(rank) - 1]


def latency_fields(latencies):
    """'p50_ms=… p99_ms=…' of a list of seconds."""
    lat = sorted(latencies)
    return f"p50_ms={percentile(lat, 50) * 1000:.1f} p99_ms={percentile(lat, 99) * 1000:.1f}"


def parser(doc):
    """An argument parser that shows the module's docstring, with --base."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="server base URL, e.g. http://127.0.0.1:8080")
    return ap


def split_base(base):
    """(host, port, path prefix without a trailing slash) of a base URL."""
    url = urllib.parse.urlsplit(base)
    return url.hostname, url.port or 80, url.path.rstrip("/")


def run_pool(host, port, timeout, jobs, threads, send, check, record, prepare=None, errors=HTTP_ERRORS):
    """Takes every job off the queue `jobs` with `threads` threads, each on its own keep-alive
    connection; returns the wall-clock seconds it took.

    For a job: prepare(job) (not timed) gives what send and check get; send(conn, job) makes
    the request and returns (response, body); check(job, response, body) returns a problem
    or None; record(job, seconds, response, body, problem) runs under a lock, with response
    None if send raised. An exception of `errors` from send or check is the problem, and the
    connection is closed."""
    lock = threading.Lock()

    def worker():
        conn = None
        while True:
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                break
            if prepare is not None:
                job = prepare(job)
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            start = time.perf_counter()
            resp = body = None
            try:
                resp, body = send(conn, job)
                elapsed = time.perf_counter() - start
                problem = check(job, resp, body)
                if resp.will_close:
                    conn.close()
                    conn = None
            except errors as e:
                elapsed = time.perf_counter() - start
                problem = f"{type(e).__name__}: {e}"
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                record(job, elapsed, resp, body, problem)
        if conn is not None:
            conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start


def report_failures(failures):
    """Prints the five commonest problems of a Counter on stderr; returns the exit status."""
    for problem, count in failures.most_common(5):
        print(f"client: {count} × {problem}", file=sys.stderr)
    return 1 if failures else 0
