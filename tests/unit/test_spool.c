/* test_spool.c — spool round trips (empty records, records larger than the buffer, tiny and
 * large buffers, rewinding twice), nameless files (the directory stays empty while a spool
 * is open and after), creation errors, and write errors: a file size limit (RLIMIT_FSIZE,
 * SIGXFSZ ignored) in a forked child makes write(2) fail with EFBIG, reported by spool_put
 * or, when everything was buffered, by spool_rewind, naming the directory. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spool.h"
#include "testhelp.h"

static char tmpdir[] = "/tmp/test_spool.XXXXXX";

static uint64_t rng;

/* Record i: a length from the plan, bytes derived from (i, position). */
static size_t record_len(size_t i) {
  static const size_t fixed[] = { 0, 1, 0, 15, 16, 17, 127, 128, 129, 16383, 16384, 100000, 0 };
  size_t n_fixed = sizeof fixed / sizeof fixed[0];
  if (i < n_fixed) return fixed[i];
  if (i % 97 == 0) return 70000 + i;   /* larger than every buffer but the largest */
  if (i % 13 == 0) return 0;
  return (size_t)(test_xorshift(&rng) % 300);
}

static void record_fill(unsigned char *p, size_t len, size_t i) {
  for (size_t k = 0; k < len; k++) p[k] = (unsigned char)(i * 31 + k * 7 + (k >> 8));
}

static void check_round_trip(size_t buffer_bytes, size_t n) {
  rng = 0x9e3779b97f4a7c15ull;
  spool *s;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(spool_new(tmpdir, buffer_bytes, &s, &err), LR_OK);
  if (s == NULL) return;
  size_t *lens = malloc(n * sizeof *lens);
  unsigned char *rec = malloc(200000), *want = malloc(200000);
  int ok = 1;
  for (size_t i = 0; i < n; i++) {
    lens[i] = record_len(i);
    record_fill(rec, lens[i], i);
    ok &= spool_put(s, lens[i] ? rec : NULL, lens[i], &err) == LR_OK;
  }
  TEST_CHECK(ok);
  TEST_EQ_INT(spool_count(s), n);
  TEST_EQ_INT(test_count_entries(tmpdir), 0); /* the file has no name */
  for (int pass = 0; pass < 2; pass++) {
    TEST_EQ_INT(spool_rewind(s, &err), LR_OK);
    const void *got;
    size_t len, i = 0;
    int rc, same = 1;
    while ((rc = spool_next(s, &got, &len, &err)) == 1) {
      if (i >= n || len != lens[i] || got == NULL) {
        same = 0;
        break;
      }
      record_fill(want, len, i);
      same &= memcmp(got, want, len) == 0;
      i++;
    }
    TEST_EQ_INT(rc, 0);
    TEST_CHECK(same);
    TEST_EQ_INT(i, n);
    TEST_EQ_INT(spool_next(s, &got, &len, &err), 0); /* stays at the end */
  }
  TEST_EQ_INT(spool_put(s, "x", 1, &err), LR_ERR_OUTPUT); /* no puts after rewind */
  TEST_EQ_INT(test_count_entries(tmpdir), 0);
  spool_free(s);
  TEST_EQ_INT(test_count_entries(tmpdir), 0);
  free(lens);
  free(rec);
  free(want);
}

static void test_round_trip(void) {
  check_round_trip(1, 2000);       /* raised to SPOOL_BUFFER_MIN: every record straddles */
  check_round_trip(16, 500);
  check_round_trip(100, 3000);
  check_round_trip(4096, 3000);
  check_round_trip(1 << 20, 3000); /* everything fits: written by rewind's flush */
}

/* A record of about 16 MiB (the largest a stage spools), between small ones, with a small
 * buffer; and an empty spool. */
static void test_large_and_empty(void) {
  lr_err err;
  spool *s;
  TEST_EQ_INT(spool_new(tmpdir, 4096, &s, &err), LR_OK);
  size_t big = ((size_t)16 << 20) + 300;
  unsigned char *p = malloc(big);
  record_fill(p, big, 5);
  TEST_EQ_INT(spool_put(s, "ab", 2, &err), LR_OK);
  TEST_EQ_INT(spool_put(s, p, big, &err), LR_OK);
  TEST_EQ_INT(spool_put(s, "c", 1, &err), LR_OK);
  TEST_EQ_INT(spool_bytes(s), 1 + 2 + 4 + big + 1 + 1);
  TEST_EQ_INT(spool_rewind(s, &err), LR_OK);
  const void *got;
  size_t len;
  TEST_EQ_INT(spool_next(s, &got, &len, &err), 1);
  TEST_CHECK(len == 2 && memcmp(got, "ab", 2) == 0);
  TEST_EQ_INT(spool_next(s, &got, &len, &err), 1);
  TEST_CHECK(len == big && memcmp(got, p, big) == 0);
  TEST_EQ_INT(spool_next(s, &got, &len, &err), 1);
  TEST_CHECK(len == 1 && memcmp(got, "c", 1) == 0);
  TEST_EQ_INT(spool_next(s, &got, &len, &err), 0);
  spool_free(s);
  free(p);

  TEST_EQ_INT(spool_new(tmpdir, 4096, &s, &err), LR_OK);
  TEST_EQ_INT(spool_rewind(s, &err), LR_OK);
  TEST_EQ_INT(spool_next(s, &got, &len, &err), 0);
  TEST_EQ_INT(spool_count(s), 0);
  spool_free(s);
  spool_free(NULL);
}

static void test_create_error(void) {
  lr_err err;
  spool *s = (spool *)&err;
  char missing[sizeof tmpdir + 16];
  snprintf(missing, sizeof missing, "%s/missing", tmpdir);
  TEST_EQ_INT(spool_new(missing, 4096, &s, &err), LR_ERR_OUTPUT);
  TEST_CHECK(s == NULL);
  char want[256];
  snprintf(want, sizeof want, "%s: cannot create a temporary file: %s", missing, strerror(ENOENT));
  TEST_EQ_STR(err.msg, want);
}

/* In a child (the limit and the signal disposition stay there): a file size limit of
 * 64 KiB. Returns a bit per failed check as the exit status. */
static int write_error_child(size_t buffer_bytes, size_t rec_bytes, size_t n_recs) {
  struct rlimit lim = { 64 << 10, 64 << 10 };
  signal(SIGXFSZ, SIG_IGN);
  if (setrlimit(RLIMIT_FSIZE, &lim) != 0) return 64;
  lr_err err;
  lr_err_clear(&err);
  spool *s;
  if (spool_new(tmpdir, buffer_bytes, &s, &err) != LR_OK) return 32;
  unsigned char *rec = calloc(1, rec_bytes);
  int bad = 0, rc = LR_OK;
  size_t i = 0;
  for (; i < n_recs && rc == LR_OK; i++) rc = spool_put(s, rec, rec_bytes, &err);
  int put_failed = rc != LR_OK;
  if (rc == LR_OK) rc = spool_rewind(s, &err);
  char want[256];
  snprintf(want, sizeof want, "%s: cannot write a temporary file: %s", tmpdir, strerror(EFBIG));
  if (rc != LR_ERR_OUTPUT) bad |= 1;
  if (strcmp(err.msg, want) != 0) {
    printf("got \"%s\", want \"%s\"\n", err.msg, want);
    bad |= 2;
  }
  lr_err again;
  lr_err_clear(&again);
  if (spool_rewind(s, &again) != LR_ERR_OUTPUT || strcmp(again.msg, want) != 0) bad |= 4; /* sticky */
  if (put_failed != (buffer_bytes < (64 << 10))) bad |= 8; /* who reports it */
  spool_free(s);
  free(rec);
  return bad;
}

static void check_write_error(size_t buffer_bytes, size_t rec_bytes, size_t n_recs) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(write_error_child(buffer_bytes, rec_bytes, n_recs));
  int status = 0;
  TEST_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  TEST_CHECK(WIFEXITED(status));
  TEST_EQ_INT(WEXITSTATUS(status), 0);
}

static void test_write_error(void) {
  check_write_error(4096, 1000, 200);      /* 200 KB through a 4 KiB buffer: a put fails */
  check_write_error(4096, 300000, 1);      /* one record written straight out */
  check_write_error(1 << 20, 1000, 100);   /* 100 KB buffered: rewind's flush fails */
  TEST_EQ_INT(test_count_entries(tmpdir), 0);
}

int main(void) {
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_round_trip();
  test_large_and_empty();
  test_create_error();
  test_write_error();
  TEST_EQ_INT(test_count_entries(tmpdir), 0);
  rmdir(tmpdir);
  return TEST_REPORT();
}
