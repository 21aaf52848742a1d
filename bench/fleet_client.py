#!/usr/bin/env python3
"""bench/fleet.sh's client (Python 3 standard library only): uploads the catalogue, replays a
log from bench/fleet_workload.py at its own pace, samples every tier while it runs, and writes
the raw results. bench/fleet_report.py turns them into figures and charts.

  fleet_client.py upload --catalogue C --bases DIR --balancer URL --manifest OUT
  fleet_client.py replay --log L --manifest M --cdn URL --balancer URL --nodes URL,URL,...
                         --s3-control URL --stack-cmd CMD --out DIR [--sample S]

Image bytes: base photo <b> (a 640 px JPEG made by fleet.sh from the corpus) with a JPEG
comment segment naming the image inserted after its SOI marker. Every image thus has its own
bytes, so its own content id, at no CPU cost; its pixels are its base's, so a render costs what
rendering that photo costs.
"""
import argparse
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.parse

UPLOAD_TOKEN = os.environ.get("FLEET_UPLOAD_TOKEN", "fleet-upload-token")
ADMIN_TOKEN = os.environ.get("FLEET_ADMIN_TOKEN", "fleet-admin-token")

# What current browsers send for <img>, by f_auto class.
ACCEPT = {
    "avif": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",  # Chrome, Edge
    "webp": "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5",  # Safari 14-16.3
    "jpeg": "image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5",  # Safari 13, bots
}


def image_bytes(base, ref):
    """A base JPEG with a COM segment naming `ref` after SOI: unique bytes, the base's pixels."""
    note = f"imgorigin fleet image {ref}".encode()
    return base[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + base[2:]


def hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 80


def request(url, method, path, headers=None, body=None, timeout=70):
    """One request on a fresh connection: (status, headers dict, body) or (0, {}, error text)."""
    host, port = hostport(url)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    except (OSError, http.client.HTTPException) as e:
        return 0, {}, f"{type(e).__name__}: {e}".encode()
    finally:
        conn.close()


def load_bases(d):
    bases = {}
    for name in os.listdir(d):
        if name.endswith(".jpg"):
            with open(os.path.join(d, name), "rb") as f:
                bases[int(name[:-4])] = f.read()
    return bases


def read_catalogue(path):
    rows = []
    with open(path) as f:
        for line in f:
            ref, base, ut = line.split()
            rows.append((ref, int(base), float(ut)))
    return rows


def upload(balancer, body, retries=3):
    for attempt in range(retries):
        status, _, data = request(balancer, "POST", "/images", {
            "Content-Type": "image/jpeg", "Authorization": f"Bearer {UPLOAD_TOKEN}"}, body)
        if status in (200, 201):
            return json.loads(data)["id"]
        time.sleep(0.5 * (attempt + 1))
    raise RuntimeError(f"upload failed: {status} {data[:200]!r}")


def cmd_upload(a):
    bases = load_bases(a.bases)
    todo = [(ref, b) for ref, b, ut in read_catalogue(a.catalogue) if ut < 0]
    jobs = queue.Queue()
    for job in todo:
        jobs.put(job)
    ids = {}
    failures = []
    lock = threading.Lock()
    start = time.time()

    def worker():
        host, port = hostport(a.balancer)
        conn = http.client.HTTPConnection(host, port, timeout=60)
        while True:
            try:
                ref, b = jobs.get_nowait()
            except queue.Empty:
                break
            body = image_bytes(bases[b], ref)
            for attempt in range(3):
                try:
                    conn.request("POST", "/images", body=body, headers={
                        "Content-Type": "image/jpeg", "Authorization": f"Bearer {UPLOAD_TOKEN}"})
                    r = conn.getresponse()
                    data = r.read()
                    if r.status in (200, 201):
                        with lock:
                            ids[ref] = json.loads(data)["id"]
                        break
                    err = f"HTTP {r.status}"
                except (OSError, http.client.HTTPException) as e:
                    err = str(e)
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=60)
            else:
                with lock:
                    failures.append((ref, err))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.time() - start
    with open(a.manifest, "w") as f:
        for ref, i in ids.items():
            f.write(f"{ref}\t{i}\n")
    print(f"upload: images={len(ids)} failed={len(failures)} seconds={took:.1f} per_s={len(ids) / took:.0f}")
    return 1 if failures else 0


def cmd_seed(a):
    """The images stored before the day: written straight into S3Proxy's folder (the key and
    metadata S3Proxy's filesystem provider would write for a PUT), as an earlier day's uploads
    would have left them; uploading tens of thousands through 2 shared cores would take most of
    the run. The day's own uploads go through the balancer (replay)."""
    import hashlib
    bases = load_bases(a.bases)
    start = time.time()
    n = 0
    with open(a.manifest, "w") as out:
        for ref, b, ut in read_catalogue(a.catalogue):
            if ut >= 0:
                continue
            body = image_bytes(bases[b], ref)
            i = hashlib.sha256(body).hexdigest()[:40]
            d = os.path.join(a.s3_dir, a.bucket, i[:4], i[4:6])
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, i)
            with open(path, "wb") as f:
                f.write(body)
            os.setxattr(path, "user.user.content-md5", hashlib.md5(body).digest())
            os.setxattr(path, "user.user.content-type", b"image/jpeg")
            os.setxattr(path, "user.user.storage-tier", b"STANDARD")
            out.write(f"{ref}\t{i}\n")
            n += 1
    print(f"seed: images={n} seconds={time.time() - start:.1f}")
    return 0


# --- replay -----------------------------------------------------------------------------

class Replay:
    def __init__(self, a):
        self.a = a
        self.ids = {}
        with open(a.manifest) as f:
            for line in f:
                ref, i = line.split()
                self.ids[ref] = i
        self.catalogue = {ref: b for ref, b, _ in read_catalogue(a.catalogue)}
        self.bases = load_bases(a.bases)
        self.nodes = a.nodes.split(",")
        self.lock = threading.Lock()
        self.out = open(os.path.join(a.out, "requests.tsv"), "w")
        self.out.write("t\tlatency_ms\tstatus\tbytes\tcdn\torigin\tformat\tref\tpath\terror\n")
        self.events = open(os.path.join(a.out, "events.tsv"), "w")
        self.events.write("t\tevent\tdetail\n")
        self.purged_at = {}  # ref -> time its purge finished (deleted images only)
        self.deleted = set()
        self.served = set()  # refs answered 200 in this replay
        self.t0 = None
        self.skipped = 0

    def now(self):
        return time.time() - self.t0

    def event(self, name, detail=""):
        with self.lock:
            self.events.write(f"{self.now():.3f}\t{name}\t{detail}\n")
            self.events.flush()
        print(f"fleet: t={self.now():.0f}s {name} {detail}", file=sys.stderr)

    # -- actions
    def get(self, conn_box, path, accept, ref):
        host, port = hostport(self.a.cdn)
        headers = {"Accept": ACCEPT[accept], "User-Agent": "imgorigin-fleet"}
        start = time.perf_counter()
        t = self.now()
        status, nbytes, cdn, origin, fmt, err = 0, 0, "", "", "", ""
        for attempt in range(2):
            if conn_box[0] is None:
                conn_box[0] = http.client.HTTPConnection(host, port, timeout=70)
            try:
                conn_box[0].request("GET", path, headers=headers)
                r = conn_box[0].getresponse()
                body = r.read()
                status, nbytes = r.status, len(body)
                cdn = r.getheader("X-Varnish-Cache", "")
                origin = r.getheader("X-Cache", "")
                fmt = (r.getheader("Content-Type", "") or "").replace("image/", "")
                if r.will_close:
                    conn_box[0].close()
                    conn_box[0] = None
                err = ""
                break
            except (OSError, http.client.HTTPException) as e:
                conn_box[0].close()
                conn_box[0] = None
                err = f"{type(e).__name__}"
                # A keep-alive connection closed by Varnish between requests: once more, fresh.
                if attempt == 0 and isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
                    start = time.perf_counter()
                    continue
                break
        ms = (time.perf_counter() - start) * 1000
        with self.lock:
            if status == 200:
                self.served.add(ref)
            self.out.write(f"{t:.3f}\t{ms:.2f}\t{status}\t{nbytes}\t{cdn}\t{origin}\t{fmt}\t{ref}\t{path}\t{err}\n")

    def purge(self, ref, attempts=180, quiet=False):
        """Every node, then the CDN, as `bin/imgorigin purge` does; retried while a node is down.
        Returns whether every node and the CDN confirmed it."""
        i = self.ids[ref]
        pending = list(self.nodes)
        for attempt in range(attempts):
            left = []
            for node in pending:
                status, _, _ = request(node, "POST", f"/admin/purge/{i}",
                                       {"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
                if status != 200:
                    left.append(node)
            pending = left
            if not pending:
                break
            time.sleep(1)
        status, _, _ = request(self.a.cdn, "PURGE", "/", {"xkey-purge": i}, timeout=10)
        ok = not pending and status == 200
        if not ok and not quiet:
            self.event("purge-failed", f"{ref} nodes={','.join(pending)} cdn={status}")
        return ok

    def delete(self, ref):
        """DELETE through the balancer, retried until the store confirms it (a 502/504 while S3
        is down leaves the original in the bucket: README, DELETE), then the purge."""
        i = self.ids[ref]
        with self.lock:
            self.deleted.add(ref)
        for attempt in range(90):
            status, _, _ = request(self.a.balancer, "DELETE", f"/images/{i}", {"Authorization": f"Bearer {ADMIN_TOKEN}"})
            if status in (204, 404):
                break
            if attempt == 0:
                self.event("delete-retried", f"{ref} {status}")
            time.sleep(2)
        else:
            self.event("delete-failed", f"{ref} {status}")
        self.do_purge(ref)

    def delete_while_down(self, node):
        """An image the killed node holds in its cache, deleted through the balancer while the
        node is down, and purged once where that can be done: the node's purge fails and, unlike
        delete(), is not retried (an operator who does not re-run it). The node must learn of
        the delete from the store's journal as it starts again (README, journal of deletes);
        the check at the end asks it directly."""
        cache = os.path.join(self.a.stack_dir, f"node{node}", "cache")
        with self.lock:
            by_id = {i: r for r, i in self.ids.items() if r in self.served and r not in self.deleted}
        held = []
        for top in sorted(os.listdir(cache)) if os.path.isdir(cache) else []:
            if len(top) != 4:
                continue  # originals/, state/
            for mid in sorted(os.listdir(os.path.join(cache, top))):
                held += [by_id[i] for i in sorted(os.listdir(os.path.join(cache, top, mid))) if i in by_id]
        if not held:
            self.event("delete-while-down", f"node{node} holds no image served today")
            return
        ref = held[0]
        i = self.ids[ref]
        with self.lock:
            self.deleted.add(ref)
        status = 0
        for attempt in range(30):
            status, _, _ = request(self.a.balancer, "DELETE", f"/images/{i}", {"Authorization": f"Bearer {ADMIN_TOKEN}"})
            if status in (204, 404):
                break
            time.sleep(1)
        self.purge(ref, attempts=1, quiet=True)
        with self.lock:
            self.purged_at[ref] = self.now()
        self.event("delete-while-down", f"{ref} node{node} {status}")

    def do_purge(self, ref):
        self.purge(ref)
        if ref in self.deleted:
            with self.lock:
                self.purged_at[ref] = self.now()

    def do_upload(self, ref):
        body = image_bytes(self.bases[self.catalogue[ref]], ref)
        try:
            i = upload(self.a.balancer, body)
        except RuntimeError as e:
            self.event("upload-failed", f"{ref} {e}")
            return
        with self.lock:
            self.ids[ref] = i
            self.uploaded += 1
            self.uploads.append((self.now(), ref, i))

    def storm(self, n):
        refs = []
        with open(self.a.storm) as f:
            refs = [line.strip() for line in f if line.strip()][:n]
        start = time.time()
        done = 0
        deferred = []
        for ref in refs:
            if ref in self.ids and ref not in self.deleted:
                # One try each; a node that is down is purged again at the end, as an operator
                # re-runs `bin/imgorigin purge` once the node is back.
                if not self.purge(ref, attempts=1, quiet=True):
                    deferred.append(ref)
                done += 1
        self.event("purge-storm-done", f"images={done} seconds={time.time() - start:.1f} deferred={len(deferred)}")
        for ref in deferred:
            self.purge(ref)

    def run_event(self, name, arg):
        self.event(name, arg)
        if name == "kill-node":
            subprocess.run(self.a.stack_cmd.split() + ["node", arg, "kill"], check=False)
            self.delete_while_down(arg)
        elif name == "start-node":
            r = subprocess.run(self.a.stack_cmd.split() + ["node", arg, "start"], check=False)
            self.event("node-started", f"{arg} rc={r.returncode}")
        elif name == "s3-stop":
            request(self.a.s3_control, "POST", "/stop")
        elif name == "s3-start":
            request(self.a.s3_control, "POST", "/start")
            self.event("s3-started")
        elif name == "purge-storm":
            self.storm(int(arg))

    # -- sampling
    def sample(self, stop):
        path = os.path.join(self.a.out, "series.jsonl")
        with open(path, "w") as f:
            while True:
                row = {"t": round(self.now(), 2)}
                row.update(sample_all(self.a, self.nodes))
                f.write(json.dumps(row) + "\n")
                f.flush()
                if stop.wait(self.a.sample):
                    row = {"t": round(self.now(), 2)}
                    row.update(sample_all(self.a, self.nodes))
                    f.write(json.dumps(row) + "\n")
                    return

    def run(self):
        lines = []
        with open(self.a.log) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                parts = line.split()
                lines.append((float(parts[0]) / self.a.speed, parts[1:]))
        self.uploaded = 0
        self.uploads = []  # (time the upload was answered, ref, id): the day's new images
        self.dropped = 0
        # Unbounded: the dispatcher never waits for a worker, so events and uploads keep their
        # times even when renders fall behind (GETs then wait here, and count in the latency).
        jobs = queue.Queue()
        self.t0 = time.time()
        stop = threading.Event()
        sampler = threading.Thread(target=self.sample, args=(stop,))
        if not self.a.no_sample:
            sampler.start()

        def worker():
            conn_box = [None]
            while True:
                job = jobs.get()
                if job is None:
                    break
                verb, args = job
                try:
                    if verb == "GET":
                        self.get(conn_box, *args)
                    else:
                        args()
                except Exception as e:  # noqa: BLE001 - a bench must keep going and say so
                    self.event("client-error", f"{verb} {type(e).__name__}: {e}")

        pool = [threading.Thread(target=worker, daemon=True) for _ in range(self.a.threads)]
        for t in pool:
            t.start()
        side = []  # events run on their own threads so that the replay keeps its pace
        late = 0
        for t, parts in lines:
            delay = t - self.now()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1:
                late += 1
            verb = parts[0]
            if verb == "GET" and self.a.deadline and self.now() > self.a.deadline:
                self.dropped += 1  # the replay stops by itself: the machine could not keep up
                continue
            if verb == "GET":
                path, accept = parts[1], parts[2]
                ref = path.rsplit("/", 1)[1]
                i = self.ids.get(ref)
                if i is None:
                    self.skipped += 1  # an upload that has not finished yet
                    continue
                jobs.put(("GET", (path.replace(ref, i), accept, ref)))
            elif verb == "UPLOAD":
                jobs.put(("UPLOAD", lambda r=parts[1]: self.do_upload(r)))
            elif verb == "DELETE":
                if parts[1] in self.ids:
                    jobs.put(("DELETE", lambda r=parts[1]: self.delete(r)))
            elif verb == "PURGE":
                if parts[1] in self.ids:
                    th = threading.Thread(target=self.do_purge, args=(parts[1],))
                    th.start()
                    side.append(th)
            elif verb == "EVENT":
                th = threading.Thread(target=self.run_event, args=(parts[1], parts[2] if len(parts) > 2 else ""))
                th.start()
                side.append(th)
        for _ in pool:
            jobs.put(None)
        for t in pool:
            t.join()
        for th in side:
            th.join()
        stop.set()
        if sampler.is_alive():
            sampler.join()
        self.out.close()
        with open(os.path.join(self.a.out, "deleted.tsv"), "w") as f:
            for ref in sorted(self.deleted):
                f.write(f"{ref}\t{self.ids[ref]}\t{self.purged_at.get(ref, -1):.3f}\n")
        with open(os.path.join(self.a.out, "uploads.tsv"), "w") as f:
            f.write("t\tref\tid\n")
            for t, ref, i in sorted(self.uploads):
                f.write(f"{t:.3f}\t{ref}\t{i}\n")
        with open(os.path.join(self.a.out, "replay.txt"), "w") as f:
            f.write(f"t0={self.t0:.3f} seconds={self.now():.1f} lines={len(lines)} skipped_not_uploaded={self.skipped} "
                    f"late_over_1s={late} dropped_after_deadline={self.dropped} uploaded={self.uploaded}\n")
        self.events.close()
        # The manifest grows with the day's uploads: the next phase (and the checks) need them.
        with open(self.a.manifest, "w") as f:
            for ref, i in self.ids.items():
                f.write(f"{ref}\t{i}\n")
        print(f"replay: {self.now():.0f} s, {len(lines)} lines, {late} dispatched over 1 s late, "
              f"{self.skipped} skipped (not uploaded yet), {self.dropped} dropped after the deadline", file=sys.stderr)


def prometheus(text, names):
    """Sums of the samples of each metric in `names`, by {cache=...}/{outcome=...} label where present."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        name, _, value = line.rpartition(" ")
        base = name.split("{", 1)[0]
        if base not in names:
            continue
        key = base
        if base == "imgorigin_requests_total":
            cache = name.split('cache="', 1)[1].split('"', 1)[0] if 'cache="' in name else "?"
            key = f"{base}:{cache}"
        elif base == "imgorigin_render_duration_seconds_count":
            outcome = name.split('outcome="', 1)[1].split('"', 1)[0] if 'outcome="' in name else "?"
            key = f"renders:{outcome}"
        elif base in ("imgorigin_eager_renders_total", "imgorigin_eager_handoff_total"):
            outcome = name.split('outcome="', 1)[1].split('"', 1)[0] if 'outcome="' in name else "?"
            key = f"{base}:{outcome}"
        try:
            out[key] = out.get(key, 0.0) + float(value)
        except ValueError:
            pass
    return out


METRICS = {"imgorigin_requests_total", "imgorigin_render_duration_seconds_count",
           "imgorigin_fetch_duration_seconds_count", "imgorigin_served_bytes_total",
           # IMGORIGIN_EAGER (fleet.sh --eager): variants rendered after an upload, and the sets
           # handed to the id's owner through the balancer (IMGORIGIN_EAGER_VIA).
           "imgorigin_eager_renders_total", "imgorigin_eager_handoff_total", "imgorigin_eager_decodes_total"}


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def sample_all(a, nodes):
    row = {}
    for n, url in enumerate(nodes, 1):
        status, _, body = request(url, "GET", "/metrics", timeout=5)
        row[f"node{n}"] = prometheus(body.decode(errors="replace"), METRICS) if status == 200 else None
        d = os.path.join(a.stack_dir, f"node{n}")
        jvm = read_pid(os.path.join(d, "origin.pid"))
        ngx = read_pid(os.path.join(d, "nginx", "nginx.pid"))
        row[f"node{n}_cpu_jvm"] = cpu_ticks([jvm]) if jvm else 0
        row[f"node{n}_jvm_pid"] = jvm
        row[f"node{n}_cpu_nginx"] = cpu_ticks(([ngx] + children(ngx)) if ngx else [])
    bal = read_pid(os.path.join(a.stack_dir, "balancer", "nginx.pid"))
    row["balancer_cpu"] = cpu_ticks(([bal] + children(bal)) if bal else [])
    var = read_pid(os.path.join(a.stack_dir, "varnish", "varnishd.pid"))
    row["varnish_cpu"] = cpu_ticks(([var] + children(var)) if var else [])
    status, _, body = request(a.s3_control, "GET", "/counts", timeout=5)
    if status == 200:
        row["s3"] = {k: int(v) for k, v in (kv.split("=") for kv in body.decode().split())}
    try:
        out = subprocess.run(["varnishstat", "-n", os.path.join(a.stack_dir, "varnish", "work"), "-1", "-j",
                              "-f", "MAIN.cache_hit", "-f", "MAIN.cache_miss", "-f", "MAIN.s_pass",
                              "-f", "MAIN.cache_hitmiss", "-f", "MAIN.cache_hitpass", "-f", "MAIN.n_object",
                              "-f", "MAIN.s_resp_bodybytes", "-f", "VBE.*.beresp_bodybytes", "-f", "MAIN.n_lru_nuked",
                              "-f", "MAIN.client_req"],
                             capture_output=True, text=True, timeout=10)
        data = json.loads(out.stdout)
        counters = data.get("counters", data)
        row["varnish"] = {}
        for k, v in counters.items():
            if isinstance(v, dict) and "value" in v:
                name = k.rsplit(".", 1)[1] if k.startswith("VBE.") else k.split(".", 1)[1]
                row["varnish"][name] = row["varnish"].get(name, 0) + v["value"]
    except (OSError, ValueError, subprocess.TimeoutExpired):
        row["varnish"] = None
    return row


def cmd_replay(a):
    os.makedirs(a.out, exist_ok=True)
    Replay(a).run()
    return 0


def cmd_check(a):
    """After the run: every URL asked for a deleted image answers 404 from the CDN and from each
    node's origin directly (so no tier still holds a copy)."""
    paths = {}
    with open(a.requests) as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            paths.setdefault(p[7], set()).add(p[8])
    bad = []
    checked = 0
    with open(a.deleted) as f:
        for line in f:
            ref, i, _ = line.split("\t")
            for path in sorted(paths.get(ref, ()))[:6]:
                for base in [a.cdn] + a.nodes.split(","):
                    for accept in ACCEPT.values():
                        status, _, _ = request(base, "GET", path, {"Accept": accept})
                        checked += 1
                        if status != 404:
                            bad.append(f"{base}{path} {status}")
    print(f"check: deleted-image requests={checked} not_404={len(bad)}")
    for b in bad[:10]:
        print(f"check: served after delete+purge: {b}", file=sys.stderr)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("upload")
    u.add_argument("--catalogue", required=True)
    u.add_argument("--bases", required=True)
    u.add_argument("--balancer", required=True)
    u.add_argument("--manifest", required=True)
    u.add_argument("--threads", type=int, default=8)
    s = sub.add_parser("seed")
    for name in ("--catalogue", "--bases", "--s3-dir", "--bucket", "--manifest"):
        s.add_argument(name, required=True)
    r = sub.add_parser("replay")
    for name in ("--log", "--manifest", "--catalogue", "--bases", "--cdn", "--balancer", "--nodes", "--s3-control",
                 "--stack-cmd", "--stack-dir", "--out", "--storm"):
        r.add_argument(name, required=True)
    r.add_argument("--speed", type=float, default=1.0, help="log seconds per second")
    r.add_argument("--threads", type=int, default=32)
    r.add_argument("--sample", type=float, default=5.0)
    r.add_argument("--no-sample", action="store_true")
    r.add_argument("--deadline", type=float, default=0, help="seconds after which GETs are dropped (0: none)")
    c = sub.add_parser("check")
    for name in ("--requests", "--deleted", "--cdn", "--nodes"):
        c.add_argument(name, required=True)
    a = ap.parse_args()
    return {"upload": cmd_upload, "seed": cmd_seed, "replay": cmd_replay, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
