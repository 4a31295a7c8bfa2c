/* test_ingest.c — the streaming read (ingest_stream_*) / ingest_inflate_buffer: plain and gzip inputs (single,
 * multi-member, NUL padding, header fields), every damaged-gzip class of refscore A40, empty,
 * 1-byte and missing inputs, standard input from a file and from a pipe, and which inflater
 * the build uses. Every input is read whole (ingest_stream_run) and in steps of 1, 7, 4096
 * and 1 MiB bytes, and must give the same text or message as ingest_inflate_buffer; member
 * boundaries are placed across the INGEST_READ_CHUNK reads, in files and in pipes fed by a
 * child; a large input is stepped with ingest_stream_release while RSS is watched. Gzip data
 * is made here with zlib; files go to a fresh mkdtemp directory. */
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest.h"
#include "reserve.h"
#include "testhelp.h"

static char tmpdir[] = "/tmp/lr_test_ingest_XXXXXX";

typedef struct bytes {
  unsigned char *p;
  size_t n;
} bytes;

static void bytes_add(bytes *b, const void *s, size_t n) {
  b->p = realloc(b->p, b->n + n + 1);
  memcpy(b->p + b->n, s, n);
  b->n += n;
}

/* Appends one gzip member of s to b; head may set a name, comment, extra field, hcrc. */
static void gz_member(bytes *b, const char *s, size_t n, gz_header *head) {
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  if (head != NULL) deflateSetHeader(&z, head);
  size_t cap = deflateBound(&z, n) + 256;
  unsigned char *out = malloc(cap);
  z.next_in = (Bytef *)s;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  int ret = deflate(&z, Z_FINISH);
  TEST_EQ_INT(ret, Z_STREAM_END);
  bytes_add(b, out, cap - z.avail_out);
  deflateEnd(&z);
  free(out);
}

static char *write_file(const char *name, const void *data, size_t n) {
  static char path[4][512];
  static int slot;
  char *p = path[slot++ % 4];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  FILE *f = fopen(p, "wb");
  fwrite(data, 1, n, f);
  fclose(f);
  return p;
}

/* Standard input from a pipe that a child fills with p[0, n) and closes (a pipe holds only
 * 64 KiB, so the writer must run beside the reader). Undo with stdin_restore. */
typedef struct piped {
  pid_t child;
  int saved_stdin;
} piped;

static piped stdin_from_child(const unsigned char *p, size_t n) {
  int pfd[2];
  piped pp = { -1, dup(STDIN_FILENO) };
  if (pipe(pfd) != 0) return pp;
  pp.child = fork();
  if (pp.child == 0) {
    close(pfd[0]);
    for (size_t off = 0; off < n;) {
      ssize_t w = write(pfd[1], p + off, n - off);
      if (w <= 0) _exit(1); /* the reader stopped early (an error case): fine */
      off += (size_t)w;
    }
    _exit(0);
  }
  close(pfd[1]);
  dup2(pfd[0], STDIN_FILENO);
  close(pfd[0]);
  return pp;
}

static void stdin_restore(piped pp) {
  dup2(pp.saved_stdin, STDIN_FILENO); /* closes the read end first: a writer blocked on it ends */
  close(pp.saved_stdin);
  if (pp.child > 0) waitpid(pp.child, NULL, 0);
}

/* Reads path through the streaming API the scan uses — ingest_stream_run when step is 0,
 * else ingest_stream_step(step) until done, checking that every step but the last
 * publishes exactly `step` bytes and none more — then close; checks that everything was
 * published and hands back a malloc'ed copy; returns the code and leaves data/len/err for
 * the caller. */
static int read_path(const char *path, size_t step, char **data, size_t *len, lr_err *err) {
  lr_err_clear(err);
  *data = NULL;
  *len = 0;
  ingest_stream *s;
  int rc = ingest_stream_open(path, &s, err);
  if (rc != LR_OK) return rc;
  _Atomic size_t available = 0;
  if (step == 0) {
    rc = ingest_stream_run(s, &available, err);
  } else {
    size_t bad_steps = 0;
    for (int done = 0; !done && rc == LR_OK;) {
      size_t before = atomic_load(&available);
      rc = ingest_stream_step(s, step, &available, &done, err);
      size_t got = atomic_load(&available) - before;
      if (rc == LR_OK && (got > step || (!done && got != step))) bad_steps++;
    }
    TEST_EQ_INT(bad_steps, 0);
  }
  if (rc != LR_OK) {
    ingest_stream_abort(s);
    return rc;
  }
  char *text;
  size_t n, map_len;
  ingest_stream_close(s, &text, &n, &map_len);
  TEST_EQ_INT(atomic_load(&available), n);
  TEST_EQ_INT(text[n], 0);
  *data = malloc(n + 1);
  memcpy(*data, text, n + 1);
  *len = n;
  if (map_len != 0) reserve_trim(text, map_len, 0);
  else free(text);
  return LR_OK;
}

/* The ways every input is read: whole, then in steps of these sizes. */
static const size_t STEPS[] = { 0, 1, 7, 4096, (size_t)1 << 20 };
#define N_STEPS (sizeof STEPS / sizeof STEPS[0])

/* When path holds gzip, ingest_inflate_buffer on its bytes must agree: rc, and the text
 * (want) or the message (want_msg). */
static void expect_same_in_memory(const char *path, int want_rc, const char *want, size_t want_len,
                                  const char *want_msg) {
  unsigned char *raw;
  size_t raw_len;
  lr_err err;
  if (ingest_read_raw(path, &raw, &raw_len, &err) != LR_OK) return;
  if (raw_len >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
    char *data = NULL;
    size_t len = 0;
    lr_err_clear(&err);
    TEST_EQ_INT(ingest_inflate_buffer(path, raw, raw_len, &data, &len, &err), want_rc);
    if (want_rc == LR_OK) TEST_CHECK(len == want_len && data != NULL && memcmp(data, want, len) == 0);
    else TEST_EQ_STR(err.msg, want_msg);
    free(data);
  }
  free(raw);
}

/* Expects path to read successfully as exactly want[0..want_len), every way. */
static void expect_ok(const char *path, const char *want, size_t want_len) {
  for (size_t k = 0; k < N_STEPS; k++) {
    char *data = NULL;
    size_t len = 99;
    lr_err err;
    int rc = read_path(path, STEPS[k], &data, &len, &err);
    TEST_EQ_INT(rc, LR_OK);
    if (rc != LR_OK) printf("  step %zu: %s\n", STEPS[k], err.msg);
    TEST_EQ_INT(len, want_len);
    TEST_CHECK(data != NULL && len == want_len && memcmp(data, want, want_len) == 0);
    TEST_CHECK(data != NULL && data[len] == '\0');
    free(data);
  }
  expect_same_in_memory(path, LR_OK, want, want_len, NULL);
}

/* Expects LR_ERR_INPUT with message exactly want_msg, every way. */
static void expect_err(const char *path, const char *want_msg) {
  for (size_t k = 0; k < N_STEPS; k++) {
    char *data = (char *)1;
    size_t len = 99;
    lr_err err;
    int rc = read_path(path, STEPS[k], &data, &len, &err);
    TEST_EQ_INT(rc, LR_ERR_INPUT);
    TEST_EQ_STR(err.msg, want_msg);
    TEST_CHECK(data == NULL);
    TEST_EQ_INT(len, 0);
  }
  expect_same_in_memory(path, LR_ERR_INPUT, NULL, 0, want_msg);
}

/* The same through standard input from a pipe (its size unknown): the text, or the
 * message printed from want_fmt with the name "-". */
static void expect_pipe(const bytes *b, const char *want, size_t want_len, const char *want_fmt) {
  static const size_t pipe_steps[] = { 0, 7, (size_t)1 << 20 };
  for (size_t k = 0; k < sizeof pipe_steps / sizeof pipe_steps[0]; k++) {
    char *data = NULL;
    size_t len = 0;
    lr_err err;
    piped pp = stdin_from_child(b->p, b->n);
    int rc = read_path("-", pipe_steps[k], &data, &len, &err);
    stdin_restore(pp);
    if (want_fmt == NULL) {
      TEST_EQ_INT(rc, LR_OK);
      if (rc != LR_OK) printf("  pipe, step %zu: %s\n", pipe_steps[k], err.msg);
      TEST_CHECK(data != NULL && len == want_len && memcmp(data, want, want_len) == 0);
    } else {
      char msg[700];
      snprintf(msg, sizeof msg, want_fmt, "-");
      TEST_EQ_INT(rc, LR_ERR_INPUT);
      TEST_EQ_STR(err.msg, msg);
    }
    free(data);
  }
}

/* b as a file and through a pipe: the text want, or (want_fmt != NULL) the message
 * printed from want_fmt with the input's name. */
static void expect_bytes(const char *file, const bytes *b, const char *want, size_t want_len,
                         const char *want_fmt) {
  char *path = write_file(file, b->p, b->n);
  if (want_fmt == NULL) {
    expect_ok(path, want, want_len);
  } else {
    char msg[700];
    snprintf(msg, sizeof msg, want_fmt, path);
    expect_err(path, msg);
  }
  expect_pipe(b, want, want_len, want_fmt);
}

static const char TEXT1[] = "lead_id,company\nL1,\"Acme, Inc\"\n";
static const char TEXT2[] = "L2,Globex\nL3,Initech\n";

static void test_plain(void) {
  expect_ok(write_file("plain.csv", TEXT1, strlen(TEXT1)), TEXT1, strlen(TEXT1));
  /* 1f alone is not the magic: the byte is data (the framer decides what it means). */
  expect_ok(write_file("one.csv", "\x1f", 1), "\x1f", 1);
  /* 8b 1f is not the magic either (order matters). */
  expect_ok(write_file("rev.csv", "\x8b\x1f", 2), "\x8b\x1f", 2);
  /* Empty input: fine here, with a NUL terminator; "no header" is the framer's error. */
  expect_ok(write_file("empty.csv", "", 0), "", 0);
}

static void test_missing(void) {
  char path[600], want[700];
  snprintf(path, sizeof path, "%s/nope.csv", tmpdir);
  snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
  expect_err(path, want);
  /* A directory opens but cannot be read. */
  snprintf(want, sizeof want, "%s: cannot read: Is a directory", tmpdir);
  expect_err(tmpdir, want);
}

static void test_gzip_ok(void) {
  bytes b = { 0 }, all = { 0 };
  char want[256];
  snprintf(want, sizeof want, "%s%s", TEXT1, TEXT2);

  gz_member(&b, TEXT1, strlen(TEXT1), NULL);
  expect_ok(write_file("one.csv.gz", b.p, b.n), TEXT1, strlen(TEXT1));

  /* Two members back to back (cat a.gz b.gz). */
  gz_member(&b, TEXT2, strlen(TEXT2), NULL);
  expect_ok(write_file("two.csv.gz", b.p, b.n), want, strlen(want));

  /* NULs between members and after the last are skipped. */
  gz_member(&all, TEXT1, strlen(TEXT1), NULL);
  bytes_add(&all, "\0\0\0", 3);
  gz_member(&all, TEXT2, strlen(TEXT2), NULL);
  bytes_add(&all, "\0\0\0\0\0\0\0\0\0\0", 10);
  expect_ok(write_file("pad.csv.gz", all.p, all.n), want, strlen(want));

  /* An empty member contributes nothing; a member of an empty text is still a member. */
  free(all.p);
  all = (bytes){ 0 };
  gz_member(&all, "", 0, NULL);
  gz_member(&all, TEXT2, strlen(TEXT2), NULL);
  gz_member(&all, "", 0, NULL);
  expect_ok(write_file("empties.csv.gz", all.p, all.n), TEXT2, strlen(TEXT2));
  free(all.p);
  free(b.p);
}

static void test_gzip_header_fields(void) {
  bytes b = { 0 };
  gz_header h;
  memset(&h, 0, sizeof h);
  h.name = (Bytef *)"leads.csv";
  h.comment = (Bytef *)"exported";
  h.extra = (Bytef *)"AB\x02\x00xy";
  h.extra_len = 6;
  h.hcrc = 1;
  h.os = 3;
  gz_member(&b, TEXT1, strlen(TEXT1), &h);
  TEST_EQ_INT(b.p[3], 0x02 | 0x04 | 0x08 | 0x10);
  gz_member(&b, TEXT2, strlen(TEXT2), &h);
  char want[256];
  snprintf(want, sizeof want, "%s%s", TEXT1, TEXT2);
  expect_ok(write_file("fields.csv.gz", b.p, b.n), want, strlen(want));

  /* As in Python's gzip.GzipFile (refscore A40): the header CRC is skipped unchecked,
   * and reserved flag bits are ignored. FLG, MTIME, XFL, OS (10) + XLEN (2) + extra (6) +
   * name and comment with their NULs (10 + 9) = 37 bytes, then the two CRC bytes. */
  char msg[700];
  char *p;
  b.p[37] ^= 0x01;
  b.p[3] |= 0x20;
  expect_ok(write_file("hcrc.csv.gz", b.p, b.n), want, strlen(want));
  b.p[37] ^= 0x01;
  b.p[3] &= (unsigned char)~0x20;

  /* The header length counts every field: dropping FNAME from the flags (so the name
   * is read as deflate data) must fail, not skip the name. */
  b.p[3] &= (unsigned char)~0x08;
  p = write_file("noname.csv.gz", b.p, b.n);
  char *data = NULL;
  size_t len = 0;
  lr_err err;
  TEST_CHECK(read_path(p, 0, &data, &len, &err) == LR_ERR_INPUT);
  b.p[3] |= 0x08;

  /* Header cut inside the file name: truncated. */
  p = write_file("hdrcut.csv.gz", b.p, 25);
  snprintf(msg, sizeof msg,
           "%s: truncated gzip input (a member ends before its end-of-stream marker and trailer)", p);
  expect_err(p, msg);
  free(b.p);
}

/* Found by comparing with Python's gzip module on bit-flipped files: two members, the
 * second (at offset 30) with one flipped bit in its Huffman table header. zlib (and
 * Python) call it invalid deflate data; ISA-L decodes something and only the CRC fails,
 * so without the zlib re-check an ISA-L build would say "CRC mismatch". */
static bytes flipped_members(void) {
  static const char flipped_hex[] =
      "1f8b0800000000000003cb494d4c89cf4cd1a9e002009eeac7b60a0000001f8b0800000000000403"
      "154fc1ad430108ba3b8503705019a811db43920ef0c7ff3c1313a222f0fbecfbf57de32f46c91dac"
      "aa044d2d052e598b9d8bba11634e2452c64bf454363b038767d9d941997b795dab6166d21752b436"
      "d851b99d47f5220e552d5f4e9cbbb270ba03b67911eb619279c3b5924b7e0aa1efb1aaa52d3d00ac"
      "8b645aa65d21efa36f1663f24e280c123393205080adee4607ccca745e34124d2ba55496a85475d9"
      "ceedb18f8e7933b74e75f50f65b3a3ae36010000";
  bytes b = { 0 };
  for (size_t k = 0; k + 1 < sizeof flipped_hex; k += 2) {
    unsigned v;
    sscanf(flipped_hex + k, "%2x", &v);
    unsigned char c = (unsigned char)v;
    bytes_add(&b, &c, 1);
  }
  return b;
}

static void test_gzip_damaged(void) {
  bytes b = { 0 };
  char msg[700];
  char *p;
  gz_member(&b, TEXT1, strlen(TEXT1), NULL);
  size_t n1 = b.n;
  gz_member(&b, TEXT2, strlen(TEXT2), NULL);
  const char *trunc =
      "%s: truncated gzip input (a member ends before its end-of-stream marker and trailer)";

  /* Truncated: inside the trailer, inside the deflate data, right after the magic. */
  p = write_file("trunc1.csv.gz", b.p, b.n - 3);
  snprintf(msg, sizeof msg, trunc, p);
  expect_err(p, msg);
  p = write_file("trunc2.csv.gz", b.p, n1 - 12);
  snprintf(msg, sizeof msg, trunc, p);
  expect_err(p, msg);
  p = write_file("trunc3.csv.gz", b.p, 2);
  snprintf(msg, sizeof msg, trunc, p);
  expect_err(p, msg);
  /* A second member that has only its magic. */
  {
    bytes c = { 0 };
    bytes_add(&c, b.p, n1);
    bytes_add(&c, "\x1f\x8b", 2);
    p = write_file("trunc4.csv.gz", c.p, c.n);
    snprintf(msg, sizeof msg, trunc, p);
    expect_err(p, msg);
    free(c.p);
  }

  /* CRC mismatch in the second member (its trailer starts 8 bytes before the end). */
  b.p[b.n - 8] ^= 0x55;
  p = write_file("crc.csv.gz", b.p, b.n);
  snprintf(msg, sizeof msg, "%s: bad gzip input: CRC mismatch in the member at offset %zu", p, n1);
  expect_err(p, msg);
  b.p[b.n - 8] ^= 0x55;

  /* ISIZE mismatch in the first member. */
  b.p[n1 - 4] ^= 0x01;
  p = write_file("isize.csv.gz", b.p, b.n);
  snprintf(msg, sizeof msg, "%s: bad gzip input: length mismatch in the member at offset 0", p);
  expect_err(p, msg);
  b.p[n1 - 4] ^= 0x01;

  /* Garbage after the last member; then NULs followed by garbage; then a lone 1f. */
  {
    bytes c = { 0 };
    bytes_add(&c, b.p, b.n);
    bytes_add(&c, "junk", 4);
    p = write_file("junk.csv.gz", c.p, c.n);
    snprintf(msg, sizeof msg,
             "%s: bad gzip input: bytes at offset %zu after a member do not begin another gzip member",
             p, b.n);
    expect_err(p, msg);
    c.n = b.n;
    bytes_add(&c, "\0\0x", 3);
    p = write_file("nuljunk.csv.gz", c.p, c.n);
    snprintf(msg, sizeof msg,
             "%s: bad gzip input: bytes at offset %zu after a member do not begin another gzip member",
             p, b.n + 2);
    expect_err(p, msg);
    c.n = b.n;
    bytes_add(&c, "\x1f", 1);
    p = write_file("lone1f.csv.gz", c.p, c.n);
    snprintf(msg, sizeof msg,
             "%s: bad gzip input: bytes at offset %zu after a member do not begin another gzip member",
             p, b.n);
    expect_err(p, msg);
    free(c.p);
  }

  /* Unknown compression method in the second member. */
  b.p[n1 + 2] = 7;
  p = write_file("method.csv.gz", b.p, b.n);
  snprintf(msg, sizeof msg, "%s: bad gzip input: unknown compression method in the member at offset %zu",
           p, n1);
  expect_err(p, msg);
  free(b.p);

  /* Corrupt deflate data: a final block of the reserved type 3 (first byte 0x07). */
  static const unsigned char bad_block[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255,
                                             0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  p = write_file("corrupt.csv.gz", bad_block, sizeof bad_block);
  snprintf(msg, sizeof msg, "%s: corrupt gzip input: invalid deflate data in the member at offset 0", p);
  expect_err(p, msg);

  /* One flipped bit in a Huffman table header: zlib's verdict in both builds. */
  bytes flipped = flipped_members();
  p = write_file("flipped.csv.gz", flipped.p, flipped.n);
  snprintf(msg, sizeof msg, "%s: corrupt gzip input: invalid deflate data in the member at offset 30", p);
  expect_err(p, msg);
  free(flipped.p);
}

/* A member much larger than the first buffer estimate (3x compressed size): the output
 * must grow many times, across several members, and come out byte-exact. */
static void test_gzip_growth(void) {
  size_t n = (size_t)3 << 20;
  char *text = malloc(n);
  for (size_t i = 0; i < n; i++) text[i] = (char)('a' + (i / 7) % 3);
  bytes b = { 0 };
  gz_member(&b, text, n / 2, NULL);
  gz_member(&b, text + n / 2, n - n / 2, NULL);
  TEST_CHECK(b.n * 3 < n / 10); /* really forces growth */
  expect_ok(write_file("big.csv.gz", b.p, b.n), text, n);

  /* The same through ingest_inflate_buffer, on memory. */
  char *data = NULL;
  size_t len = 0;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(ingest_inflate_buffer("mem", b.p, b.n, &data, &len, &err), LR_OK);
  TEST_EQ_INT(len, n);
  TEST_CHECK(data != NULL && memcmp(data, text, n) == 0 && data[n] == '\0');
  free(data);

  /* ingest_inflate_buffer refuses bytes that are not gzip at all. */
  TEST_EQ_INT(ingest_inflate_buffer("mem", (const unsigned char *)"ab", 2, &data, &len, &err),
              LR_ERR_INPUT);
  TEST_EQ_STR(err.msg, "mem: bad gzip input: not a gzip stream");
  free(b.p);
  free(text);
}

/* `-` reads standard input exactly like a file: from a regular file (from its current
 * offset on, which is offset 0 in messages) and from a pipe. */
static void test_stdin(void) {
  bytes b = { 0 }, f = { 0 }, flipped = flipped_members();
  gz_member(&b, TEXT1, strlen(TEXT1), NULL);
  int saved = dup(STDIN_FILENO);

  bytes_add(&f, "xyz", 3);
  bytes_add(&f, b.p, b.n);
  bytes_add(&f, flipped.p, flipped.n);
  int fd = open(write_file("stdin.csv.gz", f.p, f.n), O_RDWR);
  dup2(fd, STDIN_FILENO);
  close(fd);
  for (size_t k = 0; k < N_STEPS; k++) {
    char *data = NULL;
    size_t len = 0;
    lr_err err;
    /* Only the good member; then both, where the failing one is read again from its
     * start (ISA-L's verdict goes to zlib): offsets count from where stdin started. */
    TEST_EQ_INT(ftruncate(STDIN_FILENO, 3 + (off_t)b.n), 0);
    lseek(STDIN_FILENO, 3, SEEK_SET);
    TEST_EQ_INT(read_path("-", STEPS[k], &data, &len, &err), LR_OK);
    TEST_CHECK(data != NULL && len == strlen(TEXT1) && memcmp(data, TEXT1, len) == 0);
    free(data);
    TEST_EQ_INT(pwrite(STDIN_FILENO, flipped.p, flipped.n, 3 + (off_t)b.n), (long long)flipped.n);
    lseek(STDIN_FILENO, 3, SEEK_SET);
    char want[200];
    snprintf(want, sizeof want, "-: corrupt gzip input: invalid deflate data in the member at offset %zu",
             b.n + 30);
    TEST_EQ_INT(read_path("-", STEPS[k], &data, &len, &err), LR_ERR_INPUT);
    TEST_EQ_STR(err.msg, want);
  }
  dup2(saved, STDIN_FILENO);
  close(saved);

  expect_pipe(&b, TEXT1, strlen(TEXT1), NULL);
  /* A damaged stream on stdin is named "-". */
  b.n--;
  expect_pipe(&b, NULL, 0, "%s: truncated gzip input (a member ends before its end-of-stream marker and trailer)");
  free(b.p);
  free(f.p);
  free(flipped.p);
}

/* Text that deflate cannot shrink much (6 bits a byte), the same for the same state. */
static void gen_text(char *p, size_t n, uint64_t *state) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,\n";
  uint64_t x = *state;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = alphabet[x >> 58];
  }
  *state = x;
}

/* Appends NULs up to offset `at` (padding, which the walk skips). */
static void pad_to(bytes *b, size_t at) {
  if (b->n >= at) return;
  b->p = realloc(b->p, at + 1);
  memset(b->p + b->n, 0, at - b->n);
  b->n = at;
}

#define CHUNK INGEST_READ_CHUNK

/* Member boundaries across a read of the stored bytes (INGEST_READ_CHUNK): the next
 * member's magic, its fixed header and every optional header field, the end of the
 * deflate data at each of the 12 bytes before a read ends (ISA-L's 8-byte bit buffer then
 * holds bytes of the previous read), the trailer, NUL padding up to the boundary, deflate
 * data itself; and the damaged cases there, with their offsets. Each as a file and as a
 * pipe, in steps of every size. */
static void test_chunk_straddles(void) {
  bytes m1 = { 0 }, m2 = { 0 }, mh = { 0 }, b = { 0 };
  char want[256], fmt[300];
  gz_member(&m1, TEXT1, strlen(TEXT1), NULL);
  gz_member(&m2, TEXT2, strlen(TEXT2), NULL);
  snprintf(want, sizeof want, "%s%s", TEXT1, TEXT2);
  size_t want_len = strlen(want);

  static const size_t before_boundary[] = { 1, 2, 4, 9, 10, 11 };
  for (size_t k = 0; k < sizeof before_boundary / sizeof before_boundary[0]; k++) {
    b.n = 0;
    bytes_add(&b, m1.p, m1.n);
    pad_to(&b, CHUNK - before_boundary[k]);
    bytes_add(&b, m2.p, m2.n);
    expect_bytes("magic.gz", &b, want, want_len, NULL);
  }
  for (size_t d = 0; d <= 12; d++) { /* the trailer starts d bytes before the boundary */
    b.n = 0;
    bytes_add(&b, m1.p, m1.n);
    pad_to(&b, CHUNK - d - (m2.n - 8));
    bytes_add(&b, m2.p, m2.n);
    expect_bytes("trailer.gz", &b, want, want_len, NULL);
  }
  /* A header with every field (10 + XLEN 2 + extra 6 + name 10 + comment 9 + CRC 2). */
  gz_header h;
  memset(&h, 0, sizeof h);
  h.name = (Bytef *)"leads.csv";
  h.comment = (Bytef *)"exported";
  h.extra = (Bytef *)"AB\x02\x00xy";
  h.extra_len = 6;
  h.hcrc = 1;
  gz_member(&mh, TEXT2, strlen(TEXT2), &h);
  for (size_t k = 11; k <= 40; k += 3) {
    b.n = 0;
    bytes_add(&b, m1.p, m1.n);
    pad_to(&b, CHUNK - k);
    bytes_add(&b, mh.p, mh.n);
    expect_bytes("fields.gz", &b, want, want_len, NULL);
  }
  /* NULs up to the boundary, then the next member; NULs across it to the end. */
  b.n = 0;
  bytes_add(&b, m1.p, m1.n);
  pad_to(&b, CHUNK);
  bytes_add(&b, m2.p, m2.n);
  pad_to(&b, 2 * CHUNK + 5);
  expect_bytes("nuls.gz", &b, want, want_len, NULL);

  /* Deflate data across the boundary: a 600 KB member from 200 KB before it. */
  size_t big_len = 600000;
  char *big = malloc(big_len + want_len);
  uint64_t seed = 88172645463325252ull;
  gen_text(big, big_len, &seed);
  memcpy(big + big_len, TEXT2, strlen(TEXT2));
  bytes mb = { 0 };
  gz_member(&mb, big, big_len, NULL);
  b.n = 0;
  bytes first = { 0 };
  gz_member(&first, big, 0, NULL); /* an empty first member */
  bytes_add(&b, first.p, first.n);
  pad_to(&b, CHUNK - 200000);
  size_t big_at = b.n;
  bytes_add(&b, mb.p, mb.n);
  bytes_add(&b, m2.p, m2.n);
  TEST_CHECK(big_at + mb.n > CHUNK + 100000);
  expect_bytes("data.gz", &b, big, big_len + strlen(TEXT2), NULL);

  /* Damaged there: the member's CRC, then its length, then cut inside its data. */
  b.p[big_at + mb.n - 8] ^= 0x40;
  snprintf(fmt, sizeof fmt, "%%s: bad gzip input: CRC mismatch in the member at offset %zu", big_at);
  expect_bytes("bigcrc.gz", &b, NULL, 0, fmt);
  b.p[big_at + mb.n - 8] ^= 0x40;
  b.p[big_at + mb.n - 1] ^= 0x01;
  snprintf(fmt, sizeof fmt, "%%s: bad gzip input: length mismatch in the member at offset %zu", big_at);
  expect_bytes("biglen.gz", &b, NULL, 0, fmt);
  b.p[big_at + mb.n - 1] ^= 0x01;
  const char *trunc = "%s: truncated gzip input (a member ends before its end-of-stream marker and trailer)";
  b.n = CHUNK + 5;
  expect_bytes("bigcut.gz", &b, NULL, 0, trunc);

  /* The trailer cut after the boundary; the header cut at it. */
  b.n = 0;
  bytes_add(&b, m1.p, m1.n);
  pad_to(&b, CHUNK - 4 - (m2.n - 8));
  bytes_add(&b, m2.p, m2.n - 2);
  expect_bytes("trailercut.gz", &b, NULL, 0, trunc);
  b.n = 0;
  bytes_add(&b, m1.p, m1.n);
  pad_to(&b, CHUNK - 20);
  bytes_add(&b, mh.p, 24);
  expect_bytes("headercut.gz", &b, NULL, 0, trunc);

  /* Bytes that are not a member: 1f at the last byte before the boundary, x after it;
   * x right at the boundary after NULs. Method 7 in a header across it. */
  b.n = 0;
  bytes_add(&b, m1.p, m1.n);
  pad_to(&b, CHUNK - 1);
  bytes_add(&b, "\x1fx", 2);
  snprintf(fmt, sizeof fmt,
           "%%s: bad gzip input: bytes at offset %zu after a member do not begin another gzip member", CHUNK - 1);
  expect_bytes("junk.gz", &b, NULL, 0, fmt);
  b.n = CHUNK - 1;
  pad_to(&b, CHUNK);
  bytes_add(&b, "x", 1);
  snprintf(fmt, sizeof fmt,
           "%%s: bad gzip input: bytes at offset %zu after a member do not begin another gzip member", CHUNK);
  expect_bytes("nuljunk.gz", &b, NULL, 0, fmt);
  b.n = 0;
  bytes_add(&b, m1.p, m1.n);
  pad_to(&b, CHUNK - 2);
  size_t method_at = b.n;
  bytes_add(&b, m2.p, m2.n);
  b.p[method_at + 2] = 7;
  snprintf(fmt, sizeof fmt, "%%s: bad gzip input: unknown compression method in the member at offset %zu",
           method_at);
  expect_bytes("method.gz", &b, NULL, 0, fmt);

  /* The member ISA-L misjudges, across the boundary: zlib reads it again from its start
   * (before the window, in a file; held in the window, in a pipe). */
  bytes flipped = flipped_members();
  b.n = 0;
  bytes_add(&b, flipped.p, 30);
  pad_to(&b, CHUNK - 100);
  bytes_add(&b, flipped.p + 30, flipped.n - 30);
  snprintf(fmt, sizeof fmt, "%%s: corrupt gzip input: invalid deflate data in the member at offset %zu",
           CHUNK - 100);
  expect_bytes("flipped.gz", &b, NULL, 0, fmt);

  free(flipped.p);
  free(first.p);
  free(mb.p);
  free(big);
  free(mh.p);
  free(m1.p);
  free(m2.p);
  free(b.p);
}

/* A pipe streams: its text is published while the writer has not even written the rest
 * (a whole read would block for ever: the alarm ends the test then). */
static void test_pipe_streams(void) {
  bytes a = { 0 }, rest = { 0 };
  gz_member(&a, TEXT1, strlen(TEXT1), NULL);
  gz_member(&rest, TEXT2, strlen(TEXT2), NULL);
  int data_pipe[2], go_pipe[2];
  TEST_EQ_INT(pipe(data_pipe), 0);
  TEST_EQ_INT(pipe(go_pipe), 0);
  pid_t child = fork();
  if (child == 0) {
    char go;
    close(data_pipe[0]);
    close(go_pipe[1]);
    if (write(data_pipe[1], a.p, a.n) != (ssize_t)a.n || read(go_pipe[0], &go, 1) != 1 ||
        write(data_pipe[1], rest.p, rest.n) != (ssize_t)rest.n)
      _exit(1);
    _exit(0);
  }
  close(data_pipe[1]);
  close(go_pipe[0]);
  int saved = dup(STDIN_FILENO);
  dup2(data_pipe[0], STDIN_FILENO);
  close(data_pipe[0]);

  alarm(60);
  ingest_stream *s;
  lr_err err;
  _Atomic size_t available = 0;
  int done = 0;
  TEST_EQ_INT(ingest_stream_open("-", &s, &err), LR_OK);
  /* All of the first member's text but its last byte: no need to look past it. */
  TEST_EQ_INT(ingest_stream_step(s, strlen(TEXT1) - 1, &available, &done, &err), LR_OK);
  TEST_EQ_INT(atomic_load(&available), strlen(TEXT1) - 1);
  TEST_EQ_INT(done, 0);
  TEST_CHECK(memcmp(ingest_stream_data(s), TEXT1, strlen(TEXT1) - 1) == 0);
  TEST_EQ_INT(write(go_pipe[1], "g", 1), 1);
  close(go_pipe[1]);
  while (!done) TEST_EQ_INT(ingest_stream_step(s, 5, &available, &done, &err), LR_OK);
  alarm(0);
  char want[256];
  snprintf(want, sizeof want, "%s%s", TEXT1, TEXT2);
  TEST_EQ_INT(atomic_load(&available), strlen(want));
  TEST_CHECK(memcmp(ingest_stream_data(s), want, strlen(want) + 1) == 0);
  ingest_stream_abort(s);
  int status = -1;
  waitpid(child, &status, 0);
  TEST_EQ_INT(status, 0);
  dup2(saved, STDIN_FILENO);
  close(saved);
  free(a.p);
  free(rest.p);
}

/* Resident set size in bytes (/proc/self/statm). */
static size_t rss_bytes(void) {
  unsigned long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL) return 0;
  if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  fclose(f);
  return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Pages of [p, p + n) in memory (p page-aligned). */
static size_t resident_pages(const char *p, size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = n / page, count = 0;
  unsigned char *vec = malloc(pages + 1);
  if (mincore((void *)p, pages * page, vec) == 0)
    for (size_t i = 0; i < pages; i++) count += vec[i] & 1;
  free(vec);
  return count;
}

#define RSS_TEXT ((size_t)40 << 20)
#define RSS_PIECE ((size_t)1 << 20)

/* Writes RSS_TEXT bytes of gen_text as gzip to path, one member per `member_len` bytes
 * of text, with no large buffer (the measuring process must not hold it). */
static size_t write_big_gz(const char *name, size_t member_len, char **path_out) {
  char *path = write_file(name, "", 0);
  FILE *f = fopen(path, "wb");
  char *text = malloc(RSS_PIECE);
  size_t out_cap = deflateBound(NULL, RSS_PIECE) + 64, stored = 0;
  unsigned char *out = malloc(out_cap);
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  for (size_t off = 0; off < RSS_TEXT; off += RSS_PIECE) {
    gen_text(text, RSS_PIECE, &seed);
    int last = off + RSS_PIECE == RSS_TEXT || (off + RSS_PIECE) % member_len == 0;
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)RSS_PIECE;
    do {
      z.next_out = out;
      z.avail_out = (uInt)out_cap;
      deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      stored += fwrite(out, 1, out_cap - z.avail_out, f);
    } while (z.avail_out == 0 || (last && z.avail_in > 0));
    if (last) deflateReset(&z);
  }
  deflateEnd(&z);
  fclose(f);
  free(out);
  free(text);
  *path_out = path;
  return stored;
}

/* Steps the input at path in RSS_PIECE steps, checking the text and releasing it as it
 * goes: RSS must stay far below both the stored size (the input is not read whole) and
 * the text (released pages are given back). */
static void step_and_release(const char *path, size_t stored) {
  TEST_CHECK(stored > (size_t)30 << 20); /* so reading it whole would show */
  size_t rss0 = rss_bytes(), peak = 0, checked = 0;
  char *want = malloc(RSS_PIECE);
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  ingest_stream *s;
  lr_err err;
  _Atomic size_t available = 0;
  int done = 0, bad = 0;
  TEST_EQ_INT(ingest_stream_open(path, &s, &err), LR_OK);
  const char *data = ingest_stream_data(s);
  while (!done) {
    if (ingest_stream_step(s, RSS_PIECE, &available, &done, &err) != LR_OK) {
      printf("  %s\n", err.msg);
      bad++;
      break;
    }
    size_t avail = atomic_load(&available);
    if (avail > checked) {
      gen_text(want, avail - checked, &seed);
      bad += memcmp(data + checked, want, avail - checked) != 0;
    }
    if (checked == 2 * RSS_PIECE) {
      /* the new text is resident, and after the release nothing before it is */
      TEST_EQ_INT(resident_pages(data + checked, avail - checked), RSS_PIECE / (size_t)sysconf(_SC_PAGESIZE));
      ingest_stream_release(s, avail);
      TEST_EQ_INT(resident_pages(data, avail), 0);
    }
    checked = avail;
    ingest_stream_release(s, avail);
    size_t rss = rss_bytes();
    if (rss > rss0 && rss - rss0 > peak) peak = rss - rss0;
  }
  TEST_EQ_INT(bad, 0);
  TEST_EQ_INT(checked, RSS_TEXT);
  printf("  %s: stored %zu MiB, text %zu MiB, peak RSS growth %zu KiB\n", path, stored >> 20, RSS_TEXT >> 20,
         peak >> 10);
  TEST_CHECK(peak < (size_t)12 << 20);
  ingest_stream_abort(s);
  free(want);
}

/* Bounded memory: a 40 MiB single-member file; the same text in 1 MiB members through a
 * pipe (an ISA-L build keeps a pipe's current member, so one member at a time). */
static void test_release_rss(void) {
  char *path;
  size_t stored = write_big_gz("rss1.gz", RSS_TEXT, &path);
  step_and_release(path, stored);
  stored = write_big_gz("rss2.gz", RSS_PIECE, &path);
  int pfd[2];
  TEST_EQ_INT(pipe(pfd), 0);
  pid_t child = fork();
  if (child == 0) { /* copies the file into the pipe, in its own memory */
    char buf[65536];
    int fd = open(path, O_RDONLY);
    close(pfd[0]);
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
      if (write(pfd[1], buf, (size_t)n) != n) _exit(1);
    _exit(0);
  }
  close(pfd[1]);
  int saved = dup(STDIN_FILENO);
  dup2(pfd[0], STDIN_FILENO);
  close(pfd[0]);
  step_and_release("-", stored);
  dup2(saved, STDIN_FILENO);
  close(saved);
  waitpid(child, NULL, 0);
}

/* Under an address-space limit (ulimit -v) no region can be reserved: open reads the
 * input whole into the heap and the first step publishes it all, for a pipe (gzip or
 * plain) and for a gzip file whose region would be too large. In a child, which reports
 * its failures through its exit status. ASan reserves terabytes of shadow: not there. */
static void test_address_space_fallback(void) {
#if defined(__SANITIZE_ADDRESS__)
  printf("  address-space fallback: skipped under AddressSanitizer\n");
#else
  size_t text_len = (size_t)2 << 20;
  char *text = malloc(text_len);
  uint64_t seed = 12345;
  gen_text(text, text_len, &seed);
  bytes gz = { 0 };
  gz_member(&gz, text, text_len, NULL);
  char *path = write_file("limited.gz", gz.p, gz.n);
  pid_t child = fork();
  if (child == 0) {
    unsigned long vm_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL || fscanf(f, "%lu", &vm_pages) != 1) _exit(2);
    fclose(f);
    rlim_t limit = vm_pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)768 << 20);
    struct rlimit rl = { limit, limit };
    if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(2);
    /* the file's region: stored size x 1033 > 768 MiB */
    if ((size_t)gz.n * 1033 < ((size_t)800 << 20)) _exit(3);
    for (int way = 0; way < 3; way++) {
      piped pp = { -1, -1 };
      if (way == 1) pp = stdin_from_child(gz.p, gz.n);
      if (way == 2) pp = stdin_from_child((const unsigned char *)text, text_len);
      ingest_stream *s;
      lr_err err;
      _Atomic size_t available = 0;
      int done = 0;
      if (ingest_stream_open(way == 0 ? path : "-", &s, &err) != LR_OK) _exit(10 + way);
      if (ingest_stream_step(s, 7, &available, &done, &err) != LR_OK) _exit(20 + way);
      /* all at once: the heap fallback, not a region */
      if (!done || atomic_load(&available) != text_len) _exit(30 + way);
      if (memcmp(ingest_stream_data(s), text, text_len) != 0) _exit(40 + way);
      char *data;
      size_t len, map_len;
      ingest_stream_close(s, &data, &len, &map_len);
      if (map_len != 0 || len != text_len) _exit(50 + way);
      free(data);
      if (pp.saved_stdin >= 0) stdin_restore(pp);
    }
    _exit(0);
  }
  int status = -1;
  waitpid(child, &status, 0);
  TEST_CHECK(WIFEXITED(status));
  TEST_EQ_INT(WEXITSTATUS(status), 0);
  free(gz.p);
  free(text);
#endif
}

static void test_inflater_name(void) {
#if LR_HAVE_ISAL
  TEST_EQ_STR(ingest_inflater_name(), "isa-l");
#else
  TEST_EQ_STR(ingest_inflater_name(), "zlib");
#endif
}

int main(void) {
  /* Large blocks come from mmap and go back on free, so RSS growth measures what is in
   * use (glibc would otherwise raise the threshold and reuse resident freed heap). */
  mallopt(M_MMAP_THRESHOLD, 128 << 10);
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_plain();
  test_missing();
  test_gzip_ok();
  test_gzip_header_fields();
  test_gzip_damaged();
  test_gzip_growth();
  test_stdin();
  test_chunk_straddles();
  test_pipe_streams();
  test_release_rss();
  test_address_space_fallback();
  test_inflater_name();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) printf("warning: could not remove %s\n", tmpdir);
  return TEST_REPORT();
}
