/* test_csvw.c — the quoting rule (SPEC §6, refscore A36), lr_buf, atomic output files
 * (visible only after commit, nothing left after abort or a failed open), the gzip member
 * layout (fixed 4 MiB uncompressed members, MTIME 0, XFL 4, OS 255, independent of write
 * splits and of the number of compressing threads, csvw_set_threads) and
 * csvw_finish / csvw_publish. Files go to a fresh mkdtemp directory. Build it with and without
 * -fopenmp: with it the members of a batch really are compressed on several threads. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "csvw.h"
#include "testhelp.h"
#include "zplace.h"

static char tmpdir[] = "/tmp/lr_test_csvw_XXXXXX";

static char *path_in(const char *name) {
  static char p[4][512];
  static int slot;
  char *s = p[slot++ % 4];
  snprintf(s, 512, "%s/%s", tmpdir, name);
  return s;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    *len = 0;
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  *len = fread(p, 1, (size_t)n, f);
  fclose(f);
  return p;
}

/* Quotes one field and returns the result (static). */
static const char *quoted(const char *s, size_t len) {
  static char out[256];
  lr_buf b = { 0 };
  csvw_buf_field(&b, s, len);
  memcpy(out, b.data ? b.data : "", b.len);
  out[b.len] = '\0';
  lr_buf_release(&b);
  return out;
}

#define Q(lit) quoted(lit, sizeof(lit) - 1)

static void test_quoting(void) {
  TEST_EQ_STR(Q("plain"), "plain");
  TEST_EQ_STR(Q(""), "");                      /* empty: never quoted */
  TEST_EQ_STR(Q("a b"), "a b");                /* inner space: not quoted */
  TEST_EQ_STR(Q("a\tb"), "a\tb");              /* inner tab: not quoted */
  TEST_EQ_STR(Q("a,b"), "\"a,b\"");
  TEST_EQ_STR(Q("say \"hi\""), "\"say \"\"hi\"\"\"");
  TEST_EQ_STR(Q("\""), "\"\"\"\"");
  TEST_EQ_STR(Q("a\rb"), "\"a\rb\"");
  TEST_EQ_STR(Q("a\nb"), "\"a\nb\"");
  TEST_EQ_STR(Q(" a"), "\" a\"");
  TEST_EQ_STR(Q("a "), "\"a \"");
  TEST_EQ_STR(Q("\ta"), "\"\ta\"");
  TEST_EQ_STR(Q("a\t"), "\"a\t\"");
  TEST_EQ_STR(Q(" "), "\" \"");
  TEST_EQ_STR(Q("caf\xc3\xa9;x"), "caf\xc3\xa9;x"); /* other bytes pass through */
  /* A NUL is data, not a terminator. */
  TEST_EQ_INT(csvw_needs_quotes("a\0,", 3), 1);
  TEST_EQ_INT(csvw_needs_quotes("a\0b", 3), 0);
  TEST_EQ_INT(csvw_needs_quotes("", 0), 0);
  TEST_EQ_INT(csvw_needs_quotes("x,", 1), 0); /* only len bytes count */
}

static void test_buf(void) {
  lr_buf b = { 0 };
  for (int i = 0; i < 1000; i++) lr_buf_putc(&b, (char)('0' + i % 10));
  lr_buf_put(&b, "xyz", 3);
  lr_buf_put(&b, NULL, 0);
  TEST_EQ_INT(b.len, 1003);
  TEST_CHECK(b.cap >= b.len);
  TEST_CHECK(b.data[999] == '9' && memcmp(b.data + 1000, "xyz", 3) == 0);
  lr_buf_reserve(&b, 5000);
  TEST_CHECK(b.cap - b.len >= 5000);
  TEST_EQ_INT(b.len, 1003);
  lr_buf_release(&b);
  TEST_CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
  lr_buf_putc(&b, 'k'); /* reusable after release */
  TEST_EQ_INT(b.len, 1);
  lr_buf_release(&b);
}

static void test_atomic_plain(void) {
  const char *final = path_in("ranked.csv");
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s/.ranked.csv.tmp-%ld", tmpdir, (long)getpid());
  csvw *w = NULL;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(csvw_open(final, 0, 0, &w, &err), LR_OK);
  csvw_write(w, "a,b\n", 4);
  TEST_CHECK(!exists(final)); /* not yet */
  TEST_CHECK(exists(tmp));    /* written aside, under a dot name */
  /* Enough to pass the 1 MiB buffer several times, in odd pieces. */
  size_t total = 4;
  char line[64];
  for (int i = 0; i < 200000; i++) {
    int n = snprintf(line, sizeof line, "%d,x\n", i);
    csvw_write(w, line, (size_t)n);
    total += (size_t)n;
  }
  TEST_CHECK(!exists(final));
  TEST_EQ_INT(csvw_commit(w, &err), LR_OK);
  TEST_CHECK(exists(final));
  TEST_CHECK(!exists(tmp));
  size_t len;
  char *data = slurp(final, &len);
  TEST_EQ_INT(len, total);
  TEST_CHECK(data != NULL && memcmp(data, "a,b\n0,x\n1,x\n", 12) == 0);
  TEST_CHECK(data != NULL && memcmp(data + len - 9, "199999,x\n", 9) == 0);
  free(data);

  /* A write bigger than the buffer goes straight through, in order. */
  size_t big = (size_t)3 << 20;
  char *blob = malloc(big);
  for (size_t i = 0; i < big; i++) blob[i] = (char)('a' + i % 26);
  TEST_EQ_INT(csvw_open(final, 0, 1, &w, &err), LR_OK);
  csvw_write(w, "head\n", 5);
  csvw_write(w, blob, big);
  csvw_write(w, "tail\n", 5);
  TEST_EQ_INT(csvw_commit(w, &err), LR_OK); /* replaces the previous file; with fsync */
  data = slurp(final, &len);
  TEST_EQ_INT(len, big + 10);
  TEST_CHECK(data != NULL && memcmp(data, "head\n", 5) == 0 && memcmp(data + 5, blob, big) == 0 &&
             memcmp(data + 5 + big, "tail\n", 5) == 0);
  free(data);
  free(blob);
  unlink(final);
}

static void test_abort(void) {
  int before = test_count_entries(tmpdir);
  csvw *w = NULL;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(csvw_open(path_in("dup.csv"), 0, 0, &w, &err), LR_OK);
  csvw_write(w, "x\n", 2);
  TEST_EQ_INT(test_count_entries(tmpdir), before + 1);
  csvw_abort(w);
  TEST_EQ_INT(test_count_entries(tmpdir), before); /* neither the file nor its temporary */
  TEST_CHECK(!exists(path_in("dup.csv")));
  TEST_EQ_INT(csvw_open(path_in("dup.csv.gz"), 1, 0, &w, &err), LR_OK);
  csvw_write(w, "x\n", 2);
  csvw_abort(w);
  TEST_EQ_INT(test_count_entries(tmpdir), before);
  csvw_abort(NULL); /* accepted */

  /* A directory that does not exist: LR_ERR_OUTPUT naming the file, nothing created. */
  const char *bad = path_in("no/such/dir/out.csv");
  TEST_EQ_INT(csvw_open(bad, 0, 0, &w, &err), LR_ERR_OUTPUT);
  TEST_CHECK(w == NULL);
  char want[800];
  snprintf(want, sizeof want, "%s: cannot create %s/no/such/dir/.out.csv.tmp-%ld: No such file or directory",
           bad, tmpdir, (long)getpid());
  TEST_EQ_STR(err.msg, want);
  TEST_EQ_INT(test_count_entries(tmpdir), before);
}

/* A write error is kept and reported by commit, and the temporary is removed. A file
 * size limit (RLIMIT_FSIZE, with SIGXFSZ ignored) makes write(2) fail with EFBIG once the
 * file would pass `limit`, as a full disk would with ENOSPC. With 3 MiB written under a
 * 1 MiB limit the failing write is commit's own, and a write after it is dropped; with
 * 40 MiB (ten whole 4 MiB stages, nothing left for commit to write) under 6 MiB it is the
 * flusher thread's, on its second stage. */
static void test_write_error(size_t limit, size_t total, int then_more) {
  struct rlimit old, lim;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = (rlim_t)limit;
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  csvw *w = NULL;
  lr_err err;
  lr_err_clear(&err);
  const char *final = path_in("full.csv");
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s/.full.csv.tmp-%ld", tmpdir, (long)getpid());
  TEST_EQ_INT(csvw_open(final, 0, 0, &w, &err), LR_OK);
  TEST_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
  size_t piece = (size_t)1 << 20;
  char *blob = calloc(1, piece);
  for (size_t at = 0; at < total; at += piece) csvw_write(w, blob, piece < total - at ? piece : total - at);
  if (then_more) csvw_write(w, "more\n", 5); /* dropped after the first error */
  TEST_EQ_INT(csvw_commit(w, &err), LR_ERR_OUTPUT);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);
  char want[800];
  snprintf(want, sizeof want, "%s: cannot write %s: File too large", final, tmp);
  TEST_EQ_STR(err.msg, want);
  TEST_CHECK(!exists(final));
  TEST_CHECK(!exists(tmp));
  free(blob);
}

typedef struct member_info {
  size_t offset;   /* in the compressed file */
  size_t raw_len;  /* uncompressed bytes */
  unsigned char hdr[10];
} member_info;

/* Decompresses a multi-member gzip file member by member with zlib; returns the number
 * of members (up to max) and the concatenated data in *out. */
static int gunzip_members(const unsigned char *gz, size_t n, member_info *mi, int max, lr_buf *out) {
  int count = 0;
  size_t pos = 0;
  z_stream z;
  memset(&z, 0, sizeof z);
  inflateInit2(&z, 15 + 16);
  while (pos < n && count < max) {
    inflateReset(&z);
    mi[count].offset = pos;
    memcpy(mi[count].hdr, gz + pos, 10);
    z.next_in = (Bytef *)gz + pos;
    z.avail_in = (uInt)(n - pos);
    size_t start = out->len;
    int ret;
    do {
      lr_buf_reserve(out, 1 << 20);
      z.next_out = (Bytef *)out->data + out->len;
      z.avail_out = (uInt)(out->cap - out->len);
      ret = inflate(&z, Z_NO_FLUSH);
      out->len = (size_t)((char *)z.next_out - out->data);
    } while (ret == Z_OK);
    if (ret != Z_STREAM_END) {
      printf("inflate failed: %d\n", ret);
      break;
    }
    mi[count].raw_len = out->len - start;
    pos = (size_t)(z.next_in - gz);
    count++;
  }
  inflateEnd(&z);
  return pos == n ? count : -1;
}

static char *make_csv(size_t n) {
  char *s = malloc(n);
  uint32_t x = 12345;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    unsigned r = (x >> 16) % 40;
    s[i] = r < 26 ? (char)('a' + r) : r < 32 ? ',' : r < 36 ? (char)('0' + r - 26) : r < 39 ? ' ' : '\n';
  }
  return s;
}

/* Writes data to final in pieces of `piece` bytes (0: one write), compressing on
 * n_threads threads (csvw_set_threads right after open; 1 is the default). */
static int write_gz_threads(const char *final, const char *data, size_t n, size_t piece,
                            int n_threads) {
  csvw *w = NULL;
  lr_err err;
  lr_err_clear(&err);
  if (csvw_open(final, 1, 0, &w, &err) != LR_OK) return -1;
  if (n_threads != 1) csvw_set_threads(w, n_threads);
  if (piece == 0) {
    csvw_write(w, data, n);
  } else {
    for (size_t off = 0; off < n; off += piece) csvw_write(w, data + off, off + piece > n ? n - off : piece);
  }
  return csvw_commit(w, &err);
}

static int write_gz(const char *final, const char *data, size_t n, size_t piece) {
  return write_gz_threads(final, data, n, piece, 1);
}

static void test_gzip(void) {
  size_t n = (size_t)9 << 20;
  char *data = make_csv(n);
  const char *f1 = path_in("one.csv.gz"), *f2 = path_in("split.csv.gz"), *f3 = path_in("odd.csv.gz");
  TEST_EQ_INT(write_gz(f1, data, n, 0), LR_OK);
  TEST_EQ_INT(write_gz(f2, data, n, 1000), LR_OK);
  TEST_EQ_INT(write_gz(f3, data, n, 4194303), LR_OK); /* one byte short of a member */

  size_t len1, len2, len3;
  char *gz1 = slurp(f1, &len1), *gz2 = slurp(f2, &len2), *gz3 = slurp(f3, &len3);
  TEST_CHECK(gz1 != NULL && len1 > 0 && len1 < n);
  TEST_CHECK(len1 == len2 && memcmp(gz1, gz2, len1) == 0);
  TEST_CHECK(len1 == len3 && memcmp(gz1, gz3, len1) == 0);

  member_info mi[8];
  lr_buf raw = { 0 };
  int members = gunzip_members((unsigned char *)gz1, len1, mi, 8, &raw);
  TEST_EQ_INT(members, 3);
  TEST_EQ_INT(raw.len, n);
  TEST_CHECK(raw.len == n && memcmp(raw.data, data, n) == 0);
  for (int i = 0; i < members && i < 8; i++) {
    TEST_EQ_INT(mi[i].raw_len, i < 2 ? (size_t)4 << 20 : (size_t)1 << 20);
    TEST_EQ_INT(mi[i].hdr[0], 0x1f);
    TEST_EQ_INT(mi[i].hdr[1], 0x8b);
    TEST_EQ_INT(mi[i].hdr[2], 8);       /* deflate */
    TEST_EQ_INT(mi[i].hdr[3], 0);       /* no FNAME or other flags */
    TEST_EQ_INT(mi[i].hdr[4] | mi[i].hdr[5] | mi[i].hdr[6] | mi[i].hdr[7], 0); /* MTIME 0 */
    TEST_EQ_INT(mi[i].hdr[8], 4);       /* XFL: fastest algorithm */
    TEST_EQ_INT(mi[i].hdr[9], 255);     /* OS unknown */
  }
  lr_buf_release(&raw);
  free(gz1);
  free(gz2);
  free(gz3);

  /* Exactly one member's worth: one member, nothing empty after it. */
  TEST_EQ_INT(write_gz(f1, data, (size_t)4 << 20, 0), LR_OK);
  gz1 = slurp(f1, &len1);
  members = gunzip_members((unsigned char *)gz1, len1, mi, 8, &raw);
  TEST_EQ_INT(members, 1);
  TEST_EQ_INT(raw.len, (size_t)4 << 20);
  lr_buf_release(&raw);
  free(gz1);

  /* An empty file is one empty member. */
  TEST_EQ_INT(write_gz(f1, data, 0, 0), LR_OK);
  gz1 = slurp(f1, &len1);
  members = gunzip_members((unsigned char *)gz1, len1, mi, 8, &raw);
  TEST_EQ_INT(members, 1);
  TEST_EQ_INT(raw.len, 0);
  TEST_EQ_INT(mi[0].hdr[9], 255);
  lr_buf_release(&raw);
  free(gz1);

  /* csvw_gzip_member appends, and its output is a stand-alone member. */
  lr_buf m = { 0 };
  lr_buf_put(&m, "keep", 4);
  csvw_deflater *d = csvw_deflater_new();
  TEST_CHECK(d != NULL);
  TEST_EQ_INT(csvw_gzip_member(d, "hello,world\n", 12, &m), LR_OK);
  csvw_deflater_free(d);
  TEST_CHECK(memcmp(m.data, "keep", 4) == 0);
  members = gunzip_members((unsigned char *)m.data + 4, m.len - 4, mi, 8, &raw);
  TEST_EQ_INT(members, 1);
  TEST_CHECK(raw.len == 12 && memcmp(raw.data, "hello,world\n", 12) == 0);
  lr_buf_release(&raw);
  lr_buf_release(&m);

  unlink(f1);
  unlink(f2);
  unlink(f3);
  free(data);
}

/* The file's bytes are the same whatever the number of compressing threads: batches of
 * 1, 2, 3 or 4 members (and 0 or 1000, clamped to 1 and 32) cut the 9 MiB + 5 bytes
 * into the same three members (4 MiB, 4 MiB, 1 MiB + 5). */
static void test_gzip_threads(void) {
  size_t n = ((size_t)9 << 20) + 5;
  char *data = make_csv(n);
  const char *f1 = path_in("t1.csv.gz"), *fk = path_in("tk.csv.gz");
  TEST_EQ_INT(write_gz(f1, data, n, 0), LR_OK);
  size_t len1;
  char *gz1 = slurp(f1, &len1);
  member_info mi[8];
  lr_buf raw = { 0 };
  TEST_EQ_INT(gunzip_members((unsigned char *)gz1, len1, mi, 8, &raw), 3);
  TEST_CHECK(raw.len == n && memcmp(raw.data, data, n) == 0);
  TEST_EQ_INT(mi[2].raw_len, ((size_t)1 << 20) + 5);
  lr_buf_release(&raw);

  const int threads[] = { 2, 3, 4, 0, 1000 };
  const size_t pieces[] = { 0, 1000, 4194303, 8388609 };
  for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
    for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
      TEST_EQ_INT(write_gz_threads(fk, data, n, pieces[p], threads[t]), LR_OK);
      size_t lenk;
      char *gzk = slurp(fk, &lenk);
      int same = lenk == len1 && memcmp(gzk, gz1, len1) == 0;
      TEST_CHECK(same);
      if (!same) printf("  threads %d, pieces of %zu: file differs\n", threads[t], pieces[p]);
      free(gzk);
    }
  }

  /* Exactly one batch of two members: two members, no empty one after them. */
  size_t two = (size_t)8 << 20;
  TEST_EQ_INT(write_gz_threads(fk, data, two, 0, 2), LR_OK);
  size_t lenk;
  char *gzk = slurp(fk, &lenk);
  TEST_EQ_INT(gunzip_members((unsigned char *)gzk, lenk, mi, 8, &raw), 2);
  TEST_CHECK(raw.len == two && memcmp(raw.data, data, two) == 0);
  lr_buf_release(&raw);
  free(gzk);

  /* An empty file with four threads is still one empty member. */
  TEST_EQ_INT(write_gz_threads(fk, data, 0, 0, 4), LR_OK);
  gzk = slurp(fk, &lenk);
  TEST_EQ_INT(gunzip_members((unsigned char *)gzk, lenk, mi, 8, &raw), 1);
  TEST_EQ_INT(raw.len, 0);
  lr_buf_release(&raw);
  free(gzk);

  /* Threads changed mid-file: members already complete go out first, and the bytes
   * still match (5 MiB written with 1 thread, then 3 threads, then 1 again). */
  csvw *w = NULL;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(csvw_open(fk, 1, 0, &w, &err), LR_OK);
  size_t cut = (size_t)5 << 20;
  csvw_write(w, data, cut);
  csvw_set_threads(w, 3);
  csvw_write(w, data + cut, (size_t)3 << 20);
  csvw_set_threads(w, 1);
  csvw_write(w, data + cut + ((size_t)3 << 20), n - cut - ((size_t)3 << 20));
  TEST_EQ_INT(csvw_commit(w, &err), LR_OK);
  gzk = slurp(fk, &lenk);
  TEST_CHECK(lenk == len1 && memcmp(gzk, gz1, len1) == 0);
  free(gzk);

  /* Plain output ignores the thread count. */
  TEST_EQ_INT(csvw_open(fk, 0, 0, &w, &err), LR_OK);
  csvw_set_threads(w, 4);
  csvw_write(w, data, 1000);
  TEST_EQ_INT(csvw_commit(w, &err), LR_OK);
  gzk = slurp(fk, &lenk);
  TEST_CHECK(lenk == 1000 && memcmp(gzk, data, 1000) == 0);
  free(gzk);

  unlink(f1);
  unlink(fk);
  free(gz1);
  free(data);
}

/* csvw_gzip_member's bytes depend only on its input, not on what the output buffer
 * already holds or how much room it kept from earlier members, nor on what the deflater
 * compressed before (the writer reuses one buffer and one deflater per thread, each with
 * its own history). */
static void test_gzip_member_pure(void) {
  size_t n = ((size_t)4 << 20) - 7;
  char *data = make_csv(n);
  csvw_deflater *fresh_d = csvw_deflater_new(), *used_d = csvw_deflater_new();
  TEST_CHECK(fresh_d != NULL && used_d != NULL);
  lr_buf fresh = { 0 }, used = { 0 }, small = { 0 };
  TEST_EQ_INT(csvw_gzip_member(fresh_d, data, n, &fresh), LR_OK);
  TEST_EQ_INT(csvw_gzip_member(used_d, data + 100, n - 100, &used), LR_OK); /* leaves capacity */
  used.len = 0;
  TEST_EQ_INT(csvw_gzip_member(used_d, data, n, &used), LR_OK);
  TEST_CHECK(used.len == fresh.len && memcmp(used.data, fresh.data, fresh.len) == 0);
  lr_buf_put(&small, "prefix", 6);
  TEST_EQ_INT(csvw_gzip_member(used_d, data, n, &small), LR_OK);
  TEST_CHECK(small.len == fresh.len + 6 && memcmp(small.data + 6, fresh.data, fresh.len) == 0);
  lr_buf_release(&fresh);
  lr_buf_release(&used);
  lr_buf_release(&small);
  csvw_deflater_free(fresh_d);
  csvw_deflater_free(used_d);
  free(data);
}

#if LR_HAVE_ISAL
struct member_job {
  csvw_deflater *deflater;
  const char *in;
  size_t len;
  lr_buf out;
  int rc;
};

static void *member_on_thread(void *arg) {
  struct member_job *job = arg;
  job->rc = csvw_gzip_member(job->deflater, job->in, job->len, &job->out);
  return NULL;
}

/* Four letters or digits whose bytes ISA-L's level-1 body hashes to `slot`, as it hashes
 * a stream's first four bytes (zplace_slot of an address is that hash of address >> 16). */
static void text_of_slot(uint32_t slot, char out[5]) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (uint32_t n = 0;; n++) {
    uint32_t v = n, word = 0;
    for (int i = 0; i < 4; i++) {
      out[i] = alphabet[v % 36];
      v /= 36;
      word |= (uint32_t)(unsigned char)out[i] << (8 * i);
    }
    out[4] = '\0';
    if (zplace_slot((uintptr_t)word << 16) == slot) return;
  }
}

/* Three rows starting with the same four bytes, and rows between them. */
static void make_repeating_input(const char head[5], lr_buf *in) {
  for (int k = 0; k < 3; k++) {
    lr_buf_put(in, head, 4);
    lr_buf_put(in, ",Emma Smith,emma.smith@example.com,owner_29\n", 44);
    for (int line = 0; line < 40; line++) {
      char row[64];
      int n = snprintf(row, sizeof row, "L%07d,%d,lead %d of batch %d\n", k * 40 + line,
                       line * 37 % 101, line, k);
      lr_buf_put(in, row, (size_t)n);
    }
  }
}

#define ANY_ADDRESS_SLOTS 6

/* csvw_gzip_member's bytes depend neither on the deflater's address nor on the calling
 * thread's stack. ISA-L files a new stream's third byte under a hash of the isal_zstream's
 * own address (zplace.c): a stream whose 64 KiB window hashes to the slot of the input's
 * first four bytes loses their entry, and a later repeat of them goes unmatched. So each
 * input here starts with, and repeats, four bytes of the slot of one of the places a
 * stream could lie: either deflater, or the top windows of a thread stack placed by the
 * test, where a compressor's frame would be. One deflater compresses on the main thread,
 * the other on that stack; their bytes must agree. */
static void test_gzip_member_any_address(void) {
  size_t stack_bytes = (size_t)1 << 20;
  void *stack = mmap(NULL, stack_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
  csvw_deflater *on_main_d = csvw_deflater_new(), *on_thread_d = csvw_deflater_new();
  TEST_CHECK(stack != MAP_FAILED && on_main_d != NULL && on_thread_d != NULL);
  if (stack == MAP_FAILED || on_main_d == NULL || on_thread_d == NULL) return;
  uintptr_t top_window = ((uintptr_t)stack + stack_bytes - 1) >> 16;
  uint32_t slots[ANY_ADDRESS_SLOTS] = { zplace_slot((uintptr_t)on_main_d),
                                        zplace_slot((uintptr_t)on_thread_d) };
  for (int i = 2; i < ANY_ADDRESS_SLOTS; i++) {
    slots[i] = zplace_slot((top_window - (uintptr_t)(i - 2)) << 16);
  }
  for (int i = 0; i < ANY_ADDRESS_SLOTS; i++) {
    char head[5];
    text_of_slot(slots[i], head);
    lr_buf in = { 0 };
    make_repeating_input(head, &in);
    lr_buf on_main = { 0 };
    TEST_EQ_INT(csvw_gzip_member(on_main_d, in.data, in.len, &on_main), LR_OK);
    struct member_job job = { on_thread_d, in.data, in.len, { 0 }, -1 };
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, stack_bytes);
    TEST_EQ_INT(pthread_create(&thread, &attr, member_on_thread, &job), 0);
    pthread_join(thread, NULL);
    pthread_attr_destroy(&attr);
    TEST_EQ_INT(job.rc, LR_OK);
    TEST_CHECK(job.out.len == on_main.len && memcmp(job.out.data, on_main.data, on_main.len) == 0);
    lr_buf_release(&job.out);
    lr_buf_release(&on_main);
    lr_buf_release(&in);
  }
  csvw_deflater_free(on_main_d);
  csvw_deflater_free(on_thread_d);
  munmap(stack, stack_bytes);
}
#endif

/* Writes s with fsync on (the directory is fsynced too) and commits. */
static int write_whole(const char *final, const char *s, size_t len, lr_err *err) {
  csvw *w;
  int rc = csvw_open(final, 0, 1, &w, err);
  if (rc != LR_OK) return rc;
  csvw_write(w, s, len);
  return csvw_commit(w, err);
}

static void test_write_file(void) {
  const char *final = path_in("summary.json");
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(write_whole(final, "{\"a\":1}\n", 8, &err), LR_OK);
  size_t len;
  char *data = slurp(final, &len);
  TEST_CHECK(len == 8 && memcmp(data, "{\"a\":1}\n", 8) == 0);
  free(data);
  TEST_EQ_INT(test_count_entries(tmpdir), 1); /* no temporary left behind */
  unlink(final);

  /* Relative name (no directory part): the temporary goes to the current directory. */
  char cwd[512];
  TEST_CHECK(getcwd(cwd, sizeof cwd) != NULL);
  TEST_EQ_INT(chdir(tmpdir), 0);
  TEST_EQ_INT(write_whole("rel.txt", "r\n", 2, &err), LR_OK);
  TEST_CHECK(exists("rel.txt"));
  unlink("rel.txt");
  TEST_EQ_INT(chdir(cwd), 0);
}

/* finish keeps the file under its temporary name; publish renames it; abort after finish
 * removes the temporary. */
static void test_finish_publish(void) {
  const char *a = path_in("a.csv"), *b = path_in("b.csv");
  lr_err err;
  csvw *wa, *wb;
  TEST_EQ_INT(csvw_open(a, 0, 0, &wa, &err), LR_OK);
  TEST_EQ_INT(csvw_open(b, 0, 0, &wb, &err), LR_OK);
  csvw_write(wa, "x\n", 2);
  csvw_write(wb, "y\n", 2);
  TEST_EQ_INT(csvw_finish(wa, &err), LR_OK);
  TEST_EQ_INT(csvw_finish(wb, &err), LR_OK);
  TEST_CHECK(!exists(a) && !exists(b));
  TEST_EQ_INT(test_count_entries(tmpdir), 2);      /* the two temporaries */
  TEST_EQ_INT(csvw_publish(wa, &err), LR_OK);
  TEST_CHECK(exists(a));
  csvw_abort(wb);
  TEST_CHECK(!exists(b));
  TEST_EQ_INT(test_count_entries(tmpdir), 1);      /* only a.csv */
  unlink(a);
}

/* Files are written O_DIRECT in aligned 4 MiB blocks, from a ring of four stages that a
 * flusher thread writes, with a buffered tail: every size around the 4 KiB alignment,
 * the 4 MiB block and the 16 MiB ring, and one that goes round the ring more than twice,
 * written in odd pieces or in one piece larger than a block, plain and gzip, reads back
 * exactly. */
static void test_direct_sizes(void) {
  static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 8192, ((size_t)4 << 20) - 1,
                                  (size_t)4 << 20, ((size_t)4 << 20) + 1, ((size_t)9 << 20) + 123,
                                  (size_t)16 << 20, ((size_t)16 << 20) + 4097,
                                  ((size_t)41 << 20) + 123 };
  size_t max = sizes[sizeof sizes / sizeof *sizes - 1];
  char *src = malloc(max);
  for (size_t i = 0; i < max; i++) src[i] = (char)('a' + (i * 7 + i / 4099) % 26);
  const char *final = path_in("direct.csv");
  lr_err err;
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    for (int gzip = 0; gzip <= 1; gzip++) {
      for (int whole = 0; whole <= 1; whole++) {
        csvw *w;
        TEST_EQ_INT(csvw_open(final, gzip, 0, &w, &err), LR_OK);
        size_t n = sizes[k];
        for (size_t at = 0, piece = 1; at < n; at += piece, piece = piece * 3 % 100003 + 1) {
          if (whole) piece = n;
          csvw_write(w, src + at, piece < n - at ? piece : n - at);
        }
        TEST_EQ_INT(csvw_commit(w, &err), LR_OK);
        size_t len;
        char *got = slurp(final, &len);
        if (gzip) {
          member_info mi[16];
          lr_buf raw = { 0 };
          TEST_CHECK(gunzip_members((unsigned char *)got, len, mi, 16, &raw) >= 1);
          free(got);
          got = raw.data;
          len = raw.len;
        }
        TEST_EQ_INT(len, n);
        TEST_CHECK(len == n && (n == 0 || memcmp(got, src, n) == 0));
        free(got);
      }
    }
  }
  unlink(final);
  free(src);
}

/* Publishing over a previous file replaces it and leaves nothing else behind (the old
 * file is swapped out and unlinked); a directory in the way is an error that names the
 * file, keeps the directory and removes the temporary. */
static void test_publish_replaces(void) {
  const char *a = path_in("a.csv");
  lr_err err;
  TEST_EQ_INT(write_whole(a, "old\n", 4, &err), LR_OK);
  const char *keep = path_in("keep.csv");
  TEST_EQ_INT(link(a, keep), 0); /* a second name keeps the old inode observable */
  csvw *w;
  TEST_EQ_INT(csvw_open(a, 0, 0, &w, &err), LR_OK);
  csvw_write(w, "new\n", 4);
  TEST_EQ_INT(csvw_finish(w, &err), LR_OK);
  TEST_EQ_INT(csvw_publish(w, &err), LR_OK);
  size_t len;
  char *got = slurp(a, &len);
  TEST_CHECK(len == 4 && memcmp(got, "new\n", 4) == 0);
  free(got);
  got = slurp(keep, &len);
  TEST_CHECK(len == 4 && memcmp(got, "old\n", 4) == 0);
  free(got);
  struct stat st;
  TEST_EQ_INT(stat(keep, &st), 0);
  TEST_EQ_INT((int)st.st_nlink, 1); /* the swapped-out name is gone */
  TEST_EQ_INT(test_count_entries(tmpdir), 2);  /* a.csv and keep.csv only */
  unlink(keep);
  unlink(a);

  const char *d = path_in("d.csv");
  TEST_EQ_INT(mkdir(d, 0755), 0);
  TEST_EQ_INT(csvw_open(d, 0, 0, &w, &err), LR_OK);
  csvw_write(w, "x\n", 2);
  TEST_EQ_INT(csvw_finish(w, &err), LR_OK);
  TEST_EQ_INT(csvw_publish(w, &err), LR_ERR_OUTPUT);
  char want[1200];
  snprintf(want, sizeof want, "%s: cannot rename ", d);
  TEST_CHECK(strncmp(err.msg, want, strlen(want)) == 0);
  TEST_CHECK(strstr(err.msg, "Is a directory") != NULL);
  TEST_EQ_INT(stat(d, &st), 0);
  TEST_CHECK(S_ISDIR(st.st_mode));
  TEST_EQ_INT(test_count_entries(tmpdir), 1); /* only the directory */
  rmdir(d);
}

/* csvw_fields_equal_raw: true exactly when joining the re-quoted fields gives raw. */
static void test_fields_equal_raw(void) {
  lr_field f3[3] = { { "Acme, Inc.", 10 }, { "a\"b", 3 }, { "", 0 } };
  const char *same = "\"Acme, Inc.\",\"a\"\"b\",";
  TEST_CHECK(csvw_fields_equal_raw(f3, 3, same, strlen(same)));
  const char *over_quoted = "\"Acme, Inc.\",\"a\"\"b\",\"\"";   /* quotes the empty field */
  TEST_CHECK(!csvw_fields_equal_raw(f3, 3, over_quoted, strlen(over_quoted)));
  const char *blanks = "\"Acme, Inc.\" ,\"a\"\"b\",";         /* a blank libcsv dropped */
  TEST_CHECK(!csvw_fields_equal_raw(f3, 3, blanks, strlen(blanks)));
  lr_field q[1] = { { "say \"hi\"", 8 } };
  const char *doubled = "\"say \"\"hi\"\"\"";
  TEST_CHECK(csvw_fields_equal_raw(q, 1, doubled, strlen(doubled)));
  TEST_CHECK(!csvw_fields_equal_raw(q, 1, doubled, strlen(doubled) - 1));
  lr_field sp[1] = { { " x", 2 } };
  TEST_CHECK(csvw_fields_equal_raw(sp, 1, "\" x\"", 4));
  TEST_CHECK(!csvw_fields_equal_raw(sp, 1, " x", 2));
  lr_field two[2] = { { "a", 1 }, { "b", 1 } };
  TEST_CHECK(!csvw_fields_equal_raw(two, 2, "a,b,", 4));           /* trailing bytes */
  TEST_CHECK(!csvw_fields_equal_raw(two, 2, "a", 1));              /* raw too short */
}

int main(void) {
  test_fields_equal_raw();
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_quoting();
  test_buf();
  test_atomic_plain();
  test_abort();
  test_write_error((size_t)1 << 20, (size_t)3 << 20, 1);
  test_write_error((size_t)6 << 20, (size_t)40 << 20, 0);
  test_gzip();
  test_gzip_threads();
  test_gzip_member_pure();
#if LR_HAVE_ISAL
  test_gzip_member_any_address();
#endif
  test_write_file();
  test_finish_publish();
  test_publish_replaces();
  test_direct_sizes();
  TEST_EQ_INT(test_count_entries(tmpdir), 0);
  rmdir(tmpdir);
  return TEST_REPORT();
}
