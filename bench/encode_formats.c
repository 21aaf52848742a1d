/*
 * Encode-only cost and size of the output formats, for choosing JPEG XL's settings and its
 * rank in f_auto (docs/formats.md, "JPEG XL"). Run by bench/jxl.sh.
 *
 * For each photo and width: vips_thumbnail_buffer to that width, metadata removed as the
 * server does (VipsScope.withoutMetadata), the frame made in memory (vips_image_copy_memory,
 * not timed), then every encoder setting of the list below encodes that same frame. Timed:
 * the *save_buffer call alone, as process CPU time (getrusage: libjxl's worker thread
 * included) and wall time. Each encode is decoded again and compared with the frame:
 * SSIM of the luma, 8x8 windows with a stride of 4 (a rough check that settings meant to be
 * alike look alike; not a perceptual metric such as butteraugli or SSIMULACRA 2).
 *
 * libvips concurrency 1 and the operation cache off, as in the server (libjxl then runs one
 * worker thread). JPEG XL is decoded here with libvips' jxlload, which the server blocks.
 *
 * Prints one TSV row per (photo, width, setting):
 *   photo (its path) width height format q effort bytes cpu_ms wall_ms ssim
 *
 * No libvips headers are needed. Build:
 *   gcc -O2 -o encode_formats encode_formats.c -l:libvips.so.42 \
 *       -l:libgobject-2.0.so.0 -l:libglib-2.0.so.0 -lm
 * Usage: encode_formats [-r reps] [-s settings] width[,width...] photo...
 *   -r encodes per setting, the fastest kept (default 1)
 *   -s settings, comma separated, each format:q:effort, e.g. jxl:75:4,avif:60:2,webp:78:4,jpeg:80:0
 *      (effort is ignored for JPEG); the default is the list in DEFAULT_SETTINGS
 *   width 0 keeps the photo's own size
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct _VipsImage VipsImage;
int vips_init(const char *argv0);
void vips_concurrency_set(int concurrency);
void vips_cache_set_max(int max);
int vips_thumbnail_buffer(void *buf, size_t len, VipsImage **out, int width, ...);
VipsImage *vips_image_copy_memory(VipsImage *in);
VipsImage *vips_image_new_from_buffer(const void *buf, size_t len, const char *option_string, ...);
int vips_webpsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_jpegsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_heifsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_jxlsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_copy(VipsImage *in, VipsImage **out, ...);
int vips_colourspace(VipsImage *in, VipsImage **out, int space, ...);
int vips_extract_band(VipsImage *in, VipsImage **out, int band, ...);
void *vips_image_write_to_memory(VipsImage *in, size_t *size);
int vips_image_get_width(const VipsImage *image);
int vips_image_get_height(const VipsImage *image);
char **vips_image_get_fields(VipsImage *image);
int vips_image_remove(VipsImage *image, const char *name);
void g_strfreev(char **strings);
const char *vips_error_buffer(void);
void vips_error_clear(void);
void g_object_unref(void *object);
void g_free(void *mem);

enum { HEIF_COMPRESSION_AV1 = 4, INTERPRETATION_B_W = 1 };

static const char *DEFAULT_SETTINGS =
    "jpeg:80:0,webp:78:4,avif:60:2,"
    "jxl:80:3,jxl:80:4,jxl:80:5,jxl:80:7,"
    "jxl:75:3,jxl:75:4,jxl:75:5,jxl:75:7,"
    "jxl:70:4,jxl:65:4,jxl:60:4";

typedef struct {
  char format[8];
  int q, effort;
} Setting;

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

/* The server's encoder options (src/main/java/org/imgorigin/vips/VipsScope.java). */
static int save(VipsImage *img, const Setting *s, void **buf, size_t *len) {
  if (!strcmp(s->format, "jpeg"))
    return vips_jpegsave_buffer(img, buf, len, "Q", s->q, "optimize_coding", 1, "strip", 1, NULL);
  if (!strcmp(s->format, "webp"))
    return vips_webpsave_buffer(img, buf, len, "Q", s->q, "effort", s->effort, "strip", 1, NULL);
  if (!strcmp(s->format, "avif"))
    return vips_heifsave_buffer(img, buf, len, "Q", s->q, "compression", HEIF_COMPRESSION_AV1, "effort",
                                s->effort, "strip", 1, NULL);
  if (!strcmp(s->format, "jxl"))
    return vips_jxlsave_buffer(img, buf, len, "Q", s->q, "effort", s->effort, "strip", 1, NULL);
  return -1;
}

/* The luma of an image as 8-bit samples (caller frees with g_free). */
static unsigned char *luma(VipsImage *in, int *w, int *h) {
  VipsImage *grey = NULL, *one = NULL;
  if (vips_colourspace(in, &grey, INTERPRETATION_B_W, NULL)) return NULL;
  if (vips_extract_band(grey, &one, 0, NULL)) {
    g_object_unref(grey);
    return NULL;
  }
  size_t size;
  unsigned char *pixels = vips_image_write_to_memory(one, &size);
  *w = vips_image_get_width(one);
  *h = vips_image_get_height(one);
  g_object_unref(one);
  g_object_unref(grey);
  return pixels;
}

static double ssim(const unsigned char *a, const unsigned char *b, int w, int h) {
  const double c1 = 6.5025, c2 = 58.5225; /* (0.01*255)^2, (0.03*255)^2 */
  double sum = 0;
  long n = 0;
  for (int y = 0; y + 8 <= h; y += 4) {
    for (int x = 0; x + 8 <= w; x += 4) {
      double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (int j = 0; j < 8; j++) {
        for (int i = 0; i < 8; i++) {
          double p = a[(long)(y + j) * w + x + i], q = b[(long)(y + j) * w + x + i];
          sa += p, sb += q, saa += p * p, sbb += q * q, sab += p * q;
        }
      }
      double ma = sa / 64, mb = sb / 64;
      double va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb, cov = sab / 64 - ma * mb;
      sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      n++;
    }
  }
  return n ? sum / n : 1;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *data = malloc(*len);
  if (fread(data, 1, *len, f) != *len) {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  int reps = 1;
  const char *spec = DEFAULT_SETTINGS;
  int a = 1;
  for (; a < argc && argv[a][0] == '-'; a += 2) {
    if (a + 1 >= argc) break;
    if (!strcmp(argv[a], "-r")) reps = atoi(argv[a + 1]);
    else if (!strcmp(argv[a], "-s")) spec = argv[a + 1];
  }
  if (argc - a < 2) {
    fprintf(stderr, "usage: %s [-r reps] [-s format:q:effort,...] width[,width...] photo...\n", argv[0]);
    return 2;
  }
  Setting settings[64];
  int nsettings = 0;
  char *copy = strdup(spec);
  for (char *t = strtok(copy, ","); t && nsettings < 64; t = strtok(NULL, ",")) {
    Setting *s = &settings[nsettings];
    if (sscanf(t, "%7[a-z]:%d:%d", s->format, &s->q, &s->effort) != 3) {
      fprintf(stderr, "bad setting %s\n", t);
      return 2;
    }
    nsettings++;
  }
  int widths[16], nwidths = 0;
  char *wcopy = strdup(argv[a++]);
  for (char *t = strtok(wcopy, ","); t && nwidths < 16; t = strtok(NULL, ",")) widths[nwidths++] = atoi(t);

  if (vips_init(argv[0])) return 1;
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  printf("photo\twidth\theight\tformat\tq\teffort\tbytes\tcpu_ms\twall_ms\tssim\n");
  int failures = 0;
  for (; a < argc; a++) {
    size_t len;
    void *data = read_file(argv[a], &len);
    if (!data) {
      fprintf(stderr, "cannot read %s\n", argv[a]);
      failures++;
      continue;
    }
    const char *name = argv[a];
    for (int wi = 0; wi < nwidths; wi++) {
      VipsImage *thumb = NULL, *bare = NULL, *frame = NULL;
      int w = widths[wi] ? widths[wi] : 100000;
      if (vips_thumbnail_buffer(data, len, &thumb, w, "height", 10000000, "size", widths[wi] ? 0 : 2, NULL) ||
          !(bare = without_metadata(thumb)) || !(frame = vips_image_copy_memory(bare))) {
        fprintf(stderr, "thumbnail %s: %s\n", argv[a], vips_error_buffer());
        vips_error_clear();
        failures++;
        continue;
      }
      int rw, rh;
      unsigned char *ref = luma(frame, &rw, &rh);
      for (int si = 0; si < nsettings; si++) {
        const Setting *s = &settings[si];
        double best_cpu = 1e9, best_wall = 1e9, score = -1;
        size_t bytes = 0;
        for (int r = 0; r < reps; r++) {
          void *buf = NULL;
          size_t n = 0;
          double c0 = cpu_seconds(), w0 = now();
          int rc = save(frame, s, &buf, &n);
          double cpu = cpu_seconds() - c0, wall = now() - w0;
          if (rc) {
            fprintf(stderr, "%s q%d e%d %s: %s\n", s->format, s->q, s->effort, argv[a], vips_error_buffer());
            vips_error_clear();
            failures++;
            break;
          }
          if (cpu < best_cpu) best_cpu = cpu;
          if (wall < best_wall) best_wall = wall;
          bytes = n;
          if (r == 0 && ref) {
            VipsImage *back = vips_image_new_from_buffer(buf, n, "", NULL);
            int bw, bh;
            unsigned char *dec = back ? luma(back, &bw, &bh) : NULL;
            if (dec && bw == rw && bh == rh) score = ssim(ref, dec, rw, rh);
            if (dec) g_free(dec);
            if (back) g_object_unref(back);
            vips_error_clear();
          }
          g_free(buf);
        }
        if (bytes)
          printf("%s\t%d\t%d\t%s\t%d\t%d\t%zu\t%.1f\t%.1f\t%.5f\n", name, rw, rh, s->format, s->q, s->effort, bytes,
                 best_cpu * 1000, best_wall * 1000, score);
        fflush(stdout);
      }
      if (ref) g_free(ref);
      g_object_unref(frame);
      g_object_unref(bare);
      g_object_unref(thumb);
    }
    free(data);
  }
  return failures ? 1 : 0;
}
