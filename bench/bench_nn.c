/* bench_nn: speed of the score network on one thread, against OpenBLAS sgemm and
 * (when Debian's python3-torch is installed) the identical PyTorch model, all
 * measured in the same command.
 *
 *   build/bench/bench_nn [--reps N] [--warmup N] [--no-torch]
 *
 * Prints `bench: NAME VALUE UNIT` lines.  Each time is the median over N
 * repetitions after the warm-up.  GFLOP/s count GEMM work only (2 M N K per
 * product, see scorenet_flops_*), the same count for C and for PyTorch.
 * OPENBLAS_CORETYPE is left as the environment sets it; the kernel in use is
 * printed, and only figures taken under the same kernel are comparable.
 * Environment: AIF_BENCH_PYTHON (default /usr/bin/python3),
 * AIF_BENCH_TORCH_SCRIPT (default scripts/bench_torch.py, found from the
 * working directory or from this executable's location). */
#include "nn/nn.h"
#include "nn/optim.h"
#include "core/rng.h"
#include "nn/scorenet.h"
#include <cblas.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct { int warmup, reps; } plan_t;

#define TIME_MEDIAN(plan, out_ms, stmt) do { \
    for (int w_ = 0; w_ < (plan).warmup; w_++) { stmt; } \
    double *t_ = malloc((size_t)(plan).reps * sizeof(double)); \
    for (int r_ = 0; r_ < (plan).reps; r_++) { double t0_ = now_ms(); stmt; t_[r_] = now_ms() - t0_; } \
    (out_ms) = median(t_, (plan).reps); free(t_); } while (0)

static double bench_sgemm(plan_t plan) {
    const int n = 1024;
    float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float)),
          *c = malloc((size_t)n * n * sizeof(float));
    rng_t r;
    rng_seed(&r, 1, 0, 0);
    for (size_t i = 0; i < (size_t)n * n; i++) { a[i] = rng_normalf(&r); b[i] = rng_normalf(&r); c[i] = 0; }
    double ms;
    TIME_MEDIAN(plan, ms, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
                                      1.0f, a, n, b, n, 0.0f, c, n));
    free(a); free(b); free(c);
    return 2.0 * n * n * (double)n / (ms * 1e6);
}

typedef struct { const char *name; scorenet_config_t cfg; double train_ms, fwd_ms, train_gf, fwd_gf; } model_bench_t;

enum { B_TRAIN = 256, B_FWD = 512 };

static int bench_model(model_bench_t *mb, plan_t plan) {
    scorenet_t net;
    adam_t adam;
    rng_t r;
    char err[256];
    rng_seed(&r, 1, 0, RNG_INIT);
    adam_config_t ac = adam_defaults();
    if (scorenet_create(&net, &mb->cfg, B_FWD, &r, err, sizeof err) ||
        adam_create(&adam, net.n_params, &ac, err, sizeof err)) {
        fprintf(stderr, "bench_nn: %s\n", err);
        return -1;
    }
    const size_t n = (size_t)B_FWD * mb->cfg.L * mb->cfg.d_tok;
    float *x = malloc(n * sizeof(float)), *eps = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
    float *t = malloc(B_FWD * sizeof(float));
    for (size_t i = 0; i < n; i++) { x[i] = rng_normalf(&r); eps[i] = rng_normalf(&r); }
    for (int b = 0; b < B_FWD; b++) t[b] = (float)rng_below(&r, 1000);
    TIME_MEDIAN(plan, mb->train_ms, {
        scorenet_loss_backward(&net, x, t, eps, NULL, B_TRAIN);
        adam_step(&adam, net.params, net.grads);
    });
    TIME_MEDIAN(plan, mb->fwd_ms, scorenet_forward(&net, x, t, B_FWD, out));
    mb->train_gf = scorenet_flops_train(&mb->cfg, B_TRAIN) / (mb->train_ms * 1e6);
    mb->fwd_gf = scorenet_flops_forward(&mb->cfg, B_FWD) / (mb->fwd_ms * 1e6);
    free(x); free(eps); free(out); free(t);
    adam_free(&adam);
    scorenet_free(&net);
    return 0;
}

/* Finds scripts/bench_torch.py: $AIF_BENCH_TORCH_SCRIPT, ./scripts/, or
 * <exe>/../../scripts/ (the executable lives in build/bench/). */
static int find_script(char *path, size_t n) {
    const char *env = getenv("AIF_BENCH_TORCH_SCRIPT");
    if (env && *env) { snprintf(path, n, "%s", env); return access(path, R_OK) == 0 ? 0 : -1; }
    snprintf(path, n, "scripts/bench_torch.py");
    if (access(path, R_OK) == 0) return 0;
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0) return -1;
    exe[k] = 0;
    for (int up = 0; up < 3; up++) { char *s = strrchr(exe, '/'); if (!s) return -1; *s = 0; }
    if (strlen(exe) + 32 > n) return -1;
    snprintf(path, n, "%s/scripts/bench_torch.py", exe);
    return access(path, R_OK) == 0 ? 0 : -1;
}

/* Runs the PyTorch twin; fills ms[4] = train_d64, fwd_d64, train_d128, fwd_d128.
 * Returns 0, or -1 with a reason in why. */
static int run_torch(plan_t plan, double ms[4], char *why, size_t whyn) {
    char script[PATH_MAX], cmd[2 * PATH_MAX + 256];
    if (find_script(script, sizeof script)) {
        snprintf(why, whyn, "scripts/bench_torch.py not found");
        return -1;
    }
    const char *py = getenv("AIF_BENCH_PYTHON");
    if (!py || !*py) py = "/usr/bin/python3";
    if (access(py, X_OK)) { snprintf(why, whyn, "%s not found", py); return -1; }
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "
             "'%s' '%s' --reps %d --warmup %d 2>&1", py, script, plan.reps, plan.warmup);
    FILE *p = popen(cmd, "r");
    if (!p) { snprintf(why, whyn, "cannot run %s", py); return -1; }
    static const char *names[4] = { "train_d64", "fwd_d64", "train_d128", "fwd_d128" };
    int got = 0;
    char line[400];
    snprintf(why, whyn, "no timings from %.400s", script);
    for (int i = 0; i < 4; i++) ms[i] = 0;
    while (fgets(line, sizeof line, p)) {
        char name[64], unit[32];
        double v;
        if (strncmp(line, "torch: unavailable", 18) == 0) {
            line[strcspn(line, "\n")] = 0;
            snprintf(why, whyn, "python3-torch not installed: %.400s", line + 7);
        }
        if (sscanf(line, "torch: %63s %lf %31s", name, &v, unit) == 3)
            for (int i = 0; i < 4; i++)
                if (!strcmp(name, names[i])) { ms[i] = v; got |= 1 << i; }
    }
    pclose(p);
    return got == 15 ? 0 : -1;
}

int main(int argc, char **argv) {
    /* One BLAS thread, as the runner uses inside each MPI rank.  The variable
     * must be set before OpenBLAS initialises (it then creates no worker
     * threads, which would otherwise spin on the second core), so the program
     * re-executes itself once with it set.  OPENBLAS_CORETYPE is not touched. */
    const char *nt = getenv("OPENBLAS_NUM_THREADS");
    if (!nt || strcmp(nt, "1") != 0) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
        /* if that fails, carry on with openblas_set_num_threads(1) below */
    }
    plan_t plan = { 3, 15 };
    int torch = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) plan.reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) plan.warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-torch")) torch = 0;
        else {
            fprintf(stderr, "usage: %s [--reps N] [--warmup N] [--no-torch]\n", argv[0]);
            return 2;
        }
    }
    if (plan.reps < 1) plan.reps = 1;
    if (plan.warmup < 0) plan.warmup = 0;
    openblas_set_num_threads(1);
    printf("bench: openblas_core %s\n", openblas_get_corename());
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("bench: openblas_coretype_env %s\n", ct && *ct ? ct : "(unset)");
    fflush(stdout);

    double sgemm_gf = bench_sgemm(plan);
    printf("bench: sgemm_1024_1thread %.1f GFLOP/s\n", sgemm_gf);
    fflush(stdout);

    model_bench_t mb[2] = {
        { "d64", { .d_model = 64, .n_heads = 4, .n_layers = 2, .L = 9, .d_tok = 9, .t_emb_dim = 64 }, 0, 0, 0, 0 },
        { "d128", { .d_model = 128, .n_heads = 4, .n_layers = 4, .L = 9, .d_tok = 9, .t_emb_dim = 64 }, 0, 0, 0, 0 },
    };
    for (int m = 0; m < 2; m++) {
        if (bench_model(&mb[m], plan)) return 1;
        printf("bench: train_%s_b%d %.3f ms\n", mb[m].name, B_TRAIN, mb[m].train_ms);
        printf("bench: train_%s_b%d_gflops %.1f GFLOP/s\n", mb[m].name, B_TRAIN, mb[m].train_gf);
        printf("bench: fwd_%s_b%d %.3f ms\n", mb[m].name, B_FWD, mb[m].fwd_ms);
        printf("bench: fwd_%s_b%d_gflops %.1f GFLOP/s\n", mb[m].name, B_FWD, mb[m].fwd_gf);
        fflush(stdout);
    }
    printf("bench: train_d128_pct_of_sgemm %.1f %%\n", 100.0 * mb[1].train_gf / sgemm_gf);
    fflush(stdout);

    if (!torch) {
        printf("bench: torch_reference skipped (--no-torch)\n");
        return 0;
    }
    double tms[4];
    char why[512];
    if (run_torch(plan, tms, why, sizeof why)) {
        printf("bench: torch_reference skipped (%s)\n", why);
        return 0;
    }
    const double ours[4] = { mb[0].train_ms, mb[0].fwd_ms, mb[1].train_ms, mb[1].fwd_ms };
    static const char *names[4] = { "train_d64", "fwd_d64", "train_d128", "fwd_d128" };
    static const int batch[4] = { B_TRAIN, B_FWD, B_TRAIN, B_FWD };
    for (int i = 0; i < 4; i++)
        printf("bench: torch_%s_b%d %.3f ms\n", names[i], batch[i], tms[i]);
    for (int i = 0; i < 4; i++)
        printf("bench: speedup_%s_vs_torch %.2f x\n", names[i], tms[i] / ours[i]);
    return 0;
}
