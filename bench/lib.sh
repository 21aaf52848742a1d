# shellcheck shell=bash
# Shared pieces of the benchmark scripts in bench/; sourced, after `set -euo pipefail`, by
# each of them with BENCH set to the script's name (cold-render, cache-hits, ...). Sets ROOT
# (the repository) and defines the helpers below; starts nothing by itself.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORPUS=$ROOT/bench/corpus/photos.sh
RECORD=1           # 0: --no-record, append_results writes nothing
ALLOCATOR=         # launch_jar: the allocator the last jar it started runs on
PIDS=()            # background processes, stopped by cleanup on exit
JAVA_OPTS_DEFAULT= # JVM flags for launch_jar when IMGORIGIN_JAVA_OPTS is unset or empty

die() { printf '%s: %s\n' "$BENCH" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$BENCH" "$*" >&2; }

usage() { # the script's opening comment, up to `set -euo pipefail`
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

positive() { # positive <value>...: dies unless each is a positive whole number
  local n
  for n in "$@"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $n"
  done
}

need() { # need <command>...: dies unless each is on the PATH
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
  done
}

# --- temporary directory and background processes ---------------------------------------
make_tmp() { # sets TMP to a new directory; cleanup stops PIDS and removes it on exit
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

cleanup() { # kill every process of PIDS, wait for them all, remove TMP
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}

forget_pid() { # forget_pid <pid>: takes a process that has ended off PIDS
  local pid kept=()
  for pid in "${PIDS[@]}"; do
    [ "$pid" = "$1" ] || kept+=("$pid")
  done
  PIDS=("${kept[@]}")
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- photos -----------------------------------------------------------------------------
corpus() { # corpus <array name> <kind> [<at most>]: the corpus files of a kind; dies if none
  if [ -n "${3:-}" ]; then
    mapfile -t "$1" < <("$CORPUS" "$2" | head -n "$3")
  else
    mapfile -t "$1" < <("$CORPUS" "$2")
  fi
  local -n files=$1
  [ "${#files[@]}" -gt 0 ] || die "no photos from $CORPUS"
}

content_id() { # content_id <file>: an original's id, the first 40 hex digits of its SHA-256
  sha256sum "$1" | cut -c1-40
}

store_original() { # store_original <file>: copies it to $TMP/originals at its key; sets ID
  ID=$(content_id "$1")
  mkdir -p "$TMP/originals/${ID:0:4}/${ID:4:2}"
  cp "$1" "$TMP/originals/${ID:0:4}/${ID:4:2}/$ID"
}

store_all() { # store_all <file>...: store_original of each; sets IDS to their ids, in order
  IDS=()
  local f
  for f in "$@"; do
    store_original "$f"
    IDS+=("$ID")
  done
}

store_flat() { # store_flat <JPEG>...: store_all, and each also as $TMP/flat/<id>.jpg (unique names for
  # the peers that read files: ipx, nginx, vipsthumbnail)
  store_all "$@"
  mkdir -p "$TMP/flat"
  local i
  for i in "${!IDS[@]}"; do
    ln -s "${@:i+1:1}" "$TMP/flat/${IDS[$i]}.jpg"
  done
}

# --- JDK, jar, server -------------------------------------------------------------------
java_home() {
  local h
  for h in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
    [ -n "$h" ] && [ -x "$h/bin/java" ] && grep -q '^JAVA_VERSION="25' "$h/release" 2>/dev/null &&
      { printf '%s\n' "$h"; return 0; }
  done
  die "no JDK 25 (set JAVA_HOME)"
}

use_jdk() { # exports JAVA_HOME (a JDK 25)
  export JAVA_HOME
  JAVA_HOME=$(java_home)
}

ensure_jar() { # ensure_jar <sources, as named> <what rebuilds it> <path>...: sets JAR, builds it when missing
  JAR=$ROOT/target/imgorigin.jar
  local named=$1 rebuild=$2
  shift 2
  if [ ! -f "$JAR" ]; then
    say "building target/imgorigin.jar"
    (cd "$ROOT" && MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" \
      mvn -B -q -ntp -DskipTests package) >&2 || die "build failed"
    [ -f "$JAR" ] || die "the build did not produce target/imgorigin.jar"
  elif [ -n "$(cd "$ROOT" && find "$@" -newer "$JAR" -print -quit 2>/dev/null)" ]; then
    # A benchmark of yesterday's jar measures yesterday's code: rebuild (a fleet run once
    # recorded figures of code without the change it was meant to measure).
    say "target/imgorigin.jar is older than $named: rebuilding it ($rebuild)"
    (cd "$ROOT" && MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" \
      mvn -B -q -ntp -DskipTests package) >&2 || die "build failed"
  fi
}

launch_jar() { # launch_jar <log> <env argument>...: starts $JAR in the background; sets LAUNCHED
  local log=$1
  shift
  local -a opts=()
  read -r -a opts <<<"${IMGORIGIN_JAVA_OPTS:-$JAVA_OPTS_DEFAULT}"
  # The same JVM flags as `bin/imgorigin serve`, and its allocator: jemalloc, preloaded with
  # serve's MALLOC_CONF (read from bin/imgorigin; an exported MALLOC_CONF wins, as with serve),
  # unless IMGORIGIN_NO_JEMALLOC is set in the environment (not as an argument here).
  local -a malloc=()
  local lib conf
  ALLOCATOR="glibc malloc"
  for lib in /usr/lib/*/libjemalloc.so.2 /usr/lib/libjemalloc.so.2; do
    if [ -f "$lib" ] && [ -z "${IMGORIGIN_NO_JEMALLOC:-}" ]; then
      conf=${MALLOC_CONF:-$(sed -n 's/.*MALLOC_CONF="\${MALLOC_CONF:-\([^}]*\)}".*/\1/p;T;q' "$ROOT/bin/imgorigin")}
      [ -n "$conf" ] || die "no MALLOC_CONF default found in bin/imgorigin (its form changed?)"
      malloc=(LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}" MALLOC_CONF="$conf")
      ALLOCATOR="jemalloc, MALLOC_CONF=$conf"
      break
    fi
  done
  if [ "${#malloc[@]}" = 0 ] && [ -z "${IMGORIGIN_NO_JEMALLOC:-}" ]; then
    say "warning: no libjemalloc.so.2 (apt-get install libjemalloc2): on glibc's malloc, not serve's allocator"
  fi
  env "${malloc[@]}" "$@" "$JAVA_HOME/bin/java" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    --sun-misc-unsafe-memory-access=allow "${opts[@]}" \
    -jar "$JAR" >"$log" 2>&1 &
  LAUNCHED=$!
  PIDS+=("$LAUNCHED")
}

start_origin() { # start_origin <env argument>...: the jar on a free port over $TMP/originals and
  # $TMP/cache, logging to $TMP/server.log, with the extra variables; waits for /readyz.
  # Sets PORT, BASE and SERVER_PID.
  use_jdk
  ensure_jar src/ "bin/imgorigin bench" src pom.xml
  PORT=$(free_port)
  launch_jar "$TMP/server.log" IMGORIGIN_PORT="$PORT" IMGORIGIN_ORIGINALS="file:$TMP/originals" \
    IMGORIGIN_CACHE_DIR="$TMP/cache" "$@"
  SERVER_PID=$LAUNCHED
  await_ready "$PORT" "$SERVER_PID" "$TMP/server.log" "the server exited during start-up (log above)" \
    "no 200 from /readyz within 60 s (last: @CODE@)"
  # shellcheck disable=SC2034 # for the calling script
  BASE="http://127.0.0.1:$PORT"
}

start_named() { # start_named <name> <env argument>...: one of several servers over $TMP/originals,
  # with its own $TMP/cache-<name> and $TMP/<name>.log, no memory tier and no access log, on a
  # free port; waits for /readyz. Sets JPORT and JPID.
  local name=$1
  shift
  JPORT=$(free_port)
  launch_jar "$TMP/$name.log" IMGORIGIN_PORT="$JPORT" IMGORIGIN_ORIGINALS="file:$TMP/originals" \
    IMGORIGIN_CACHE_DIR="$TMP/cache-$name" IMGORIGIN_MEMORY_CACHE_BYTES=0 IMGORIGIN_ACCESS_LOG=false "$@"
  JPID=$LAUNCHED
  await_ready "$JPORT" "$JPID" "$TMP/$name.log" "$name exited during start-up (log above)" \
    "$name: no 200 from /readyz within 60 s (last: @CODE@)"
}

await_ready() { # await_ready <port> <pid> <log> <if it exits> <if it times out; @CODE@: the last status>
  local port=$1 pid=$2 log=$3 deadline=$((SECONDS + 60)) code
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
    [ "$code" = 200 ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2
      forget_pid "$pid"
      die "$4"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$log" >&2
      die "${5//@CODE@/$code}"
    fi
    sleep 0.5
  done
}

# --- measurements -----------------------------------------------------------------------
field() { # field <key> <key=value line>
  local kv
  for kv in $2; do [ "${kv%%=*}" = "$1" ] && { printf '%s\n' "${kv#*=}"; return 0; }; done
  printf '?\n'
}

cpu_ticks() { # user + system time of a process (all its threads), in clock ticks
  sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print "?"; exit }
  if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", x / y }'; }

loadavg() { cut -d' ' -f1 /proc/loadavg; }

megapixels() { # megapixels <image>...: "15.9, 13.4 MP", each image's pixels in millions
  local p
  for p in "$@"; do printf '%s %s\n' "$(vipsheader -f width "$p")" "$(vipsheader -f height "$p")"; done |
    awk '{ printf "%s%.1f", (NR > 1 ? ", " : ""), $1 * $2 / 1e6 } END { print " MP" }'
}

# --- report -----------------------------------------------------------------------------
commit_label() { # commit_label <path>...: the short commit, "+local changes" if those paths differ
  local commit
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [ -n "$(git -C "$ROOT" status --porcelain -- "$@" 2>/dev/null)" ] && commit="$commit+local changes"
  printf '%s\n' "$commit"
}

cpu_model() { sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1; }

show_and_record() { # show_and_record <title>: stdin (the run's report) to stderr, then append_results <title>
  # Through a file, not `tee /dev/stderr`: that reopens a log file stderr is redirected to,
  # truncating it, or (with -a) writes at another offset than the shell's own stderr does.
  # Recorded first: a closed stderr (a pipe to head) must not lose the record.
  cat >"$TMP/report.md"
  append_results "$1" <"$TMP/report.md"
  cat "$TMP/report.md" >&2
}

append_results() { # append_results <title>: appends stdin to bench/results/$BENCH-<date>.md
  if [ "$RECORD" = 0 ]; then
    cat >/dev/null
    say "not recorded (--no-record)"
    return 0
  fi
  mkdir -p "$ROOT/bench/results"
  local results
  results=$ROOT/bench/results/$BENCH-$(date +%F).md
  # shellcheck disable=SC2094 # the file is only tested for size, then appended to
  {
    [ -s "$results" ] || printf '# %s, %s\n\nWritten by bench/%s.sh.\n\n' "$1" "$(date +%F)" "$BENCH"
    cat
  } >>"$results"
  say "appended to ${results#"$ROOT"/}"
}

# --- installing what a benchmark compares against ---------------------------------------
ensure_ipx() { # sets IPX_DIR: ipx@$IPX_VERSION under $IMGORIGIN_BENCH_CACHE, installed with npm when missing
  need node npm
  IPX_DIR=${IMGORIGIN_BENCH_CACHE:-$HOME/.cache/imgorigin-bench}/ipx-$IPX_VERSION
  # The marker is written only after npm finished: an install cut short (Ctrl-C, a dropped
  # connection) leaves ipx's package.json without sharp's binaries, and is run again.
  if [ ! -f "$IPX_DIR/.installed" ]; then
    say "installing ipx@$IPX_VERSION with npm into $IPX_DIR"
    mkdir -p "$IPX_DIR"
    (cd "$IPX_DIR" && { [ -f package.json ] || printf '{"private": true}\n' >package.json; } &&
      npm install --no-audit --no-fund --loglevel=error "ipx@$IPX_VERSION") >&2 || die "npm install ipx failed"
    [ -f "$IPX_DIR/node_modules/ipx/package.json" ] || die "npm install ipx left no node_modules/ipx"
    : >"$IPX_DIR/.installed"
  fi
}

sharp_libvips() { # prints the libvips ipx's sharp bundles (glibc x64 build), after ensure_ipx; empty when missing
  find "$IPX_DIR/node_modules/@img" -path '*/sharp-libvips-linux-x64/*' -name 'libvips-cpp.so.*' -print -quit \
    2>/dev/null || true
}

launch_ipx() { # launch_ipx <AVIF effort> <matched|defaults> <log> <path>: bench/peers_ipx.mjs over
  # $TMP/flat on a free port (after ensure_ipx), waiting up to 60 s for a 200 of <path>; sets IPX_PORT, IPX_PID
  cp "$ROOT/bench/peers_ipx.mjs" "$IPX_DIR/"
  IPX_PORT=$(free_port)
  (cd "$IPX_DIR" && exec node peers_ipx.mjs "$IPX_PORT" "$TMP/flat" "$1" "$2") >"$3" 2>&1 &
  IPX_PID=$!
  PIDS+=("$IPX_PID")
  local deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null "http://127.0.0.1:$IPX_PORT$4"; do
    kill -0 "$IPX_PID" 2>/dev/null || { tail -n 20 "$3" >&2; forget_pid "$IPX_PID"; die "ipx ($2) exited during start-up (log above)"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$3" >&2; die "ipx ($2) does not answer $4 within 60 s"; }
    sleep 0.3
  done
}

apt_ensure() { # apt_ensure <file or command> <debian package>...: apt-get installs them unless the first exists
  local have=$1
  shift
  [ -e "$have" ] || command -v "$have" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "$have not found (apt-get install $*, as root)"
  say "installing $*"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } >&2 ||
    die "could not install $*"
  [ -e "$have" ] || command -v "$have" >/dev/null 2>&1 || die "$* installed, but still no $have"
}

# --- the libvips yardstick --------------------------------------------------------------
build_vips_baseline() { # build_vips_baseline <output> [<libvips .so>]: compiles bench/vips_baseline.c
  local out=$1 lib=${2:-} libs
  if [ -n "$lib" ]; then # a libvips that bundles GLib (sharp's): link it by path, find it at run time
    gcc -O2 -o "$out" "$ROOT/bench/vips_baseline.c" "$lib" -Wl,-rpath,"$(dirname "$lib")" -lpthread \
      2>"$out.log" && return 0
  else
    for libs in "-lgobject-2.0 -lglib-2.0" "-l:libgobject-2.0.so.0 -l:libglib-2.0.so.0"; do
      # shellcheck disable=SC2086 # word splitting of the library flags is intended
      gcc -O2 -o "$out" "$ROOT/bench/vips_baseline.c" -l:libvips.so.42 $libs -lpthread 2>"$out.log" && return 0
    done
  fi
  cat "$out.log" >&2
  die "cannot compile bench/vips_baseline.c against ${lib:-libvips.so.42} (is libvips42 installed?)"
}
