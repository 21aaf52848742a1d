vcl 4.1;
# imgorigin behind Varnish 7.1: caches variants by URL, purges every variant of an image by
# its Surrogate-Key (vmod xkey, Debian package varnish-modules).
#
# Placeholders, replaced when deploying (VarnishTest replaces the port; docker/varnish/start.sh
# fills both in from VARNISH_BACKEND_HOST, VARNISH_BACKEND_PORT and VARNISH_PURGE_FROM):
#   backend .host = "127.0.0.1"; .port = "8080";
#       nginx in front of the origin, or nginx/cluster.conf's balancer in front of several
#       (in docker/compose.yaml: .host = "front"; .port = "80";), or the origin itself when
#       IMGORIGIN_ACCEL_PREFIX is unset.
#   acl purgers  "localhost"; "127.0.0.1"; "::1";
#       who may send PURGE. Add the networks of the hosts that run `bin/imgorigin purge`,
#       e.g. "10.0.0.0"/8; or, for docker compose's networks, "172.16.0.0"/12;
#
# Purging:
#   curl -X PURGE -H 'xkey-purge: <id>' http://varnish/      every variant of image <id>
#   curl -X PURGE -H 'xkey-softpurge: <id>' http://varnish/  the same, but stale copies may
#                                                           be served while refetching
#   curl -X PURGE http://varnish/w_300/<id>.webp             one URL, all its Vary variants
# A key purge answers {"purged": <objects removed>}. `bin/imgorigin purge <id>` does the first
# on every node and CDN at once.
#
# Debugging: X-Varnish-Cache says HIT, HIT-STALE, MISS, PASS, HIT-FOR-MISS or SYNTH; the
# origin's own X-Cache (MISS, HIT-MEMORY, HIT-DISK) is passed through untouched.

import std;
import xkey;

backend imgorigin {
    .host = "127.0.0.1";
    .port = "8080";
    .connect_timeout = 2s;
    # A cold AVIF render of a large original takes seconds; the origin answers 429 itself
    # when its queue is full, so a long wait here is a render, not a stuck backend.
    .first_byte_timeout = 60s;
    .between_bytes_timeout = 10s;
    .probe = {
        .url = "/healthz";
        .expected_response = 200;
        .interval = 5s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
        .initial = 3;
    }
}

acl purgers {
    "localhost";
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    unset req.http.X-Varnish-Cache;

    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "PURGE is not allowed from this address"));
        }
        if (req.http.xkey-purge) {
            set req.http.X-Purged = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged"));
        }
        if (req.http.xkey-softpurge) {
            set req.http.X-Purged = xkey.softpurge(req.http.xkey-softpurge);
            return (synth(200, "Purged"));
        }
        return (purge);
    }

    # Uploads, deletes, admin and the dynamic pages go to the origin uncached. (Varnish adds
    # X-Forwarded-For, so the origin takes none of them for a loopback client's: through
    # Varnish, admin and upload requests need their bearer tokens.)
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(admin/|metrics|analytics|readyz|healthz|images(/|\?|$)|_cache/|\?|$)") {
        return (pass);
    }

    # The origin reads neither cookies nor query strings: neither may split the cache.
    unset req.http.Cookie;
    set req.url = regsub(req.url, "\?.*$", "");
    # Origin is passed on untouched and is not part of the hash. With the default
    # IMGORIGIN_ALLOW_ORIGIN (*) the answer carries Access-Control-Allow-Origin: * and no
    # Vary: Origin, so one object serves every page; with a list of origins the origin adds
    # Vary: Origin and each origin gets its own object. The grants (Access-Control-Allow-Origin,
    # Timing-Allow-Origin, Cross-Origin-Resource-Policy) pass through as the origin sent them.

    call imgorigin_normalise;

    # While the origin is healthy serve stale objects only briefly; while it is sick, for the
    # whole grace period set in vcl_backend_response.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }
    return (hash);
}

# The origin varies on Accept (f_auto), Save-Data (q_auto), Sec-CH-Width/Width (w_auto) and
# Sec-CH-DPR/DPR (dpr_auto). Each header is reduced to the few values that can change its
# answer, so that Vary keeps a handful of objects per URL instead of one per browser build.
sub imgorigin_normalise {
    # f_auto: JPEG XL if accepted, else AVIF if accepted, else WebP if accepted, else JPEG/PNG.
    # Wildcards and q=0 don't count, as in the origin's negotiation.
    std.collect(req.http.Accept);
    if (req.http.Accept ~ "(?i)(^|,)\s*image/jxl\s*(,|$|;(?!\s*q\s*=\s*0(\.0*)?\s*(,|$)))") {
        set req.http.Accept = "image/jxl,image/avif,image/webp";
    } elsif (req.http.Accept ~ "(?i)(^|,)\s*image/avif\s*(,|$|;(?!\s*q\s*=\s*0(\.0*)?\s*(,|$)))") {
        set req.http.Accept = "image/avif,image/webp";
    } elsif (req.http.Accept ~ "(?i)(^|,)\s*image/webp\s*(,|$|;(?!\s*q\s*=\s*0(\.0*)?\s*(,|$)))") {
        set req.http.Accept = "image/webp";
    } else {
        unset req.http.Accept;
    }

    if (req.http.Save-Data ~ "(?i)^\s*on\s*$") {
        set req.http.Save-Data = "on";
    } else {
        unset req.http.Save-Data;
    }

    # Width: rounded up to the origin's step of 100 px, in Sec-CH-Width only.
    if (std.real(req.http.Sec-CH-Width, 0.0) <= 0) {
        unset req.http.Sec-CH-Width;
    }
    if (!req.http.Sec-CH-Width && std.real(req.http.Width, 0.0) > 0) {
        set req.http.Sec-CH-Width = req.http.Width;
    }
    unset req.http.Width;
    if (req.http.Sec-CH-Width) {
        if (std.real(req.http.Sec-CH-Width, 0.0) > 65500) {
            set req.http.Sec-CH-Width = "65600";
        } else {
            set req.http.Sec-CH-Width = 100 * std.integer(
                    real = std.real(req.http.Sec-CH-Width, 0.0) / 100 + 0.999, fallback = 1);
        }
    }

    # DPR: clamped to 1-4 and rounded to a tenth, as the origin does; 1 is no hint.
    if (std.real(req.http.Sec-CH-DPR, 0.0) <= 0) {
        unset req.http.Sec-CH-DPR;
    }
    if (!req.http.Sec-CH-DPR && std.real(req.http.DPR, 0.0) > 0) {
        set req.http.Sec-CH-DPR = req.http.DPR;
    }
    unset req.http.DPR;
    if (req.http.Sec-CH-DPR) {
        if (std.real(req.http.Sec-CH-DPR, 1.0) > 4) {
            set req.http.Sec-CH-DPR = "4";
        }
        set req.http.Sec-CH-DPR = std.round(std.real(req.http.Sec-CH-DPR, 1.0) * 10) / 10;
        if (std.real(req.http.Sec-CH-DPR, 1.0) <= 1) {
            unset req.http.Sec-CH-DPR;
        }
    }
}

# Ids are content hashes: the URL alone names the bytes, whatever the Host.
sub vcl_hash {
    hash_data(req.url);
    return (lookup);
}

sub vcl_hit {
    if (obj.ttl <= 0s) {
        set req.http.X-Varnish-Cache = "HIT-STALE";
    } else {
        set req.http.X-Varnish-Cache = "HIT";
    }
}

sub vcl_miss {
    set req.http.X-Varnish-Cache = "MISS";
}

sub vcl_pass {
    if (req.is_hitmiss) {
        set req.http.X-Varnish-Cache = "HIT-FOR-MISS";
    } else {
        set req.http.X-Varnish-Cache = "PASS";
    }
}

sub vcl_purge {
    return (synth(200, "Purged"));
}

sub vcl_backend_fetch {
    unset bereq.http.X-Varnish-Cache;
    unset bereq.http.X-Purged;
}

sub vcl_backend_response {
    # xkey indexes the object under every key in its xkey header, at insertion.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    } elsif (bereq.url ~ "/[0-9a-f]{16,64}(\.[a-z]+)?$") {
        # Errors (a 404 before the upload) come without one: index them under the URL's id
        # too, so that purging the id after an upload clears them.
        set beresp.http.xkey = regsub(bereq.url, "^.*/([0-9a-f]{16,64})(\.[a-z]+)?$", "\1");
    }
    if (beresp.http.X-Accel-Redirect) {
        # Its body is empty: only nginx can answer it. Point the backend at nginx, or unset
        # IMGORIGIN_ACCEL_PREFIX when Varnish talks to the origin directly.
        return (error(502, "X-Accel-Redirect reached Varnish"));
    }
    unset beresp.http.Set-Cookie;
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.status >= 500 || beresp.status == 429) {
        # Never cached; a failed background refresh keeps the stale copy instead.
        if (bereq.is_bgfetch) {
            return (abandon);
        }
        set beresp.ttl = 5s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (beresp.status == 404) {
        # Briefly: an upload of that image must become visible soon.
        set beresp.ttl = 60s;
        set beresp.grace = 0s;
        return (deliver);
    }
    if (beresp.status >= 400) {
        # A bad URL stays bad, but a flood of them need not reach the origin every time.
        set beresp.ttl = 10s;
        set beresp.grace = 0s;
        return (deliver);
    }
    # Variants are immutable (max-age of a year): keep serving them while the origin is sick.
    set beresp.grace = 24h;
}

sub vcl_backend_error {
    set beresp.http.Content-Type = "application/json";
    set beresp.http.Cache-Control = "no-store";
    set beresp.body = {"{"status": 503, "error": "the origin is unavailable""} + "}";
    set beresp.status = 503;
    return (deliver);
}

sub vcl_deliver {
    unset resp.http.xkey;
    # nginx's sign of a failed X-Accel hand-off (see nginx/nginx.conf) describes the one fetch
    # that filled the cache, not this answer: it stays in the nginx logs, not on every hit.
    unset resp.http.X-Imgorigin-Fallback;
    set resp.http.X-Varnish-Cache = req.http.X-Varnish-Cache;
}

sub vcl_synth {
    set resp.http.X-Varnish-Cache = "SYNTH";
    set resp.http.Content-Type = "application/json";
    set resp.http.Cache-Control = "no-store";
    if (req.method == "PURGE" && resp.status == 200) {
        if (req.http.X-Purged) {
            set resp.http.X-Purged = req.http.X-Purged;
            set resp.body = {"{"purged": "} + req.http.X-Purged + "}";
        } else {
            set resp.body = {"{"purged": "url""} + "}";
        }
    } else {
        set resp.body = {"{"status": "} + resp.status + {", "error": ""} + resp.reason + {"""} + "}";
    }
    return (deliver);
}
