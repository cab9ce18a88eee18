/* rng: per-run random streams.
 *
 * Every random number a run consumes comes from a stream derived from
 * (sweep seed, run id, purpose) alone, so a run gives the same numbers whichever
 * rank runs it and in whatever order.  Generator: xoshiro256** (Blackman & Vigna),
 * state expanded from the triple with splitmix64.  Not for cryptography. */
#ifndef AIF_RNG_H
#define AIF_RNG_H
#include <stdint.h>

typedef struct { uint64_t s[4]; } rng_t;

/* Purposes: independent streams of one run. */
enum { RNG_ENV = 1, RNG_AGENT = 2, RNG_INIT = 3, RNG_EVAL_ENV = 4, RNG_EVAL_AGENT = 5 };

void     rng_seed(rng_t *r, uint64_t sweep_seed, uint64_t run_id, uint64_t purpose);
uint64_t rng_u64(rng_t *r);
double   rng_uniform(rng_t *r);              /* [0, 1), 53 random bits */
uint32_t rng_below(rng_t *r, uint32_t n);    /* uniform in [0, n), unbiased; n > 0 */
double   rng_normal(rng_t *r);               /* standard normal (Box-Muller, no cache) */
float    rng_normalf(rng_t *r);
/* Index drawn from weights p[0..n-1] (non-negative, need not sum to 1; if all are
 * zero, uniform).  */
int      rng_categorical(rng_t *r, const double *p, int n);

#endif
