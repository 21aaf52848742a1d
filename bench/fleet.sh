#!/usr/bin/env bash
# A day of traffic through the whole stack, on loopback: Varnish (docker/varnish/default.vcl,
# the CDN) -> balancer (nginx/cluster.conf) -> 3 nodes, each behind its own nginx
# (nginx/nginx.conf, X-Accel hand-off) -> S3 (S3Proxy over a folder, bench/FleetS3.java,
# which counts GETs and can be stopped). The stack is `bin/imgorigin stack`.
#
#   1. bench/fleet_workload.py writes the workload from a seed: a catalogue, yesterday's log
#      and today's (Zipf popularity, srcset widths by device, Accept by browser, uploads,
#      deletions with purges, and the events below). The catalogue is written straight into
#      S3Proxy's folder (an earlier day's uploads); the day's uploads go through the balancer.
#   2. Warm-up: yesterday's log is replayed at twice its pace, once in --quick (--cold skips it).
#   3. The measured window: today's log at its own pace, sampled every few seconds. Events:
#      node 2's origin killed (SIGKILL) at 25 % and started again, and right after the kill
#      an image node 2 holds deleted and purged once (node 2 misses both: it must learn of the
#      delete from the store's journal); a purge storm (the most popular images) at 45 %; S3
#      stopped at 65 % for 30 s.
#   4. Checks: every URL asked for a deleted image answers 404 from the CDN and each node.
#   5. bench/fleet_report.py: figures per tier, charts, and one last line:
#      fleet: cdn_hit=<ratio> node_hit=<ratio> renders_per_1k=<n> s3_gets_per_render=<x> p99_ms=<n> errors=<n>
#
# Full run: 20,000 images, 240 s of yesterday (120 s replayed), 600 s measured; 17 min here.
# --quick: 3,000 images, 30 s of yesterday, 100 s measured, a 15 s S3 outage; 3.5 min here.
# A replay drops the GETs it could not send by 1.5x (warm-up) or 1.2x (window) its length.
# Pixel sizes are half a real page's (bench/fleet_workload.py), so that 2 cores can render.
#
# usage: bench/fleet.sh [--quick] [--key id|path] [--eager none|local|owner] [--cold] [--seed N]
#                       [--alpha A] [--label L] [--no-record]
#   --key id|path  what the balancer hashes: the image id (the shipped nginx/cluster.conf) or
#                  the whole path (the former config, rebuilt from it for comparison)
#   --eager MODE   eager variants of the day's uploads (docs/design.md §8.4): none (default),
#                  local (IMGORIGIN_EAGER on every node: the node that stored the upload renders
#                  them) or owner (also IMGORIGIN_EAGER_VIA, the balancer: the id's owner does).
#                  The set is the workload's three most requested variants (EAGER_SET in
#                  this script).
#                  The hand-off is routed by the id, so owner means what it says with --key id.
#   --cold         no warm-up replay
#   --seed N       workload seed (default 19)
#   --alpha A      Zipf exponent (default 0.8)
#   --label L      names the results directory: bench/results/fleet-<date>-<label>
#   --no-record    write nothing under bench/results/ or docs/img/
# Environment: JAVA_HOME (a JDK 25), IMGORIGIN_JAVA_OPTS (node JVM flags, default -Xmx512m).
# Needs nginx, varnish (with varnish-modules), curl, python3, libvips-tools (vipsthumbnail),
# installed with apt-get when missing (as root). Stops everything it started, also on Ctrl-C.
set -euo pipefail

BENCH=fleet
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

QUICK=0 KEY=id EAGER=none COLD=0 SEED=19 ALPHA=0.8 LABEL=''
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --key) KEY=${2:?}; shift ;;
    --eager) EAGER=${2:?}; shift ;;
    --cold) COLD=1 ;;
    --seed) SEED=${2:?}; shift ;;
    --alpha) ALPHA=${2:?}; shift ;;
    --label) LABEL=${2:?}; shift ;;
    --no-record) RECORD=0 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
case $KEY in id | path) ;; *) die "--key must be id or path" ;; esac
case $EAGER in none | local | owner) ;; *) die "--eager must be none, local or owner" ;; esac
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a number"
[[ $ALPHA =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--alpha must be a number"
[[ $LABEL =~ ^[A-Za-z0-9_-]*$ ]] || die "--label: letters, digits, - and _ only"

if [ "$QUICK" = 1 ]; then
  IMAGES=3000 YESTERDAY=30 DURATION=100 VIEWS=1 OUTAGE=15 STORM=50 DELETES=8 SAMPLE=2 WARM_SPEED=1
else
  IMAGES=20000 YESTERDAY=240 DURATION=600 VIEWS=1.5 OUTAGE=30 STORM=100 DELETES=20 SAMPLE=5 WARM_SPEED=2
fi

need python3 curl
apt_ensure vipsthumbnail libvips-tools
apt_ensure /usr/sbin/nginx nginx
apt_ensure /usr/sbin/varnishd varnish varnish-modules
use_jdk
export PATH=$JAVA_HOME/bin:$PATH
ensure_jar src/ "bin/imgorigin bench" src pom.xml
make_tmp

STACK_STARTED=0 S3_PID=''
fleet_cleanup() {
  if [ "$STACK_STARTED" = 1 ]; then
    "$ROOT/bin/imgorigin" stack stop >/dev/null 2>&1 || true
  fi
  cleanup
}
trap fleet_cleanup EXIT

# --- ports: 24 in a row for the stack, two more for S3 -----------------------------------
STACK_PORT=$(python3 - <<'EOF'
import random, socket
for _ in range(200):
    # Below Linux's ephemeral ports (32768 up), which outgoing connections take.
    base = random.randrange(10000, 32000, 100)
    ok = True
    for p in list(range(base, base + 30)):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        finally:
            s.close()
        if not ok:
            break
    if ok:
        print(base)
        break
EOF
)
[ -n "$STACK_PORT" ] || die "no 30 free ports in a row"
S3_PORT=$((STACK_PORT + 28)) S3_CONTROL=$((STACK_PORT + 29))
export IMGORIGIN_STACK_DIR=$TMP/stack IMGORIGIN_STACK_PORT=$STACK_PORT
export IMGORIGIN_STACK_ORIGINALS=s3://fleet IMGORIGIN_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export IMGORIGIN_S3_PATH_STYLE=true AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s AWS_REGION=us-east-1
export IMGORIGIN_UPLOAD_TOKEN=fleet-upload-token IMGORIGIN_ADMIN_TOKEN=fleet-admin-token
export FLEET_UPLOAD_TOKEN=$IMGORIGIN_UPLOAD_TOKEN FLEET_ADMIN_TOKEN=$IMGORIGIN_ADMIN_TOKEN
# The nodes run the jar checked above: `stack start` would rebuild it whenever any file under
# src/ (tests included) is newer.
export IMGORIGIN_STACK_CLASSPATH=$JAR
unset IMGORIGIN_EAGER IMGORIGIN_EAGER_VIA IMGORIGIN_SIGNING_KEY IMGORIGIN_PRESETS
export IMGORIGIN_ACCESS_LOG=false

# --- eager variants of the day's uploads -------------------------------------------------
# What a new upload's pages ask for most (bench/fleet_workload.py: a page is 3.5 feed images
# and 1.5 thumbnails on average, 85 % of browsers get AVIF from f_auto): w_640 (phones at DPR 3,
# desktops at DPR 2: 27 % of all requests), w_320 (13 %) and w_480 (12 %), in the format those
# browsers get, so each entry is one variant and the set covers about half of the requests. The
# rest (w_160 and the three thumbnails in AVIF, 6-10 % each; WebP and JPEG, under 4 % each)
# would cost a render each on 2 shared cores that already queue visitors' renders: they are
# left to the first request.
# An entry without f_ would render 4 formats (README, IMGORIGIN_EAGER), 3 of them rarely asked.
EAGER_SET='w_640,f_avif;w_480,f_avif;w_320,f_avif'
case $EAGER in
  local) export IMGORIGIN_EAGER=$EAGER_SET ;;
  # The admin token above is on every node already: the hand-off is an admin request.
  owner) export IMGORIGIN_EAGER=$EAGER_SET IMGORIGIN_EAGER_VIA=http://127.0.0.1:$((STACK_PORT + 1)) ;;
esac

# --- the balancer's key ------------------------------------------------------------------
if [ "$KEY" = path ]; then
  # The former key: the whole path. The id line of the map is dropped, so the path line below
  # it takes every image URL.
  grep -q 'imgorigin_id' "$ROOT/nginx/cluster.conf" || die "nginx/cluster.conf has no imgorigin_id line to drop"
  grep -v 'imgorigin_id' "$ROOT/nginx/cluster.conf" >"$TMP/cluster-path.conf"
  export IMGORIGIN_STACK_BALANCER_CONF=$TMP/cluster-path.conf
fi

# --- results -----------------------------------------------------------------------------
NAME=fleet-$(date +%F)${LABEL:+-$LABEL}
if [ "$RECORD" = 1 ]; then
  OUT=$ROOT/bench/results/$NAME
  rm -rf "$OUT"
else
  OUT=$TMP/results
fi
mkdir -p "$OUT"
say "results: ${OUT#"$ROOT"/}"

# --- base photos and the workload --------------------------------------------------------
corpus PHOTOS jpeg 20
mkdir -p "$TMP/bases"
for i in "${!PHOTOS[@]}"; do
  vipsthumbnail "${PHOTOS[$i]}" -s 640x640 -o "$TMP/bases/$i.jpg[Q=82,strip]" 2>/dev/null
done
python3 "$ROOT/bench/fleet_workload.py" --out "$TMP/workload" --seed "$SEED" --alpha "$ALPHA" \
  --images "$IMAGES" --bases "${#PHOTOS[@]}" --yesterday "$YESTERDAY" --duration "$DURATION" \
  --views "$VIEWS" --deletes "$DELETES" --storm "$STORM" --s3-outage "$OUTAGE" | tee "$OUT/workload.txt" >&2

# --- S3 ----------------------------------------------------------------------------------
# S3Proxy's class path, from the pom (test scope), kept in target/ until the pom changes.
CPFILE=$ROOT/target/fleet-s3.classpath
if [ ! -s "$CPFILE" ] || [ "$ROOT/pom.xml" -nt "$CPFILE" ]; then
  say "resolving S3Proxy's class path"
  (cd "$ROOT" && { mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$TMP/cp.raw" >"$TMP/mvn-cp.log" 2>&1 ||
    mvn -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile="$TMP/cp.raw" >>"$TMP/mvn-cp.log" 2>&1; }) ||
    { tail -n 20 "$TMP/mvn-cp.log" >&2; die "mvn dependency:build-classpath failed"; }
  mkdir -p "$ROOT/target"
  cp "$TMP/cp.raw" "$CPFILE"
fi
CP=$(tr ':' '\n' <"$CPFILE" | grep -v '/slf4j-jdk14-' | paste -sd:)
cat >"$TMP/logback.xml" <<'EOF'
<configuration>
  <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="ERR"/></root>
</configuration>
EOF
mkdir -p "$TMP/s3"
"$JAVA_HOME/bin/java" -Xmx512m -Dlogback.configurationFile="$TMP/logback.xml" -cp "$CP" \
  "$ROOT/bench/FleetS3.java" "$TMP/s3" "$S3_PORT" "$S3_CONTROL" fleet >"$TMP/s3.log" 2>&1 &
S3_PID=$!
PIDS+=("$S3_PID")
# While S3Proxy starts: the catalogue goes into its folder, and the stack starts (a node
# reaches S3 only for a request).
python3 "$ROOT/bench/fleet_client.py" seed --catalogue "$TMP/workload/catalogue.tsv" --bases "$TMP/bases" \
  --s3-dir "$TMP/s3" --bucket fleet --manifest "$TMP/manifest.tsv" >&2

# --- the stack ---------------------------------------------------------------------------
say "starting the stack on 127.0.0.1:$STACK_PORT (key: $KEY, eager: $EAGER${IMGORIGIN_EAGER:+ $IMGORIGIN_EAGER})"
STACK_STARTED=1
"$ROOT/bin/imgorigin" stack start 3 >"$TMP/stack-start.log" 2>&1 ||
  { cat "$TMP/stack-start.log" >&2; die "the stack did not start"; }
for ((i = 0; i < 240; i++)); do
  curl -s -o /dev/null "http://127.0.0.1:$S3_CONTROL/counts" && break
  kill -0 "$S3_PID" 2>/dev/null || { tail -n 20 "$TMP/s3.log" >&2; die "S3Proxy exited during start-up"; }
  sleep 0.5
done
curl -s -o /dev/null "http://127.0.0.1:$S3_CONTROL/counts" || die "S3Proxy did not start within 120 s"
NODES=http://127.0.0.1:$((STACK_PORT + 21)),http://127.0.0.1:$((STACK_PORT + 22)),http://127.0.0.1:$((STACK_PORT + 23))
replay() { # replay <log> <out> <speed> <sample seconds> <deadline seconds>
  python3 "$ROOT/bench/fleet_client.py" replay --log "$1" --out "$2" --speed "$3" --sample "$4" --deadline "$5" \
    --manifest "$TMP/manifest.tsv" --catalogue "$TMP/workload/catalogue.tsv" --bases "$TMP/bases" \
    --cdn "http://127.0.0.1:$STACK_PORT" --balancer "http://127.0.0.1:$((STACK_PORT + 1))" --nodes "$NODES" \
    --s3-control "http://127.0.0.1:$S3_CONTROL" --stack-cmd "$ROOT/bin/imgorigin stack" \
    --stack-dir "$IMGORIGIN_STACK_DIR" --storm "$TMP/workload/storm.txt"
}

if [ "$COLD" = 0 ]; then
  say "warm-up: yesterday's log ($YESTERDAY s) at $WARM_SPEED× its pace"
  replay "$TMP/workload/yesterday.log" "$OUT/warmup" "$WARM_SPEED" "$SAMPLE" \
    "$(python3 -c "print($YESTERDAY / $WARM_SPEED * 1.5)")"
fi
say "measured window: today's log, $DURATION s"
LOAD_BEFORE=$(loadavg)
# GETs still waiting after the window and a fifth are dropped (counted in replay.txt), so a
# machine that cannot keep up ends the run late by at most that, plus requests in flight.
replay "$TMP/workload/today.log" "$OUT" 1 "$SAMPLE" "$((DURATION * 6 / 5))"
LOAD_AFTER=$(loadavg)

say "checking that no tier serves a deleted image"
CHECK=0
python3 "$ROOT/bench/fleet_client.py" check --requests "$OUT/requests.tsv" --deleted "$OUT/deleted.tsv" \
  --cdn "http://127.0.0.1:$STACK_PORT" --nodes "$NODES" >"$OUT/check.txt" || CHECK=1
cat "$OUT/check.txt" >&2

# Node ring after the restart: which nodes the balancer used in the last tenth of the window.
cp "$IMGORIGIN_STACK_DIR/balancer/logs/imgorigin-balancer-access.log" "$TMP/balancer.log" 2>/dev/null || true
"$ROOT/bin/imgorigin" stack stop >/dev/null 2>&1 || true
STACK_STARTED=0
cp "$TMP/workload/today.log" "$OUT/today.log"
gzip -f "$OUT/today.log" "$OUT/requests.tsv"
[ ! -f "$OUT/warmup/requests.tsv" ] || gzip -f "$OUT/warmup/requests.tsv"
gzip -c "$TMP/balancer.log" >"$OUT/balancer.log.gz" 2>/dev/null || true
{
  printf 'key=%s eager=%s eager_set=%s quick=%s cold=%s seed=%s alpha=%s images=%s duration=%s views_per_s=%s outage=%s\n' \
    "$KEY" "$EAGER" "$EAGER_SET" "$QUICK" "$COLD" "$SEED" "$ALPHA" "$IMAGES" "$DURATION" "$VIEWS" "$OUTAGE"
  printf 'commit=%s cpu="%s" cores=%s load_before=%s load_after=%s\n' "$(commit_label src nginx docker bin bench)" \
    "$(cpu_model)" "$(nproc)" "$LOAD_BEFORE" "$LOAD_AFTER"
} >"$OUT/run.txt"

IMG=''
[ "$RECORD" = 1 ] && IMG=$ROOT/docs/img
python3 "$ROOT/bench/fleet_report.py" --dir "$OUT" --name "$NAME" ${IMG:+--img "$IMG"} --outage-grace 10
[ "$CHECK" = 0 ] || die "a deleted image was still served (see $OUT/check.txt)"
