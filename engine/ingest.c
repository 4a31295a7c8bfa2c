/* ingest.c — bytes in: reads a whole INPUT (a path or `-`) into one buffer and, when it
 * starts with the gzip magic bytes, inflates every member into the returned buffer.
 *
 * Owns: the input read loop, the gzip member walk (header, trailer, NUL padding, what
 * may follow a member) and the two inflaters, chosen at build time — ISA-L (LR_HAVE_ISAL,
 * about 2.5x faster) or zlib. The member walk is shared so that both builds give the same
 * bytes and the same error class for every input; only "inflate this raw deflate stream"
 * differs.
 *
 * This is the serial front of the pipeline, so it avoids copies: a plain input is read
 * straight into the buffer that is returned; a gzip input is read once and inflated
 * straight into the output buffer, which grows geometrically (large blocks grow by mremap
 * in glibc, without copying).
 *
 * Error classes follow Python's gzip.GzipFile, which the reference uses (refscore A40),
 * and so does the member layout: we parse each header and read each 8-byte trailer
 * ourselves, exactly as GzipFile does, and the inflaters see raw deflate data only.
 *   truncated — the input ends inside a member's header, deflate data or trailer (the
 *               whole trailer is read before it is checked);
 *   bad       — a CRC or then a length mismatch in a trailer, bytes after a member that
 *               do not begin another member, a header with a method other than deflate;
 *   corrupt   — invalid deflate data.
 * Like GzipFile we ignore reserved header flags and skip, unchecked, a header CRC
 * (zlib's and ISA-L's own gzip wrappers reject both, and zlib checks a trailer's CRC
 * before it knows the length field is there; that is why we do not use them).
 * ISA-L accepts some malformed Huffman tables that zlib rejects and then fails on the CRC;
 * so in an ISA-L build a failing member is inflated again with zlib, whose verdict names
 * the fault: both builds give the same message for every input.
 */
#include "ingest.h"

#include "reserve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#if LR_HAVE_ISAL
#include <isa-l.h>
#endif

/* Both inflaters take 32-bit lengths: longer buffers are fed in pieces of this size. */
#define INGEST_CHUNK ((size_t)1 << 30)
/* Read size for inputs of unknown length (pipes). */
#define INGEST_READ_FIRST ((size_t)1 << 20)
/* A deflate stream cannot expand more than about 1032:1, so a larger ISIZE hint is noise. */
#define INGEST_MAX_RATIO 1032

/* gzip header flag bits (RFC 1952, 2.3.1). */
#define GZ_FHCRC 0x02
#define GZ_FEXTRA 0x04
#define GZ_FNAME 0x08
#define GZ_FCOMMENT 0x10

enum ingest_status {
  INGEST_OK = 0,
  INGEST_TRUNCATED,   /* input ends inside a member */
  INGEST_NOT_MEMBER,  /* bytes after a member that do not start with 1f 8b */
  INGEST_BAD_METHOD,  /* CM is not 8 (deflate) */
  INGEST_BAD_CRC,     /* trailer CRC32 differs from the data */
  INGEST_BAD_LENGTH,  /* trailer ISIZE differs from the data length mod 2^32 */
  INGEST_CORRUPT,     /* invalid deflate data */
  INGEST_NOMEM        /* the output buffer could not grow */
};

/* The output: data[cap - 1] is always kept free for the terminating NUL. It grows by
 * realloc, except in a stream, where it is a reserved region that never moves (fixed)
 * and every step of inflated bytes is published to readers through *progress. */
typedef struct ingest_out {
  char *data;
  size_t len;
  size_t cap;
  int fixed;                 /* a reserved region: cannot grow (and need not) */
  _Atomic size_t *progress;  /* stream: bytes [0, *progress) are final; else NULL */
} ingest_out;

/* Output produced per inflate call in a stream, so readers start early. */
#define INGEST_STREAM_STEP ((size_t)4 << 20)

static const char *ingest_strerror(int errnum, char *buf, size_t buf_len) {
  /* GNU strerror_r (we build with _GNU_SOURCE): thread-safe, returns the text. */
  return strerror_r(errnum, buf, buf_len);
}

/* Makes room for at least one more byte besides the NUL slot. */
static int ingest_out_grow(ingest_out *o) {
  if (o->fixed) return INGEST_NOMEM;
  size_t cap = o->cap + o->cap / 2 + ((size_t)64 << 10);
  char *p = realloc(o->data, cap);
  if (p == NULL) return INGEST_NOMEM;
  o->data = p;
  o->cap = cap;
  return INGEST_OK;
}

static size_t ingest_min(size_t a, size_t b) { return a < b ? a : b; }

/* Room for the next inflate call: all of it, or one step in a stream. */
static size_t ingest_out_room(const ingest_out *o) {
  size_t room = ingest_min(o->cap - 1 - o->len, INGEST_CHUNK);
  return o->progress != NULL ? ingest_min(room, INGEST_STREAM_STEP) : room;
}

/* Publishes o->len to stream readers (release: the bytes before it are visible first). */
static void ingest_out_publish(const ingest_out *o) {
  if (o->progress != NULL) atomic_store_explicit(o->progress, o->len, memory_order_release);
}

/* Parses the gzip member header at p (n bytes available; p[0..1] is the magic) as
 * GzipFile does; *len_out gets its length. */
static int ingest_parse_header(const unsigned char *p, size_t n, size_t *len_out) {
  size_t pos = 10;
  if (n < 10) return INGEST_TRUNCATED;
  if (p[2] != 8) return INGEST_BAD_METHOD;
  int flg = p[3];
  if (flg & GZ_FEXTRA) {
    if (n - pos < 2) return INGEST_TRUNCATED;
    size_t xlen = (size_t)p[pos] | (size_t)p[pos + 1] << 8;
    pos += 2;
    if (n - pos < xlen) return INGEST_TRUNCATED;
    pos += xlen;
  }
  for (int field = GZ_FNAME; field <= GZ_FCOMMENT; field <<= 1) {
    if (!(flg & field)) continue;
    const unsigned char *nul = memchr(p + pos, 0, n - pos);
    if (nul == NULL) return INGEST_TRUNCATED;
    pos = (size_t)(nul - p) + 1;
  }
  if (flg & GZ_FHCRC) {
    if (n - pos < 2) return INGEST_TRUNCATED;
    pos += 2;
  }
  *len_out = pos;
  return INGEST_OK;
}

static uint32_t ingest_le32(const unsigned char *t) {
  return (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
}

/* zlib, in every build: the inflater of a zlib build, and the judge of failing members
 * in an ISA-L build. Inflates the raw deflate stream at in into o; *used_out gets its
 * length in bytes (zlib leaves next_in just past the stream's last byte, which GzipFile's
 * unused_data relies on too) and *crc_out the CRC-32 of what it produced. */
static int ingest_zlib_deflate(void *state, const unsigned char *in, size_t in_len,
                               size_t *used_out, uint32_t *crc_out, ingest_out *o) {
  z_stream *z = state;
  uLong crc = crc32(0L, Z_NULL, 0);
  if (inflateReset(z) != Z_OK) return INGEST_CORRUPT;
  z->next_in = (Bytef *)in;
  z->avail_in = (uInt)ingest_min(in_len, INGEST_CHUNK);
  for (;;) {
    if (o->cap - 1 == o->len && ingest_out_grow(o) != INGEST_OK) return INGEST_NOMEM;
    uInt avail = (uInt)ingest_out_room(o);
    z->next_out = (Bytef *)o->data + o->len;
    z->avail_out = avail;
    int ret = inflate(z, Z_NO_FLUSH);
    /* The CRC of each piece right after inflating it, while it is still in cache (zlib's
     * gzip mode does the same internally). */
    crc = crc32(crc, (const Bytef *)o->data + o->len, avail - z->avail_out);
    o->len += avail - z->avail_out;
    ingest_out_publish(o);
    if (ret == Z_STREAM_END) {
      *used_out = (size_t)(z->next_in - in);
      *crc_out = (uint32_t)crc;
      return INGEST_OK;
    }
    if (ret == Z_MEM_ERROR) return INGEST_NOMEM;
    if (ret != Z_OK && ret != Z_BUF_ERROR) return INGEST_CORRUPT;
    if (z->avail_in == 0) {
      size_t pos = (size_t)(z->next_in - in);
      if (pos < in_len) {
        z->avail_in = (uInt)ingest_min(in_len - pos, INGEST_CHUNK);
        continue;
      }
      if (z->avail_out != 0) return INGEST_TRUNCATED;
    }
  }
}

static int ingest_zlib_init(z_stream *z) {
  memset(z, 0, sizeof *z);
  /* -15: raw deflate with a 32 KiB window; headers and trailers are ours. */
  return inflateInit2(z, -15) == Z_OK ? INGEST_OK : INGEST_NOMEM;
}

/* Inflates raw deflate data (ingest_zlib_deflate's contract). */
typedef int (*ingest_deflate_fn)(void *state, const unsigned char *in, size_t in_len,
                                 size_t *used_out, uint32_t *crc_out, ingest_out *o);

/* Inflates the member at gz (n bytes to the end of the input) into o: header, deflate
 * data, then the 8-byte trailer, read whole before it is checked (CRC first, then ISIZE,
 * the data length mod 2^32). *used_out gets the member's length. */
static int ingest_member_run(ingest_deflate_fn deflate_fn, void *state, const unsigned char *gz,
                             size_t n, size_t *used_out, ingest_out *o) {
  size_t hdr_len = 0, used = 0, start = o->len;
  uint32_t crc = 0;
  int status = ingest_parse_header(gz, n, &hdr_len);
  if (status != INGEST_OK) return status;
  status = deflate_fn(state, gz + hdr_len, n - hdr_len, &used, &crc, o);
  if (status != INGEST_OK) return status;
  size_t end = hdr_len + used;
  if (n - end < 8) return INGEST_TRUNCATED;
  if (ingest_le32(gz + end) != crc) return INGEST_BAD_CRC;
  if (ingest_le32(gz + end + 4) != (uint32_t)(o->len - start)) return INGEST_BAD_LENGTH;
  *used_out = end + 8;
  return INGEST_OK;
}

#if LR_HAVE_ISAL

/* The inflaters' state; on the heap, as ISA-L's holds a 64 KiB window (too big for a
 * worker thread's stack). */
typedef struct ingest_inflater {
  struct inflate_state isal;
  z_stream z;
  int z_ready; /* z is initialised (only once a member has failed) */
} ingest_inflater;

static int ingest_inflater_init(ingest_inflater *inf) {
  isal_inflate_init(&inf->isal);
  inf->z_ready = 0;
  return INGEST_OK;
}

static void ingest_inflater_end(ingest_inflater *inf) {
  if (inf->z_ready) inflateEnd(&inf->z);
}

/* ISA-L's ingest_deflate_fn (same contract as ingest_zlib_deflate). */
static int ingest_isal_deflate(void *state, const unsigned char *in, size_t in_len,
                               size_t *used_out, uint32_t *crc_out, ingest_out *o) {
  struct inflate_state *st = state;
  int stalled = 0;
  isal_inflate_reset(st);
  /* Raw deflate with the gzip CRC computed (not checked): the trailer is ours. */
  st->crc_flag = ISAL_GZIP_NO_HDR;
  st->next_in = (uint8_t *)in;
  st->avail_in = (uint32_t)ingest_min(in_len, INGEST_CHUNK);
  for (;;) {
    /* A stream's region already holds any valid output: no progress there is bad data
     * (zlib then names it), not a lack of room. */
    if (stalled && o->fixed) return INGEST_CORRUPT;
    if ((o->cap - 1 == o->len || stalled) && ingest_out_grow(o) != INGEST_OK) return INGEST_NOMEM;
    uint32_t avail = (uint32_t)ingest_out_room(o);
    uint32_t avail_in = st->avail_in;
    st->next_out = (uint8_t *)o->data + o->len;
    st->avail_out = avail;
    int ret = isal_inflate(st);
    o->len += avail - st->avail_out;
    ingest_out_publish(o);
    if (ret < 0) return INGEST_CORRUPT;
    if (st->block_state == ISAL_BLOCK_FINISH) {
      /* ISA-L reads input 8 bytes at a time; whole bytes still in its bit buffer lie past
       * the end of the stream. ISA-L 2.30 (Debian 12) leaves them counted in
       * read_in_length; later versions give them back to next_in and zero it. */
      *used_out = (size_t)(st->next_in - in) - (size_t)st->read_in_length / 8;
      *crc_out = st->crc;
      return INGEST_OK;
    }
    if (st->avail_in == 0) {
      size_t pos = (size_t)(st->next_in - in);
      if (pos < in_len) {
        st->avail_in = (uint32_t)ingest_min(in_len - pos, INGEST_CHUNK);
        continue;
      }
      if (st->avail_out != 0) return INGEST_TRUNCATED;
    } else if (st->avail_out == avail && st->avail_in == avail_in) {
      /* Input and room left, yet nothing moved: give it more room once, then stop
       * rather than loop. */
      if (stalled++) return INGEST_CORRUPT;
    } else {
      stalled = 0;
    }
  }
}

/* ISA-L first; a member that fails is run again by zlib, whose verdict names the fault
 * (see the top of the file). */
static int ingest_member(ingest_inflater *inf, const unsigned char *gz, size_t n,
                         size_t *used_out, ingest_out *o) {
  size_t start = o->len;
  int status = ingest_member_run(ingest_isal_deflate, &inf->isal, gz, n, used_out, o);
  if (status == INGEST_OK || status == INGEST_NOMEM) return status;
  if (!inf->z_ready) {
    if (ingest_zlib_init(&inf->z) != INGEST_OK) return INGEST_NOMEM;
    inf->z_ready = 1;
  }
  if (o->progress == NULL) {
    o->len = start;
    return ingest_member_run(ingest_zlib_deflate, &inf->z, gz, n, used_out, o);
  }
  /* In a stream, readers may already hold what ISA-L published of this member: zlib
   * judges in a scratch buffer instead of rewriting those bytes. Valid deflate data
   * inflates the same in both, so zlib succeeding here would mean an ISA-L bug; its bytes
   * are then used, past what was published. The scratch buffer starts at what ISA-L
   * produced and grows (not fixed): sized like the region (compressed size x 1033), a
   * large corrupt input failed as "out of memory" instead of naming the fault. */
  size_t scratch_cap = o->len - start + ((size_t)1 << 20);
  ingest_out scratch = { malloc(scratch_cap), 0, scratch_cap, 0, NULL };
  if (scratch.data == NULL) return INGEST_NOMEM;
  status = ingest_member_run(ingest_zlib_deflate, &inf->z, gz, n, used_out, &scratch);
  if (status == INGEST_OK && scratch.len > o->cap - 1 - start) status = INGEST_NOMEM;
  if (status == INGEST_OK && scratch.len > o->len - start) {
    memcpy(o->data + o->len, scratch.data + (o->len - start), scratch.len - (o->len - start));
    o->len = start + scratch.len;
    ingest_out_publish(o);
  }
  free(scratch.data);
  return status;
}

const char *ingest_inflater_name(void) { return "isa-l"; }

#else

typedef struct ingest_inflater {
  z_stream z;
} ingest_inflater;

static int ingest_inflater_init(ingest_inflater *inf) { return ingest_zlib_init(&inf->z); }

static void ingest_inflater_end(ingest_inflater *inf) { inflateEnd(&inf->z); }

static int ingest_member(ingest_inflater *inf, const unsigned char *gz, size_t n,
                         size_t *used_out, ingest_out *o) {
  return ingest_member_run(ingest_zlib_deflate, &inf->z, gz, n, used_out, o);
}

const char *ingest_inflater_name(void) { return "zlib"; }

#endif

/* Turns a status into the one-line LR_ERR_INPUT message naming the input; `at` is the
 * byte offset (in the compressed input) of the member or bytes concerned. */
static int ingest_fail(lr_err *err, const char *name, int status, size_t at) {
  switch (status) {
  case INGEST_TRUNCATED:
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: truncated gzip input (a member ends before its end-of-stream "
                      "marker and trailer)", name);
  case INGEST_NOT_MEMBER:
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: bad gzip input: bytes at offset %zu after a member do not begin "
                      "another gzip member", name, at);
  case INGEST_BAD_METHOD:
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: bad gzip input: unknown compression method in the member at "
                      "offset %zu", name, at);
  case INGEST_BAD_CRC:
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: bad gzip input: CRC mismatch in the member at offset %zu", name, at);
  case INGEST_BAD_LENGTH:
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: bad gzip input: length mismatch in the member at offset %zu", name,
                      at);
  case INGEST_NOMEM:
    return lr_err_set(err, LR_ERR_MEMORY, "%s: out of memory inflating gzip input", name);
  default:
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: corrupt gzip input: invalid deflate data in the member at offset %zu",
                      name, at);
  }
}

/* First output capacity: the last member's ISIZE when it is plausible for the whole
 * input (one member), else three times the compressed size (CSV typically inflates 4-10x,
 * so this grows a couple of times at most; untouched capacity costs address space only). */
static size_t ingest_estimate(const unsigned char *gz, size_t gz_len) {
  size_t est = gz_len * 3;
  if (gz_len >= 18) {
    size_t isize = ingest_le32(gz + gz_len - 4);
    if (isize >= gz_len && isize / INGEST_MAX_RATIO <= gz_len) est = isize;
  }
  return est + 1;
}

/* Inflates every member of gz into o (its data already allocated); the member walk of
 * SPEC §1 / A40. Returns LR_OK or LR_ERR_INPUT naming `name`. */
static int ingest_inflate_members(const char *name, const unsigned char *gz, size_t gz_len,
                                  ingest_out *o, lr_err *err) {
  size_t pos = 0, at = 0;
  if (gz_len < 2 || gz[0] != 0x1f || gz[1] != 0x8b) {
    return lr_err_set(err, LR_ERR_INPUT, "%s: bad gzip input: not a gzip stream", name);
  }
  ingest_inflater *inf = lr_xmalloc(sizeof *inf);
  int status = ingest_inflater_init(inf);
  if (status != INGEST_OK) {
    free(inf);
    return ingest_fail(err, name, status, 0);
  }
  for (;;) {
    size_t used = 0;
    at = pos;
    status = ingest_member(inf, gz + pos, gz_len - pos, &used, o);
    if (status != INGEST_OK) break;
    pos += used;
    /* NUL padding after a member is skipped, whether or not another member follows. */
    while (pos < gz_len && gz[pos] == 0) pos++;
    if (pos == gz_len) break;
    if (gz_len - pos < 2 || gz[pos] != 0x1f || gz[pos + 1] != 0x8b) {
      at = pos;
      status = INGEST_NOT_MEMBER;
      break;
    }
  }
  ingest_inflater_end(inf);
  free(inf);
  if (status != INGEST_OK) return ingest_fail(err, name, status, at);
  o->data[o->len] = '\0';
  return LR_OK;
}

int ingest_inflate_buffer(const char *name, const unsigned char *gz, size_t gz_len,
                          char **data_out, size_t *len_out, lr_err *err) {
  ingest_out o = { NULL, 0, ingest_estimate(gz, gz_len), 0, NULL };
  *data_out = NULL;
  *len_out = 0;
  o.data = malloc(o.cap);
  if (o.data == NULL) return ingest_fail(err, name, INGEST_NOMEM, 0);
  int rc = ingest_inflate_members(name, gz, gz_len, &o, err);
  if (rc != LR_OK) {
    free(o.data);
    return rc;
  }
  *data_out = o.data;
  *len_out = o.len;
  return LR_OK;
}

/* Asks for transparent huge pages on a large read buffer. Filling fresh memory is mostly
 * page faults: with 2 MiB pages a 400 MB plain CSV is read in 0.065 s instead of 0.19 s
 * here. The inflate output buffer is left alone: the same advice made inflating slower
 * (its growth by realloc seems to defeat it). Advice only: failure changes nothing. */
static void ingest_advise_huge(void *p, size_t n) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
  uintptr_t e = ((uintptr_t)p + n) & ~(page - 1);
  if (n >= ((size_t)2 << 20) && e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
}

/* Reads fd to its end into a malloc'ed buffer with one spare byte after the data. A
 * regular file is read into a buffer of exactly its remaining size plus one, so the final
 * zero-length read finds the room it needs and nothing is reallocated. */
static int ingest_read_fd(int fd, const char *name, char **buf_out, size_t *len_out, lr_err *err) {
  struct stat st;
  size_t cap = INGEST_READ_FIRST, len = 0;
  char errbuf[128];
  char *buf;

  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    off_t here = lseek(fd, 0, SEEK_CUR);
    if (here >= 0 && st.st_size >= here) cap = (size_t)(st.st_size - here) + 1;
  }
  buf = malloc(cap);
  if (buf == NULL) return lr_err_set(err, LR_ERR_MEMORY, "%s: out of memory reading input", name);
  ingest_advise_huge(buf, cap);
  for (;;) {
    if (len == cap) {
      size_t ncap = cap < INGEST_READ_FIRST ? INGEST_READ_FIRST : cap + cap / 2;
      char *p = realloc(buf, ncap);
      if (p == NULL) {
        free(buf);
        return lr_err_set(err, LR_ERR_MEMORY, "%s: out of memory reading input", name);
      }
      buf = p;
      cap = ncap;
      ingest_advise_huge(buf, cap);
    }
    ssize_t n = read(fd, buf + len, ingest_min(cap - len, INT_MAX));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      return lr_err_set(err, LR_ERR_INPUT, "%s: cannot read: %s", name,
                        ingest_strerror(e, errbuf, sizeof errbuf));
    }
    if (n == 0) break; /* end of input; len < cap, so the NUL has its byte */
    len += (size_t)n;
  }
  *buf_out = buf;
  *len_out = len;
  return LR_OK;
}

int ingest_read_raw(const char *path, unsigned char **raw_out, size_t *len_out, lr_err *err) {
  int is_stdin = strcmp(path, "-") == 0;
  int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  char errbuf[128];
  char *raw = NULL;
  size_t raw_len = 0;

  *raw_out = NULL;
  *len_out = 0;
  if (fd < 0) {
    return lr_err_set(err, LR_ERR_INPUT, "%s: cannot read: %s", path,
                      ingest_strerror(errno, errbuf, sizeof errbuf));
  }
  int rc = ingest_read_fd(fd, path, &raw, &raw_len, err);
  if (!is_stdin) close(fd); /* read-only: a failing close loses nothing */
  if (rc != LR_OK) return rc;
  raw[raw_len] = '\0';
  *raw_out = (unsigned char *)raw;
  *len_out = raw_len;
  return LR_OK;
}


/* ---- streaming (ingest.h: ingest_stream_*) --------------------------------------- */

struct ingest_stream {
  const char *name;
  unsigned char *raw;  /* the input as stored; for a plain input it becomes the data */
  size_t raw_len;
  int gzip;
  ingest_out out;      /* gzip: the reserved region being filled */
  size_t map_len;      /* gzip: the reservation's size */
};

int ingest_stream_open(const char *path, ingest_stream **out, lr_err *err) {
  *out = NULL;
  ingest_stream *s = lr_xcalloc(1, sizeof *s);
  s->name = path;
  int rc = ingest_read_raw(path, &s->raw, &s->raw_len, err);
  if (rc != LR_OK) {
    free(s);
    return rc;
  }
  s->gzip = s->raw_len >= 2 && s->raw[0] == 0x1f && s->raw[1] == 0x8b;
  if (s->gzip) {
    /* deflate expands at most ~1032:1, so this bounds the output; untouched pages cost
     * address space only */
    size_t bound = s->raw_len > SIZE_MAX / (INGEST_MAX_RATIO + 1) - ((size_t)1 << 20)
                       ? SIZE_MAX / 2
                       : s->raw_len * (INGEST_MAX_RATIO + 1) + ((size_t)1 << 20);
    lr_err ignored;
    s->map_len = bound;
    s->out.data = reserve_map(bound, &ignored);
    if (s->out.data == NULL) {
      /* No address space for the region (ulimit -v, valgrind): inflate it all now into
       * the heap, and the stream publishes it at once like a plain input. */
      char *text;
      size_t text_len;
      rc = ingest_inflate_buffer(path, s->raw, s->raw_len, &text, &text_len, err);
      free(s->raw);
      if (rc != LR_OK) {
        free(s);
        return rc;
      }
      s->raw = (unsigned char *)text;
      s->raw_len = text_len;
      s->gzip = 0;
    } else {
      s->out.cap = bound;
      s->out.fixed = 1;
    }
  }
  *out = s;
  return LR_OK;
}

const char *ingest_stream_data(const ingest_stream *s) {
  return s->gzip ? s->out.data : (const char *)s->raw;
}

int ingest_stream_run(ingest_stream *s, _Atomic size_t *available, lr_err *err) {
  if (!s->gzip) {
    atomic_store_explicit(available, s->raw_len, memory_order_release);
    return LR_OK;
  }
  s->out.progress = available;
  int rc = ingest_inflate_members(s->name, s->raw, s->raw_len, &s->out, err);
  s->out.progress = NULL;
  free(s->raw);
  s->raw = NULL;
  return rc;
}

void ingest_stream_close(ingest_stream *s, char **data_out, size_t *len_out, size_t *map_len_out) {
  if (s == NULL) return;
  if (!s->gzip) {
    *data_out = (char *)s->raw;
    *len_out = s->raw_len;
    *map_len_out = 0;
  } else {
    /* keep the data and its NUL, return the rest of the reservation */
    reserve_trim(s->out.data, s->map_len, s->out.len + 1);
    *data_out = s->out.data;
    *len_out = s->out.len;
    *map_len_out = s->out.len + 1;
  }
  free(s);
}

void ingest_stream_abort(ingest_stream *s) {
  if (s == NULL) return;
  free(s->raw);
  if (s->gzip) reserve_trim(s->out.data, s->map_len, 0);
  free(s);
}
