/* redis_url.h — where the Redis cache lives: `--redis URL` parsed into an endpoint
 * (SPEC §3, issue 4).
 *
 * Accepted forms:
 *   redis://[:PASSWORD@]HOST[:PORT][/DB]   HOST a name, an IPv4 address or [IPv6];
 *                                          PORT 1..65535 (default 6379); DB 0..65535
 *                                          (default 0); PASSWORD may be %XX-encoded
 *   unix:///path/to/socket                 (db 0; the password only from the environment)
 * The password comes from the URL when it has one (it wins), else from the environment
 * variable LEADRANK_REDIS_PASSWORD (the caller passes its value in, so this file reads
 * no environment and stays testable).
 *
 * The password is secret: it is never part of redis_url_describe's text nor of any
 * error message written here. A bad URL is LR_ERR_USAGE; the message quotes the URL only
 * after redacting its password.
 *
 * Ownership: redis_url_parse fills a caller-owned redis_url whose strings it allocates;
 * the caller releases them with redis_url_release (safe on a zeroed or released struct).
 */
#ifndef LR_REDIS_URL_H
#define LR_REDIS_URL_H

#include <stddef.h>

#include "lr_err.h"

typedef struct redis_url {
  int is_unix;       /* 1: unix socket at path; 0: TCP to host:port */
  char *host;        /* TCP host without brackets ("::1"), NULL for a unix socket */
  int port;          /* TCP port */
  char *path;        /* unix socket path, NULL for TCP */
  int db;            /* SELECT db (0: no SELECT needed) */
  char *password;    /* NULL: no AUTH */
} redis_url;

/* Parses url; env_password is LEADRANK_REDIS_PASSWORD's value or NULL (an empty value
 * counts as none). Returns LR_OK or LR_ERR_USAGE (*out is then released). */
int redis_url_parse(const char *url, const char *env_password, redis_url *out,
                    lr_err *err) LR_MUST_CHECK;

/* Frees the strings of u and zeroes it. */
void redis_url_release(redis_url *u);

/* "127.0.0.1:6379/2" or "unix:/run/redis.sock": the endpoint for messages, never with the
 * password. Writes at most buf_len bytes (always NUL-terminated). */
void redis_url_describe(const redis_url *u, char *buf, size_t buf_len);

#endif
