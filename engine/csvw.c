/* csvw.c — CSV out: the field quoting rule (SPEC §6, refscore A36), the growable lr_buf,
 * and output files that appear only when complete.
 *
 * Owns: lr_buf; csvw, one output file written to `DIR/.NAME.tmp-PID` beside its final
 * name and renamed into place by csvw_commit (as Redis's rdbSave does), so a reader never
 * takes a half-written file for a finished one; and the gzip member format of --gzip.
 *
 * Writes are buffered (CSVW_PLAIN_BUF) and go out with write(2); the first failure is
 * kept, later writes are dropped, and csvw_commit reports it (SQLite's PmaWriter.eFWErr):
 * callers write row after row without checking each one. With gzip the writer collects
 * exactly CSVW_GZIP_MEMBER_BYTES of uncompressed bytes, compresses them as one complete
 * gzip member (csvw_gzip_member, which depends on nothing but its arguments so that it can
 * run on any thread) and writes it; member boundaries fall at fixed offsets of the
 * uncompressed stream, so the file's bytes never depend on how the caller split writes.
 */
#include "csvw.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Plain output is written in pieces of this size: large enough that write(2) costs
 * nothing next to formatting, small enough to stay in cache. */
#define CSVW_PLAIN_BUF ((size_t)1 << 20)
#define CSVW_GZIP_LEVEL 6

struct csvw {
  int fd;              /* the temporary file, open for writing */
  char *final_path;    /* where the file appears on commit */
  char *tmp_path;      /* DIR/.NAME.tmp-PID */
  char *dir_path;      /* DIR, fsynced after the rename with do_fsync */
  int gzip;            /* 1: pend holds uncompressed bytes of the current member */
  int do_fsync;        /* fsync the file before and the directory after the rename */
  int n_members;       /* gzip members written so far */
  lr_buf pend;         /* bytes not yet written (plain) or not yet compressed (gzip) */
  lr_buf zout;         /* one compressed member, reused */
  int err_errno;       /* first failure: errno, 0 if none */
  const char *err_what;/* first failure: what was being done ("write", "compress") */
};

/* ---- lr_buf ---------------------------------------------------------------------- */

void lr_buf_reserve(lr_buf *b, size_t extra) {
  if (b->cap - b->len >= extra) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) cap += cap / 2 + 1;
  b->data = lr_xrealloc(b->data, cap);
  b->cap = cap;
}

void lr_buf_put(lr_buf *b, const char *s, size_t len) {
  if (len == 0) return;
  lr_buf_reserve(b, len);
  memcpy(b->data + b->len, s, len);
  b->len += len;
}

void lr_buf_putc(lr_buf *b, char c) {
  if (b->len == b->cap) lr_buf_reserve(b, 1);
  b->data[b->len++] = c;
}

void lr_buf_release(lr_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

/* ---- the quoting rule ------------------------------------------------------------ */

int csvw_needs_quotes(const char *s, size_t len) {
  if (len == 0) return 0;
  if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t') return 1;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return 1;
  }
  return 0;
}

int csvw_fields_equal_raw(const lr_field *fields, size_t n, const char *raw, size_t len) {
  size_t at = 0;
  for (size_t j = 0; j < n; j++) {
    const char *f = fields[j].ptr;
    size_t flen = fields[j].len;
    if (j > 0) {
      if (at >= len || raw[at] != ',') return 0;
      at++;
    }
    if (!csvw_needs_quotes(f, flen)) {
      if (len - at < flen || (flen > 0 && memcmp(raw + at, f, flen) != 0)) return 0;
      at += flen;
      continue;
    }
    if (at >= len || raw[at] != '"') return 0;
    at++;
    for (size_t i = 0; i < flen; i++) {
      if (at >= len || raw[at] != f[i]) return 0;
      at++;
      if (f[i] == '"') {
        if (at >= len || raw[at] != '"') return 0;
        at++;
      }
    }
    if (at >= len || raw[at] != '"') return 0;
    at++;
  }
  return at == len;
}

void csvw_buf_field(lr_buf *b, const char *s, size_t len) {
  if (!csvw_needs_quotes(s, len)) {
    lr_buf_put(b, s, len);
    return;
  }
  /* Worst case every byte is a quote and is doubled. */
  lr_buf_reserve(b, 2 * len + 2);
  char *d = b->data + b->len;
  *d++ = '"';
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"') *d++ = '"';
    *d++ = s[i];
  }
  *d++ = '"';
  b->len = (size_t)(d - b->data);
}

/* ---- gzip members ---------------------------------------------------------------- */

int csvw_gzip_member(const char *in, size_t in_len, lr_buf *out) {
  z_stream z;
  gz_header head;
  int ret;

  memset(&z, 0, sizeof z);
  /* windowBits 15 + 16: a gzip wrapper; the header below replaces zlib's default one
   * (whose OS byte depends on the build platform) with MTIME 0, no name, OS 255. zlib
   * writes XFL from the level itself. */
  if (deflateInit2(&z, CSVW_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return LR_ERR_MEMORY;
  }
  memset(&head, 0, sizeof head);
  head.time = 0;
  head.os = 255;
  head.name = Z_NULL;
  if (deflateSetHeader(&z, &head) != Z_OK) {
    deflateEnd(&z);
    return LR_ERR_MEMORY;
  }
  /* One call does it when the room is deflateBound's; the loop covers growth and inputs
   * beyond zlib's 32-bit avail_in. */
  lr_buf_reserve(out, deflateBound(&z, in_len > UINT_MAX ? UINT_MAX : (uLong)in_len) + 64);
  z.next_in = (Bytef *)in;
  size_t left = in_len;
  for (;;) {
    if (z.avail_in == 0 && left != 0) {
      z.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
      left -= z.avail_in;
    }
    if (out->cap == out->len) lr_buf_reserve(out, out->cap / 2 + 4096);
    size_t room = out->cap - out->len;
    uInt avail = room > UINT_MAX ? UINT_MAX : (uInt)room;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = avail;
    ret = deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
    out->len += avail - z.avail_out;
    if (ret != Z_OK) break;
  }
  deflateEnd(&z);
  return ret == Z_STREAM_END ? LR_OK : LR_ERR_MEMORY;
}

/* ---- the writer ------------------------------------------------------------------ */

static const char *csvw_strerror(int errnum, char *buf, size_t buf_len) {
  /* GNU strerror_r (we build with _GNU_SOURCE): thread-safe, returns the text. */
  return strerror_r(errnum, buf, buf_len);
}

static void csvw_keep_error(csvw *w, const char *what, int errnum) {
  if (w->err_errno != 0) return;
  w->err_what = what;
  w->err_errno = errnum ? errnum : EIO;
}

/* Writes all of s to the temporary file unless an error is already kept. */
static void csvw_write_fd(csvw *w, const char *s, size_t len) {
  while (len > 0 && w->err_errno == 0) {
    ssize_t n = write(w->fd, s, len > INT_MAX ? INT_MAX : len);
    if (n < 0) {
      if (errno == EINTR) continue;
      csvw_keep_error(w, "write", errno);
      return;
    }
    s += n;
    len -= (size_t)n;
  }
}

/* Compresses pend as one member, writes it and empties pend. */
static void csvw_emit_member(csvw *w) {
  w->zout.len = 0;
  if (csvw_gzip_member(w->pend.data, w->pend.len, &w->zout) != LR_OK) {
    csvw_keep_error(w, "compress", ENOMEM);
  } else {
    csvw_write_fd(w, w->zout.data, w->zout.len);
  }
  w->n_members++;
  w->pend.len = 0;
}

int csvw_temp_path(const char *final_path, long pid, char *buf, size_t buf_len) {
  const char *slash = strrchr(final_path, '/');
  const char *base = slash ? slash + 1 : final_path;
  int dir_len = slash ? (int)(slash - final_path) : 0;
  int n = snprintf(buf, buf_len, "%.*s%s.%s.tmp-%ld", dir_len, final_path, slash ? "/" : "",
                   base, pid);
  return n;
}

/* Fills final_path's directory and the temporary name beside it. */
static void csvw_make_paths(csvw *w, const char *final_path) {
  const char *slash = strrchr(final_path, '/');
  size_t dir_len = slash ? (size_t)(slash - final_path) : 0;

  w->final_path = lr_xstrndup(final_path, strlen(final_path));
  if (slash == NULL) {
    w->dir_path = lr_xstrndup(".", 1);
  } else {
    w->dir_path = lr_xstrndup(final_path, dir_len ? dir_len : 1); /* "/x" lives in "/" */
  }
  long pid = (long)getpid();
  size_t n = (size_t)csvw_temp_path(final_path, pid, NULL, 0) + 1;
  w->tmp_path = lr_xmalloc(n);
  csvw_temp_path(final_path, pid, w->tmp_path, n);
}

static void csvw_free(csvw *w) {
  free(w->final_path);
  free(w->tmp_path);
  free(w->dir_path);
  lr_buf_release(&w->pend);
  lr_buf_release(&w->zout);
  free(w);
}

int csvw_open(const char *final_path, int gzip, int do_fsync, csvw **out, lr_err *err) {
  char errbuf[128];
  csvw *w = lr_xcalloc(1, sizeof *w);

  *out = NULL;
  csvw_make_paths(w, final_path);
  w->gzip = gzip;
  w->do_fsync = do_fsync;
  /* O_EXCL: never write through a link someone planted; a leftover with our name comes
   * from a dead process that had our pid, so it is removed once and we try again. */
  w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (w->fd < 0 && errno == EEXIST && unlink(w->tmp_path) == 0) {
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  }
  if (w->fd < 0) {
    int e = errno;
    lr_err_set(err, LR_ERR_OUTPUT, "%s: cannot create %s: %s", final_path, w->tmp_path,
               csvw_strerror(e, errbuf, sizeof errbuf));
    csvw_free(w);
    return LR_ERR_OUTPUT;
  }
  lr_buf_reserve(&w->pend, gzip ? CSVW_GZIP_MEMBER_BYTES : CSVW_PLAIN_BUF);
  *out = w;
  return LR_OK;
}

void csvw_write(csvw *w, const char *s, size_t len) {
  if (w->err_errno != 0) return;
  if (w->gzip) {
    while (len > 0) {
      size_t take = CSVW_GZIP_MEMBER_BYTES - w->pend.len;
      if (take > len) take = len;
      lr_buf_put(&w->pend, s, take);
      s += take;
      len -= take;
      if (w->pend.len == CSVW_GZIP_MEMBER_BYTES) csvw_emit_member(w);
    }
    return;
  }
  if (w->pend.len + len > CSVW_PLAIN_BUF) {
    csvw_write_fd(w, w->pend.data, w->pend.len);
    w->pend.len = 0;
  }
  if (len >= CSVW_PLAIN_BUF) {
    csvw_write_fd(w, s, len); /* big pieces skip the copy */
  } else {
    lr_buf_put(&w->pend, s, len);
  }
}

/* fsyncs the directory so the rename itself survives a crash. */
static int csvw_sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = fsync(fd) == 0 ? 0 : errno;
  if (close(fd) != 0 && e == 0) e = errno;
  return e;
}

int csvw_commit(csvw *w, lr_err *err) {
  char errbuf[128];
  int rc = LR_OK;

  /* The rest of the data; a gzip file always holds at least one (maybe empty) member. */
  if (w->gzip) {
    if (w->pend.len > 0 || w->n_members == 0) csvw_emit_member(w);
  } else {
    csvw_write_fd(w, w->pend.data, w->pend.len);
    w->pend.len = 0;
  }
  if (w->do_fsync && w->err_errno == 0 && fsync(w->fd) != 0) csvw_keep_error(w, "fsync", errno);
  /* close can report a deferred write error (NFS, quotas): it counts like any other. */
  if (close(w->fd) != 0) csvw_keep_error(w, "close", errno);
  w->fd = -1;
  if (w->err_errno == 0 && rename(w->tmp_path, w->final_path) != 0) {
    csvw_keep_error(w, "rename", errno);
  }
  if (w->err_errno != 0) {
    unlink(w->tmp_path);
    rc = lr_err_set(err, LR_ERR_OUTPUT, "%s: cannot %s %s: %s", w->final_path, w->err_what,
                    w->tmp_path, csvw_strerror(w->err_errno, errbuf, sizeof errbuf));
  } else if (w->do_fsync) {
    int e = csvw_sync_dir(w->dir_path);
    if (e != 0) {
      rc = lr_err_set(err, LR_ERR_OUTPUT, "%s: cannot fsync directory %s: %s", w->final_path,
                      w->dir_path, csvw_strerror(e, errbuf, sizeof errbuf));
    }
  }
  csvw_free(w);
  return rc;
}

void csvw_abort(csvw *w) {
  if (w == NULL) return;
  if (w->fd >= 0) close(w->fd); /* the file is discarded: its close status is moot */
  unlink(w->tmp_path);
  csvw_free(w);
}

int csvw_write_file(const char *final_path, const char *s, size_t len, int do_fsync,
                    lr_err *err) {
  csvw *w;
  int rc = csvw_open(final_path, 0, do_fsync, &w, err);
  if (rc != LR_OK) return rc;
  csvw_write(w, s, len);
  return csvw_commit(w, err);
}
