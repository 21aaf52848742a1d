/*
 * What each step of a srcset's renders costs, on the libvips this is linked with: the
 * measurement behind docs/benchmarks.md, "Where a first visit's CPU goes". Built twice, once
 * on the system's libvips and once on the one ipx's sharp bundles, it shows what each build
 * spends where.
 *
 * For each photo, single-threaded, libvips cache off, the least CPU of -r runs of each step:
 *   direct     a variant from the original as the server renders one without a mezzanine:
 *              vips_thumbnail_buffer to W wide (height by the aspect, FORCE), pixels written
 *              to memory (decode, shrinking on load, and resize)
 *   webp       that variant's WebP encode, q80, stripped (what every contender pays)
 *   decode     the whole original decoded to memory (photos larger than the mezzanine only)
 *   make       the mezzanine's pixels as Mezzanine#make gets them: vips_thumbnail_buffer to
 *              fit the edge×edge box (the decode of the whole original and the resize)
 *   jpeg       the mezzanine's JPEG, q95, no chroma subsampling
 *   held       a variant resized from the mezzanine's pixels in memory, as VipsScope#resize
 *              does for plain images (vips_shrink by the whole factor that leaves at most 4
 *              when the factor is over 4, then vips_resize with gap 0)
 * and prints tab-separated lines "photo step width cpu_ms" (width 0 for steps without one),
 * then, on lines starting with "#", the mean of each step and width over the photos.
 *
 * No libvips headers needed. Build on the system's libvips:
 *   gcc -O2 -o render_steps render_steps.c -l:libvips.so.42 -l:libgobject-2.0.so.0 \
 *       -l:libglib-2.0.so.0 -lm
 * or on sharp's (it carries its own glib):
 *   gcc -O2 -o render_steps_sharp render_steps.c <dir>/libvips-cpp.so.<version> \
 *       -Wl,-rpath,<dir> -lm
 * Usage: render_steps [-w 320,640,960,1280,1920] [-e 3072] [-r 3] photo...
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"

int vips_init(const char *argv0);
void vips_concurrency_set(int concurrency);
void vips_cache_set_max(int max);
int vips_thumbnail_buffer(void *buf, size_t len, VipsImage **out, int width, ...);
int vips_webpsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_jpegsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_image_get_bands(const VipsImage *image);
VipsImage *vips_image_new_from_buffer(const void *buf, size_t len, const char *option_string, ...);
VipsImage *vips_image_new_from_memory(const void *data, size_t size, int width, int height, int bands, int format);
void *vips_image_write_to_memory(VipsImage *in, size_t *size);
void g_free(void *mem);
int g_file_get_contents(const char *filename, char **contents, size_t *length, void **error);

enum { SIZE_FORCE = 3, SUBSAMPLE_OFF = 2, ACCESS_SEQUENTIAL = 1 };

/* An image over pixels written to memory (*data, for the caller to g_free); unrefs in. */
static VipsImage *in_memory(VipsImage *in, void **data) {
  size_t n;
  if (!(*data = vips_image_write_to_memory(in, &n))) die("write_to_memory");
  VipsImage *out = vips_image_new_from_memory(*data, n, vips_image_get_width(in), vips_image_get_height(in),
                                              vips_image_get_bands(in), 0);
  g_object_unref(in);
  return out;
}

/* vips_thumbnail_buffer to exactly w x h, written to memory (*pixels, for the caller to g_free). */
static VipsImage *thumbnail(char *data, size_t len, int w, int h, void **pixels) {
  VipsImage *t;
  if (vips_thumbnail_buffer(data, len, &t, w, "height", h, "size", SIZE_FORCE, NULL)) die("thumbnail");
  return in_memory(t, pixels);
}

#define MAX_ROWS 64
static struct { const char *step; int width; double sum; int n; } rows[MAX_ROWS];
static int nrows;

static void report(const char *photo, const char *step, int width, double ms) {
  printf("%s\t%s\t%d\t%.1f\n", photo, step, width, ms);
  fflush(stdout);
  int i = 0;
  while (i < nrows && (strcmp(rows[i].step, step) || rows[i].width != width)) i++;
  if (i == nrows) {
    if (nrows == MAX_ROWS) return;
    rows[nrows].step = step, rows[nrows].width = width, nrows++;
  }
  rows[i].sum += ms, rows[i].n++;
}

static double least(double a, double b) { return a < 0 || b < a ? b : a; }

int main(int argc, char **argv) {
  if (vips_init(argv[0])) die("init");
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  int widths[16], edge = 3072, runs = 3, i = 1;
  char ws[] = "320,640,960,1280,1920";
  int nw = parse(ws, widths);
  for (; i < argc && argv[i][0] == '-'; i += 2) {
    if (i + 1 == argc) {
      fprintf(stderr, "%s needs a value\n", argv[i]);
      return 2;
    }
    int one[16];
    if (!strcmp(argv[i], "-w")) nw = parse(argv[i + 1], widths);
    else if (!strcmp(argv[i], "-e") && parse(argv[i + 1], one) == 1) edge = one[0];
    else if (!strcmp(argv[i], "-r") && parse(argv[i + 1], one) == 1) runs = one[0];
    else {
      fprintf(stderr, "unknown option: %s\n", argv[i]);
      return 2;
    }
  }
  if (i == argc) {
    fprintf(stderr, "usage: render_steps [-w widths] [-e edge] [-r runs] photo...\n");
    return 2;
  }
  printf("photo\tstep\twidth\tcpu_ms\n");
  for (; i < argc; i++) {
    char *data;
    size_t len;
    if (!g_file_get_contents(argv[i], &data, &len, NULL)) {
      fprintf(stderr, "%s: cannot read\n", argv[i]);
      return 1;
    }
    const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
    VipsImage *header = vips_image_new_from_buffer(data, len, "", NULL);
    if (!header) die(argv[i]);
    int w0 = vips_image_get_width(header), h0 = vips_image_get_height(header);
    g_object_unref(header);

    for (int k = 0; k < nw; k++) {
      int w = widths[k], h = (int)lround((double)h0 * w / w0);
      double direct = -1, webp = -1;
      for (int r = 0; r < runs; r++) {
        double t0 = cpu_ms();
        void *pixels;
        VipsImage *m = thumbnail(data, len, w, h, &pixels);
        double t1 = cpu_ms();
        void *out;
        size_t n;
        if (vips_webpsave_buffer(m, &out, &n, "Q", 80, "strip", 1, NULL)) die("webpsave");
        direct = least(direct, t1 - t0), webp = least(webp, cpu_ms() - t1);
        g_free(out);
        g_object_unref(m);
        g_free(pixels);
      }
      report(name, "direct", w, direct);
      report(name, "webp", w, webp);
    }

    if (w0 <= edge && h0 <= edge) continue; /* no mezzanine: it fits the box */
    int mw = w0 >= h0 ? edge : (int)lround((double)w0 * edge / h0);
    int mh = w0 >= h0 ? (int)lround((double)h0 * edge / w0) : edge;
    double decode = -1, make = -1, jpeg = -1, held[16];
    for (int k = 0; k < nw; k++) held[k] = -1;
    for (int r = 0; r < runs; r++) {
      double t0 = cpu_ms();
      void *whole;
      VipsImage *d = vips_image_new_from_buffer(data, len, "", "access", ACCESS_SEQUENTIAL, NULL);
      if (!d) die("decode");
      g_object_unref(in_memory(d, &whole));
      g_free(whole);
      double t1 = cpu_ms();
      void *pixels;
      VipsImage *mezz = thumbnail(data, len, mw, mh, &pixels);
      double t2 = cpu_ms();
      void *out;
      size_t n;
      if (vips_jpegsave_buffer(mezz, &out, &n, "Q", 95, "subsample_mode", SUBSAMPLE_OFF, "strip", 1, NULL))
        die("jpegsave");
      decode = least(decode, t1 - t0), make = least(make, t2 - t1), jpeg = least(jpeg, cpu_ms() - t2);
      g_free(out);
      for (int k = 0; k < nw; k++) {
        int w = widths[k], h = (int)lround((double)mh * w / mw);
        if (w > mw) continue;
        double t3 = cpu_ms();
        void *p;
        VipsImage *resized = box_resize(mezz, w, h, 0);
        if (!resized) die("resize");
        g_object_unref(in_memory(resized, &p));
        held[k] = least(held[k], cpu_ms() - t3);
        g_free(p);
      }
      g_object_unref(mezz);
      g_free(pixels);
    }
    report(name, "decode", 0, decode);
    report(name, "make", 0, make);
    report(name, "jpeg", 0, jpeg);
    for (int k = 0; k < nw; k++)
      if (held[k] >= 0) report(name, "held", widths[k], held[k]);
    g_free(data);
  }
  printf("# step\twidth\tmean_cpu_ms\tphotos\n");
  for (int k = 0; k < nrows; k++)
    printf("# %s\t%d\t%.1f\t%d\n", rows[k].step, rows[k].width, rows[k].sum / rows[k].n, rows[k].n);
  return 0;
}
