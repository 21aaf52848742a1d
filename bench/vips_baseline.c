/*
 * libvips' own cold-render throughput, the yardstick for bench/cold-render.sh and
 * bench/peers.sh.
 *
 * Reads every photo into memory, then T threads take (photo, round) jobs from a shared
 * counter and do what the server does for /w_<W>,q_<Q>/<id>.<webp|jpg|avif>:
 *   vips_thumbnail_buffer(width W) -> vips_webpsave_buffer(Q, strip)
 *                                   | vips_jpegsave_buffer(Q, optimize_coding, strip)
 *                                   | vips_heifsave_buffer(Q, AV1, effort E, strip)
 * with the encoder options of src/main/java/org/imgorigin/vips/VipsScope.java, libvips
 * concurrency 1 and the operation cache off (as the server runs it). Like the server, it
 * removes EXIF, XMP, IPTC and ICC metadata from the image before saving and drops the EXIF,
 * XMP and ICC chunks from a WebP afterwards (render/WebpMetadata.java): libvips 8.14's WebP
 * saver writes an EXIF chunk whatever it is told.
 * Prints one line: "images_per_s=<x> jobs=<n> seconds=<s> cpu_ms_per_image=<c> cpu_ms=<total>
 * threads=<t> out_bytes=<b> failures=<f> format=<f>" (CPU time of the whole process during the
 * measured jobs).
 *
 * No libvips headers are needed (the machine has no libvips-dev): the few prototypes
 * are declared below. Build:
 *   gcc -O2 -o vips_baseline vips_baseline.c -l:libvips.so.42 \
 *       -l:libgobject-2.0.so.0 -l:libglib-2.0.so.0 -lpthread
 * Usage: vips_baseline [-t threads] [-r rounds] [-w width] [-q quality] [-f webp|jpeg|avif]
 *                      [-e avif_effort] [-W warmup_width] photo...
 *   -f the output format (default webp); -e AVIF's effort (default 2, the server's
 *   IMGORIGIN_AVIF_EFFORT default); -W 0 disables the uncounted warm-up pass (default: one
 *   pass at width 200, in the same format).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct _VipsImage VipsImage;
int vips_init(const char *argv0);
void vips_concurrency_set(int concurrency);
void vips_cache_set_max(int max);
int vips_thumbnail_buffer(void *buf, size_t len, VipsImage **out, int width, ...);
int vips_webpsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_jpegsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_heifsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_copy(VipsImage *in, VipsImage **out, ...);
char **vips_image_get_fields(VipsImage *image);
int vips_image_remove(VipsImage *image, const char *name);
void g_strfreev(char **strings);
const char *vips_error_buffer(void);
void vips_error_clear(void);
void vips_thread_shutdown(void);
void vips_shutdown(void);
void g_object_unref(void *object);
void g_free(void *mem);

typedef struct {
  const char *path;
  void *data;
  size_t len;
} Photo;

static Photo *photos;
static int nphotos;
enum { HEIF_COMPRESSION_AV1 = 4 }; /* VipsForeignHeifCompression */

typedef enum { WEBP, JPEG, AVIF } Format;
static const char *format_names[] = {"webp", "jpeg", "avif"};

static int width = 300, quality = 80, avif_effort = 2;
static Format format = WEBP;
static long njobs;
static atomic_long next_job;
static atomic_long failures;
static atomic_long out_bytes;

static int save(VipsImage *img, void **buf, size_t *len) {
  switch (format) {
    case JPEG: return vips_jpegsave_buffer(img, buf, len, "Q", quality, "optimize_coding", 1, "strip", 1, NULL);
    case AVIF:
      return vips_heifsave_buffer(img, buf, len, "Q", quality, "compression", HEIF_COMPRESSION_AV1, "effort",
                                  avif_effort, "strip", 1, NULL);
    default: return vips_webpsave_buffer(img, buf, len, "Q", quality, "strip", 1, NULL);
  }
}

/* Whether buf starts like a file of the chosen format. */
static int looks_right(const unsigned char *buf, size_t len) {
  switch (format) {
    case JPEG: return len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff;
    case AVIF: return len >= 12 && !memcmp(buf + 4, "ftyp", 4) && !memcmp(buf + 8, "avi", 3);
    default: return len >= 12 && !memcmp(buf, "RIFF", 4) && !memcmp(buf + 8, "WEBP", 4);
  }
}

/* A copy of in without the metadata the server removes (VipsScope.withoutMetadata). */
static VipsImage *without_metadata(VipsImage *in) {
  VipsImage *out = NULL;
  if (vips_copy(in, &out, NULL)) return NULL;
  char **fields = vips_image_get_fields(out);
  for (char **f = fields; *f; f++) {
    if (!strncmp(*f, "exif-", 5) || !strcmp(*f, "xmp-data") || !strcmp(*f, "iptc-data") ||
        !strcmp(*f, "icc-profile-data") || !strcmp(*f, "orientation"))
      vips_image_remove(out, *f);
  }
  g_strfreev(fields);
  return out;
}

/* Drops EXIF, XMP and ICC chunks from a WebP in place and clears their VP8X flags, as the
 * server's WebpMetadata.strip does (it copies; so does this, to do the same work). */
static void strip_webp_chunks(unsigned char *buf, size_t *len) {
  if (*len < 12) return;
  unsigned char *out = malloc(*len);
  size_t n = 12, at = 12;
  memcpy(out, buf, 12);
  while (at + 8 <= *len) {
    size_t size = buf[at + 4] | buf[at + 5] << 8 | buf[at + 6] << 16 | (size_t)buf[at + 7] << 24;
    size_t end = at + 8 + size + (size & 1);
    if (end > *len) end = *len;
    if (memcmp(buf + at, "EXIF", 4) && memcmp(buf + at, "XMP ", 4) && memcmp(buf + at, "ICCP", 4)) {
      memcpy(out + n, buf + at, end - at);
      if (!memcmp(buf + at, "VP8X", 4) && end - at > 8) out[n + 8] &= ~(0x20 | 0x08 | 0x04);
      n += end - at;
    }
    at = end;
  }
  size_t riff = n - 8;
  out[4] = riff & 0xff, out[5] = riff >> 8 & 0xff, out[6] = riff >> 16 & 0xff, out[7] = riff >> 24 & 0xff;
  memcpy(buf, out, n);
  *len = n;
  free(out);
}

static int render(const Photo *p, int w) {
  VipsImage *img = NULL, *bare = NULL;
  void *buf = NULL;
  size_t len = 0;
  if (vips_thumbnail_buffer(p->data, p->len, &img, w, "height", 10000000, NULL) || !(bare = without_metadata(img))) {
    fprintf(stderr, "thumbnail %s: %s\n", p->path, vips_error_buffer());
    vips_error_clear();
    if (img) g_object_unref(img);
    return -1;
  }
  int rc = save(bare, &buf, &len);
  g_object_unref(bare);
  g_object_unref(img);
  if (rc) {
    fprintf(stderr, "%ssave %s: %s\n", format_names[format], p->path, vips_error_buffer());
    vips_error_clear();
    return -1;
  }
  if (format == WEBP) strip_webp_chunks(buf, &len);
  if (!looks_right(buf, len)) {
    fprintf(stderr, "%ssave %s: not a %s file\n", format_names[format], p->path, format_names[format]);
    rc = -1;
  }
  atomic_fetch_add(&out_bytes, (long)len);
  g_free(buf);
  return rc;
}

static int job_width;

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    long j = atomic_fetch_add(&next_job, 1);
    if (j >= njobs) break;
    if (render(&photos[j % nphotos], job_width)) atomic_fetch_add(&failures, 1);
  }
  vips_thread_shutdown();
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs n jobs at width w on t threads; returns elapsed seconds. */
static double run(int t, long n, int w) {
  pthread_t *tids = calloc(t, sizeof *tids);
  njobs = n;
  job_width = w;
  atomic_store(&next_job, 0);
  double start = now();
  for (int i = 0; i < t; i++) pthread_create(&tids[i], NULL, worker, NULL);
  for (int i = 0; i < t; i++) pthread_join(tids[i], NULL);
  double elapsed = now() - start;
  free(tids);
  return elapsed;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *data = malloc(n > 0 ? n : 1);
  if (fread(data, 1, n, f) != (size_t)n) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *len = n;
  return data;
}

int main(int argc, char **argv) {
  int threads = 2, rounds = 3, warm_width = 200, opt;
  while ((opt = getopt(argc, argv, "t:r:w:q:f:e:W:")) != -1) {
    switch (opt) {
      case 't': threads = atoi(optarg); break;
      case 'r': rounds = atoi(optarg); break;
      case 'w': width = atoi(optarg); break;
      case 'q': quality = atoi(optarg); break;
      case 'f':
        if (!strcmp(optarg, "webp")) format = WEBP;
        else if (!strcmp(optarg, "jpeg") || !strcmp(optarg, "jpg")) format = JPEG;
        else if (!strcmp(optarg, "avif")) format = AVIF;
        else {
          fprintf(stderr, "%s: -f takes webp, jpeg or avif, not %s\n", argv[0], optarg);
          return 2;
        }
        break;
      case 'e': avif_effort = atoi(optarg); break;
      case 'W': warm_width = atoi(optarg); break;
      default:
        fprintf(stderr,
                "usage: %s [-t threads] [-r rounds] [-w width] [-q quality] [-f webp|jpeg|avif] [-e avif_effort]"
                " [-W warmup_width] photo...\n",
                argv[0]);
        return 2;
    }
  }
  nphotos = argc - optind;
  if (nphotos <= 0 || threads <= 0 || rounds <= 0) {
    fprintf(stderr, "%s: no photos given\n", argv[0]);
    return 2;
  }
  if (vips_init(argv[0])) {
    fprintf(stderr, "vips_init: %s\n", vips_error_buffer());
    return 1;
  }
  vips_concurrency_set(1);
  vips_cache_set_max(0);

  photos = calloc(nphotos, sizeof *photos);
  for (int i = 0; i < nphotos; i++) {
    photos[i].path = argv[optind + i];
    photos[i].data = slurp(photos[i].path, &photos[i].len);
    if (!photos[i].data) {
      fprintf(stderr, "cannot read %s\n", photos[i].path);
      return 1;
    }
  }

  if (warm_width > 0) run(threads, nphotos, warm_width);
  atomic_store(&failures, 0);
  atomic_store(&out_bytes, 0);

  long n = (long)nphotos * rounds;
  double cpu = cpu_seconds();
  double elapsed = run(threads, n, width);
  cpu = cpu_seconds() - cpu;
  printf("images_per_s=%.3f jobs=%ld seconds=%.3f cpu_ms_per_image=%.1f cpu_ms=%.1f threads=%d out_bytes=%ld"
         " failures=%ld format=%s\n",
         n / elapsed, n, elapsed, cpu * 1000 / n, cpu * 1000, threads, atomic_load(&out_bytes),
         atomic_load(&failures), format_names[format]);
  vips_shutdown();
  return atomic_load(&failures) ? 1 : 0;
}
