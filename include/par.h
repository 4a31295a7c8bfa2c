/* par.h — the few OpenMP calls leadrank makes, with sequential stand-ins for an
 * OPENMP=0 build. Parallel regions themselves are `#pragma omp` in the stage files
 * (ignored without -fopenmp). */
#ifndef LR_PAR_H
#define LR_PAR_H

#include <time.h>

#ifdef _OPENMP
#include <omp.h>
typedef omp_lock_t par_lock;
static inline int par_thread_num(void) { return omp_get_thread_num(); }
static inline int par_team_size(void) { return omp_get_num_threads(); }
static inline int par_max_threads(void) { return omp_get_max_threads(); }
static inline void par_set_threads(int n) { omp_set_num_threads(n); }
static inline void par_lock_init(par_lock *l) { omp_init_lock(l); }
static inline void par_lock_destroy(par_lock *l) { omp_destroy_lock(l); }
static inline void par_lock_take(par_lock *l) { omp_set_lock(l); }
static inline void par_lock_give(par_lock *l) { omp_unset_lock(l); }
#else
typedef int par_lock;
static inline int par_thread_num(void) { return 0; }
static inline int par_team_size(void) { return 1; }
static inline int par_max_threads(void) { return 1; }
static inline void par_set_threads(int n) { (void)n; }
static inline void par_lock_init(par_lock *l) { *l = 0; }
static inline void par_lock_destroy(par_lock *l) { (void)l; }
static inline void par_lock_take(par_lock *l) { (void)l; }
static inline void par_lock_give(par_lock *l) { (void)l; }
#endif

/* A thread with nothing to do until another one moves on: 20 µs, short next to the work
 * it waits for, long enough not to take the CPU that work needs. */
static inline void par_pause(void) {
  struct timespec ts = { 0, 20000 };
  nanosleep(&ts, NULL);
}

#endif
