/* test_history_redis.c — the Redis cache without a server: --redis URL parsing (hosts,
 * ports, db, password, unix sockets, bad URLs, redaction), the hid, and the value codec
 * (a history written with %.17g reads back exactly; every malformed version is a miss).
 * The server-facing behaviour is tests/integration/test_redis.py's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "history.h"
#include "history_redis.h"
#include "redis_url.h"
#include "testhelp.h"

/* ---- URLs ---- */

static void test_url_tcp(void) {
  redis_url u;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(redis_url_parse("redis://127.0.0.1:6390", NULL, &u, &err), LR_OK);
  TEST_EQ_INT(u.is_unix, 0);
  TEST_EQ_STR(u.host, "127.0.0.1");
  TEST_EQ_INT(u.port, 6390);
  TEST_EQ_INT(u.db, 0);
  TEST_CHECK(u.password == NULL);
  redis_url_release(&u);

  TEST_EQ_INT(redis_url_parse("redis://cache.example.com:7000/5", NULL, &u, &err), LR_OK);
  TEST_EQ_STR(u.host, "cache.example.com");
  TEST_EQ_INT(u.port, 7000);
  TEST_EQ_INT(u.db, 5);
  char where[128];
  redis_url_describe(&u, where, sizeof where);
  TEST_EQ_STR(where, "cache.example.com:7000/5");
  redis_url_release(&u);

  /* The port defaults to 6379; a trailing '/' means db 0. */
  TEST_EQ_INT(redis_url_parse("redis://localhost/", NULL, &u, &err), LR_OK);
  TEST_EQ_STR(u.host, "localhost");
  TEST_EQ_INT(u.port, 6379);
  TEST_EQ_INT(u.db, 0);
  redis_url_release(&u);

  TEST_EQ_INT(redis_url_parse("redis://[::1]:6400/2", NULL, &u, &err), LR_OK);
  TEST_EQ_STR(u.host, "::1");
  TEST_EQ_INT(u.port, 6400);
  TEST_EQ_INT(u.db, 2);
  redis_url_describe(&u, where, sizeof where);
  TEST_EQ_STR(where, "[::1]:6400/2");
  redis_url_release(&u);
}

static void test_url_password(void) {
  redis_url u;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(redis_url_parse("redis://:s3cret@127.0.0.1:6379/1", NULL, &u, &err), LR_OK);
  TEST_EQ_STR(u.password, "s3cret");
  TEST_EQ_STR(u.host, "127.0.0.1");
  TEST_EQ_INT(u.db, 1);
  char where[128];
  redis_url_describe(&u, where, sizeof where);
  TEST_EQ_STR(where, "127.0.0.1:6379/1"); /* no password in the description */
  redis_url_release(&u);
  TEST_CHECK(u.password == NULL && u.host == NULL);

  /* The URL's password wins over the environment's. */
  TEST_EQ_INT(redis_url_parse("redis://:fromurl@h:1", "fromenv", &u, &err), LR_OK);
  TEST_EQ_STR(u.password, "fromurl");
  redis_url_release(&u);
  TEST_EQ_INT(redis_url_parse("redis://h:1", "fromenv", &u, &err), LR_OK);
  TEST_EQ_STR(u.password, "fromenv");
  redis_url_release(&u);
  TEST_EQ_INT(redis_url_parse("redis://h:1", "", &u, &err), LR_OK);
  TEST_CHECK(u.password == NULL); /* an empty variable is no password */
  redis_url_release(&u);

  /* %XX escapes: '@' and ':' inside a password; the last '@' ends the userinfo. */
  TEST_EQ_INT(redis_url_parse("redis://:p%40ss%3Aw@h:2", NULL, &u, &err), LR_OK);
  TEST_EQ_STR(u.password, "p@ss:w");
  TEST_EQ_STR(u.host, "h");
  TEST_EQ_INT(u.port, 2);
  redis_url_release(&u);
}

static void test_url_unix(void) {
  redis_url u;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(redis_url_parse("unix:///run/redis/redis.sock", "pw", &u, &err), LR_OK);
  TEST_EQ_INT(u.is_unix, 1);
  TEST_EQ_STR(u.path, "/run/redis/redis.sock");
  TEST_CHECK(u.host == NULL);
  TEST_EQ_STR(u.password, "pw");
  char where[128];
  redis_url_describe(&u, where, sizeof where);
  TEST_EQ_STR(where, "unix:/run/redis/redis.sock");
  redis_url_release(&u);
}

static void test_url_bad(void) {
  static const char *const bad[] = {
    "http://h:1",            /* unknown scheme */
    "127.0.0.1:6379",        /* no scheme */
    "redis://",              /* no host */
    "redis://:6379",         /* no host */
    "redis://h:0",           /* port out of range */
    "redis://h:65536",
    "redis://h:12x",
    "redis://h:",            /* empty port */
    "redis://h:1/abc",       /* db not a number */
    "redis://h:1/-1",
    "redis://h:1/70000",
    "redis://user@h:1",      /* userinfo must be :PASSWORD */
    "redis://:@h:1",         /* empty password */
    "redis://:p%4@h:1",      /* broken escape */
    "redis://:p%00x@h:1",    /* NUL would cut the password */
    "redis://[::1:1",        /* unclosed bracket */
    "unix://",               /* no path */
    "unix://relative/sock",
    "unix:///",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    redis_url u;
    lr_err err;
    lr_err_clear(&err);
    int rc = redis_url_parse(bad[i], NULL, &u, &err);
    TEST_EQ_INT(rc, LR_ERR_USAGE);
    if (rc != LR_ERR_USAGE) printf("  accepted: %s\n", bad[i]);
    TEST_CHECK(u.host == NULL && u.path == NULL && u.password == NULL);
  }
  /* The message names the URL but never its password. */
  redis_url u;
  lr_err err;
  lr_err_clear(&err);
  TEST_EQ_INT(redis_url_parse("redis://:hunter2@h:99999", NULL, &u, &err), LR_ERR_USAGE);
  TEST_CHECK(strstr(err.msg, "hunter2") == NULL);
  TEST_CHECK(strstr(err.msg, "redis://***@h:99999") != NULL);
  TEST_CHECK(strstr(err.msg, "port") != NULL);
}

/* ---- hid ---- */

static void test_hid(void) {
  const unsigned char *ab_c[] = { (const unsigned char *)"ab", (const unsigned char *)"c" };
  const unsigned char *a_bc[] = { (const unsigned char *)"a", (const unsigned char *)"bc" };
  size_t lens_ab_c[] = { 2, 1 }, lens_a_bc[] = { 1, 2 };
  char h1[HISTORY_REDIS_HID_LEN + 1], h2[HISTORY_REDIS_HID_LEN + 1], h3[HISTORY_REDIS_HID_LEN + 1];
  history_redis_hid(ab_c, lens_ab_c, 2, h1);
  history_redis_hid(a_bc, lens_a_bc, 2, h2);
  TEST_EQ_INT(strlen(h1), 32);
  TEST_EQ_INT(strspn(h1, "0123456789abcdef"), 32);
  TEST_CHECK(strcmp(h1, h2) != 0); /* file boundaries are part of the hash */
  history_redis_hid(ab_c, lens_ab_c, 2, h3);
  TEST_EQ_STR(h3, h1); /* deterministic */
  history_redis_hid(ab_c, lens_ab_c, 1, h3);
  TEST_CHECK(strcmp(h3, h1) != 0); /* a file more or less is another version */

  /* The documented layout, hashed in one shot: tag, then per file 8-byte LE length and
   * bytes; printed high 64 bits first. */
  static const char tag[] = "leadrank-history-format-1";
  unsigned char buf[64];
  size_t n = 0;
  memcpy(buf, tag, sizeof tag - 1);
  n += sizeof tag - 1;
  unsigned char len2[8] = { 2, 0, 0, 0, 0, 0, 0, 0 }, len1[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
  memcpy(buf + n, len2, 8);
  n += 8;
  memcpy(buf + n, "ab", 2);
  n += 2;
  memcpy(buf + n, len1, 8);
  n += 8;
  memcpy(buf + n, "c", 1);
  n += 1;
  XXH128_hash_t want = XXH3_128bits(buf, n);
  char want_hex[33];
  snprintf(want_hex, sizeof want_hex, "%016llx%016llx", (unsigned long long)want.high64,
           (unsigned long long)want.low64);
  TEST_EQ_STR(h1, want_hex);
}

/* ---- codec ---- */

/* Four good deals and two bad rows (hand-computed statistics in test_codec_roundtrip). */
static history *test_history(void) {
  history_builder *b = history_builder_new();
  double a1 = 100, d1 = 10, c1 = 30, a2 = 200.1, d2 = 20, c2 = 60, a3 = 50, a4 = 300, d4 = 30,
         c4 = 90;
  history_builder_add_deal(b, "Healthcare", 10, 1, "a.com", 5, &a1, &d1, &c1);
  history_builder_add_deal(b, " healthcare ", 12, 1, "B.com", 5, &a2, &d2, &c2);
  history_builder_add_deal(b, "retail", 6, 0, "c.com", 5, &a3, NULL, NULL);
  history_builder_add_deal(b, NULL, 0, 1, NULL, 0, &a4, &d4, &c4);
  history_builder_add_bad(b, "bad_number:amount");
  history_builder_add_bad(b, "bad_number:amount");
  history_builder_add_blank(b);
  return history_builder_finish(b);
}

static const char *test_field(const history_redis_fields *f, const char *name) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->names[i], name) == 0) return f->values[i];
  return NULL;
}

/* A decodable copy of h's encoding, which tests then damage. */
typedef struct test_version {
  history_redis_fields meta;
  history_redis_fields *v;
  char **keys;
  size_t n;
} test_version;

static void test_version_make(const history *h, test_version *tv) {
  history_redis_encode_meta(h, &tv->meta);
  tv->n = history_n_verticals(h);
  tv->v = calloc(tv->n, sizeof *tv->v);
  tv->keys = calloc(tv->n, sizeof *tv->keys);
  for (size_t i = 0; i < tv->n; i++) {
    const char *key;
    const hist_vstats *s;
    history_vertical_at(h, i, &key, &s);
    tv->keys[i] = strdup(key);
    history_redis_encode_vertical(h, i, &tv->v[i]);
  }
}

static void test_version_free(test_version *tv) {
  history_redis_fields_free(&tv->meta);
  for (size_t i = 0; i < tv->n; i++) {
    history_redis_fields_free(&tv->v[i]);
    free(tv->keys[i]);
  }
  free(tv->v);
  free(tv->keys);
}

static void test_set(history_redis_fields *f, const char *name, const char *value) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->names[i], name) == 0) {
      free(f->values[i]);
      f->values[i] = strdup(value);
      return;
    }
  f->names = realloc(f->names, (f->n + 1) * sizeof *f->names);
  f->values = realloc(f->values, (f->n + 1) * sizeof *f->values);
  f->names[f->n] = strdup(name);
  f->values[f->n++] = strdup(value);
}

static void test_drop(history_redis_fields *f, const char *name) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->names[i], name) == 0) {
      free(f->names[i]);
      free(f->values[i]);
      f->names[i] = f->names[f->n - 1];
      f->values[i] = f->values[f->n - 1];
      f->n--;
      return;
    }
}

static history_redis_hash test_view(const history_redis_fields *f) {
  history_redis_hash h = { (const char *const *)f->names, (const char *const *)f->values, f->n };
  return h;
}

/* Decodes tv; returns the history or NULL (why filled). */
static history *test_decode(const test_version *tv, char *why, size_t why_len) {
  history_redis_hash meta = test_view(&tv->meta);
  history_redis_hash hashes[8];
  for (size_t i = 0; i < tv->n; i++) hashes[i] = test_view(&tv->v[i]);
  history *out = NULL;
  int ok = history_redis_decode(&meta, (const char *const *)tv->keys, hashes, tv->n, &out, why,
                                why_len);
  TEST_CHECK(ok == (out != NULL));
  return out;
}

static void test_codec_roundtrip(void) {
  history *h = test_history();
  test_version tv;
  test_version_make(h, &tv);
  /* The encoded strings, by hand: N=4 W=3, wr_g=3/4, A_g=(100+200.1+300)/3, D_g=median
   * (10,20,30)=20, C_g=(30+60+90)/3=60; healthcare n=2 w=2 c=2 A=150.05 D=15 C=45. */
  TEST_EQ_STR(test_field(&tv.meta, "format"), "1");
  TEST_EQ_STR(test_field(&tv.meta, "N"), "4");
  TEST_EQ_STR(test_field(&tv.meta, "W"), "3");
  TEST_EQ_STR(test_field(&tv.meta, "customers"), "2");
  TEST_EQ_STR(test_field(&tv.meta, "wr_g"), "0.75");
  TEST_EQ_STR(test_field(&tv.meta, "A_g"), "200.03333333333333");
  TEST_EQ_STR(test_field(&tv.meta, "D_g"), "20");
  TEST_EQ_STR(test_field(&tv.meta, "C_g"), "60");
  TEST_EQ_STR(test_field(&tv.meta, "deal_rows"), "6");
  TEST_EQ_STR(test_field(&tv.meta, "deal_rows_bad"), "2");
  TEST_EQ_STR(test_field(&tv.meta, "deal_blank_lines"), "1");
  TEST_EQ_STR(test_field(&tv.meta, "bad:bad_number:amount"), "2");
  TEST_EQ_STR(test_field(&tv.meta, "V"), "2");
  TEST_EQ_INT(tv.meta.n, 13);
  TEST_EQ_INT(tv.n, 2);
  TEST_EQ_STR(tv.keys[0], "healthcare");
  TEST_EQ_STR(tv.keys[1], "retail");
  TEST_EQ_STR(test_field(&tv.v[0], "n"), "2");
  TEST_EQ_STR(test_field(&tv.v[0], "w"), "2");
  TEST_EQ_STR(test_field(&tv.v[0], "c"), "2");
  TEST_EQ_STR(test_field(&tv.v[0], "A"), "150.05000000000001"); /* %.17g of 300.1/2 */
  TEST_EQ_STR(test_field(&tv.v[0], "D"), "15");
  TEST_EQ_STR(test_field(&tv.v[0], "C"), "45");
  TEST_EQ_STR(test_field(&tv.v[1], "n"), "1");
  TEST_EQ_STR(test_field(&tv.v[1], "w"), "0");
  TEST_EQ_STR(test_field(&tv.v[1], "A"), "200.03333333333333"); /* w = 0: A_g */

  char why[256] = "";
  history *back = test_decode(&tv, why, sizeof why);
  TEST_CHECK(back != NULL);
  if (back != NULL) {
    const hist_globals *g = history_get_globals(h), *gb = history_get_globals(back);
    TEST_EQ_INT(gb->N, g->N);
    TEST_EQ_INT(gb->W, g->W);
    TEST_EQ_INT(gb->customers, g->customers);
    TEST_EQ_DBL(gb->wr_g, g->wr_g);
    TEST_EQ_DBL(gb->A_g, g->A_g);
    TEST_EQ_DBL(gb->D_g, g->D_g);
    TEST_EQ_DBL(gb->C_g, g->C_g);
    TEST_EQ_INT(gb->deal_rows, 6);
    TEST_EQ_INT(gb->deal_rows_bad, 2);
    TEST_EQ_INT(gb->deal_blank_lines, 1);
    TEST_EQ_INT(history_n_verticals(back), 2);
    for (size_t i = 0; i < 2 && history_n_verticals(back) == 2; i++) {
      const char *k1, *k2;
      const hist_vstats *s1, *s2;
      history_vertical_at(h, i, &k1, &s1);
      history_vertical_at(back, i, &k2, &s2);
      TEST_EQ_STR(k2, k1);
      TEST_EQ_INT(s2->n, s1->n);
      TEST_EQ_INT(s2->w, s1->w);
      TEST_EQ_INT(s2->c, s1->c);
      TEST_EQ_DBL(s2->A, s1->A);
      TEST_EQ_DBL(s2->D, s1->D);
      TEST_EQ_DBL(s2->C, s1->C);
      TEST_EQ_DBL(s2->wr_s, s1->wr_s);
    }
    /* Lookups, unseen verticals included, give the same statistics. */
    TEST_EQ_DBL(history_lookup(back, " HEALTHCARE", 11)->A, 150.05000000000001);
    TEST_EQ_DBL(history_lookup(back, "nothing", 7)->wr_s, history_lookup(h, "nothing", 7)->wr_s);
    TEST_EQ_INT(history_n_bad_reasons(back), 1);
    const char *reason;
    int64_t count;
    history_bad_reason_at(back, 0, &reason, &count);
    TEST_EQ_STR(reason, "bad_number:amount");
    TEST_EQ_INT(count, 2);
  }
  history_free(back);
  test_version_free(&tv);
  history_free(h);
}

/* One damage per case; every one must be a miss with a reason. */
typedef void (*test_damage_fn)(test_version *tv);
static void dmg_A_text(test_version *tv) { test_set(&tv->v[0], "A", "abc"); }
static void dmg_A_inf(test_version *tv) { test_set(&tv->v[0], "A", "inf"); }
static void dmg_A_nan(test_version *tv) { test_set(&tv->v[0], "A", "nan"); }
static void dmg_A_neg(test_version *tv) { test_set(&tv->v[0], "A", "-1"); }
static void dmg_A_negzero(test_version *tv) { test_set(&tv->v[0], "A", "-0"); }
static void dmg_A_blank(test_version *tv) { test_set(&tv->v[0], "A", " 1"); }
static void dmg_A_trail(test_version *tv) { test_set(&tv->v[0], "A", "1 "); }
static void dmg_A_empty(test_version *tv) { test_set(&tv->v[0], "A", ""); }
static void dmg_A_huge(test_version *tv) { test_set(&tv->v[0], "A", "1e999"); }
static void dmg_n_neg(test_version *tv) { test_set(&tv->v[0], "n", "-2"); }
static void dmg_n_frac(test_version *tv) { test_set(&tv->v[0], "n", "2.0"); }
static void dmg_n_over(test_version *tv) { test_set(&tv->v[0], "n", "99999999999999999999"); }
static void dmg_w_gt_n(test_version *tv) { test_set(&tv->v[0], "w", "3"); }
static void dmg_c_gt_w(test_version *tv) { test_set(&tv->v[1], "c", "1"); }
static void dmg_v_missing(test_version *tv) { test_drop(&tv->v[1], "C"); }
static void dmg_v_extra(test_version *tv) { test_set(&tv->v[1], "x", "1"); }
static void dmg_v_nohash(test_version *tv) {
  history_redis_fields_free(&tv->v[1]);
}
static void dmg_key(test_version *tv) {
  free(tv->keys[0]);
  tv->keys[0] = strdup("Healthcare");
}
static void dmg_V_more(test_version *tv) { test_set(&tv->meta, "V", "3"); }
static void dmg_V_less(test_version *tv) { tv->n = 1; }
static void dmg_meta_missing(test_version *tv) { test_drop(&tv->meta, "N"); }
static void dmg_meta_extra(test_version *tv) { test_set(&tv->meta, "colour", "blue"); }
static void dmg_format(test_version *tv) { test_set(&tv->meta, "format", "2"); }
static void dmg_wr_g(test_version *tv) { test_set(&tv->meta, "wr_g", "1.5"); }
static void dmg_W_gt_N(test_version *tv) { test_set(&tv->meta, "W", "5"); }
static void dmg_bad_sum(test_version *tv) { test_set(&tv->meta, "bad:bad_date:closed_at", "1"); }
static void dmg_bad_count(test_version *tv) { test_set(&tv->meta, "bad:bad_number:amount", "x"); }
static void dmg_bad_empty(test_version *tv) { test_set(&tv->meta, "bad:", "0"); }

static void test_codec_damage(void) {
  static const test_damage_fn cases[] = {
    dmg_A_text,  dmg_A_inf,    dmg_A_nan,      dmg_A_neg,      dmg_A_negzero, dmg_A_blank,
    dmg_A_trail, dmg_A_empty,  dmg_A_huge,     dmg_n_neg,      dmg_n_frac,    dmg_n_over,
    dmg_w_gt_n,  dmg_c_gt_w,   dmg_v_missing,  dmg_v_extra,    dmg_v_nohash,  dmg_key,
    dmg_V_more,  dmg_V_less,   dmg_meta_missing, dmg_meta_extra, dmg_format,  dmg_wr_g,
    dmg_W_gt_N,  dmg_bad_sum,  dmg_bad_count,  dmg_bad_empty,
  };
  history *h = test_history();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    test_version tv;
    test_version_make(h, &tv);
    size_t n_real = tv.n;
    cases[i](&tv);
    char why[256] = "";
    history *back = test_decode(&tv, why, sizeof why);
    if (back != NULL) printf("  damage case %zu decoded\n", i);
    TEST_CHECK(back == NULL);
    TEST_CHECK(why[0] != '\0');
    history_free(back);
    tv.n = n_real;
    test_version_free(&tv);
  }
  /* An undamaged copy still decodes (the harness itself does not damage). */
  test_version tv;
  test_version_make(h, &tv);
  char why[256] = "";
  history *back = test_decode(&tv, why, sizeof why);
  TEST_CHECK(back != NULL);
  history_free(back);
  test_version_free(&tv);
  history_free(h);
}

/* A history with no deals at all: no verticals, the SPEC's defaults, V=0. */
static void test_codec_empty(void) {
  history *h = history_builder_finish(history_builder_new());
  test_version tv;
  test_version_make(h, &tv);
  TEST_EQ_STR(test_field(&tv.meta, "V"), "0");
  TEST_EQ_STR(test_field(&tv.meta, "wr_g"), "0.20000000000000001");
  TEST_EQ_STR(test_field(&tv.meta, "A_g"), "10000");
  char why[256] = "";
  history *back = test_decode(&tv, why, sizeof why);
  TEST_CHECK(back != NULL);
  if (back != NULL) {
    TEST_EQ_INT(history_n_verticals(back), 0);
    TEST_EQ_DBL(history_get_globals(back)->wr_g, 0.2);
  }
  history_free(back);
  test_version_free(&tv);
  history_free(h);
}

int main(void) {
  test_url_tcp();
  test_url_password();
  test_url_unix();
  test_url_bad();
  test_hid();
  test_codec_roundtrip();
  test_codec_damage();
  test_codec_empty();
  return TEST_REPORT();
}
