/*
 * test-stats.c - the engine's pure statistics: Poisson and binomial tails against
 * closed forms and known values, thresholds, quantiles, profile concentration.
 */
#include <math.h>
#include <string.h>

#include "../../src/engine/stats.h"

static void
test_poisson_small(void)
{
    /* P(X >= 1 | 2) = 1 - e^-2; P(X >= 3 | 2) = 1 - e^-2 (1 + 2 + 2) */
    g_assert_cmpfloat_with_epsilon(kt_stats_poisson_sf(1, 2.0), 1.0 - exp(-2.0), 1e-12);
    g_assert_cmpfloat_with_epsilon(kt_stats_poisson_sf(3, 2.0), 1.0 - 5.0 * exp(-2.0), 1e-12);
    g_assert_cmpfloat(kt_stats_poisson_sf(0, 5.0), ==, 1.0);
    /* deep tail: P(X >= 41 | 3) = e^-3 3^41 / 41! (1 + 3/42 + ...) = 5.84e-32 */
    double t = kt_stats_poisson_sf(41, 3.0);
    double first = exp(-3.0 + 41.0 * log(3.0) - lgamma(42.0));
    g_assert_cmpfloat(t, >, first);
    g_assert_cmpfloat(t, <, first * 1.08);
}

static void
test_poisson_large(void)
{
    /* Normal approximation: lambda 10000, 4 sigma above the mean is about 3.2e-5. */
    double t = kt_stats_poisson_sf(10400, 10000.0);
    g_assert_cmpfloat(t, >, 1e-5);
    g_assert_cmpfloat(t, <, 1e-4);
    /* Below the mean the tail is close to 1. */
    g_assert_cmpfloat(kt_stats_poisson_sf(9600, 10000.0), >, 0.9999);
}

static void
test_poisson_threshold(void)
{
    guint64 c = kt_stats_poisson_threshold(3.0, 1e-6, 0);
    g_assert_cmpfloat(kt_stats_poisson_sf(c, 3.0), <, 1e-6);
    g_assert_cmpfloat(kt_stats_poisson_sf(c - 1, 3.0), >=, 1e-6);
    g_assert_cmpuint(kt_stats_poisson_threshold(3.0, 1e-6, 20), ==, 20);
    guint64 big = kt_stats_poisson_threshold(1000.0, 1e-6, 20);
    g_assert_cmpuint(big, >, 1100);
    g_assert_cmpuint(big, <, 1200);
}

/* The search kt_stats_poisson_threshold() used before it started from a guess: from
 * max(min_count, lambda), exponential steps of sqrt(lambda + 1), then bisection. */
static guint64
threshold_reference(double lambda, double alpha, guint64 min_count)
{
    guint64 lo = MAX(min_count, (guint64)(lambda > 0 ? lambda : 0));
    if (kt_stats_poisson_sf(lo, lambda) < alpha)
        return lo;
    guint64 step = 1 + (guint64)sqrt(lambda + 1.0);
    guint64 hi = lo + step;
    while (kt_stats_poisson_sf(hi, lambda) >= alpha) {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    while (hi - lo > 1) {
        guint64 mid = lo + (hi - lo) / 2;
        if (kt_stats_poisson_sf(mid, lambda) < alpha)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* The guessed search gives the old search's answer: lambdas from 1e-9 to 1e9 (as the
 * engine passes them, lambda / phi with phi < 1, 1, and up to 1e6, rounded or not),
 * several alphas and minimum counts, and every lambda near the integers of a range. */
static void
test_poisson_threshold_search(void)
{
    static const double phis[] = { 0.25, 0.5, 1.0, 1.07, 1.5, 2.0, 3.7, 10.0, 55.0, 1e3, 1e6 };
    static const double alphas[] = { 1e-6, 1e-9, 1e-3, 0.05 };
    static const guint64 mins[] = { 0, 1, 20, 1000 };
    GRand *r = g_rand_new_with_seed(7);
    guint checked = 0;
    for (double l = 1e-9; l < 2e9; l *= l < 1e5 ? 1.37 : 6.0) {
        for (gsize p = 0; p < G_N_ELEMENTS(phis); p++) {
            double jitter = 1.0 + g_rand_double(r) * 1e-3;
            double lambda = MAX(l * jitter / phis[p], 1e-3);
            for (gsize a = 0; a < G_N_ELEMENTS(alphas); a++) {
                for (gsize m = 0; m < G_N_ELEMENTS(mins); m++) {
                    guint64 want = threshold_reference(lambda, alphas[a], mins[m]);
                    guint64 got = kt_stats_poisson_threshold(lambda, alphas[a], mins[m]);
                    if (got != want)
                        g_error("lambda %.17g alpha %g min %" G_GUINT64_FORMAT ": %"
                                G_GUINT64_FORMAT " != %" G_GUINT64_FORMAT,
                                lambda, alphas[a], mins[m], got, want);
                    checked++;
                }
            }
        }
    }
    /* dense: each step of lambda across the integers and their neighbours */
    for (double l = 0.0; l <= 3000.0; l += 0.0625) {
        for (int d = -1; d <= 1; d++) {
            double lambda = nextafter(MAX(l, 1e-9), d < 0 ? 0.0 : d > 0 ? 1e300 : l);
            guint64 want = threshold_reference(lambda, 1e-6, 20);
            g_assert_cmpuint(kt_stats_poisson_threshold(lambda, 1e-6, 20), ==, want);
            want = threshold_reference(lambda, 1e-6, 0);
            g_assert_cmpuint(kt_stats_poisson_threshold(lambda, 1e-6, 0), ==, want);
            checked += 2;
        }
    }
    g_assert_cmpuint(checked, >, 100000);
    g_rand_free(r);
}

static void
test_binomial(void)
{
    /* P(X >= 1) = 1 - (1-p)^n */
    g_assert_cmpfloat_with_epsilon(kt_stats_binom_sf(1, 10, 0.1), 1.0 - pow(0.9, 10), 1e-12);
    /* P(X >= 10 | 10, 0.5) = 2^-10 */
    g_assert_cmpfloat_with_epsilon(kt_stats_binom_sf(10, 10, 0.5), pow(0.5, 10), 1e-15);
    /* Symmetry: P(X >= 6 | 10, .5) = P(X <= 4) = 1 - P(X >= 5) */
    double a = kt_stats_binom_sf(6, 10, 0.5), b = kt_stats_binom_sf(5, 10, 0.5);
    g_assert_cmpfloat_with_epsilon(a, 1.0 - b, 1e-12);
    g_assert_cmpfloat(kt_stats_binom_sf(11, 10, 0.5), ==, 0.0);
    g_assert_cmpfloat(kt_stats_binom_sf(0, 10, 0.5), ==, 1.0);
    /* 12 failures in 14 calls with a 0.1% learned rate is far beyond chance ... */
    g_assert_cmpfloat(kt_stats_binom_sf(12, 14, 0.001), <, 1e-20);
    /* ... but not with a 40% rate. */
    g_assert_cmpfloat(kt_stats_binom_sf(12, 30, 0.4), >, 0.1);
}

static void
test_quantile(void)
{
    double v[] = { 5, 1, 4, 2, 3 };
    g_assert_cmpfloat(kt_stats_quantile(v, 5, 0.5), ==, 3);
    double w[] = { 5, 1, 4, 2, 3 };
    g_assert_cmpfloat(kt_stats_quantile(w, 5, 0.99), ==, 5);
    double x[] = { 5, 1, 4, 2, 3 };
    g_assert_cmpfloat(kt_stats_quantile(x, 5, 0.0), ==, 1);
    g_assert_cmpfloat(kt_stats_quantile(NULL, 0, 0.5), ==, 0);
    double y[100];
    for (int i = 0; i < 100; i++)
        y[i] = 100 - i;
    g_assert_cmpfloat(kt_stats_quantile(y, 100, 0.99), ==, 99);
}

/* Selection agrees with sorting on random data, duplicates included. */
static void
test_quantile_random(void)
{
    GRand *r = g_rand_new_with_seed(42);
    for (int round = 0; round < 200; round++) {
        gsize n = (gsize)g_rand_int_range(r, 1, 700);
        double *v = g_new(double, n), *w = g_new(double, n);
        for (gsize i = 0; i < n; i++)
            v[i] = w[i] = (double)g_rand_int_range(r, 0, round % 2 ? 5 : 100000);
        double q = g_rand_double(r);
        gsize rank = (gsize)ceil(q * (double)n);
        rank = MAX(rank, 1);
        for (gsize i = 1; i < n; i++) { /* insertion sort as the reference */
            double x = w[i];
            gsize j = i;
            while (j > 0 && w[j - 1] > x) {
                w[j] = w[j - 1];
                j--;
            }
            w[j] = x;
        }
        g_assert_cmpfloat(kt_stats_quantile(v, n, q), ==, w[rank - 1]);
        g_free(v);
        g_free(w);
    }
    g_rand_free(r);
}

static int
cmp_u32(const void *a, const void *b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    return (x > y) - (x < y);
}

/* Fills @v[0..@n) with values of kind @kind (0 to 4): few distinct values (many ties),
 * small counts, float bit patterns, the full 32-bit range, values at the top bit's edge. */
static void
random_values(GRand *r, guint32 *v, gsize n, int kind)
{
    for (gsize i = 0; i < n; i++) {
        switch (kind) {
        case 0: v[i] = (guint32)g_rand_int_range(r, 0, 4); break;
        case 1: v[i] = (guint32)g_rand_int_range(r, 1, 3000); break;
        case 2: {
            float f = (float)(g_rand_double(r) * 1e7);
            memcpy(&v[i], &f, sizeof(f));
            break;
        }
        case 3: v[i] = g_rand_int(r); break;
        default: v[i] = g_rand_boolean(r) ? G_MAXUINT32 : 0x7fffffffu + (guint32)(i % 3);
        }
    }
}

/* Selection against sorting, sizes 1 to 700, the kinds of random_values(): radix
 * selection at every rank (in steps), and selection near a hint with hints at, next to
 * and far from the answer's rank, between values and outside their range. */
static void
test_select_u32(void)
{
    GRand *r = g_rand_new_with_seed(11);
    for (int round = 0; round < 400; round++) {
        gsize n = round < 20 ? (gsize)round + 1 : (gsize)g_rand_int_range(r, 1, 700);
        guint32 *v = g_new(guint32, n), *w = g_new(guint32, n), *sorted = g_new(guint32, n);
        random_values(r, v, n, round % 5);
        memcpy(sorted, v, n * sizeof(guint32));
        qsort(sorted, n, sizeof(guint32), cmp_u32);
        gsize step = MAX(n / 37, 1);
        for (gsize k = 0; k < n; k += (k + step < n ? step : MAX(n - 1 - k, 1))) {
            memcpy(w, v, n * sizeof(guint32));
            g_assert_cmpuint(kt_stats_select_u32(w, n, k), ==, sorted[k]);
        }
        for (int t = 0; t < 40; t++) {
            gsize k = (gsize)g_rand_int_range(r, 0, (gint32)n);
            gint64 off = (gint64)k + g_rand_int_range(r, -30, 31); /* CLAMP() evaluates twice */
            guint32 hint = sorted[CLAMP(off, 0, (gint64)n - 1)];
            if (t % 4 == 1)
                hint += (guint32)g_rand_int_range(r, -2, 3); /* between values, may wrap */
            else if (t % 4 == 2)
                hint = t % 8 == 2 ? 0 : G_MAXUINT32;
            memcpy(w, v, n * sizeof(guint32));
            g_assert_cmpuint(kt_stats_select_u32_near(w, n, k, hint), ==, sorted[k]);
        }
        g_free(v);
        g_free(w);
        g_free(sorted);
    }
    g_rand_free(r);
}

static void
test_concentration(void)
{
    guint64 bins[48] = { 0 };
    g_assert_cmpuint(kt_stats_concentration(bins, 48, 0.95), ==, 0);
    for (int h = 9; h < 18; h++)
        bins[h] = 100; /* a working day: 9 bins */
    bins[30] = 1;
    g_assert_cmpuint(kt_stats_concentration(bins, 48, 0.95), ==, 9);
    for (int h = 0; h < 48; h++)
        bins[h] = 10; /* around the clock */
    g_assert_cmpuint(kt_stats_concentration(bins, 48, 0.95), ==, 46);
}

/* The concentration as first written: the largest bins one by one, sums as doubles. */
static guint
concentration_ref(const guint64 *bins, gsize n, double share)
{
    guint64 sorted[168], total = 0, acc = 0;
    for (gsize i = 0; i < n; i++) {
        sorted[i] = bins[i];
        total += bins[i];
    }
    if (total == 0)
        return 0;
    for (gsize i = 0; i < n; i++) {
        gsize best = i;
        for (gsize j = i + 1; j < n; j++) {
            if (sorted[j] > sorted[best])
                best = j;
        }
        guint64 t = sorted[i];
        sorted[i] = sorted[best];
        sorted[best] = t;
        acc += sorted[i];
        if ((double)acc >= share * (double)total)
            return (guint)(i + 1);
    }
    return (guint)n;
}

/* The partitioning concentration agrees with the reference on random profiles: few or
 * many distinct values, ties, zeros, large counts, and shares around the 0.95 used. */
static void
test_concentration_random(void)
{
    GRand *r = g_rand_new_with_seed(17);
    static const double shares[] = { 0.95, 0.5, 0.999, 1.0, 0.0, 1e-9, 0.3333 };
    for (int round = 0; round < 20000; round++) {
        guint64 bins[168];
        gsize n = round % 3 == 0 ? 48 : (gsize)g_rand_int_range(r, 1, 169);
        int kind = g_rand_int_range(r, 0, 5);
        for (gsize i = 0; i < n; i++) {
            switch (kind) {
            case 0: bins[i] = (guint64)g_rand_int_range(r, 0, 4); break;
            case 1: bins[i] = g_rand_int_range(r, 0, 4) == 0 ? (guint64)g_rand_int(r) : 0; break;
            case 2: bins[i] = (guint64)g_rand_int_range(r, 0, 1000); break;
            case 3: bins[i] = (guint64)g_rand_int(r) * g_rand_int_range(r, 1, 5000); break;
            default: bins[i] = i < 10 ? 500 + (guint64)g_rand_int_range(r, 0, 3) : i % 7; break;
            }
        }
        double share = shares[round % G_N_ELEMENTS(shares)];
        g_assert_cmpuint(kt_stats_concentration(bins, n, share), ==,
                         concentration_ref(bins, n, share));
    }
    g_rand_free(r);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/stats/poisson/small", test_poisson_small);
    g_test_add_func("/stats/poisson/large", test_poisson_large);
    g_test_add_func("/stats/poisson/threshold", test_poisson_threshold);
    g_test_add_func("/stats/poisson/threshold-search", test_poisson_threshold_search);
    g_test_add_func("/stats/binomial", test_binomial);
    g_test_add_func("/stats/quantile", test_quantile);
    g_test_add_func("/stats/quantile-random", test_quantile_random);
    g_test_add_func("/stats/select-u32", test_select_u32);
    g_test_add_func("/stats/concentration", test_concentration);
    g_test_add_func("/stats/concentration-random", test_concentration_random);
    return g_test_run();
}
