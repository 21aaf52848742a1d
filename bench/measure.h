/*
 * What the C benchmarks share: process CPU time, dying with libvips' error, a list of sizes
 * from the command line, and the server's resize of a plain image. Header only (each program is
 * one gcc command), no libvips headers needed.
 */
#ifndef IMGORIGIN_BENCH_MEASURE_H
#define IMGORIGIN_BENCH_MEASURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>

const char *vips_error_buffer(void);

typedef struct _VipsImage VipsImage;
int vips_resize(VipsImage *in, VipsImage **out, double scale, ...);
int vips_shrink(VipsImage *in, VipsImage **out, double hshrink, double vshrink, ...);
int vips_image_get_width(const VipsImage *image);
int vips_image_get_height(const VipsImage *image);
void g_object_unref(void *object);

/* CPU of the whole process so far, in milliseconds. */
static double cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, vips_error_buffer());
  exit(1);
}

/* A comma-separated list of at most 16 positive whole numbers; exits on anything else. */
static int parse(char *s, int *out) {
  int n = 0;
  for (char *t = strtok(s, ","); t; t = strtok(NULL, ",")) {
    char *end;
    long v = strtol(t, &end, 10);
    if (n == 16 || *end || v <= 0 || v > 100000) {
      fprintf(stderr, "not a list of at most 16 sizes: %s\n", t);
      exit(2);
    }
    out[n++] = (int)v;
  }
  if (n == 0) {
    fprintf(stderr, "an empty list of sizes\n");
    exit(2);
  }
  return n;
}

/*
 * in resized to exactly w x h as VipsScope#resize resizes a plain image (8-bit sRGB or grey, no
 * alpha): box-averaged (vips_shrink) by the whole factor that leaves at most 4 when the factor
 * is over 4, then one Lanczos-3 pass (vips_resize, gap 0). half: box by the whole of half the
 * factor instead, leaving 2-4 (tried first, bench/resize_measure.c -b half). NULL with the
 * failure in libvips' error buffer.
 */
__attribute__((unused)) static VipsImage *box_resize(VipsImage *in, int w, int h, int half) {
  double across = (double)vips_image_get_width(in) / w, down = (double)vips_image_get_height(in) / h;
  int bx = half ? (across >= 4 ? (int)(across / 2) : 1) : (across > 4 ? (int)ceil(across / 4) : 1);
  int by = half ? (down >= 4 ? (int)(down / 2) : 1) : (down > 4 ? (int)ceil(down / 4) : 1);
  VipsImage *boxed = in, *out = NULL;
  if ((bx > 1 || by > 1) && vips_shrink(in, &boxed, bx, by, NULL)) return NULL;
  int r = vips_resize(boxed, &out, (double)w / vips_image_get_width(boxed), "vscale",
                      (double)h / vips_image_get_height(boxed), "gap", 0.0, NULL);
  if (boxed != in) g_object_unref(boxed);
  return r ? NULL : out;
}

#endif
