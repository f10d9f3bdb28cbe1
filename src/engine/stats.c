/*
 * stats.c - pure statistics for the detection engine: tails of the Poisson and
 * binomial distributions (computed by summing probability terms in log space from the
 * requested point outward, so they stay accurate far into the tail), nearest-rank
 * quantiles by selection, and the concentration of an hour profile.
 */
#include "stats.h"

#include <math.h>

/* Terms are summed until they fall below this fraction of the running sum. */
#define KT_STATS_EPS 1e-17
/* Hard bound on summed terms; tails decay geometrically well before it. */
#define KT_STATS_MAX_TERMS 200000

static double
poisson_log_pmf(guint64 k, double lambda)
{
    double kd = (double)k;
    return kd * log(lambda) - lambda - lgamma(kd + 1.0);
}

/* Sum of pmf(k) for k >= c, c > lambda: terms decrease from the start. */
static double
poisson_sum_up(guint64 c, double lambda)
{
    double t = exp(poisson_log_pmf(c, lambda));
    double sum = 0.0;
    for (guint64 k = c; k < c + KT_STATS_MAX_TERMS; k++) {
        sum += t;
        t *= lambda / (double)(k + 1);
        if (t <= sum * KT_STATS_EPS || t == 0.0)
            break;
    }
    return sum;
}

/* Sum of pmf(k) for k <= m, m < lambda: terms decrease going down. */
static double
poisson_sum_down(guint64 m, double lambda)
{
    double t = exp(poisson_log_pmf(m, lambda));
    double sum = 0.0;
    for (guint64 k = m;; k--) {
        sum += t;
        if (k == 0)
            break;
        t *= (double)k / lambda;
        if (t <= sum * KT_STATS_EPS || t == 0.0)
            break;
    }
    return sum;
}

double
kt_stats_poisson_sf(guint64 c, double lambda)
{
    if (c == 0)
        return 1.0;
    if (lambda < 1e-9)
        lambda = 1e-9;
    double r;
    if ((double)c > lambda)
        r = poisson_sum_up(c, lambda);
    else
        r = 1.0 - poisson_sum_down(c - 1, lambda);
    return CLAMP(r, 0.0, 1.0);
}

guint64
kt_stats_poisson_threshold(double lambda, double alpha, guint64 min_count)
{
    guint64 lo = MAX(min_count, (guint64)(lambda > 0 ? lambda : 0));
    if (kt_stats_poisson_sf(lo, lambda) < alpha)
        return lo;
    /* Exponential search for an upper bound, then bisection (sf is decreasing). */
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

static double
binom_log_pmf(guint64 k, guint64 n, double p)
{
    double kd = (double)k, nd = (double)n;
    return lgamma(nd + 1.0) - lgamma(kd + 1.0) - lgamma(nd - kd + 1.0) + kd * log(p) +
           (nd - kd) * log1p(-p);
}

double
kt_stats_binom_sf(guint64 d, guint64 n, double p)
{
    if (d == 0)
        return 1.0;
    if (d > n || p <= 0.0)
        return 0.0;
    if (p >= 1.0)
        return 1.0;
    double odds = p / (1.0 - p), sum = 0.0;
    if ((double)d > (double)n * p) {
        double t = exp(binom_log_pmf(d, n, p));
        for (guint64 k = d; k <= n && k < d + KT_STATS_MAX_TERMS; k++) {
            sum += t;
            t *= (double)(n - k) / (double)(k + 1) * odds;
            if (t <= sum * KT_STATS_EPS || t == 0.0)
                break;
        }
        return CLAMP(sum, 0.0, 1.0);
    }
    double t = exp(binom_log_pmf(d - 1, n, p));
    for (guint64 k = d - 1;; k--) {
        sum += t;
        if (k == 0)
            break;
        t *= (double)k / (double)(n - k + 1) / odds;
        if (t <= sum * KT_STATS_EPS || t == 0.0)
            break;
    }
    return CLAMP(1.0 - sum, 0.0, 1.0);
}

/* Quickselect with a three-way partition (so runs of equal values, common in hourly
 * counts, cost O(n)): returns the k-th smallest of v[0..n), reordering v. */
static double
select_kth(double *v, gssize n, gssize k)
{
    gssize lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2], t;
        gssize lt = lo, i = lo, gt = hi;
        while (i <= gt) { /* v[lo..lt) < pivot, v[lt..i) == pivot, v(gt..hi] > pivot */
            if (v[i] < pivot) {
                t = v[i], v[i] = v[lt], v[lt] = t;
                lt++, i++;
            } else if (v[i] > pivot) {
                t = v[i], v[i] = v[gt], v[gt] = t;
                gt--;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt - 1;
        else if (k > gt)
            lo = gt + 1;
        else
            return pivot;
    }
    return v[k];
}

double
kt_stats_quantile(double *v, gsize n, double q)
{
    if (n == 0)
        return 0.0;
    q = CLAMP(q, 0.0, 1.0);
    gsize rank = (gsize)ceil(q * (double)n); /* 1-based nearest rank */
    if (rank < 1)
        rank = 1;
    if (rank == n || rank == 1) {
        /* the extremes (p99 of fewer than 100 values is the maximum) in one pass */
        double best = v[0];
        for (gsize i = 1; i < n; i++)
            best = rank == n ? MAX(best, v[i]) : MIN(best, v[i]);
        return best;
    }
    return select_kth(v, (gssize)n, (gssize)rank - 1);
}

guint
kt_stats_concentration(const guint64 *bins, gsize n, double share)
{
    guint64 sorted[168];
    guint64 total = 0;
    n = MIN(n, G_N_ELEMENTS(sorted));
    for (gsize i = 0; i < n; i++) {
        sorted[i] = bins[i];
        total += bins[i];
    }
    if (total == 0)
        return 0;
    /* The largest bins one by one (selection), until they hold @share: the same sums as
     * walking them sorted, and the profiles that matter stop after a few bins. */
    guint64 acc = 0;
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
