/* par.h — the few OpenMP calls leadrank makes, with sequential stand-ins for an
 * OPENMP=0 build. Parallel regions themselves are `#pragma omp` in the stage files
 * (ignored without -fopenmp). */
#ifndef LR_PAR_H
#define LR_PAR_H

#ifdef _OPENMP
#include <omp.h>
static inline int par_thread_num(void) { return omp_get_thread_num(); }
static inline int par_max_threads(void) { return omp_get_max_threads(); }
static inline void par_set_threads(int n) { omp_set_num_threads(n); }
#else
static inline int par_thread_num(void) { return 0; }
static inline int par_max_threads(void) { return 1; }
static inline void par_set_threads(int n) { (void)n; }
#endif

#endif
