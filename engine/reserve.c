/* reserve.c — reserved, lazily backed address space (reserve.h). */
#include "reserve.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t reserve_round(size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return (len + page - 1) / page * page;
}

void *reserve_map(size_t len, lr_err *err) {
  void *p = mmap(NULL, reserve_round(len ? len : 1), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    lr_err_set(err, LR_ERR_MEMORY, "cannot reserve %zu bytes of address space: %s", len, strerror(errno));
    return NULL;
  }
  return p;
}

void reserve_trim(void *p, size_t len, size_t keep) {
  if (p == NULL) return;
  size_t total = reserve_round(len ? len : 1), kept = reserve_round(keep);
  if (keep == 0) kept = 0;
  if (kept < total) munmap((char *)p + kept, total - kept);
}
