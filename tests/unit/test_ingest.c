/* test_ingest.c — the streaming read (ingest_stream_*) / ingest_inflate_buffer: plain and gzip inputs (single,
 * multi-member, NUL padding, header fields), every damaged-gzip class of refscore A40, empty,
 * 1-byte and missing inputs, standard input from a file and from a pipe, and which inflater
 * the build uses. Gzip data is made here with zlib; files go to a fresh mkdtemp directory. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Reads path through the streaming API the scan uses (open, run, close), checks that
 * everything was published, and hands back a malloc'ed copy; returns the code and leaves
 * data/len/err for the caller. */
static int read_path(const char *path, char **data, size_t *len, lr_err *err) {
  lr_err_clear(err);
  *data = NULL;
  *len = 0;
  ingest_stream *s;
  int rc = ingest_stream_open(path, &s, err);
  if (rc != LR_OK) return rc;
  _Atomic size_t available = 0;
  rc = ingest_stream_run(s, &available, err);
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

/* Expects path to read successfully as exactly want[0..want_len). */
static void expect_ok(const char *path, const char *want, size_t want_len) {
  char *data = NULL;
  size_t len = 99;
  lr_err err;
  int rc = read_path(path, &data, &len, &err);
  TEST_EQ_INT(rc, LR_OK);
  if (rc != LR_OK) printf("  %s\n", err.msg);
  TEST_EQ_INT(len, want_len);
  TEST_CHECK(data != NULL && len == want_len && memcmp(data, want, want_len) == 0);
  TEST_CHECK(data != NULL && data[len] == '\0');
  free(data);
}

/* Expects LR_ERR_INPUT with message exactly want_msg. */
static void expect_err(const char *path, const char *want_msg) {
  char *data = (char *)1;
  size_t len = 99;
  lr_err err;
  int rc = read_path(path, &data, &len, &err);
  TEST_EQ_INT(rc, LR_ERR_INPUT);
  TEST_EQ_STR(err.msg, want_msg);
  TEST_CHECK(data == NULL);
  TEST_EQ_INT(len, 0);
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
  TEST_CHECK(read_path(p, &data, &len, &err) == LR_ERR_INPUT);
  b.p[3] |= 0x08;

  /* Header cut inside the file name: truncated. */
  p = write_file("hdrcut.csv.gz", b.p, 25);
  snprintf(msg, sizeof msg,
           "%s: truncated gzip input (a member ends before its end-of-stream marker and trailer)", p);
  expect_err(p, msg);
  free(b.p);
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

  /* Found by comparing with Python's gzip module on bit-flipped files: one flipped bit in
   * the second member's Huffman table header. zlib (and Python) call it invalid deflate
   * data; ISA-L decodes something and only the CRC fails, so without the zlib re-check
   * an ISA-L build would say "CRC mismatch". */
  static const char flipped_hex[] =
      "1f8b0800000000000003cb494d4c89cf4cd1a9e002009eeac7b60a0000001f8b0800000000000403"
      "154fc1ad430108ba3b8503705019a811db43920ef0c7ff3c1313a222f0fbecfbf57de32f46c91dac"
      "aa044d2d052e598b9d8bba11634e2452c64bf454363b038767d9d941997b795dab6166d21752b436"
      "d851b99d47f5220e552d5f4e9cbbb270ba03b67911eb619279c3b5924b7e0aa1efb1aaa52d3d00ac"
      "8b645aa65d21efa36f1663f24e280c123393205080adee4607ccca745e34124d2ba55496a85475d9"
      "ceedb18f8e7933b74e75f50f65b3a3ae36010000";
  unsigned char flipped[sizeof flipped_hex / 2];
  for (size_t k = 0; k < sizeof flipped; k++) {
    unsigned v;
    sscanf(flipped_hex + 2 * k, "%2x", &v);
    flipped[k] = (unsigned char)v;
  }
  p = write_file("flipped.csv.gz", flipped, sizeof flipped);
  snprintf(msg, sizeof msg, "%s: corrupt gzip input: invalid deflate data in the member at offset 30", p);
  expect_err(p, msg);
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

/* `-` reads standard input exactly like a file: from a regular file and from a pipe. */
static void test_stdin(void) {
  bytes b = { 0 };
  gz_member(&b, TEXT1, strlen(TEXT1), NULL);
  int saved = dup(STDIN_FILENO);

  int fd = open(write_file("stdin.csv.gz", b.p, b.n), O_RDONLY);
  dup2(fd, STDIN_FILENO);
  close(fd);
  expect_ok("-", TEXT1, strlen(TEXT1));

  int pfd[2];
  TEST_EQ_INT(pipe(pfd), 0);
  TEST_EQ_INT(write(pfd[1], b.p, b.n), (long long)b.n);
  close(pfd[1]);
  dup2(pfd[0], STDIN_FILENO);
  close(pfd[0]);
  expect_ok("-", TEXT1, strlen(TEXT1));

  /* A damaged stream on stdin is named "-". */
  TEST_EQ_INT(pipe(pfd), 0);
  TEST_EQ_INT(write(pfd[1], b.p, b.n - 1), (long long)b.n - 1);
  close(pfd[1]);
  dup2(pfd[0], STDIN_FILENO);
  close(pfd[0]);
  expect_err("-", "-: truncated gzip input (a member ends before its end-of-stream marker and trailer)");

  dup2(saved, STDIN_FILENO);
  close(saved);
  free(b.p);
}

static void test_inflater_name(void) {
#if LR_HAVE_ISAL
  TEST_EQ_STR(ingest_inflater_name(), "isa-l");
#else
  TEST_EQ_STR(ingest_inflater_name(), "zlib");
#endif
}

int main(void) {
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
  test_inflater_name();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) printf("warning: could not remove %s\n", tmpdir);
  return TEST_REPORT();
}
