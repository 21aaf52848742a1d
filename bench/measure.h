/*
 * What bench/mezzanine_measure.c and bench/resize_measure.c share: process CPU time, dying
 * with libvips' error, and a list of sizes from the command line. Header only (each program is
 * one gcc command), no libvips headers needed.
 */
#ifndef IMGORIGIN_BENCH_MEASURE_H
#define IMGORIGIN_BENCH_MEASURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *vips_error_buffer(void);

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

#endif
