/* spool.c — anonymous temporary files of length-prefixed records (spool.h).
 *
 * Owns: the file descriptor of one nameless temporary file, its one I/O buffer, the block
 * that holds a record larger than the buffer while it is being read, and the first error.
 *
 * Writing fills the buffer and writes it whole; a record that does not fit goes out in
 * pieces, and a piece at least as large as the buffer is written straight from the
 * caller's memory (no copy). Reading keeps a window [rd_pos, rd_end) of the file in the
 * buffer, refilled by pread at rd_off; a record is handed out in place when the window
 * holds it, else after the window is moved to the buffer's start and refilled, else (a
 * record larger than the buffer) in its own block. The number of records written, not
 * the end of the file, ends reading, so a truncated file is an error, never a short list.
 */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum spool_mode { SPOOL_WRITING, SPOOL_READING };

#define SPOOL_LEN_MAX 10 /* bytes of a LEB128 uint64 */

struct spool {
  int fd;                /* the nameless file */
  char *dir;             /* where it lives, for messages */
  int mode;              /* enum spool_mode */
  size_t buffer_bytes;   /* size of buf when it is next allocated */
  unsigned char *buf;    /* NULL when not writing or reading */
  size_t buf_cap;        /* its size */
  size_t wr_len;         /* writing: bytes buffered, not yet written */
  uint64_t n_bytes;      /* bytes put (written + buffered) */
  uint64_t n_records;    /* records put */
  uint64_t n_read;       /* reading: records handed out */
  uint64_t rd_off;       /* reading: file offset of buf[rd_end] */
  size_t rd_pos, rd_end; /* reading: unread window of buf */
  unsigned char *big;    /* reading: the current record when larger than buf, else NULL */
  lr_err failed;         /* the first error (code LR_OK while none) */
};

/* Keeps the first error and reports it (or the kept one) in err. */
static int spool_fail(spool *s, lr_err *err) {
  if (err != NULL && err != &s->failed) *err = s->failed;
  return s->failed.code;
}

static int spool_fail_errno(spool *s, const char *what, int errnum, lr_err *err) {
  if (s->failed.code == LR_OK)
    lr_err_set(&s->failed, LR_ERR_OUTPUT, "%s: cannot %s a temporary file: %s", s->dir, what, strerror(errnum));
  return spool_fail(s, err);
}

static int spool_open_fd(const char *dir) {
#ifdef O_TMPFILE
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  /* No O_TMPFILE on this file system (or kernel: the flag then opens the directory,
   * which O_RDWR refuses with EISDIR); anything else is a real error. */
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return -1;
#endif
  size_t n = strlen(dir) + sizeof "/.leadrank-spool-XXXXXX";
  char *path = lr_xmalloc(n);
  snprintf(path, n, "%s/.leadrank-spool-XXXXXX", dir);
  int fd2 = mkostemp(path, O_CLOEXEC);
  if (fd2 >= 0 && unlink(path) != 0) {
    int e = errno;
    close(fd2);
    unlink(path);
    errno = e;
    fd2 = -1;
  }
  free(path);
  return fd2;
}

int spool_new(const char *dir, size_t buffer_bytes, spool **out, lr_err *err) {
  *out = NULL;
  int fd = spool_open_fd(dir);
  if (fd < 0) return lr_err_set(err, LR_ERR_OUTPUT, "%s: cannot create a temporary file: %s", dir, strerror(errno));
  spool *s = lr_xcalloc(1, sizeof *s);
  s->fd = fd;
  s->dir = lr_xstrndup(dir, strlen(dir));
  s->mode = SPOOL_WRITING;
  spool_set_buffer(s, buffer_bytes);
  lr_err_clear(&s->failed);
  *out = s;
  return LR_OK;
}

void spool_set_buffer(spool *s, size_t buffer_bytes) {
  s->buffer_bytes = buffer_bytes < SPOOL_BUFFER_MIN ? SPOOL_BUFFER_MIN : buffer_bytes;
}

static int spool_alloc_buffer(spool *s, lr_err *err) {
  if (s->buf != NULL) return LR_OK;
  s->buf = malloc(s->buffer_bytes);
  if (s->buf == NULL) {
    if (s->failed.code == LR_OK)
      lr_err_set(&s->failed, LR_ERR_MEMORY, "%s: cannot allocate a %zu-byte temporary file buffer", s->dir,
                 s->buffer_bytes);
    return spool_fail(s, err);
  }
  s->buf_cap = s->buffer_bytes;
  return LR_OK;
}

static void spool_drop_buffer(spool *s) {
  free(s->buf);
  s->buf = NULL;
  s->buf_cap = 0;
}

/* write(2) until all of p[0, n) is written: short writes and EINTR are retried; a write
 * that makes no progress without an error is reported as a full disk. */
static int spool_write_all(spool *s, const unsigned char *p, size_t n, lr_err *err) {
  while (n > 0) {
    ssize_t w = write(s->fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return spool_fail_errno(s, "write", w < 0 ? errno : ENOSPC, err);
    p += w;
    n -= (size_t)w;
  }
  return LR_OK;
}

static int spool_flush(spool *s, lr_err *err) {
  size_t n = s->wr_len;
  s->wr_len = 0;
  return spool_write_all(s, s->buf, n, err);
}

/* Buffers p[0, n), writing full buffers; pieces of a buffer or more go straight out. */
static int spool_append(spool *s, const unsigned char *p, size_t n, lr_err *err) {
  while (n > 0) {
    if (s->wr_len == 0 && n >= s->buf_cap) return spool_write_all(s, p, n, err);
    size_t take = s->buf_cap - s->wr_len;
    if (take > n) take = n;
    memcpy(s->buf + s->wr_len, p, take);
    s->wr_len += take;
    p += take;
    n -= take;
    if (s->wr_len == s->buf_cap) {
      int rc = spool_flush(s, err);
      if (rc != LR_OK) return rc;
    }
  }
  return LR_OK;
}

int spool_put(spool *s, const void *rec, size_t len, lr_err *err) {
  if (s->failed.code != LR_OK) return spool_fail(s, err);
  if (s->mode != SPOOL_WRITING)
    return lr_err_set(err, LR_ERR_OUTPUT, "%s: temporary file: spool_put after spool_rewind (internal error)", s->dir);
  int rc = spool_alloc_buffer(s, err);
  if (rc != LR_OK) return rc;
  unsigned char hdr[SPOOL_LEN_MAX];
  size_t n_hdr = 0;
  uint64_t v = len;
  do {
    hdr[n_hdr++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v != 0);
  rc = spool_append(s, hdr, n_hdr, err);
  if (rc == LR_OK && len > 0) rc = spool_append(s, rec, len, err);
  if (rc != LR_OK) return rc;
  s->n_records++;
  s->n_bytes += n_hdr + len;
  return LR_OK;
}

int spool_rewind(spool *s, lr_err *err) {
  if (s->failed.code != LR_OK) return spool_fail(s, err);
  if (s->mode == SPOOL_WRITING) {
    if (s->wr_len > 0) {
      int rc = spool_flush(s, err);
      if (rc != LR_OK) return rc;
    }
    spool_drop_buffer(s);
    s->mode = SPOOL_READING;
  }
  free(s->big);
  s->big = NULL;
  s->n_read = 0;
  s->rd_off = 0;
  s->rd_pos = s->rd_end = 0;
  return LR_OK;
}

/* pread(2) into p[0, n) at the read offset until n bytes or the end of the file;
 * returns the bytes read in *got. */
static int spool_read_some(spool *s, unsigned char *p, size_t n, size_t *got, lr_err *err) {
  size_t have = 0;
  while (have < n) {
    ssize_t r = pread(s->fd, p + have, n - have, (off_t)s->rd_off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return spool_fail_errno(s, "read", errno, err);
    if (r == 0) break;
    have += (size_t)r;
    s->rd_off += (uint64_t)r;
  }
  *got = have;
  return LR_OK;
}

/* Makes the window hold at least want bytes (want <= buf_cap) unless the file ends first:
 * moves the unread bytes to the buffer's start and reads as much as fits. */
static int spool_fill(spool *s, size_t want, lr_err *err) {
  size_t have = s->rd_end - s->rd_pos;
  if (have >= want) return LR_OK;
  memmove(s->buf, s->buf + s->rd_pos, have);
  s->rd_pos = 0;
  s->rd_end = have;
  size_t got;
  int rc = spool_read_some(s, s->buf + have, s->buf_cap - have, &got, err);
  s->rd_end += got;
  return rc;
}

static int spool_truncated(spool *s, lr_err *err) {
  if (s->failed.code == LR_OK)
    lr_err_set(&s->failed, LR_ERR_OUTPUT,
               "%s: a temporary file ended early: record %llu of %llu missing (%llu bytes were written)", s->dir,
               (unsigned long long)s->n_read + 1, (unsigned long long)s->n_records, (unsigned long long)s->n_bytes);
  return spool_fail(s, err);
}

int spool_next(spool *s, const void **rec, size_t *len, lr_err *err) {
  *rec = NULL;
  *len = 0;
  if (s->failed.code != LR_OK) return spool_fail(s, err);
  if (s->mode != SPOOL_READING)
    return lr_err_set(err, LR_ERR_OUTPUT, "%s: temporary file: spool_next before spool_rewind (internal error)", s->dir);
  free(s->big);
  s->big = NULL;
  if (s->n_read == s->n_records) {
    spool_drop_buffer(s);
    s->rd_pos = s->rd_end = 0;
    return 0;
  }
  int rc = spool_alloc_buffer(s, err);
  if (rc == LR_OK) rc = spool_fill(s, SPOOL_LEN_MAX, err);
  if (rc != LR_OK) return rc;
  uint64_t v = 0;
  size_t i = 0;
  for (;;) {
    if (s->rd_pos + i == s->rd_end || i == SPOOL_LEN_MAX) return spool_truncated(s, err);
    unsigned char b = s->buf[s->rd_pos + i];
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    i++;
    if ((b & 0x80) == 0) break;
  }
#if SIZE_MAX < UINT64_MAX
  if (v > SIZE_MAX) return spool_truncated(s, err);
#endif
  size_t n = (size_t)v;
  s->rd_pos += i;
  if (n > s->buf_cap) {
    /* Larger than the buffer: its own block, the window's bytes first, then the rest. */
    s->big = malloc(n);
    if (s->big == NULL) {
      if (s->failed.code == LR_OK)
        lr_err_set(&s->failed, LR_ERR_MEMORY, "%s: cannot allocate %zu bytes for a temporary file record", s->dir, n);
      return spool_fail(s, err);
    }
    size_t have = s->rd_end - s->rd_pos, got;
    memcpy(s->big, s->buf + s->rd_pos, have);
    s->rd_pos = s->rd_end = 0;
    rc = spool_read_some(s, s->big + have, n - have, &got, err);
    if (rc != LR_OK) return rc;
    if (have + got < n) return spool_truncated(s, err);
    *rec = s->big;
  } else {
    rc = spool_fill(s, n, err);
    if (rc != LR_OK) return rc;
    if (s->rd_end - s->rd_pos < n) return spool_truncated(s, err);
    *rec = s->buf + s->rd_pos;
    s->rd_pos += n;
  }
  *len = n;
  s->n_read++;
  return 1;
}

uint64_t spool_count(const spool *s) { return s->n_records; }

uint64_t spool_bytes(const spool *s) { return s->n_bytes; }

void spool_free(spool *s) {
  if (s == NULL) return;
  close(s->fd);
  free(s->buf);
  free(s->big);
  free(s->dir);
  free(s);
}
