/* redis_url.c — parses `--redis URL` into an endpoint (see redis_url.h). Owns the URL
 * grammar and the redaction of the password in messages. */
#include "redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDIS_URL_DEFAULT_PORT 6379
#define REDIS_URL_TCP_SCHEME "redis://"
#define REDIS_URL_UNIX_SCHEME "unix://"

/* The URL as it may be quoted in a message: everything up to '@' is replaced, because the
 * userinfo part is where the password sits. */
static void redis_url_redact(const char *url, char *buf, size_t buf_len) {
  const char *at = strrchr(url, '@');
  if (strncmp(url, REDIS_URL_TCP_SCHEME, strlen(REDIS_URL_TCP_SCHEME)) == 0 && at != NULL)
    snprintf(buf, buf_len, "%s***%s", REDIS_URL_TCP_SCHEME, at);
  else if (at != NULL)
    snprintf(buf, buf_len, "***%s", at);
  else
    snprintf(buf, buf_len, "%s", url);
}

static int redis_url_fail(const char *url, const char *why, redis_url *out, lr_err *err) {
  char shown[512];
  redis_url_redact(url, shown, sizeof shown);
  redis_url_release(out);
  return lr_err_set(err, LR_ERR_USAGE,
                    "--redis '%s': %s (expected redis://[:PASSWORD@]HOST:PORT[/DB] or "
                    "unix:///path/to/socket)",
                    shown, why);
}

static int redis_url_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..len) into a new string: a password with '@', ':' or '/' must be
 * written %40, %3A, %2F to fit in a URL. NULL when an escape is malformed. */
static char *redis_url_decode(const char *s, size_t len) {
  char *outs = lr_xmalloc(len + 1);
  size_t j = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '%') {
      outs[j++] = s[i];
      continue;
    }
    int a = i + 2 < len ? redis_url_hex(s[i + 1]) : -1;
    int b = i + 2 < len ? redis_url_hex(s[i + 2]) : -1;
    /* %00 would cut the C string short and AUTH with a different password. */
    if (a < 0 || b < 0 || (a == 0 && b == 0)) {
      free(outs);
      return NULL;
    }
    outs[j++] = (char)(a * 16 + b);
    i += 2;
  }
  outs[j] = '\0';
  return outs;
}

/* A decimal number in [lo, hi] that is all of s[0..len). */
static int redis_url_number(const char *s, size_t len, long lo, long hi, int *out) {
  if (len == 0 || len > 6) return 0;
  long v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  if (v < lo || v > hi) return 0;
  *out = (int)v;
  return 1;
}

static int redis_url_parse_tcp(const char *url, const char *rest, redis_url *out, lr_err *err) {
  /* userinfo: only ":PASSWORD@" (Redis before ACLs has no user names). */
  const char *slash = strchr(rest, '/');
  const char *authority_end = slash != NULL ? slash : rest + strlen(rest);
  const char *at = NULL;
  for (const char *p = rest; p < authority_end; p++)
    if (*p == '@') at = p;
  const char *hostport = rest;
  if (at != NULL) {
    if (rest[0] != ':') return redis_url_fail(url, "the password must be written ':PASSWORD@'", out, err);
    if (at == rest + 1) return redis_url_fail(url, "empty password", out, err);
    out->password = redis_url_decode(rest + 1, (size_t)(at - rest - 1));
    if (out->password == NULL) return redis_url_fail(url, "bad %-escape in the password", out, err);
    hostport = at + 1;
  }
  const char *host = hostport, *host_end, *port_start = NULL;
  if (*hostport == '[') {
    host = hostport + 1;
    host_end = memchr(host, ']', (size_t)(authority_end - host));
    if (host_end == NULL) return redis_url_fail(url, "unclosed '[' in the host", out, err);
    if (host_end + 1 < authority_end) {
      if (host_end[1] != ':') return redis_url_fail(url, "junk after ']'", out, err);
      port_start = host_end + 2;
    }
  } else {
    host_end = memchr(hostport, ':', (size_t)(authority_end - hostport));
    if (host_end != NULL)
      port_start = host_end + 1;
    else
      host_end = authority_end;
  }
  if (host_end == host) return redis_url_fail(url, "no host", out, err);
  for (const char *p = host; p < host_end; p++)
    if (*p == ' ' || *p == '\t' || *p == '@' || *p == '/' || *p == '[')
      return redis_url_fail(url, "bad character in the host", out, err);
  out->port = REDIS_URL_DEFAULT_PORT;
  if (port_start != NULL &&
      !redis_url_number(port_start, (size_t)(authority_end - port_start), 1, 65535, &out->port))
    return redis_url_fail(url, "the port must be a number from 1 to 65535", out, err);
  out->host = lr_xstrndup(host, (size_t)(host_end - host));
  if (slash != NULL && slash[1] != '\0' &&
      !redis_url_number(slash + 1, strlen(slash + 1), 0, 65535, &out->db))
    return redis_url_fail(url, "the database must be a number from 0 to 65535", out, err);
  return LR_OK;
}

int redis_url_parse(const char *url, const char *env_password, redis_url *out, lr_err *err) {
  memset(out, 0, sizeof *out);
  int rc;
  if (strncmp(url, REDIS_URL_TCP_SCHEME, strlen(REDIS_URL_TCP_SCHEME)) == 0) {
    rc = redis_url_parse_tcp(url, url + strlen(REDIS_URL_TCP_SCHEME), out, err);
  } else if (strncmp(url, REDIS_URL_UNIX_SCHEME, strlen(REDIS_URL_UNIX_SCHEME)) == 0) {
    const char *path = url + strlen(REDIS_URL_UNIX_SCHEME);
    if (path[0] != '/' || path[1] == '\0')
      return redis_url_fail(url, "a unix socket needs an absolute path (unix:///path)", out, err);
    out->is_unix = 1;
    out->path = lr_xstrndup(path, strlen(path));
    rc = LR_OK;
  } else {
    return redis_url_fail(url, "unknown scheme", out, err);
  }
  if (rc != LR_OK) return rc;
  if (out->password == NULL && env_password != NULL && env_password[0] != '\0')
    out->password = lr_xstrndup(env_password, strlen(env_password));
  return LR_OK;
}

void redis_url_release(redis_url *u) {
  free(u->host);
  free(u->path);
  if (u->password != NULL) {
    /* Do not leave the secret in freed heap memory for a later core dump to show. */
    memset(u->password, 0, strlen(u->password));
    free(u->password);
  }
  memset(u, 0, sizeof *u);
}

void redis_url_describe(const redis_url *u, char *buf, size_t buf_len) {
  if (u->is_unix)
    snprintf(buf, buf_len, "unix:%s", u->path);
  else if (strchr(u->host, ':') != NULL)
    snprintf(buf, buf_len, "[%s]:%d/%d", u->host, u->port, u->db);
  else
    snprintf(buf, buf_len, "%s:%d/%d", u->host, u->port, u->db);
}
