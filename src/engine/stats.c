/*
 * stats.c - pure statistics for the detection engine: tails of the Poisson and
 * binomial distributions (computed by summing probability terms in log space from the
 * requested point outward, so they stay accurate far into the tail), nearest-rank
 * quantiles by selection, and the concentration of an hour profile.
 */
#include "stats.h"

#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Terms are summed until they fall below this fraction of the running sum. */
#define KT_STATS_EPS 1e-17
/* Hard bound on summed terms; tails decay geometrically well before it. */
#define KT_STATS_MAX_TERMS 200000

/* log(Gamma(x)) for x > 0. lgamma() also writes the global signgam, a data race when
 * engines run on several threads (scan -j N); lgamma_r() returns the sign instead. */
static double
log_gamma(double x)
{
    int sign;
    return lgamma_r(x, &sign);
}

static double
poisson_log_pmf(guint64 k, double lambda)
{
    double kd = (double)k;
    return kd * log(lambda) - lambda - log_gamma(kd + 1.0);
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

/* A guess at the threshold: the Cornish-Fisher quantile of Poisson(@lambda) at the
 * normal deviate of @alpha (z from the tail's asymptotic form, 4.74 for 1e-6; only the
 * number of probes depends on it, never the answer). */
static guint64
poisson_guess(double lambda, double alpha)
{
    if (!(alpha > 0.0 && alpha < 0.5) || !(lambda > 0.0) || lambda > 1e15)
        return 0;
    double l2 = -2.0 * log(alpha);
    double z2 = l2 - log(2.0 * G_PI) - log(l2);
    double z = z2 > 0.0 ? sqrt(z2) : 0.0;
    return (guint64)(lambda + z * sqrt(lambda) + (z * z - 1.0) / 6.0 + 1.0);
}

/*
 * The search relies on the predicate "kt_stats_poisson_sf(c, lambda) < alpha" being
 * false up to the threshold and true from it on, for c >= lo >= floor(lambda):
 * - the tail itself is non-increasing: sf(c) - sf(c + 1) = pmf(c) >= 0;
 * - computed, for c > lambda, sf(c) is poisson_sum_up(c): the terms pmf(c), pmf(c + 1),
 *   ... decrease (ratio lambda / (k + 1) < 1), so the sum from c + 1 is that from c
 *   without its largest term and with at most one smaller term added at the end (the
 *   stop rule and KT_STATS_MAX_TERMS cut both sums at the same kind of point); the
 *   dropped term pmf(c) is at least about 1 / (1 + sqrt(lambda)) of the sum, far above
 *   the rounding of the sum (about 1e-16 of it), so the computed sums decrease too;
 * - the only c <= lambda that can be probed is lo = floor(lambda) itself (when it is
 *   >= min_count), where sf is about 1/2 (the Poisson median is within 1 of lambda),
 *   so for the alphas of interest (well below 1/2) the predicate is false there.
 * So whatever c the search starts from, bracketing and bisection find the same
 * smallest c as the old linear-then-bisection search from lo; tests/unit/test-stats.c
 * checks the two on a wide grid of lambdas.
 */
guint64
kt_stats_poisson_threshold(double lambda, double alpha, guint64 min_count)
{
    guint64 lo = MAX(min_count, (guint64)(lambda > 0 ? lambda : 0));
    guint64 g = MAX(lo, poisson_guess(lambda, alpha)), hi;
    /* the answer is in [lo, hi]: every c in [orig lo, lo) has sf(c) >= alpha */
    if (kt_stats_poisson_sf(g, lambda) < alpha) {
        hi = g; /* gallop down from the guess until a probe is not below alpha */
        guint64 step = 1;
        while (hi > lo) {
            guint64 t = hi - MIN(step, hi - lo);
            if (kt_stats_poisson_sf(t, lambda) >= alpha) {
                lo = t + 1;
                break;
            }
            hi = t;
            step *= 2;
        }
    } else {
        lo = g + 1; /* gallop up */
        guint64 step = 1;
        for (;;) {
            guint64 t = lo + step - 1;
            if (kt_stats_poisson_sf(t, lambda) < alpha) {
                hi = t;
                break;
            }
            lo = t + 1;
            step *= 2;
        }
    }
    while (lo < hi) {
        guint64 mid = lo + (hi - lo) / 2;
        if (kt_stats_poisson_sf(mid, lambda) < alpha)
            hi = mid;
        else
            lo = mid + 1;
    }
    return hi;
}

static double
binom_log_pmf(guint64 k, guint64 n, double p)
{
    double kd = (double)k, nd = (double)n;
    return log_gamma(nd + 1.0) - log_gamma(kd + 1.0) - log_gamma(nd - kd + 1.0) + kd * log(p) +
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

/*
 * Radix selection: the values lie between their minimum and maximum, so they share every
 * bit above the highest bit in which those two differ; a histogram of the next (up to) 8
 * bits below that prefix finds the digit of the k-th smallest, the values with that digit
 * are kept (in place) and the search goes on in their lower bits. Each round fixes at
 * least one more bit, so there are at most 4 rounds, of 2 linear passes without data-
 * dependent swaps (the pass that keeps the values also takes their minimum and maximum
 * for the next round; a quickselect on the 672 hours of a ring costs about twice as
 * much). A round whose digit reaches bit 0 fixes every bit: the answer is the shared
 * prefix and that digit, without keeping the values. The k-th smallest is one value, so
 * the result is the same as by any other selection.
 */
guint32
kt_stats_select_u32(guint32 *v, gsize n, gsize k)
{
    guint32 lo = v[0], hi = v[0];
    for (gsize i = 1; i < n; i++) {
        lo = MIN(lo, v[i]);
        hi = MAX(hi, v[i]);
    }
    while (lo != hi) {
        int bits = (int)g_bit_storage(lo ^ hi); /* the values differ in bits [0, bits) */
        int shift = MAX(bits - 8, 0);
        guint32 cnt[256] = { 0 };
        for (gsize i = 0; i < n; i++)
            cnt[(v[i] >> shift) & 0xFF]++;
        guint32 d = 0;
        while (k >= cnt[d]) { /* the digit of the k-th smallest */
            k -= cnt[d];
            d++;
        }
        if (shift == 0) /* bits <= 8: the digit is all the bits in which values differ */
            return (lo & ~(guint32)0xFF) | d;
        gsize m = 0;
        guint32 nlo = G_MAXUINT32, nhi = 0;
        for (gsize i = 0; i < n; i++) {
            guint32 x = v[i];
            gboolean keep = ((x >> shift) & 0xFF) == d;
            v[m] = x;
            m += keep;
            nlo = keep && x < nlo ? x : nlo;
            nhi = keep && x > nhi ? x : nhi;
        }
        n = m;
        lo = nlo;
        hi = nhi;
    }
    return lo;
}

/* Most values kt_stats_select_u32_near() keeps in its buffer (the rank distance it
 * handles without a full selection, plus one). */
#define KT_NEAR_MAX 24

/* The number of values of @v[0..@n) below @hint into *@lt and equal to it into *@eq;
 * with SSE2 four at a time (unsigned order by signed compares of the values with the top
 * bit flipped; a compare gives -1 per true lane, subtracted from the counts). */
static void
count_around(const guint32 *v, gsize n, guint32 hint, gsize *lt, gsize *eq)
{
    gsize i = 0, l = 0, q = 0;
#ifdef __SSE2__
    const __m128i flip = _mm_set1_epi32((int)0x80000000u);
    const __m128i h = _mm_set1_epi32((int)hint), hf = _mm_xor_si128(h, flip);
    __m128i cl = _mm_setzero_si128(), cq = _mm_setzero_si128();
    for (; i + 4 <= n && n <= G_MAXUINT32; i += 4) { /* a lane counts at most n / 4 */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
        cl = _mm_sub_epi32(cl, _mm_cmplt_epi32(_mm_xor_si128(x, flip), hf));
        cq = _mm_sub_epi32(cq, _mm_cmpeq_epi32(x, h));
    }
    guint32 a[4], b[4];
    _mm_storeu_si128((__m128i *)(void *)a, cl);
    _mm_storeu_si128((__m128i *)(void *)b, cq);
    l = (gsize)a[0] + a[1] + a[2] + a[3];
    q = (gsize)b[0] + b[1] + b[2] + b[3];
#endif
    for (; i < n; i++) {
        l += v[i] < hint;
        q += v[i] == hint;
    }
    *lt = l;
    *eq = q;
}

/*
 * The k-th smallest when @hint is probably that value or near it in rank (the median of
 * a history that changed a little since the last one). A counting pass gives the ranks
 * that values equal to @hint occupy, [lt, lt + eq); when k falls among them the answer is
 * @hint. Otherwise it is the (d+1)-th value below @hint counting down (k < lt, d = lt - 1
 * - k) or above it counting up (d = k - lt - eq), found in one more pass that keeps the
 * d + 1 nearest values on that side in a small sorted buffer; a far rank (d + 1 >
 * KT_NEAR_MAX) takes kt_stats_select_u32(). Each way gives the k-th smallest, one value.
 */
guint32
kt_stats_select_u32_near(guint32 *v, gsize n, gsize k, guint32 hint)
{
    gsize lt, eq;
    count_around(v, n, hint, &lt, &eq);
    if (k >= lt && k < lt + eq)
        return hint;
    gboolean below = k < lt;
    gsize m = below ? lt - k : k - lt - eq + 1; /* values to keep; the answer is the last */
    if (m > KT_NEAR_MAX)
        return kt_stats_select_u32(v, n, k);
    /* buf[0..have): the nearest values to @hint on its side, nearest first; the key is the
     * distance from @hint, so both sides share one loop */
    guint32 buf[KT_NEAR_MAX];
    gsize have = 0;
    for (gsize i = 0; i < n; i++) {
        guint32 x = v[i];
        if (below ? x >= hint : x <= hint)
            continue;
        guint32 dist = below ? hint - x : x - hint;
        if (have == m && dist >= buf[m - 1])
            continue;
        gsize j = have < m ? have++ : m - 1;
        for (; j > 0 && buf[j - 1] > dist; j--)
            buf[j] = buf[j - 1];
        buf[j] = dist;
    }
    return below ? hint - buf[m - 1] : hint + buf[m - 1];
}

/* kt_stats_concentration() by selecting the largest bins one by one (@v: a copy of the
 * bins, reordered; @total their sum): the general case. */
static guint
concentration_select(guint64 *v, gsize n, guint64 total, double share)
{
    guint64 acc = 0;
    for (gsize i = 0; i < n; i++) {
        gsize best = i;
        for (gsize j = i + 1; j < n; j++) {
            if (v[j] > v[best])
                best = j;
        }
        guint64 t = v[i];
        v[i] = v[best];
        v[best] = t;
        acc += v[i];
        if ((double)acc >= share * (double)total)
            return (guint)(i + 1);
    }
    return (guint)n;
}

/* Median of three values (a pivot for concentration_partition()). */
static guint64
median3(guint64 a, guint64 b, guint64 c)
{
    if (a > b) {
        guint64 t = a;
        a = b;
        b = t;
    }
    return c <= a ? a : c >= b ? b : c;
}

/*
 * kt_stats_concentration() by partitioning instead of selecting the bins one by one
 * (about 3n comparisons instead of up to n^2 / 2). With @total below 2^52 every partial
 * sum converts to a double exactly, so "acc >= share * total" (as doubles) is the integer
 * test acc >= @need = ceil(share * total), and the answer is the smallest m whose m
 * largest bins reach @need: the same m as concentration_select() finds. Each round splits
 * the range around a pivot p into bins > p, == p and < p (the larger ones first): the
 * answer lies in the first part, among the equal ones (then computed directly), or in
 * the last part with the first two counted.
 */
static guint
concentration_partition(guint64 *v, gsize n, guint64 need)
{
    gsize lo = 0, hi = n, taken = 0; /* v[0..lo) are larger than v[lo..hi) */
    while (lo < hi) {
        guint64 p = median3(v[lo], v[lo + (hi - lo) / 2], v[hi - 1]);
        gsize gt = lo, i = lo, lt = hi; /* [lo,gt) > p, [gt,i) == p, [lt,hi) < p */
        guint64 sum_gt = 0;
        while (i < lt) {
            guint64 x = v[i];
            if (x > p) {
                sum_gt += x;
                v[i++] = v[gt];
                v[gt++] = x;
            } else if (x < p) {
                v[i] = v[--lt];
                v[lt] = x;
            } else {
                i++;
            }
        }
        if (sum_gt >= need) { /* within the larger bins (at least one, as need >= 1) */
            hi = gt;
            continue;
        }
        guint64 eq = (guint64)(lt - gt);
        if (sum_gt + eq * p >= need) /* p > 0 here, else sum_gt would have reached need */
            return (guint)(taken + (gt - lo) + (need - sum_gt + p - 1) / p);
        need -= sum_gt + eq * p;
        taken += lt - lo;
        lo = lt;
    }
    return (guint)taken; /* not reached while need <= the total of v[lo..hi) */
}

guint
kt_stats_concentration(const guint64 *bins, gsize n, double share)
{
    guint64 v[168];
    guint64 total = 0;
    gboolean small = TRUE; /* every partial sum below 2^52 */
    n = MIN(n, G_N_ELEMENTS(v));
    for (gsize i = 0; i < n; i++) {
        v[i] = bins[i];
        small = small && bins[i] < ((guint64)1 << 44); /* 168 bins sum below 2^52 */
        total += bins[i];
    }
    if (total == 0)
        return 0;
    if (!small || !(share > 0.0 && share <= 1.0))
        return concentration_select(v, n, total, share);
    guint64 need = (guint64)ceil(share * (double)total); /* 1..total */
    return concentration_partition(v, n, need);
}
