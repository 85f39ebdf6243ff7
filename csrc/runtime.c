/* runtime.c: what the engine learns about the machine it runs on (SIMD
 * level, OpenMP), thread heuristics, the shuffling generator, and the
 * SIGINT hook that lets a long call stop early. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int detect_simd(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
        return PYMLP_SIMD_AVX512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return PYMLP_SIMD_AVX2;
    }
#endif
    return PYMLP_SIMD_GENERIC;
}

/* -1 until first use. Set once from the CPU and the environment; a race
 * between two first calls writes the same value. */
static int simd_detected = -1;
static int simd_level = -1;

int pymlp_simd_detected(void)
{
    if (simd_detected < 0) {
        simd_detected = detect_simd();
    }
    return simd_detected;
}

/* The tables of the selected level, which every kernel and loop compiled
 * per instruction set is called through (see isa.inc). */
const pymlp_isa_f32 *volatile pymlp_isa_selected_f32;
const pymlp_isa_f64 *volatile pymlp_isa_selected_f64;

/* pymlp_set_portable_kernels: the level's tables with the portable
 * micro-kernel in place of its own */
static int portable_kernels;
static pymlp_isa_f32 portable_f32;
static pymlp_isa_f64 portable_f64;

int pymlp_set_simd(int level)
{
    const int cpu = pymlp_simd_detected();
    if (level < PYMLP_SIMD_GENERIC) {
        level = PYMLP_SIMD_GENERIC;
    }
    level = level < cpu ? level : cpu;
    const pymlp_isa_f32 *f32 = &pymlp_isa_generic_f32;
    const pymlp_isa_f64 *f64 = &pymlp_isa_generic_f64;
    if (level == PYMLP_SIMD_AVX512) {
        f32 = &pymlp_isa_avx512_f32;
        f64 = &pymlp_isa_avx512_f64;
    } else if (level == PYMLP_SIMD_AVX2) {
        f32 = &pymlp_isa_avx2_f32;
        f64 = &pymlp_isa_avx2_f64;
    }
    if (portable_kernels) {
        portable_f32 = *f32;
        portable_f32.ukernel = f32->portable_ukernel;
        portable_f64 = *f64;
        portable_f64.ukernel = f64->portable_ukernel;
        f32 = &portable_f32;
        f64 = &portable_f64;
    }
    pymlp_isa_selected_f32 = f32;
    pymlp_isa_selected_f64 = f64;
    simd_level = level;
    return simd_level;
}

int pymlp_set_portable_kernels(int on)
{
    const int before = portable_kernels;
    portable_kernels = on != 0;
    pymlp_set_simd(pymlp_simd_level());
    return before;
}

int pymlp_simd_level(void)
{
    if (simd_level < 0) {
        int level = pymlp_simd_detected();
        const char *env = getenv("PYMLP_SIMD");
        if (env != NULL) {
            if (strcmp(env, "generic") == 0) {
                level = PYMLP_SIMD_GENERIC;
            } else if (strcmp(env, "avx2") == 0) {
                level = PYMLP_SIMD_AVX2;
            }
        }
        pymlp_set_simd(level);
    }
    return simd_level;
}

int pymlp_has_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int pymlp_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

int pymlp_default_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int pymlp_threads_for(double flops, double per_thread, int n_threads)
{
    const double useful = flops / per_thread;
    if (n_threads < 1 || useful < 1.0) {
        return 1;
    }
    return useful < (double)n_threads ? (int)useful : n_threads;
}

int64_t pymlp_round_up(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

/* splitmix64 expands the seed into xoshiro256**'s state (Blackman and
 * Vigna, "Scrambled linear pseudorandom number generators", 2021). */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void pymlp_rng_seed(uint64_t rng[4], uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        rng[i] = splitmix64(&seed);
    }
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(uint64_t s[4])
{
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, range) without modulo bias (Lemire, "Fast random integer
 * generation in an interval", 2019). */
static uint64_t rng_below(uint64_t s[4], uint64_t range)
{
    __uint128_t m = (__uint128_t)rng_next(s) * range;
    uint64_t low = (uint64_t)m;
    if (low < range) {
        const uint64_t threshold = -range % range;
        while (low < threshold) {
            m = (__uint128_t)rng_next(s) * range;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void pymlp_shuffle(int64_t *order, int64_t n, uint64_t rng[4])
{
    for (int64_t i = n - 1; i > 0; i--) {
        const int64_t j = (int64_t)rng_below(rng, (uint64_t)i + 1);
        const int64_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

#if defined(SIGINT) && defined(SA_SIGINFO)
/* The flag a SIGINT sets, and the handler it is passed on to. */
static volatile int *volatile sigint_flag;
static struct sigaction sigint_previous;

static void on_sigint(int sig, siginfo_t *info, void *context)
{
    volatile int *flag = sigint_flag;
    if (flag != NULL) {
        *flag = 1;
    }
    /* pass it on: Python's own handler records it and raises
     * KeyboardInterrupt once the call has returned */
    if (sigint_previous.sa_flags & SA_SIGINFO) {
        sigint_previous.sa_sigaction(sig, info, context);
    } else if (sigint_previous.sa_handler != SIG_DFL
               && sigint_previous.sa_handler != SIG_IGN) {
        sigint_previous.sa_handler(sig);
    } else if (sigint_previous.sa_handler == SIG_DFL) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

int pymlp_catch_sigint(volatile int *flag)
{
    struct sigaction current;
    if (sigaction(SIGINT, NULL, &current) != 0
        || (!(current.sa_flags & SA_SIGINFO)
            && current.sa_handler == SIG_IGN)) {
        return 0;
    }
    sigint_previous = current;
    sigint_flag = flag;
    struct sigaction mine;
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = on_sigint;
    mine.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&mine.sa_mask);
    if (sigaction(SIGINT, &mine, NULL) != 0) {
        sigint_flag = NULL;
        return 0;
    }
    return 1;
}

void pymlp_release_sigint(void)
{
    sigaction(SIGINT, &sigint_previous, NULL);
    sigint_flag = NULL;
}
#else
int pymlp_catch_sigint(volatile int *flag)
{
    (void)flag;
    return 0;
}

void pymlp_release_sigint(void) {}
#endif
