/* fuzz_jobspec: libFuzzer target for the job-file loader.
 *
 * Feeds arbitrary bytes to job_parse and, when they parse, expands the run
 * list.  Besides the sanitizers' findings (overflows, leaks, undefined
 * behaviour), a refusal must come with a message of one line: that is what a
 * user sees.  Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined;
 * seeds in tests/fuzz/corpus, YAML keys in tests/fuzz/jobspec.dict. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "job/job.h"
#include "job/jobspec.h"

/* Expansion allocates per run; a valid job of 10^8 runs is legal but would
 * exhaust the fuzzer's memory limit, so only small sweeps are expanded. */
#define FUZZ_MAX_EXPAND 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    jobspec_t job;
    char err[2048];
    if (job_parse(&job, "fuzz.yaml", (const char *)data, size, err, sizeof err) != 0) {
        if (err[0] == '\0' || strchr(err, '\n')) {
            fprintf(stderr, "refusal without a one-line message: \"%s\"\n", err);
            abort();
        }
        return 0;
    }
    double runs = 0;
    for (int a = 0; a < job.n_agents; a++) runs += (double)job.agents[a].n_combos * job.n_envs;
    runs *= job.n_seeds;
    if (runs <= FUZZ_MAX_EXPAND) {
        runlist_t rl;
        if (jobspec_expand(&job, &rl, err, sizeof err) == 0) {
            if (rl.n != (long)runs) {
                fprintf(stderr, "expanded %ld runs, expected %.0f\n", rl.n, runs);
                abort();
            }
            for (long i = 0; i < rl.n; i++)
                if (rl.runs[i].run_id != i || rl.runs[i].agent < 0 || rl.runs[i].agent >= job.n_agents ||
                    rl.runs[i].env < 0 || rl.runs[i].env >= job.n_envs)
                    abort();
            runlist_free(&rl);
        }
    }
    jobspec_free(&job);
    return 0;
}
