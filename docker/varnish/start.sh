#!/bin/sh
# Starts Varnish on docker/varnish/default.vcl with that file's deploy-time placeholders filled
# in from the environment (docker/compose.yaml uses it as the varnish service's entrypoint):
#
#   VARNISH_BACKEND_HOST   the backend's .host (default 127.0.0.1): nginx/cluster.conf's balancer,
#                          or a node's nginx
#   VARNISH_BACKEND_PORT   the backend's .port (default 8080)
#   VARNISH_PURGE_FROM     networks allowed to PURGE besides loopback, space-separated, e.g.
#                          "172.16.0.0/12 10.0.0.0/8" (default: none)
#   VARNISH_LISTEN         address:port varnishd listens on (default 127.0.0.1:80, loopback
#                          only); ":80" for every interface, as inside a container whose port
#                          is published (docker/compose.yaml sets it and publishes the port on
#                          BIND_ADDRESS, itself loopback by default)
#   VARNISH_SIZE           cache size for -s malloc (default 256M)
#   VARNISH_VCL            the VCL to read (default /etc/varnish/imgorigin/default.vcl)
#   VARNISH_VCL_OUT        where to write the filled-in VCL (default /tmp/imgorigin.vcl)
#
# `start.sh render` only writes VARNISH_VCL_OUT (DeploymentFilesTest compiles it with
# `varnishd -C`); otherwise varnishd runs in the foreground with any further arguments.
set -eu

vcl=${VARNISH_VCL:-/etc/varnish/imgorigin/default.vcl}
out=${VARNISH_VCL_OUT:-/tmp/imgorigin.vcl}
host=${VARNISH_BACKEND_HOST:-127.0.0.1}
port=${VARNISH_BACKEND_PORT:-8080}
listen=${VARNISH_LISTEN:-127.0.0.1:80}

case $host in *[!A-Za-z0-9.:_-]*|'') echo "start.sh: bad VARNISH_BACKEND_HOST '$host'" >&2; exit 2 ;; esac
case $port in *[!0-9]*|'') echo "start.sh: bad VARNISH_BACKEND_PORT '$port'" >&2; exit 2 ;; esac
case $listen in
  *[!A-Za-z0-9.:_\[\]-]*|*[!0-9]|'') echo "start.sh: bad VARNISH_LISTEN '$listen' (address:port)" >&2; exit 2 ;;
esac

# The purgers ACL gets one line per network, right after its opening brace.
acl=''
for net in ${VARNISH_PURGE_FROM:-}; do
  case $net in
    */*) addr=${net%/*}; bits=${net#*/} ;;
    *) addr=$net; bits='' ;;
  esac
  case $addr$bits in *[!0-9A-Fa-f.:]*) echo "start.sh: bad network '$net' in VARNISH_PURGE_FROM" >&2; exit 2 ;; esac
  acl="$acl\\
    \"$addr\"${bits:+/$bits};"
done

# The backend block is the only place with `.host = "127.0.0.1";` and `.port = "8080";` at the
# start of a line; the header comment mentions them too, but not there.
sed -e "s|^\\([[:space:]]*\\)\\.host = \"127\\.0\\.0\\.1\";|\\1.host = \"$host\";|" \
    -e "s|^\\([[:space:]]*\\)\\.port = \"8080\";|\\1.port = \"$port\";|" \
    -e "/^acl purgers {/s|\$|$acl|" \
    "$vcl" > "$out"

for placeholder in ".host = \"$host\";" ".port = \"$port\";"; do
  if [ "$(sed 's/^[[:space:]]*//' "$out" | grep -cxF -- "$placeholder")" -ne 1 ]; then
    echo "start.sh: $vcl no longer has exactly one backend line for '$placeholder'" >&2
    exit 2
  fi
done

if [ "${1:-}" = render ]; then
  exit 0
fi
exec varnishd -F -f "$out" -a "http=$listen,HTTP" -s "malloc,${VARNISH_SIZE:-256M}" "$@"
