/*
 * How far a mezzanine may stand in for the original: the measurement behind
 * docs/benchmarks.md, "Choosing the mezzanine".
 *
 * For each photo, and each srcset width W, it renders what the server renders for
 * /w_W/<id>.webp (vips_thumbnail_buffer to W wide, height by the aspect, FORCE; WebP q80,
 * stripped) straight from the original, then makes each candidate mezzanine (the original
 * shrunk to fit an L×L box, saved as JPEG q90/q95 without chroma subsampling, jpeg90s and
 * jpeg95s with 4:2:0, lossless WebP, PNG, or uncompressed in libvips' own format, "vips": a
 * file in /tmp that the render maps instead of decoding) and renders the same variant from
 * it. It reports, per candidate and width:
 * the process CPU per variant (thumbnail + WebP encode, libvips concurrency 1, cache off),
 * the mezzanine's bytes and the CPU it cost to make, and the difference between the two
 * renders' pixels before encoding: PSNR over R, G and B, and SSIM (Wang et al. 2004: an
 * 11×11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03) on luma (Rec. 601), computed here in C
 * on the decoded pixels libvips hands over.
 *
 * No libvips headers needed. Build:
 *   gcc -O2 -o mezzanine_measure mezzanine_measure.c -l:libvips.so.42 \
 *       -l:libgobject-2.0.so.0 -l:libglib-2.0.so.0 -lm
 * Usage: mezzanine_measure [-w 320,640,960,1280,1920] [-e 2048,2560,3072] [-c jpeg90,jpeg95,jpeg90s,jpeg95s,webpll,png,vips] photo...
 * Prints tab-separated lines: photo cand edge width cpu_direct_ms cpu_mezz_ms psnr ssim mezz_bytes mezz_cpu_ms
 *
 *   mezzanine_measure -C a.png b.png
 * compares two images of the same size instead (bench/srcset.sh's quality check) and prints
 * "psnr=<dB> ssim=<luma SSIM>".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "measure.h"

typedef struct _VipsImage VipsImage;
int vips_init(const char *argv0);
void vips_concurrency_set(int concurrency);
void vips_cache_set_max(int max);
int vips_thumbnail_buffer(void *buf, size_t len, VipsImage **out, int width, ...);
int vips_thumbnail(const char *filename, VipsImage **out, int width, ...);
int vips_vipssave(VipsImage *in, const char *filename, ...);
int vips_webpsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_jpegsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_pngsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_image_get_width(const VipsImage *image);
int vips_image_get_height(const VipsImage *image);
int vips_image_get_bands(const VipsImage *image);
void *vips_image_write_to_memory(VipsImage *in, size_t *size);
VipsImage *vips_image_new_from_file(const char *name, ...);
VipsImage *vips_image_new_from_memory(const void *data, size_t size, int width, int height, int bands, int format);
void g_object_unref(void *object);
void g_free(void *mem);
char *g_strdup(const char *s);
int g_file_get_contents(const char *filename, char **contents, size_t *length, void **error);

enum { SIZE_BOTH = 0, SIZE_DOWN = 2, SIZE_FORCE = 3, SUBSAMPLE_ON = 1, SUBSAMPLE_OFF = 2 }; /* VipsSize, VipsForeignSubsample */

/* The variant's pixels (RGB, 8 bit) and the CPU of thumbnail + encode. */
static unsigned char *render(void *buf, size_t len, int w, int h, double *ms, int *bands) {
  double t0 = cpu_ms();
  VipsImage *img;
  /* len 0: buf names a file (a vips-format mezzanine, mapped rather than decoded). */
  if (len ? vips_thumbnail_buffer(buf, len, &img, w, "height", h, "size", SIZE_FORCE, NULL)
          : vips_thumbnail(buf, &img, w, "height", h, "size", SIZE_FORCE, NULL))
    die("thumbnail");
  size_t size;
  unsigned char *pixels = vips_image_write_to_memory(img, &size);
  if (!pixels) die("write_to_memory");
  void *out;
  size_t outlen;
  *bands = vips_image_get_bands(img);
  /* The encode runs on the decoded pixels, as the server's pipeline would after its steps. */
  VipsImage *mem = vips_image_new_from_memory(pixels, size, w, h, *bands, 0);
  if (vips_webpsave_buffer(mem, &out, &outlen, "Q", 80, "strip", 1, NULL)) die("webpsave");
  *ms = cpu_ms() - t0;
  g_free(out);
  g_object_unref(mem);
  g_object_unref(img);
  return pixels;
}

static double *luma(const unsigned char *p, int w, int h, int bands) {
  double *y = malloc(sizeof(double) * w * h);
  for (int i = 0; i < w * h; i++) {
    const unsigned char *q = p + (size_t)i * bands;
    y[i] = bands >= 3 ? 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2] : q[0];
  }
  return y;
}

/* Separable Gaussian blur, 11 taps, sigma 1.5, edges clamped. */
static void blur(const double *in, double *out, double *tmp, int w, int h) {
  double k[11], s = 0;
  for (int i = 0; i < 11; i++) s += k[i] = exp(-((i - 5) * (i - 5)) / (2 * 1.5 * 1.5));
  for (int i = 0; i < 11; i++) k[i] /= s;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double a = 0;
      for (int i = -5; i <= 5; i++) {
        int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
        a += k[i + 5] * in[y * w + xx];
      }
      tmp[y * w + x] = a;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double a = 0;
      for (int i = -5; i <= 5; i++) {
        int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
        a += k[i + 5] * tmp[yy * w + x];
      }
      out[y * w + x] = a;
    }
}

static double ssim(const unsigned char *a, const unsigned char *b, int w, int h, int bands) {
  size_t n = (size_t)w * h;
  double *x = luma(a, w, h, bands), *y = luma(b, w, h, bands);
  double *xx = malloc(8 * n), *yy = malloc(8 * n), *xy = malloc(8 * n), *tmp = malloc(8 * n);
  double *mx = malloc(8 * n), *my = malloc(8 * n), *sxx = malloc(8 * n), *syy = malloc(8 * n), *sxy = malloc(8 * n);
  for (size_t i = 0; i < n; i++) xx[i] = x[i] * x[i], yy[i] = y[i] * y[i], xy[i] = x[i] * y[i];
  blur(x, mx, tmp, w, h);
  blur(y, my, tmp, w, h);
  blur(xx, sxx, tmp, w, h);
  blur(yy, syy, tmp, w, h);
  blur(xy, sxy, tmp, w, h);
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    double vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cxy = sxy[i] - mx[i] * my[i];
    sum += ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  free(x); free(y); free(xx); free(yy); free(xy); free(tmp); free(mx); free(my); free(sxx); free(syy); free(sxy);
  return sum / n;
}

static double psnr(const unsigned char *a, const unsigned char *b, size_t n) {
  double se = 0;
  for (size_t i = 0; i < n; i++) se += (double)(a[i] - b[i]) * (a[i] - b[i]);
  return se == 0 ? 99 : 10 * log10(255.0 * 255.0 / (se / n));
}

static const char *cands[8] = {"jpeg90", "jpeg95", "webpll", "png"};
static int ncands = 4;

static int mezzanine(VipsImage *img, const char *cand, void **buf, size_t *len) {
  if (!strcmp(cand, "jpeg90"))
    return vips_jpegsave_buffer(img, buf, len, "Q", 90, "subsample_mode", SUBSAMPLE_OFF, "strip", 1, NULL);
  if (!strcmp(cand, "jpeg95"))
    return vips_jpegsave_buffer(img, buf, len, "Q", 95, "subsample_mode", SUBSAMPLE_OFF, "strip", 1, NULL);
  /* jpeg90s, jpeg95s: chroma subsampled 4:2:0, as a WebP, JPEG or AVIF variant will be anyway. */
  if (!strcmp(cand, "jpeg90s"))
    return vips_jpegsave_buffer(img, buf, len, "Q", 90, "subsample_mode", SUBSAMPLE_ON, "strip", 1, NULL);
  if (!strcmp(cand, "jpeg95s"))
    return vips_jpegsave_buffer(img, buf, len, "Q", 95, "subsample_mode", SUBSAMPLE_ON, "strip", 1, NULL);
  if (!strcmp(cand, "webpll"))
    return vips_webpsave_buffer(img, buf, len, "lossless", 1, "effort", 1, "strip", 1, NULL);
  if (!strcmp(cand, "vips")) {
    /* Uncompressed: libvips' own format, mapped by the render instead of decoded. */
    static char path[64];
    snprintf(path, sizeof path, "/tmp/mezzanine_measure.%d.v", (int)getpid());
    if (vips_vipssave(img, path, NULL)) return -1;
    *buf = g_strdup(path);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fclose(f);
    return 0;
  }
  return vips_pngsave_buffer(img, buf, len, "compression", 1, "strip", 1, NULL);
}

int main(int argc, char **argv) {
  if (vips_init(argv[0])) die("init");
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  if (argc == 4 && !strcmp(argv[1], "-C")) {
    VipsImage *a = vips_image_new_from_file(argv[2], NULL), *b = vips_image_new_from_file(argv[3], NULL);
    if (!a || !b) die("load");
    int w = vips_image_get_width(a), h = vips_image_get_height(a), bands = vips_image_get_bands(a);
    if (w != vips_image_get_width(b) || h != vips_image_get_height(b) || bands != vips_image_get_bands(b)) {
      printf("psnr=0 ssim=0 size=%dx%dx%d/%dx%dx%d\n", w, h, bands, vips_image_get_width(b),
             vips_image_get_height(b), vips_image_get_bands(b));
      return 0;
    }
    size_t size;
    unsigned char *pa = vips_image_write_to_memory(a, &size), *pb = vips_image_write_to_memory(b, &size);
    if (!pa || !pb) die("decode");
    printf("psnr=%.2f ssim=%.5f\n", psnr(pa, pb, size), ssim(pa, pb, w, h, bands));
    return 0;
  }
  int widths[16], edges[16], nw = 0, ne = 0, i = 1;
  char ws[] = "320,640,960,1280,1920", es[] = "2048,2560,3072";
  nw = parse(ws, widths);
  ne = parse(es, edges);
  for (; i < argc && argv[i][0] == '-'; i += 2) {
    if (i + 1 == argc) {
      fprintf(stderr, "%s needs a value\n", argv[i]);
      return 2;
    }
    if (!strcmp(argv[i], "-w")) nw = parse(argv[i + 1], widths);
    else if (!strcmp(argv[i], "-e")) ne = parse(argv[i + 1], edges);
    else if (!strcmp(argv[i], "-c")) {
      ncands = 0;
      for (char *t = strtok(argv[i + 1], ","); t; t = strtok(NULL, ",")) {
        if (ncands == 8) { fprintf(stderr, "at most 8 candidates\n"); return 2; }
        if (strcmp(t, "jpeg90") && strcmp(t, "jpeg95") && strcmp(t, "jpeg90s") && strcmp(t, "jpeg95s") &&
            strcmp(t, "webpll") && strcmp(t, "png") && strcmp(t, "vips")) {
          fprintf(stderr, "unknown candidate: %s\n", t);
          return 2;
        }
        cands[ncands++] = t;
      }
      if (ncands == 0) {
        fprintf(stderr, "-c names no candidate\n");
        return 2;
      }
    } else {
      fprintf(stderr, "unknown option: %s\n", argv[i]);
      return 2;
    }
  }
  printf("photo\tcand\tedge\twidth\tcpu_direct_ms\tcpu_mezz_ms\tpsnr\tssim\tmezz_bytes\tmezz_cpu_ms\n");
  for (; i < argc; i++) {
    char *data;
    size_t len;
    if (!g_file_get_contents(argv[i], &data, &len, NULL)) die(argv[i]);
    VipsImage *probe;
    if (vips_thumbnail_buffer(data, len, &probe, 1, "height", 1, "size", SIZE_FORCE, NULL)) die("probe");
    g_object_unref(probe);
    const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
    /* The original's size: a thumbnail to its own size is a decode at full size. */
    VipsImage *full;
    if (vips_thumbnail_buffer(data, len, &full, 100000, "height", 100000, "size", SIZE_DOWN, NULL)) die("full");
    int sw = vips_image_get_width(full), sh = vips_image_get_height(full);
    g_object_unref(full);
    unsigned char *direct[16];
    double direct_ms[16];
    int bands;
    for (int k = 0; k < nw; k++) {
      int h = (int)lround((double)sh * widths[k] / sw);
      direct[k] = render(data, len, widths[k], h, &direct_ms[k], &bands);
    }
    for (int e = 0; e < ne; e++) {
      if (sw <= edges[e] && sh <= edges[e]) continue;
      for (int c = 0; c < ncands; c++) {
        double t0 = cpu_ms();
        VipsImage *m;
        if (vips_thumbnail_buffer(data, len, &m, edges[e], "height", edges[e], "size", SIZE_DOWN, NULL)) die("mezz");
        void *mb;
        size_t ml;
        if (mezzanine(m, cands[c], &mb, &ml)) die("mezzsave");
        double make_ms = cpu_ms() - t0;
        int mw = vips_image_get_width(m), mh = vips_image_get_height(m);
        g_object_unref(m);
        for (int k = 0; k < nw; k++) {
          int h = (int)lround((double)sh * widths[k] / sw);
          /* As the server: a variant larger than the mezzanine is rendered from the original. */
          if (widths[k] > mw || h > mh) continue;
          double ms;
          int b;
          unsigned char *p = render(mb, strcmp(cands[c], "vips") ? ml : 0, widths[k], h, &ms, &b);
          printf("%s\t%s\t%d\t%d\t%.1f\t%.1f\t%.2f\t%.5f\t%zu\t%.1f\n", name, cands[c], edges[e], widths[k],
                 direct_ms[k], ms, psnr(direct[k], p, (size_t)widths[k] * h * bands),
                 ssim(direct[k], p, widths[k], h, bands), ml, make_ms);
          fflush(stdout);
          g_free(p);
        }
        if (!strcmp(cands[c], "vips")) unlink(mb);
        g_free(mb);
      }
    }
    for (int k = 0; k < nw; k++) g_free(direct[k]);
    g_free(data);
  }
  return 0;
}
