/* lr_err.h — error codes and the message buffer every fallible function fills.
 *
 * A function that can fail returns an int code (LR_OK on success) and writes a one-line
 * message into a caller-owned lr_err. Messages name file, line and column where they
 * are known ("leads.csv:12:3: ..."). Only main() turns codes into exit statuses
 * (see lr_err_exit_status). A bad input row is never an error: it is a reject record.
 */
#ifndef LR_ERR_H
#define LR_ERR_H

#include <stddef.h>

#define LR_MUST_CHECK __attribute__((warn_unused_result))

enum lr_code {
  LR_OK = 0,
  LR_ERR_USAGE,    /* bad command line: exit 2 */
  LR_ERR_SCHEMA,   /* schema or model file invalid: exit 2 */
  LR_ERR_INPUT,    /* an input file cannot be read or is not usable: exit 2 */
  LR_ERR_OUTPUT,   /* an output could not be written: exit 2 */
  LR_ERR_MEMORY,   /* allocation failed: exit 2 */
  LR_ERR_SERVICE,  /* a required service (Redis) failed: exit 3 */
  LR_ERR_INTERRUPTED /* SIGINT/SIGTERM: exit 130/143, set by main */
};

typedef struct lr_err {
  int code;        /* enum lr_code */
  char msg[1024];  /* one line, no trailing newline */
} lr_err;

/* Sets code and a printf-style message; returns code so callers can `return lr_err_set(...)`. */
int lr_err_set(lr_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Clears err to LR_OK with an empty message. */
void lr_err_clear(lr_err *err);

/* Exit status for a code: 0, 2 or 3 (interrupts are mapped by main itself). */
int lr_err_exit_status(int code);

/* Allocation helpers that abort with a message on failure: allocation failure in a
 * batch tool has no useful recovery, and checking every small allocation would bury
 * the logic. Large, input-sized allocations use plain malloc and report LR_ERR_MEMORY. */
void *lr_xmalloc(size_t nbytes);
void *lr_xcalloc(size_t n, size_t size);
void *lr_xrealloc(void *p, size_t nbytes);
/* nbytes (a multiple of align, a power of two) aligned to align; freed with free. */
void *lr_xaligned_alloc(size_t align, size_t nbytes);
char *lr_xstrndup(const char *s, size_t len);

#endif
