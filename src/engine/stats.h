/*
 * stats.h - pure statistics for the detection engine (private to src/engine and its
 * unit tests): Poisson and binomial upper tails, quantiles, profile concentration.
 *
 * Ownership rule: functions take caller-owned arrays and allocate nothing.
 */
#ifndef KT_ENGINE_STATS_H
#define KT_ENGINE_STATS_H

#include <glib.h>

/* P(X >= @c) for X ~ Poisson(@lambda); 1 for c == 0, @lambda clamped to >= 1e-9. */
double kt_stats_poisson_sf(guint64 c, double lambda);

/* Smallest c >= @min_count with kt_stats_poisson_sf(c, lambda) < @alpha. */
guint64 kt_stats_poisson_threshold(double lambda, double alpha, guint64 min_count);

/* P(X >= @d) for X ~ Binomial(@n, @p). */
double kt_stats_binom_sf(guint64 d, guint64 n, double p);

/* Nearest-rank quantile @q (0..1) of @v[0..@n); reorders @v; 0 when @n == 0. */
double kt_stats_quantile(double *v, gsize n, double q);

/* The @k-th smallest (0-based, @k < @n) of @v[0..@n); reorders @v. */
guint32 kt_stats_select_u32(guint32 *v, gsize n, gsize k);

/* kt_stats_select_u32(), faster when @hint is the answer or near it in rank. */
guint32 kt_stats_select_u32_near(guint32 *v, gsize n, gsize k, guint32 hint);

/* Number of largest bins of @bins[0..@n) needed to hold at least @share of their
 * total (0 when the total is 0). */
guint kt_stats_concentration(const guint64 *bins, gsize n, double share);

#endif
