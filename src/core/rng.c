#include "core/rng.h"
#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rng_seed(rng_t *r, uint64_t sweep_seed, uint64_t run_id, uint64_t purpose) {
    /* Mix the three words through splitmix64 so nearby triples give unrelated states. */
    uint64_t x = sweep_seed;
    uint64_t h = splitmix64(&x);
    x = h ^ (run_id * 0xd1342543de82ef95ULL);
    h = splitmix64(&x);
    x = h ^ (purpose * 0xa0761d6478bd642fULL);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

uint64_t rng_u64(rng_t *r) {
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(rng_t *r) { return (double)(rng_u64(r) >> 11) * 0x1.0p-53; }

uint32_t rng_below(rng_t *r, uint32_t n) {
    /* Lemire's multiply-shift with rejection: unbiased. */
    uint64_t m = (uint64_t)(uint32_t)(rng_u64(r) >> 32) * n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t thresh = (uint32_t)(-n) % n;
        while (lo < thresh) {
            m = (uint64_t)(uint32_t)(rng_u64(r) >> 32) * n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double rng_normal(rng_t *r) {
    double u1 = 1.0 - rng_uniform(r); /* (0, 1] so log is finite */
    double u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

float rng_normalf(rng_t *r) { return (float)rng_normal(r); }

int rng_categorical(rng_t *r, const double *p, int n) {
    double tot = 0;
    for (int i = 0; i < n; i++) tot += p[i] > 0 ? p[i] : 0;
    if (!(tot > 0)) return (int)rng_below(r, (uint32_t)n);
    double u = rng_uniform(r) * tot, c = 0;
    int last = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] <= 0) continue;
        c += p[i];
        last = i;
        if (u < c) return i;
    }
    return last;
}
