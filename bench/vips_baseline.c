/*
 * libvips' own cold-render throughput, the yardstick for bench/cold-render.sh.
 *
 * Reads every photo into memory, then T threads take (photo, round) jobs from a shared
 * counter and do what the server does for /w_<W>,q_<Q>/<id>.webp:
 *   vips_thumbnail_buffer(width W) -> vips_webpsave_buffer(Q, strip)
 * with libvips concurrency 1 and the operation cache off (as the server runs it).
 * Prints one line: "images_per_s=<x> jobs=<n> seconds=<s> cpu_ms_per_image=<c> threads=<t>
 * out_bytes=<b> failures=<f>" (CPU time of the whole process during the measured jobs).
 *
 * No libvips headers are needed (the machine has no libvips-dev): the few prototypes
 * are declared below. Build:
 *   gcc -O2 -o vips_baseline vips_baseline.c -l:libvips.so.42 \
 *       -l:libgobject-2.0.so.0 -l:libglib-2.0.so.0 -lpthread
 * Usage: vips_baseline [-t threads] [-r rounds] [-w width] [-q quality] [-W warmup_width] photo...
 *   -W 0 disables the uncounted warm-up pass (default: one pass at width 200).
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
static int width = 300, quality = 80;
static long njobs;
static atomic_long next_job;
static atomic_long failures;
static atomic_long out_bytes;

static int render(const Photo *p, int w) {
  VipsImage *img = NULL;
  void *buf = NULL;
  size_t len = 0;
  if (vips_thumbnail_buffer(p->data, p->len, &img, w, "height", 10000000, NULL)) {
    fprintf(stderr, "thumbnail %s: %s\n", p->path, vips_error_buffer());
    vips_error_clear();
    return -1;
  }
  int rc = vips_webpsave_buffer(img, &buf, &len, "Q", quality, "strip", 1, NULL);
  g_object_unref(img);
  if (rc) {
    fprintf(stderr, "webpsave %s: %s\n", p->path, vips_error_buffer());
    vips_error_clear();
    return -1;
  }
  if (len < 12 || memcmp(buf, "RIFF", 4) || memcmp((char *)buf + 8, "WEBP", 4)) {
    fprintf(stderr, "webpsave %s: not a WebP\n", p->path);
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
  while ((opt = getopt(argc, argv, "t:r:w:q:W:")) != -1) {
    switch (opt) {
      case 't': threads = atoi(optarg); break;
      case 'r': rounds = atoi(optarg); break;
      case 'w': width = atoi(optarg); break;
      case 'q': quality = atoi(optarg); break;
      case 'W': warm_width = atoi(optarg); break;
      default:
        fprintf(stderr, "usage: %s [-t threads] [-r rounds] [-w width] [-q quality] [-W warmup_width] photo...\n", argv[0]);
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
  printf("images_per_s=%.3f jobs=%ld seconds=%.3f cpu_ms_per_image=%.1f threads=%d out_bytes=%ld failures=%ld\n",
         n / elapsed, n, elapsed, cpu * 1000 / n, threads, atomic_load(&out_bytes), atomic_load(&failures));
  vips_shutdown();
  return atomic_load(&failures) ? 1 : 0;
}
