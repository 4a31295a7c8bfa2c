/* lr_err.c — the error buffer (lr_err) and the aborting allocation helpers. */
#include "lr_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lr_err_set(lr_err *err, int code, const char *fmt, ...) {
  va_list ap;
  if (err == NULL) return code;
  err->code = code;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return code;
}

void lr_err_clear(lr_err *err) {
  err->code = LR_OK;
  err->msg[0] = '\0';
}

int lr_err_exit_status(int code) {
  switch (code) {
  case LR_OK: return 0;
  case LR_ERR_SERVICE: return 3;
  case LR_ERR_INTERRUPTED: return 130;
  default: return 2;
  }
}

static void *lr_check_alloc(void *p, size_t nbytes) {
  if (p == NULL && nbytes != 0) {
    fprintf(stderr, "leadrank: out of memory allocating %zu bytes\n", nbytes);
    abort();
  }
  return p;
}

void *lr_xmalloc(size_t nbytes) { return lr_check_alloc(malloc(nbytes ? nbytes : 1), nbytes); }

void *lr_xcalloc(size_t n, size_t size) { return lr_check_alloc(calloc(n ? n : 1, size ? size : 1), n * size); }

void *lr_xrealloc(void *p, size_t nbytes) { return lr_check_alloc(realloc(p, nbytes ? nbytes : 1), nbytes); }

void *lr_xaligned_alloc(size_t align, size_t nbytes) {
  return lr_check_alloc(aligned_alloc(align, nbytes ? nbytes : align), nbytes);
}

char *lr_xstrndup(const char *s, size_t len) {
  char *d = lr_xmalloc(len + 1);
  memcpy(d, s, len);
  d[len] = '\0';
  return d;
}
