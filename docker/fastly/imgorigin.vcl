# imgorigin behind Fastly: custom VCL (Fastly's dialect, not Varnish 7's).
#
# Upload it as the service's main custom VCL, or paste the imgorigin parts of vcl_recv,
# vcl_fetch and vcl_deliver into VCL snippets of type recv, fetch and deliver. The backend
# (nginx in front of the origin, or the origin) and its health check (GET /healthz, expect
# 200) are set in the service configuration, not here.
#
# Purging: Fastly indexes every cached response under the keys of its Surrogate-Key header
# (the image id; imgorigin sets it on every image response) and strips that header before
# delivery. To purge every variant of one image:
#
#   curl -X POST -H "Fastly-Key: $FASTLY_API_TOKEN" \
#        https://api.fastly.com/service/$FASTLY_SERVICE_ID/purge/<id>
#
# (add -H "Fastly-Soft-Purge: 1" to mark stale instead of removing; several ids at once:
# POST .../service/$FASTLY_SERVICE_ID/purge with header "Surrogate-Key: <id> <id> ...").
# `bin/imgorigin purge <id>...` does this after purging the origin nodes, when
# FASTLY_SERVICE_ID and FASTLY_API_TOKEN are set. The token needs the purge_select scope.
#
# Debugging: Fastly appends its own HIT/MISS to X-Cache, so the origin's X-Cache (MISS,
# HIT-MEMORY, HIT-DISK) is moved to X-Origin-Cache when the response is fetched.

sub vcl_recv {
#FASTLY recv

  # Uploads, deletes, admin and the dynamic pages go to the origin uncached.
  if (req.method != "HEAD" && req.method != "GET" && req.method != "FASTLYPURGE") {
    return(pass);
  }
  if (req.url.path ~ "^/(admin/|metrics|analytics|readyz|healthz|images(/|$)|_cache/|$)") {
    return(pass);
  }

  # The origin reads neither cookies nor query strings: neither may split the cache.
  unset req.http.Cookie;
  set req.url = req.url.path;
  # Origin is passed on untouched and is not hashed: with IMGORIGIN_ALLOW_ORIGIN=* (the
  # default) the answer has Access-Control-Allow-Origin: * and no Vary: Origin, one object for
  # every page; with a list the origin adds Vary: Origin. The cross-origin grants pass through.

  # The origin varies on Accept (f_auto), Save-Data (q_auto), Sec-CH-Width/Width (w_auto)
  # and Sec-CH-DPR/DPR (dpr_auto). Each is reduced to the few values that can change the
  # answer, so that Vary keeps a handful of objects per URL, not one per browser build.
  # Running this again on a shield node changes nothing.

  # f_auto: JPEG XL if accepted, else AVIF if accepted, else WebP if accepted, else JPEG/PNG.
  # Wildcards and q=0 do not count, as in the origin's negotiation.
  if (req.http.Accept ~ "(?i)(^|,)\s*image/jxl\s*(,|$|;(?!\s*q\s*=\s*0(\.0*)?\s*(,|$)))") {
    set req.http.Accept = "image/jxl,image/avif,image/webp";
  } else if (req.http.Accept ~ "(?i)(^|,)\s*image/avif\s*(,|$|;(?!\s*q\s*=\s*0(\.0*)?\s*(,|$)))") {
    set req.http.Accept = "image/avif,image/webp";
  } else if (req.http.Accept ~ "(?i)(^|,)\s*image/webp\s*(,|$|;(?!\s*q\s*=\s*0(\.0*)?\s*(,|$)))") {
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
  declare local var.width INTEGER;
  set var.width = std.atoi(req.http.Sec-CH-Width);
  if (var.width <= 0) {
    set var.width = std.atoi(req.http.Width);
  }
  unset req.http.Width;
  if (var.width > 0) {
    if (var.width > 65500) {
      set var.width = 65500;
    }
    set var.width += 99;
    set var.width /= 100;
    set var.width *= 100;
    set req.http.Sec-CH-Width = var.width;
  } else {
    unset req.http.Sec-CH-Width;
  }

  # DPR: clamped to 1-4 and rounded to a tenth, as the origin does; 1 is no hint.
  declare local var.dpr FLOAT;
  set var.dpr = std.atof(req.http.Sec-CH-DPR);
  if (!(var.dpr > 0)) {
    set var.dpr = std.atof(req.http.DPR);
  }
  unset req.http.DPR;
  if (var.dpr > 1) {
    if (var.dpr > 4) {
      set var.dpr = 4.0;
    }
    set var.dpr *= 10;
    set var.dpr = math.round(var.dpr);
    set var.dpr /= 10;
    set req.http.Sec-CH-DPR = var.dpr;
  } else {
    unset req.http.Sec-CH-DPR;
  }

  return(lookup);
}

sub vcl_hash {
  set req.hash += req.url;
  set req.hash += req.http.host;
#FASTLY hash
  return(hash);
}

sub vcl_hit {
#FASTLY hit
  return(deliver);
}

sub vcl_miss {
#FASTLY miss
  return(fetch);
}

sub vcl_pass {
#FASTLY pass
  return(pass);
}

sub vcl_fetch {
#FASTLY fetch

  # Only on the node that fetched from the origin: a shield's answer already carries both.
  if (beresp.http.X-Cache && !beresp.http.X-Origin-Cache) {
    set beresp.http.X-Origin-Cache = beresp.http.X-Cache;
    unset beresp.http.X-Cache;
  }
  unset beresp.http.Set-Cookie;
  if (!beresp.http.Surrogate-Key && req.url.path ~ "/[0-9a-f]{16,64}(\.[a-z]+)?$") {
    # Errors (a 404 before the upload) come without one: index them under the URL's id too,
    # so that purging the id after an upload clears them.
    set beresp.http.Surrogate-Key = regsub(req.url.path, "^.*/([0-9a-f]{16,64})(\.[a-z]+)?$", "\1");
  }

  if (beresp.http.X-Accel-Redirect) {
    # Its body is empty: only nginx can answer it. Point the backend at nginx, or unset
    # IMGORIGIN_ACCEL_PREFIX when Fastly talks to the origin directly.
    error 502 "X-Accel-Redirect reached Fastly";
  }

  if (beresp.status >= 500 || beresp.status == 429) {
    # Never cached; a stale copy is better than an error.
    if (stale.exists) {
      return(deliver_stale);
    }
    set beresp.ttl = 5s;
    return(pass);
  }
  if (beresp.status == 404) {
    # Briefly: an upload of that image must become visible soon.
    set beresp.cacheable = true;
    set beresp.ttl = 60s;
    return(deliver);
  }
  if (beresp.status >= 400) {
    # A bad URL stays bad, but a flood of them need not reach the origin every time.
    set beresp.cacheable = true;
    set beresp.ttl = 10s;
    return(deliver);
  }

  # Variants are immutable (max-age of a year, from the origin's Cache-Control): keep
  # serving them while the origin is sick.
  set beresp.stale_while_revalidate = 60s;
  set beresp.stale_if_error = 86400s;
  return(deliver);
}

sub vcl_error {
#FASTLY error
  return(deliver);
}

sub vcl_deliver {
#FASTLY deliver
  # nginx's sign of a failed X-Accel hand-off describes the fetch that filled the cache, not
  # every hit on it (see nginx/nginx.conf).
  unset resp.http.X-Imgorigin-Fallback;
  return(deliver);
}

sub vcl_log {
#FASTLY log
}
