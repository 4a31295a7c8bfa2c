/* lr_clock.h — monotonic wall-clock seconds, for the per-stage timings of summary.json
 * and -v. */
#ifndef LR_CLOCK_H
#define LR_CLOCK_H

#include <time.h>

static inline double lr_clock_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
