/* replay_main.c — runs a fuzz target's LLVMFuzzerTestOneInput once on each saved input,
 * without libFuzzer, so `make test` can replay the seed corpus and every regression with
 * gcc and its sanitizers alone (no clang needed).
 *
 * Arguments: files, or directories whose regular files are replayed in name order (so
 * the output is the same on every machine). A failed check aborts, as under libFuzzer;
 * an unreadable argument exits 2. Prints "replay: N inputs" on success.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lr_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on the whole file at path; returns 0, or -1 if it cannot be read. */
static int replay_file(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (fp == NULL) return -1;
  size_t len = 0, cap = 4096;
  /* At least one byte allocated, so the target never gets a NULL pointer. */
  char *buf = lr_xmalloc(cap);
  size_t got;
  while ((got = fread(buf + len, 1, cap - len, fp)) > 0) {
    len += got;
    if (len == cap) buf = lr_xrealloc(buf, cap *= 2);
  }
  int bad = ferror(fp);
  fclose(fp);
  if (!bad) LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
  free(buf);
  return bad ? -1 : 0;
}

static int replay_cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the regular files of dir in name order; returns how many, or -1. */
static long replay_dir(const char *dir) {
  DIR *dp = opendir(dir);
  if (dp == NULL) return -1;
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(dp)) != NULL) {
    if (e->d_name[0] == '.') continue; /* ., .. and README-like dotfiles */
    names = lr_xrealloc(names, (n + 1) * sizeof *names);
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    names[n] = lr_xmalloc(len);
    snprintf(names[n], len, "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(dp);
  if (n > 0) qsort(names, n, sizeof *names, replay_cmp_names);
  long done = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
      if (replay_file(names[i]) != 0) done = -1;
      else if (done >= 0) done++;
    }
    free(names[i]);
  }
  free(names);
  return done;
}

int main(int argc, char **argv) {
  long total = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    long got = stat(argv[i], &st) != 0 ? -1 : S_ISDIR(st.st_mode) ? replay_dir(argv[i])
                                           : replay_file(argv[i]) == 0 ? 1 : -1;
    if (got < 0) {
      fprintf(stderr, "replay: cannot read %s\n", argv[i]);
      return 2;
    }
    total += got;
  }
  printf("replay: %ld inputs\n", total);
  return 0;
}
