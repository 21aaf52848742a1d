/*
 * How to resize an image already decoded in memory (a mezzanine's held pixels, a shared
 * decode): the measurement behind VipsScope#resize and docs/benchmarks.md, "Held pixels, and
 * resizing an image in memory".
 *
 * For each photo larger than a 3072x3072 box it decodes the photo to fit that box (a
 * mezzanine's pixels, 8-bit sRGB, in memory; a photo that fits, or that is not 8-bit RGB
 * without alpha, is skipped: the server makes no mezzanine of it), then resizes that to each width three ways, single-threaded, cache off:
 *   thumbnail  vips_thumbnail_image (what the server used; libvips' box shrink inside
 *              vips_resize, then Lanczos 3 for the rest)
 *   lanczos    vips_resize with a reducing gap of 0: one Lanczos-3 pass however large the factor
 *   box        vips_shrink by the whole factor that leaves at most 4, when the factor is over
 *              4, then vips_resize with gap 0 for the rest (what VipsScope#resize does now;
 *              -b half: the box by the whole of half the factor, leaving 2-4, as tried first)
 * and prints, per photo, width and way: the CPU of the resize (pixels written to memory),
 * the PSNR of its pixels against thumbnail's, and the darkest value a flat white image of the
 * same size comes out with (255 is exact).
 *
 * No libvips headers needed. Build:
 *   gcc -O2 -o resize_measure resize_measure.c -l:libvips.so.42 \
 *       -l:libgobject-2.0.so.0 -l:libglib-2.0.so.0 -lm
 * Usage: resize_measure [-w 100,320,400,640,768,800,1440] [-b quarter|half] photo...
 * Prints tab-separated lines: photo width way cpu_ms psnr_vs_thumbnail white_min
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "measure.h"

int vips_init(const char *argv0);
void vips_concurrency_set(int concurrency);
void vips_cache_set_max(int max);
int vips_thumbnail_buffer(void *buf, size_t len, VipsImage **out, int width, ...);
int vips_thumbnail_image(VipsImage *in, VipsImage **out, int width, ...);
int vips_image_get_bands(const VipsImage *image);
VipsImage *vips_image_new_from_memory(const void *data, size_t size, int width, int height, int bands, int format);
void *vips_image_write_to_memory(VipsImage *in, size_t *size);
void g_free(void *mem);
typedef struct {
  unsigned int domain;
  int code;
  char *message;
} GError;
int g_file_get_contents(const char *filename, char **contents, size_t *length, GError **error);

enum { SIZE_DOWN = 2, SIZE_FORCE = 3, FORMAT_UCHAR = 0 };
int vips_image_get_format(const VipsImage *image);
VipsImage *vips_image_new_from_buffer(const void *buf, size_t len, const char *option_string, ...);
int vips_image_hasalpha(VipsImage *image);

static int half_box; /* -b half */

/* in resized to w x h the given way; NULL with the failure in the error buffer. */
static VipsImage *resize(VipsImage *in, int w, int h, const char *way) {
  VipsImage *out = NULL;
  int w0 = vips_image_get_width(in), h0 = vips_image_get_height(in);
  if (!strcmp(way, "thumbnail")) {
    if (vips_thumbnail_image(in, &out, w, "height", h, "size", SIZE_FORCE, "no_rotate", 1, NULL)) return NULL;
  } else if (!strcmp(way, "lanczos")) {
    if (vips_resize(in, &out, (double)w / w0, "vscale", (double)h / h0, "gap", 0.0, NULL)) return NULL;
  } else if (!(out = box_resize(in, w, h, half_box))) {
    return NULL;
  }
  return out;
}

static unsigned char *pixels(VipsImage *img, size_t *size) {
  unsigned char *p = vips_image_write_to_memory(img, size);
  if (!p) die("write_to_memory");
  return p;
}

int main(int argc, char **argv) {
  if (vips_init(argv[0])) die("init");
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  int widths[16], i = 1;
  char ws[] = "100,320,400,640,768,800,1440";
  int nw = parse(ws, widths);
  for (; i < argc && argv[i][0] == '-'; i += 2) {
    if (i + 1 == argc) {
      fprintf(stderr, "%s needs a value\n", argv[i]);
      return 2;
    }
    if (!strcmp(argv[i], "-w")) nw = parse(argv[i + 1], widths);
    else if (!strcmp(argv[i], "-b") && !strcmp(argv[i + 1], "half")) half_box = 1;
    else if (!strcmp(argv[i], "-b") && !strcmp(argv[i + 1], "quarter")) half_box = 0;
    else {
      fprintf(stderr, "unknown option: %s\n", argv[i]);
      return 2;
    }
  }
  if (i == argc) {
    fprintf(stderr, "usage: resize_measure [-w widths] photo...\n");
    return 2;
  }
  static const char *ways[] = {"thumbnail", "lanczos", "box"};
  printf("photo\twidth\tway\tcpu_ms\tpsnr_vs_thumbnail\twhite_min\n");
  for (; i < argc; i++) {
    char *data;
    size_t len;
    GError *error = NULL;
    if (!g_file_get_contents(argv[i], &data, &len, &error)) {
      fprintf(stderr, "%s: %s\n", argv[i], error->message);
      return 1;
    }
    VipsImage *header = vips_image_new_from_buffer(data, len, "", NULL);
    if (!header) die(argv[i]);
    /* As Mezzanine.size: none for an original that fits the box. */
    int fits = vips_image_get_width(header) <= 3072 && vips_image_get_height(header) <= 3072;
    g_object_unref(header);
    VipsImage *t;
    if (vips_thumbnail_buffer(data, len, &t, 3072, "height", 3072, "size", SIZE_DOWN, NULL)) die(argv[i]);
    int w0 = vips_image_get_width(t), h0 = vips_image_get_height(t), bands = vips_image_get_bands(t);
    if (fits || bands != 3 || vips_image_hasalpha(t) || vips_image_get_format(t) != FORMAT_UCHAR) {
      fprintf(stderr, "%s: skipped (no mezzanine: fits the box, or not 8-bit RGB without alpha)\n", argv[i]);
      g_object_unref(t);
      g_free(data);
      continue;
    }
    size_t size;
    unsigned char *held = pixels(t, &size);
    g_object_unref(t);
    unsigned char *white = malloc(size);
    memset(white, 255, size);
    const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
    for (int k = 0; k < nw; k++) {
      int w = widths[k], h = (int)lround((double)h0 * w / w0);
      if (w > w0 || h < 1) continue;
      unsigned char *reference = NULL;
      for (int m = 0; m < 3; m++) {
        VipsImage *in = vips_image_new_from_memory(held, size, w0, h0, bands, 0);
        double t0 = cpu_ms();
        VipsImage *out = resize(in, w, h, ways[m]);
        if (!out) die(ways[m]);
        size_t n;
        unsigned char *p = pixels(out, &n);
        double ms = cpu_ms() - t0;
        if (vips_image_get_width(out) != w || vips_image_get_height(out) != h) {
          fprintf(stderr, "%s made %dx%d, not %dx%d\n", ways[m], vips_image_get_width(out),
                  vips_image_get_height(out), w, h);
          return 1;
        }
        g_object_unref(out);
        g_object_unref(in);
        double se = 0;
        if (reference)
          for (size_t j = 0; j < n; j++) se += (double)(reference[j] - p[j]) * (reference[j] - p[j]);
        VipsImage *flat = vips_image_new_from_memory(white, size, w0, h0, bands, 0);
        VipsImage *fo = resize(flat, w, h, ways[m]);
        if (!fo) die(ways[m]);
        unsigned char *q = pixels(fo, &n);
        int darkest = 255;
        for (size_t j = 0; j < n; j++) darkest = q[j] < darkest ? q[j] : darkest;
        printf("%s\t%d\t%s\t%.1f\t%.2f\t%d\n", name, w, ways[m], ms,
               !reference ? 99.0 : se == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / (se / n)), darkest);
        fflush(stdout);
        g_free(q);
        g_object_unref(fo);
        g_object_unref(flat);
        if (!reference) reference = p;
        else g_free(p);
      }
      g_free(reference);
    }
    free(white);
    g_free(held);
    g_free(data);
  }
  return 0;
}
