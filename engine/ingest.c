/* ingest.c — bytes in: reads an INPUT (a path or `-`) a chunk at a time and, when it
 * starts with the gzip magic bytes, inflates every member into the text region; or
 * inflates a gzip byte string held in memory (ingest_inflate_buffer).
 *
 * Owns: the stored-byte window (read() as the inflater consumes it), the gzip member walk
 * (header, trailer, NUL padding, what may follow a member) and the two inflaters, chosen
 * at build time — ISA-L (LR_HAVE_ISAL, about 2.5x faster) or zlib. The walk is one
 * resumable state machine (ingest_walk_step) over the window, shared by the stream and
 * ingest_inflate_buffer (whose window is the whole buffer), so that every way in gives the
 * same bytes and the same error, with the same offset, for every input; only "inflate
 * this raw deflate stream" differs between builds (ingest_call_fn).
 *
 * This is the serial front of the pipeline, so it avoids copies: a plain input is read
 * straight into the region, a gzip input is inflated straight into it; stored bytes are
 * read once, into a window of INGEST_READ_CHUNK reused for the whole input. Anything that
 * straddles two reads (a header, a trailer, the magic bytes of the next member, a run of
 * NULs) is read through ingest_src_need / _skip, which refill the window; the inflaters
 * carry their own state across refills.
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
 * the fault: both builds give the same message for every input. zlib needs the member's
 * stored bytes from its start again: a regular file is read again from there (lseek), a
 * memory buffer is at hand, and a pipe's window keeps the current member (src.hold) — the
 * one place where a stream's memory grows with the input (ingest.h says so).
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
/* ingest_read_raw's first buffer for inputs of unknown length (pipes). */
#define INGEST_READ_FIRST ((size_t)1 << 20)
/* A deflate stream cannot expand more than about 1032:1, so a larger ISIZE hint is noise. */
#define INGEST_MAX_RATIO 1032
/* Text per step of ingest_stream_run: readers start after the first few MiB. */
#define INGEST_STREAM_STEP ((size_t)4 << 20)
/* The region of an input whose stored size is unknown (a pipe): address space only. */
#define INGEST_UNKNOWN_REGION ((size_t)1 << 40)
/* Consumed bytes kept before the read position when the window is refilled: ISA-L ends a
 * stream with up to 8 whole bytes of the next data in its 64-bit bit buffer, which may
 * have come from before the refill (ingest_isal_call). */
#define INGEST_LOOKBACK 8
/* Slack after a read in the window: the unconsumed tail of a header or trailer (at most
 * 10 bytes) and the lookback are moved before the next read. */
#define INGEST_WINDOW_SLACK 64
/* Output window of zlib's second opinion (ISA-L builds): its bytes are only counted. */
#define INGEST_JUDGE_WINDOW ((size_t)256 << 10)

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
  INGEST_NOMEM,       /* the output or the window could not grow */
  INGEST_TOO_LARGE,   /* the text would outgrow its region */
  INGEST_READ_ERROR   /* read() or lseek() failed (src.read_errno) */
};

/* Where the member walk is: at a member's magic bytes (its header next), inside its
 * deflate data, after a member (NUL padding, then another member or the end), done. */
enum ingest_phase { INGEST_AT_MEMBER, INGEST_IN_DATA, INGEST_AFTER_MEMBER, INGEST_DONE };

/* The text: data[cap - 1] is always kept free for the terminating NUL. It grows by
 * realloc in ingest_inflate_buffer; a stream's is a reserved region that never moves
 * (fixed), and every piece of text is published to readers through *progress. */
typedef struct ingest_out {
  char *data;
  size_t len;
  size_t cap;
  int fixed;                 /* a reserved region: cannot grow */
  _Atomic size_t *progress;  /* stream, during a step: bytes [0, *progress) are final */
} ingest_out;

/* The stored bytes: a window buf[0, end) over the input's bytes [base, base + end). */
typedef struct ingest_src {
  int fd;                   /* -1: the whole input is the window (ingest_inflate_buffer) */
  int seekable;             /* a regular file: a member can be read again (lseek) */
  off_t origin;             /* the fd's offset of stored byte 0 (stdin may start mid-file) */
  unsigned char *mem;       /* the window's own buffer (NULL: memory input) */
  const unsigned char *buf; /* the window; buf[pos, end) is not consumed yet */
  size_t cap, pos, end;
  size_t base;              /* the stored offset of buf[0] (offsets in messages) */
  size_t hold;              /* pipe, ISA-L: stored offset of the current member, kept in
                               the window for zlib's verdict; SIZE_MAX: keep nothing */
  int eof;                  /* no more bytes after buf[end) */
  int read_errno;           /* INGEST_READ_ERROR's cause */
} ingest_src;

typedef struct ingest_inflater ingest_inflater;

struct ingest_stream {
  const char *name;
  int own_fd;               /* src.fd was opened here (not standard input) */
  int gzip;
  int phase;                /* enum ingest_phase (a plain input: IN_DATA, then DONE) */
  ingest_src src;
  ingest_out out;
  size_t map_len;           /* the region's size; 0: out.data is malloc'ed */
  size_t member_at;         /* stored offset of the current member, or of the bytes after
                               a member that are not one (the offset in messages) */
  size_t member_text;       /* where the current member's text starts in out */
  uint32_t crc;             /* the CRC-32 of that text so far */
  ingest_inflater *inf;     /* gzip, until the input is done */
};

static const char *ingest_strerror(int errnum, char *buf, size_t buf_len) {
  /* GNU strerror_r (we build with _GNU_SOURCE): thread-safe, returns the text. */
  return strerror_r(errnum, buf, buf_len);
}

static size_t ingest_min(size_t a, size_t b) { return a < b ? a : b; }

/* Publishes o->len to stream readers (release: the bytes before it are visible first). */
static void ingest_out_publish(const ingest_out *o) {
  if (o->progress != NULL) atomic_store_explicit(o->progress, o->len, memory_order_release);
}

/* Makes room for n more bytes besides the NUL slot: a region has it or not; a heap
 * buffer grows geometrically. */
static int ingest_out_make_room(ingest_out *o, size_t n) {
  if (o->cap - 1 - o->len >= n) return INGEST_OK;
  if (o->fixed) return INGEST_TOO_LARGE;
  size_t cap = o->cap + o->cap / 2 + ((size_t)64 << 10);
  if (cap - 1 - o->len < n) cap = o->len + n + 1;
  char *p = realloc(o->data, cap);
  if (p == NULL) return INGEST_NOMEM;
  o->data = p;
  o->cap = cap;
  return INGEST_OK;
}

/* ---- the stored-byte window ------------------------------------------------------ */

/* One read() of up to want bytes of the input into dst (the window, or a plain input's
 * region), retried on EINTR: in->end grows by what came, in->eof is set at the end. */
static int ingest_src_read(ingest_src *in, void *dst, size_t want) {
  for (;;) {
    ssize_t n = read(in->fd, dst, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      in->read_errno = errno;
      return INGEST_READ_ERROR;
    }
    if (n == 0) in->eof = 1;
    in->end += (size_t)n;
    return INGEST_OK;
  }
}

/* Reads more stored bytes after buf[end): one read(), ending at most at the next multiple
 * of INGEST_READ_CHUNK. Room is made first by dropping consumed bytes, except the last
 * INGEST_LOOKBACK and everything from `hold` on; the window grows only when what is held
 * fills half of it. At the end of the input sets eof. */
static int ingest_src_more(ingest_src *in) {
  if (in->eof) return INGEST_OK;
  size_t want = INGEST_READ_CHUNK - (in->base + in->end) % INGEST_READ_CHUNK;
  if (in->cap - in->end < want) {
    size_t keep = in->pos > INGEST_LOOKBACK ? in->pos - INGEST_LOOKBACK : 0;
    if (in->hold != SIZE_MAX && in->hold - in->base < keep) keep = in->hold - in->base;
    if (keep > 0) memmove(in->mem, in->mem + keep, in->end - keep);
    in->base += keep;
    in->pos -= keep;
    in->end -= keep;
    if (in->cap - in->end < ingest_min(want, in->cap / 2)) {
      size_t cap = in->cap * 2;
      unsigned char *p = realloc(in->mem, cap);
      if (p == NULL) return INGEST_NOMEM;
      in->mem = p;
      in->buf = p;
      in->cap = cap;
    }
  }
  return ingest_src_read(in, in->mem + in->end, ingest_min(want, in->cap - in->end));
}

/* Reads until k (at most INGEST_WINDOW_SLACK) bytes are unconsumed or the input ends;
 * the caller checks which. */
static int ingest_src_need(ingest_src *in, size_t k) {
  while (in->end - in->pos < k && !in->eof) {
    int status = ingest_src_more(in);
    if (status != INGEST_OK) return status;
  }
  return INGEST_OK;
}

/* Consumes n bytes; TRUNCATED if the input ends first. */
static int ingest_src_skip(ingest_src *in, size_t n) {
  for (;;) {
    size_t take = ingest_min(n, in->end - in->pos);
    in->pos += take;
    n -= take;
    if (n == 0) return INGEST_OK;
    if (in->eof) return INGEST_TRUNCATED;
    int status = ingest_src_more(in);
    if (status != INGEST_OK) return status;
  }
}

/* Consumes bytes up to and including the next NUL; TRUNCATED if the input ends first. */
static int ingest_src_skip_string(ingest_src *in) {
  for (;;) {
    const unsigned char *nul = memchr(in->buf + in->pos, 0, in->end - in->pos);
    if (nul != NULL) {
      in->pos = (size_t)(nul - in->buf) + 1;
      return INGEST_OK;
    }
    in->pos = in->end;
    if (in->eof) return INGEST_TRUNCATED;
    int status = ingest_src_more(in);
    if (status != INGEST_OK) return status;
  }
}

/* ---- gzip members ----------------------------------------------------------------- */

/* Consumes the gzip member header at the window's position (its first two bytes are the
 * magic), as GzipFile parses it. */
static int ingest_read_header(ingest_src *in) {
  int status = ingest_src_need(in, 10);
  if (status != INGEST_OK) return status;
  if (in->end - in->pos < 10) return INGEST_TRUNCATED;
  const unsigned char *p = in->buf + in->pos;
  if (p[2] != 8) return INGEST_BAD_METHOD;
  int flg = p[3];
  in->pos += 10;
  if (flg & GZ_FEXTRA) {
    status = ingest_src_need(in, 2);
    if (status != INGEST_OK) return status;
    if (in->end - in->pos < 2) return INGEST_TRUNCATED;
    size_t xlen = (size_t)in->buf[in->pos] | (size_t)in->buf[in->pos + 1] << 8;
    in->pos += 2;
    status = ingest_src_skip(in, xlen);
  }
  for (int field = GZ_FNAME; field <= GZ_FCOMMENT && status == INGEST_OK; field <<= 1)
    if (flg & field) status = ingest_src_skip_string(in);
  if ((flg & GZ_FHCRC) && status == INGEST_OK) status = ingest_src_skip(in, 2);
  return status;
}

static uint32_t ingest_le32(const unsigned char *t) {
  return (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
}

/* Consumes a member's 8-byte trailer, read whole before it is checked: the CRC first,
 * then ISIZE (the text length mod 2^32). */
static int ingest_read_trailer(ingest_src *in, uint32_t crc, size_t text_len) {
  int status = ingest_src_need(in, 8);
  if (status != INGEST_OK) return status;
  if (in->end - in->pos < 8) return INGEST_TRUNCATED;
  const unsigned char *t = in->buf + in->pos;
  if (ingest_le32(t) != crc) return INGEST_BAD_CRC;
  if (ingest_le32(t + 4) != (uint32_t)text_len) return INGEST_BAD_LENGTH;
  in->pos += 8;
  return INGEST_OK;
}

/* One call of an inflater: raw deflate data from in[0, in_len) into out[0, out_len). */
typedef struct ingest_call {
  const unsigned char *in;
  size_t in_len;
  char *out;
  size_t out_len;
  const unsigned char *stop; /* out: the input is consumed up to here; at the stream's end,
                                just past it (ISA-L: possibly before `in`, in the lookback) */
  size_t made;               /* out: bytes written to out */
  uint32_t crc;              /* in/out: CRC-32 of the member's text so far */
  int end;                   /* out: the deflate stream ended */
} ingest_call;

typedef int (*ingest_call_fn)(void *state, ingest_call *c);

/* zlib, in every build: the inflater of a zlib build, and the judge of failing members
 * in an ISA-L build. zlib leaves next_in just past the stream's last byte at its end
 * (GzipFile's unused_data relies on that too). */
static int ingest_zlib_call(void *state, ingest_call *c) {
  z_stream *z = state;
  z->next_in = (Bytef *)c->in;
  z->avail_in = (uInt)c->in_len;
  z->next_out = (Bytef *)c->out;
  z->avail_out = (uInt)c->out_len;
  int ret = inflate(z, Z_NO_FLUSH);
  c->stop = z->next_in;
  c->made = c->out_len - z->avail_out;
  /* The CRC of each piece right after inflating it, while it is still in cache (zlib's
   * gzip mode does the same internally). */
  c->crc = (uint32_t)crc32(c->crc, (const Bytef *)c->out, (uInt)c->made);
  c->end = ret == Z_STREAM_END;
  if (ret == Z_MEM_ERROR) return INGEST_NOMEM;
  return ret == Z_OK || ret == Z_BUF_ERROR || ret == Z_STREAM_END ? INGEST_OK : INGEST_CORRUPT;
}

static int ingest_zlib_init(z_stream *z) {
  memset(z, 0, sizeof *z);
  /* -15: raw deflate with a 32 KiB window; headers and trailers are ours. */
  return inflateInit2(z, -15) == Z_OK ? INGEST_OK : INGEST_NOMEM;
}

/* Inflates the window's deflate data into out[0, out_len) until the stream ends (*end_out)
 * or out is full, reading stored bytes as they are consumed. *made_out counts the bytes
 * written, also on failure; *crc is updated. */
static int ingest_deflate(ingest_src *in, ingest_call_fn call, void *state, char *out,
                          size_t out_len, uint32_t *crc, size_t *made_out, int *end_out) {
  size_t made = 0;
  int stalled = 0, status = INGEST_OK;
  *end_out = 0;
  while (made < out_len) {
    if (in->pos == in->end && !in->eof) {
      status = ingest_src_more(in);
      if (status != INGEST_OK) break;
      continue;
    }
    ingest_call c = { in->buf + in->pos, ingest_min(in->end - in->pos, INGEST_CHUNK), out + made,
                      ingest_min(out_len - made, INGEST_CHUNK), NULL, 0, *crc, 0 };
    status = call(state, &c);
    made += c.made;
    *crc = c.crc;
    in->pos = (size_t)(c.stop - in->buf);
    if (status != INGEST_OK) break;
    if (c.end) {
      *end_out = 1;
      break;
    }
    if (c.made == 0 && c.stop == c.in) {
      /* Nothing moved: at the end of the input the member is cut short; with input and
       * room left, try once more (ISA-L's state may have moved inside), then stop rather
       * than loop. */
      if (c.in_len == 0) {
        status = INGEST_TRUNCATED;
        break;
      }
      if (stalled++) {
        status = INGEST_CORRUPT;
        break;
      }
    } else {
      stalled = 0;
    }
  }
  *made_out = made;
  return status;
}

#if LR_HAVE_ISAL

/* The inflaters' state; on the heap, as ISA-L's holds a 64 KiB window (too big for a
 * worker thread's stack). */
struct ingest_inflater {
  struct inflate_state isal;
  z_stream z;
  int z_ready; /* z is initialised (only once a member has failed) */
};

/* A pipe's window keeps the current member for zlib's verdict (see the top of the file). */
#define INGEST_HOLDS_MEMBERS 1

static int ingest_inflater_init(ingest_inflater *inf) {
  isal_inflate_init(&inf->isal);
  inf->z_ready = 0;
  return INGEST_OK;
}

static void ingest_inflater_end(ingest_inflater *inf) {
  if (inf->z_ready) inflateEnd(&inf->z);
}

static void ingest_inflater_reset(ingest_inflater *inf) {
  isal_inflate_reset(&inf->isal);
  /* Raw deflate with the gzip CRC computed (not checked): the trailer is ours. */
  inf->isal.crc_flag = ISAL_GZIP_NO_HDR;
}

/* ISA-L's ingest_call_fn. ISA-L reads input 8 bytes at a time; at the stream's end, whole
 * bytes still in its bit buffer lie past the end of the stream. ISA-L 2.30 (Debian 12)
 * leaves them counted in read_in_length; later versions give them back to next_in and
 * zero it. Either way they may have been read before the window was refilled: they are
 * then in its lookback. */
static int ingest_isal_call(void *state, ingest_call *c) {
  struct inflate_state *st = state;
  st->next_in = (uint8_t *)c->in;
  st->avail_in = (uint32_t)c->in_len;
  st->next_out = (uint8_t *)c->out;
  st->avail_out = (uint32_t)c->out_len;
  int ret = isal_inflate(st);
  c->made = c->out_len - st->avail_out;
  c->crc = st->crc;
  c->end = st->block_state == ISAL_BLOCK_FINISH;
  c->stop = st->next_in - (c->end ? (size_t)st->read_in_length / 8 : 0);
  return ret < 0 ? INGEST_CORRUPT : INGEST_OK;
}

static int ingest_inflate_some(ingest_inflater *inf, ingest_src *in, char *out, size_t out_len,
                               uint32_t *crc, size_t *made_out, int *end_out) {
  return ingest_deflate(in, ingest_isal_call, &inf->isal, out, out_len, crc, made_out, end_out);
}

/* Goes back to stored offset `at` (the current member's start) for zlib to read it again:
 * it is still in the window (memory, a pipe's hold), or a regular file is read from there. */
static int ingest_src_rewind(ingest_src *in, size_t at) {
  if (at >= in->base) {
    in->pos = at - in->base;
    return INGEST_OK;
  }
  if (lseek(in->fd, in->origin + (off_t)at, SEEK_SET) < 0) {
    in->read_errno = errno;
    return INGEST_READ_ERROR;
  }
  in->base = at;
  in->pos = in->end = 0;
  in->eof = 0;
  return INGEST_OK;
}

/* ISA-L failed the current member with `status`: zlib inflates it again from its start,
 * and its verdict is the one reported (see the top of the file). Readers may already hold
 * what ISA-L published of the member, so zlib's text goes through a small window and only
 * its bytes past that are stored: valid deflate data inflates the same in both, so zlib
 * succeeding would mean an ISA-L bug; the rest of the member is then zlib's. */
static int ingest_judge(ingest_stream *s, int status) {
  if (status == INGEST_NOMEM || status == INGEST_TOO_LARGE || status == INGEST_READ_ERROR) return status;
  ingest_inflater *inf = s->inf;
  if (!inf->z_ready) {
    if (ingest_zlib_init(&inf->z) != INGEST_OK) return INGEST_NOMEM;
    inf->z_ready = 1;
  }
  if (inflateReset(&inf->z) != Z_OK) return INGEST_NOMEM;
  status = ingest_src_rewind(&s->src, s->member_at);
  if (status == INGEST_OK) status = ingest_read_header(&s->src);
  if (status != INGEST_OK) return status;
  ingest_out *o = &s->out;
  size_t published = o->len - s->member_text, total = 0;
  uint32_t crc = 0;
  char *window = lr_xmalloc(INGEST_JUDGE_WINDOW);
  for (int end = 0; !end && status == INGEST_OK;) {
    size_t made = 0;
    status = ingest_deflate(&s->src, ingest_zlib_call, &inf->z, window, INGEST_JUDGE_WINDOW, &crc,
                            &made, &end);
    if (status == INGEST_OK && total + made > published) {
      size_t from = total > published ? total : published, n = total + made - from;
      status = ingest_out_make_room(o, n);
      if (status == INGEST_OK) {
        memcpy(o->data + s->member_text + from, window + (from - total), n);
        o->len += n;
        ingest_out_publish(o);
      }
    }
    total += made;
  }
  free(window);
  return status == INGEST_OK ? ingest_read_trailer(&s->src, crc, total) : status;
}

const char *ingest_inflater_name(void) { return "isa-l"; }

#else

struct ingest_inflater {
  z_stream z;
};

#define INGEST_HOLDS_MEMBERS 0

static int ingest_inflater_init(ingest_inflater *inf) { return ingest_zlib_init(&inf->z); }

static void ingest_inflater_end(ingest_inflater *inf) { inflateEnd(&inf->z); }

static void ingest_inflater_reset(ingest_inflater *inf) { (void)inflateReset(&inf->z); }

static int ingest_inflate_some(ingest_inflater *inf, ingest_src *in, char *out, size_t out_len,
                               uint32_t *crc, size_t *made_out, int *end_out) {
  return ingest_deflate(in, ingest_zlib_call, &inf->z, out, out_len, crc, made_out, end_out);
}

/* zlib's verdict is the only one. */
static int ingest_judge(ingest_stream *s, int status) {
  (void)s;
  return status;
}

const char *ingest_inflater_name(void) { return "zlib"; }

#endif

/* Inflates the current member's deflate data into the text, up to `limit` bytes of text,
 * then reads its trailer. A failure goes to ingest_judge, which reads the member (and its
 * trailer) again when it can tell more. */
static int ingest_walk_data(ingest_stream *s, size_t limit) {
  ingest_out *o = &s->out;
  int end = 0, status = INGEST_OK;
  while (!end && o->len < limit && status == INGEST_OK) {
    /* A heap buffer grows before it is nearly full: a tiny room would look like a stall. */
    status = ingest_out_make_room(o, o->fixed ? 1 : (size_t)64 << 10);
    if (status != INGEST_OK) break;
    size_t made = 0;
    status = ingest_inflate_some(s->inf, &s->src, o->data + o->len,
                                 ingest_min(o->cap - 1 - o->len, limit - o->len), &s->crc, &made, &end);
    o->len += made;
    ingest_out_publish(o);
  }
  if (status == INGEST_OK && !end) return INGEST_OK; /* the step's text is made */
  if (status == INGEST_OK) status = ingest_read_trailer(&s->src, s->crc, o->len - s->member_text);
  if (status != INGEST_OK) status = ingest_judge(s, status);
  if (status != INGEST_OK) return status;
  s->src.hold = SIZE_MAX;
  s->phase = INGEST_AFTER_MEMBER;
  return INGEST_OK;
}

/* The member walk of SPEC §1 / A40, resumed where the last step left it: runs until the
 * text reaches `limit` bytes (stopping only inside deflate data) or the input is done. */
static int ingest_walk_step(ingest_stream *s, size_t limit) {
  ingest_src *in = &s->src;
  int status = INGEST_OK;
  while (status == INGEST_OK && s->phase != INGEST_DONE) {
    switch (s->phase) {
    case INGEST_AT_MEMBER:
      if (INGEST_HOLDS_MEMBERS && in->fd >= 0 && !in->seekable) in->hold = s->member_at;
      status = ingest_read_header(in);
      if (status != INGEST_OK) break;
      ingest_inflater_reset(s->inf);
      s->member_text = s->out.len;
      s->crc = 0;
      s->phase = INGEST_IN_DATA;
      break;
    case INGEST_IN_DATA:
      if (s->out.len >= limit) return INGEST_OK;
      status = ingest_walk_data(s, limit);
      break;
    default: /* INGEST_AFTER_MEMBER */
      /* NUL padding after a member is skipped, whether or not another member follows. */
      while (in->pos < in->end && in->buf[in->pos] == 0) in->pos++;
      if (in->pos < in->end || in->eof) {
        s->member_at = in->base + in->pos;
        if (in->pos == in->end) {
          s->phase = INGEST_DONE;
          break;
        }
        status = ingest_src_need(in, 2);
        if (status != INGEST_OK) break;
        if (in->end - in->pos < 2 || in->buf[in->pos] != 0x1f || in->buf[in->pos + 1] != 0x8b)
          status = INGEST_NOT_MEMBER;
        else
          s->phase = INGEST_AT_MEMBER;
      } else {
        status = ingest_src_more(in);
      }
      break;
    }
  }
  return status;
}

/* Turns a status into the one-line message naming the input; the offset (in the stored
 * input) is that of the member or bytes concerned. */
static int ingest_fail(lr_err *err, const ingest_stream *s, int status) {
  const char *name = s->name;
  size_t at = s->member_at;
  char errbuf[128];
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
  case INGEST_TOO_LARGE:
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: input too large: its text outgrows the %zu bytes reserved for it",
                      name, s->out.cap - 1);
  case INGEST_READ_ERROR:
    return lr_err_set(err, LR_ERR_INPUT, "%s: cannot read: %s", name,
                      ingest_strerror(s->src.read_errno, errbuf, sizeof errbuf));
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

int ingest_inflate_buffer(const char *name, const unsigned char *gz, size_t gz_len,
                          char **data_out, size_t *len_out, lr_err *err) {
  *data_out = NULL;
  *len_out = 0;
  if (gz_len < 2 || gz[0] != 0x1f || gz[1] != 0x8b)
    return lr_err_set(err, LR_ERR_INPUT, "%s: bad gzip input: not a gzip stream", name);
  /* A stream whose window is the whole buffer, into a growing heap buffer, in one step. */
  ingest_stream s = { .name = name, .gzip = 1, .phase = INGEST_AT_MEMBER };
  s.src = (ingest_src){ .fd = -1, .buf = gz, .cap = gz_len, .end = gz_len, .hold = SIZE_MAX, .eof = 1 };
  s.out.cap = ingest_estimate(gz, gz_len);
  s.out.data = malloc(s.out.cap);
  s.inf = lr_xmalloc(sizeof *s.inf);
  int status = s.out.data == NULL ? INGEST_NOMEM : ingest_inflater_init(s.inf);
  if (status == INGEST_OK) {
    status = ingest_walk_step(&s, SIZE_MAX);
    ingest_inflater_end(s.inf);
  }
  free(s.inf);
  if (status != INGEST_OK) {
    free(s.out.data);
    return ingest_fail(err, &s, status);
  }
  s.out.data[s.out.len] = '\0';
  *data_out = s.out.data;
  *len_out = s.out.len;
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

/* Reads fd to its end into a malloc'ed buffer that starts with the head_len bytes already
 * read from it, with one spare byte after the data. A regular file is read into a buffer
 * of exactly its remaining size plus one, so the final zero-length read finds the room it
 * needs and nothing is reallocated. */
static int ingest_read_fd(int fd, const char *name, const unsigned char *head, size_t head_len,
                          char **buf_out, size_t *len_out, lr_err *err) {
  struct stat st;
  size_t cap = INGEST_READ_FIRST, len = head_len;
  char errbuf[128];
  char *buf;

  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    off_t here = lseek(fd, 0, SEEK_CUR);
    if (here >= 0 && st.st_size >= here) cap = (size_t)(st.st_size - here) + head_len + 1;
  }
  buf = malloc(cap);
  if (buf == NULL) return lr_err_set(err, LR_ERR_MEMORY, "%s: out of memory reading input", name);
  ingest_advise_huge(buf, cap);
  if (head_len > 0) memcpy(buf, head, head_len);
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
  int rc = ingest_read_fd(fd, path, NULL, 0, &raw, &raw_len, err);
  if (!is_stdin) close(fd); /* read-only: a failing close loses nothing */
  if (rc != LR_OK) return rc;
  raw[raw_len] = '\0';
  *raw_out = (unsigned char *)raw;
  *len_out = raw_len;
  return LR_OK;
}


/* ---- streaming (ingest.h: ingest_stream_*) --------------------------------------- */

/* Frees what reading the input needs — the fd, the window, the inflater — once it is
 * done, or when the stream ends. */
static void ingest_stream_drop_input(ingest_stream *s) {
  if (s->own_fd && s->src.fd >= 0) close(s->src.fd); /* read-only: nothing to lose */
  s->src.fd = -1;
  free(s->src.mem);
  s->src.mem = NULL;
  if (s->inf != NULL) {
    ingest_inflater_end(s->inf);
    free(s->inf);
    s->inf = NULL;
  }
}

/* Reads up to n bytes (fewer only at the end of the input) into p. */
static int ingest_read_full(ingest_src *in, unsigned char *p, size_t n, size_t *got_out) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(in->fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      in->read_errno = errno;
      return INGEST_READ_ERROR;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  *got_out = got;
  return INGEST_OK;
}

/* No address space for the region (ulimit -v, valgrind): reads the rest of the input into
 * the heap now, inflating it if gzip; the first step publishes it all. */
static int ingest_stream_open_whole(ingest_stream *s, const unsigned char *head, size_t head_len,
                                    lr_err *err) {
  char *raw;
  size_t raw_len;
  int rc = ingest_read_fd(s->src.fd, s->name, head, head_len, &raw, &raw_len, err);
  if (rc != LR_OK) return rc;
  if (s->gzip) {
    char *text;
    size_t text_len;
    rc = ingest_inflate_buffer(s->name, (const unsigned char *)raw, raw_len, &text, &text_len, err);
    free(raw);
    if (rc != LR_OK) return rc;
    raw = text;
    raw_len = text_len;
  }
  raw[raw_len] = '\0';
  s->out = (ingest_out){ raw, raw_len, raw_len + 1, 1, NULL };
  s->phase = INGEST_DONE;
  ingest_stream_drop_input(s);
  return LR_OK;
}

int ingest_stream_open(const char *path, ingest_stream **out, lr_err *err) {
  *out = NULL;
  int is_stdin = strcmp(path, "-") == 0;
  int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  char errbuf[128];
  if (fd < 0)
    return lr_err_set(err, LR_ERR_INPUT, "%s: cannot read: %s", path,
                      ingest_strerror(errno, errbuf, sizeof errbuf));
  ingest_stream *s = lr_xcalloc(1, sizeof *s);
  s->name = path;
  s->own_fd = !is_stdin;
  s->src = (ingest_src){ .fd = fd, .hold = SIZE_MAX };
  s->phase = INGEST_IN_DATA;

  size_t stored = SIZE_MAX; /* unknown */
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    off_t here = lseek(fd, 0, SEEK_CUR);
    if (here >= 0 && st.st_size >= here) {
      s->src.seekable = 1;
      s->src.origin = here;
      stored = (size_t)(st.st_size - here);
    }
  }
  unsigned char head[2];
  size_t head_len = 0;
  int rc = LR_OK;
  if (ingest_read_full(&s->src, head, sizeof head, &head_len) != INGEST_OK) {
    rc = ingest_fail(err, s, INGEST_READ_ERROR);
    goto done;
  }
  s->gzip = head_len == 2 && head[0] == 0x1f && head[1] == 0x8b;
  size_t bound;
  if (stored == SIZE_MAX)
    bound = INGEST_UNKNOWN_REGION;
  else if (!s->gzip)
    bound = stored + 1;
  else /* deflate expands at most ~1032:1; untouched pages cost address space only */
    bound = stored > SIZE_MAX / (INGEST_MAX_RATIO + 1) - ((size_t)1 << 20)
                ? SIZE_MAX / 2
                : stored * (INGEST_MAX_RATIO + 1) + ((size_t)1 << 20);
  lr_err ignored;
  char *region = reserve_map(bound, &ignored);
  if (region == NULL) {
    rc = ingest_stream_open_whole(s, head, head_len, err);
    goto done;
  }
  s->map_len = bound;
  s->out = (ingest_out){ region, 0, bound, 1, NULL };
  if (!s->gzip) {
    /* The bytes read so far are text; the rest is read straight after them. */
    memcpy(region, head, head_len);
    s->src.end = head_len;
    s->src.eof = head_len < sizeof head;
    goto done;
  }
  s->src.cap = INGEST_READ_CHUNK + INGEST_WINDOW_SLACK;
  s->src.mem = lr_xmalloc(s->src.cap);
  s->src.buf = s->src.mem;
  memcpy(s->src.mem, head, head_len);
  s->src.end = head_len;
  s->phase = INGEST_AT_MEMBER;
  s->inf = lr_xmalloc(sizeof *s->inf);
  if (ingest_inflater_init(s->inf) != INGEST_OK) {
    free(s->inf);
    s->inf = NULL;
    rc = ingest_fail(err, s, INGEST_NOMEM);
  }
done:
  if (rc != LR_OK) {
    ingest_stream_abort(s);
    return rc;
  }
  *out = s;
  return LR_OK;
}

const char *ingest_stream_data(const ingest_stream *s) { return s->out.data; }

/* A plain input's step: the region is its window (src.end bytes read into it so far, the
 * first by open's magic check) and reads go straight into it, up to `limit` bytes of text.
 * The region's last byte (the NUL's) takes the read that finds the end of the input. */
static int ingest_plain_step(ingest_stream *s, size_t limit) {
  ingest_out *o = &s->out;
  ingest_src *in = &s->src;
  while (o->len < limit && (o->len < in->end || !in->eof)) {
    if (o->len == in->end) {
      if (in->end == o->cap) return INGEST_TOO_LARGE;
      size_t want = INGEST_READ_CHUNK - in->end % INGEST_READ_CHUNK;
      want = ingest_min(ingest_min(want, limit - in->end), o->cap - in->end);
      int rc = ingest_src_read(in, o->data + in->end, want);
      if (rc != INGEST_OK) return rc;
    }
    o->len = ingest_min(in->end, limit);
    ingest_out_publish(o);
  }
  if (in->eof && o->len == in->end) s->phase = INGEST_DONE;
  return INGEST_OK;
}

int ingest_stream_step(ingest_stream *s, size_t max_bytes, _Atomic size_t *available,
                       int *done_out, lr_err *err) {
  *done_out = 0;
  size_t limit = s->out.len + ingest_min(max_bytes, SIZE_MAX - s->out.len);
  s->out.progress = available;
  int status = INGEST_OK;
  if (s->phase != INGEST_DONE) status = s->gzip ? ingest_walk_step(s, limit) : ingest_plain_step(s, limit);
  if (status != INGEST_OK) return ingest_fail(err, s, status);
  if (s->phase == INGEST_DONE) {
    s->out.data[s->out.len] = '\0'; /* before the last publish: readers may look at it */
    ingest_stream_drop_input(s);
    *done_out = 1;
  }
  ingest_out_publish(&s->out);
  return LR_OK;
}

int ingest_stream_run(ingest_stream *s, _Atomic size_t *available, lr_err *err) {
  int done = 0, rc = LR_OK;
  while (rc == LR_OK && !done) rc = ingest_stream_step(s, INGEST_STREAM_STEP, available, &done, err);
  return rc;
}

void ingest_stream_release(ingest_stream *s, size_t upto) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = ((uintptr_t)s->out.data + page - 1) & ~(page - 1);
  uintptr_t e = ((uintptr_t)s->out.data + upto) & ~(page - 1);
  /* Advice on pages nobody reads again: failure only leaves them resident. */
  if (e > a) (void)madvise((void *)a, e - a, MADV_DONTNEED);
}

void ingest_stream_close(ingest_stream *s, char **data_out, size_t *len_out, size_t *map_len_out) {
  if (s == NULL) return;
  ingest_stream_drop_input(s);
  *data_out = s->out.data;
  *len_out = s->out.len;
  *map_len_out = 0;
  if (s->map_len != 0) {
    /* keep the text and its NUL, return the rest of the reservation */
    reserve_trim(s->out.data, s->map_len, s->out.len + 1);
    *map_len_out = s->out.len + 1;
  }
  free(s);
}

void ingest_stream_abort(ingest_stream *s) {
  if (s == NULL) return;
  ingest_stream_drop_input(s);
  if (s->map_len != 0) reserve_trim(s->out.data, s->map_len, 0);
  else free(s->out.data);
  free(s);
}
