/*
 * baseline.c - per-entity baselines of the detection engine: value sets, the
 * hour-of-week profile, the hourly volume history (a ring of 28 days of hours), the
 * timeline for charts, and the daily statistics derived from them.
 */
#include <math.h>

#include "engine-private.h"

#include <math.h>

#include "stats.h"

KtEntity *
kt_entity_new(guint32 id, gboolean is_principal, guint32 index)
{
    /* the 1-byte counters live in the same block, after the struct, until they widen */
    KtEntity *ent = g_malloc0(sizeof(KtEntity) + KT_CNT_N);
    ent->id = id;
    ent->is_principal = is_principal;
    ent->index = index;
    kt_valset_init(&ent->ips, KT_CAP_IPS, FALSE);
    kt_valset_init(&ent->nets, KT_CAP_NETS, TRUE);
    kt_valset_init(&ent->wide, KT_CAP_WIDE, TRUE);
    kt_valset_init(&ent->ops, KT_CAP_OPS, FALSE);
    kt_valset_init(&ent->uas, KT_CAP_UAS, FALSE);
    ent->cnt = ent + 1;
    ent->cnt_width = 1;
    ent->ring_first_hour = G_MININT64;
    ent->ring_last_hour = G_MININT64;
    ent->cur_hour = G_MININT64;
    ent->cur_day = G_MININT64;
    ent->win_lo = 1; /* empty */
    ent->win_hi = 0;
    ent->stat_day = G_MININT64;
    ent->med_day = G_MININT64;
    ent->share_how = -1;
    ent->spike_req_anom = -1;
    ent->spike_bytes_anom = -1;
    ent->tl_start = G_MININT64;
    ent->tl_width = KT_MS_HOUR;
    ent->tl_lo = 1;
    ent->tl_hi = 0;
    return ent;
}

void
kt_entity_free(KtEntity *ent)
{
    if (ent == NULL)
        return;
    kt_valset_clear(&ent->ips);
    kt_valset_clear(&ent->nets);
    kt_valset_clear(&ent->wide);
    kt_valset_clear(&ent->ops);
    kt_valset_clear(&ent->uas);
    g_free(ent->ring_hours);
    g_free(ent->ring_dense);
    if (ent->cnt != (void *)(ent + 1))
        g_free(ent->cnt);
    kt_idlist_clear(&ent->incidents);
    kt_idlist_clear(&ent->open);
    g_free(ent);
}

void
kt_entity_memory(const KtEntity *ent, KtEngineMemory *m)
{
    gsize wide = ent->cnt_width > 1 ? (gsize)KT_CNT_N * ent->cnt_width : 0u; /* own block */
    m->entities += sizeof(KtEntity) + KT_CNT_N + wide + kt_idlist_bytes(&ent->incidents) +
                   kt_idlist_bytes(&ent->open);
    const KtValSet *sets[] = { &ent->ips, &ent->nets, &ent->wide, &ent->ops, &ent->uas };
    for (gsize i = 0; i < G_N_ELEMENTS(sets); i++) {
        m->value_sets += kt_valset_bytes(sets[i]);
        m->n_values += sets[i]->n;
    }
    m->rings += sizeof(KtHour) * ent->ring_alloc;
    if (ent->ring_dense != NULL)
        m->rings += (sizeof(guint32) + sizeof(float)) * KT_RING_HOURS;
}

void
kt_cnt_set(KtEntity *ent, guint i, guint32 v)
{
    guint8 w = v <= G_MAXUINT8 ? 1 : v <= G_MAXUINT16 ? 2 : 4;
    if (w > ent->cnt_width) {
        guint32 *wide = g_new(guint32, KT_CNT_N);
        for (guint k = 0; k < KT_CNT_N; k++)
            wide[k] = kt_cnt_get(ent, k);
        void *cells = g_malloc((gsize)KT_CNT_N * w);
        for (guint k = 0; k < KT_CNT_N; k++) {
            if (w == 2)
                ((guint16 *)cells)[k] = (guint16)wide[k];
            else
                ((guint32 *)cells)[k] = wide[k];
        }
        g_free(wide);
        if (ent->cnt != (void *)(ent + 1))
            g_free(ent->cnt);
        ent->cnt = cells;
        ent->cnt_width = w;
    }
    switch (ent->cnt_width) {
    case 1:
        ((guint8 *)ent->cnt)[i] = (guint8)v;
        break;
    case 2:
        ((guint16 *)ent->cnt)[i] = (guint16)v;
        break;
    default:
        ((guint32 *)ent->cnt)[i] = v;
        break;
    }
}

static guint32
ring_slot(gint64 hour)
{
    if (hour >= 0) /* every hour since 1970: one remainder */
        return (guint32)(hour % KT_RING_HOURS);
    return (guint32)(((hour % KT_RING_HOURS) + KT_RING_HOURS) % KT_RING_HOURS);
}

/* The slot @delta hours from @slot: ring_slot(hour + @delta) for the hour of @slot, with
 * a remainder of @delta only (none for a constant). */
static guint32
slot_add(guint32 slot, int delta)
{
    int s = (int)slot + delta % KT_RING_HOURS;
    return (guint32)(s < 0 ? s + KT_RING_HOURS : s >= KT_RING_HOURS ? s - KT_RING_HOURS : s);
}

/* Last hour whose count may enter the history: frozen at the leak time. */
static gboolean
hour_learnable(const KtEngine *e, gint64 hour)
{
    if (!kt_engine_leak_mode(e))
        return TRUE;
    return (hour + 1) * KT_MS_HOUR <= e->cfg.leak_time_ms;
}

/* --- hourly volume history ----------------------------------------------------------- */

static float *
dense_bytes(const KtEntity *ent)
{
    return (float *)(void *)(ent->ring_dense + KT_RING_HOURS);
}

/* Hour of sparse entry @h: the hour of its slot within the window ending at
 * ring_last_hour (every sparse hour lies in that window). */
static gint64
sparse_hour(const KtEntity *ent, const KtHour *h)
{
    guint32 last = ring_slot(ent->ring_last_hour);
    return ent->ring_last_hour - (gint64)((last + KT_RING_HOURS - h->slot) % KT_RING_HOURS);
}

/* Moves a sparse history into KT_RING_HOURS slots. */
static void
ring_to_dense(KtEntity *ent)
{
    ent->ring_dense = g_malloc0((sizeof(guint32) + sizeof(float)) * KT_RING_HOURS);
    for (guint32 i = 0; i < ent->ring_n; i++) {
        ent->ring_dense[ent->ring_hours[i].slot] = ent->ring_hours[i].req;
        dense_bytes(ent)[ent->ring_hours[i].slot] = ent->ring_hours[i].bytes;
    }
    g_free(ent->ring_hours);
    ent->ring_hours = NULL;
    ent->ring_n = ent->ring_alloc = 0;
}

/* Index of the first sparse hour at or after @hour. */
static guint32
sparse_lower(const KtEntity *ent, gint64 hour)
{
    guint32 lo = 0, hi = ent->ring_n;
    while (lo < hi) {
        guint32 mid = lo + (hi - lo) / 2;
        if (sparse_hour(ent, &ent->ring_hours[mid]) < hour)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Makes room for one more sparse hour of @req calls; FALSE when the history turned dense
 * instead (it is full, or the count does not fit a sparse hour). */
static gboolean
sparse_reserve(KtEntity *ent, guint32 req)
{
    if (ent->ring_dense != NULL)
        return FALSE;
    if (req > G_MAXUINT16 || ent->ring_n >= KT_RING_SPARSE_MAX) {
        ring_to_dense(ent);
        return FALSE;
    }
    if (ent->ring_n == ent->ring_alloc) {
        guint32 alloc = ent->ring_alloc + 4u + ent->ring_alloc / 4u; /* 1 in 5 unused at most */
        ent->ring_alloc = (guint16)MIN(alloc, KT_RING_SPARSE_MAX);
        ent->ring_hours = g_renew(KtHour, ent->ring_hours, ent->ring_alloc);
    }
    return TRUE;
}

void
kt_ring_set(KtEntity *ent, gint64 hour, guint32 req, float bytes)
{
    gboolean zero = req == 0 && bytes == 0;
    if (ent->ring_dense == NULL) {
        guint32 i = sparse_lower(ent, hour);
        KtHour *h = i < ent->ring_n && sparse_hour(ent, &ent->ring_hours[i]) == hour
                        ? &ent->ring_hours[i] : NULL;
        if (h != NULL && zero) {
            memmove(h, h + 1, sizeof(KtHour) * (ent->ring_n - i - 1));
            ent->ring_n--;
            return;
        }
        if (zero)
            return;
        if (h != NULL && req <= G_MAXUINT16) {
            h->req = (guint16)req;
            h->bytes = bytes;
            return;
        }
        if (h == NULL && sparse_reserve(ent, req)) {
            memmove(&ent->ring_hours[i + 1], &ent->ring_hours[i],
                    sizeof(KtHour) * (ent->ring_n - i));
            ent->ring_hours[i] = (KtHour){ (guint16)ring_slot(hour), (guint16)req, bytes };
            ent->ring_n++;
            return;
        }
        if (ent->ring_dense == NULL)
            ring_to_dense(ent);
    }
    ent->ring_dense[ring_slot(hour)] = req;
    dense_bytes(ent)[ring_slot(hour)] = bytes;
}

/* Drops sparse hours before @from (they leave the window). */
static void
sparse_expire(KtEntity *ent, gint64 from)
{
    guint32 n = 0;
    while (n < ent->ring_n && sparse_hour(ent, &ent->ring_hours[n]) < from)
        n++;
    if (n == 0)
        return;
    memmove(ent->ring_hours, ent->ring_hours + n, sizeof(KtHour) * (ent->ring_n - n));
    ent->ring_n = (guint16)(ent->ring_n - n);
}

void
kt_ring_push(KtEntity *ent, gint64 h, guint32 req, float bytes)
{
    if (ent->ring_first_hour == G_MININT64) {
        ent->ring_first_hour = h;
        ent->ring_last_hour = h - 1;
    }
    if (h <= ent->ring_last_hour) {
        /* only after loading an odd state: the hour is already in the history */
        if (ent->ring_last_hour - h < KT_RING_HOURS && h >= ent->ring_first_hour)
            kt_ring_set(ent, h, req, bytes);
        return;
    }
    if (ent->ring_dense != NULL) {
        gint64 from = MAX(ent->ring_last_hour + 1, h - KT_RING_HOURS + 1);
        guint32 slot = ring_slot(from);
        for (gint64 z = from; z < h; z++) {
            ent->ring_dense[slot] = 0;
            dense_bytes(ent)[slot] = 0;
            slot = slot_add(slot, 1);
        }
    } else {
        sparse_expire(ent, h - KT_RING_HOURS + 1);
    }
    ent->ring_last_hour = h;
    if (ent->ring_dense == NULL && (req != 0 || bytes != 0) && sparse_reserve(ent, req)) {
        /* the newest hour goes last: no search */
        ent->ring_hours[ent->ring_n++] = (KtHour){ (guint16)ring_slot(h), (guint16)req, bytes };
        return;
    }
    kt_ring_set(ent, h, req, bytes);
}

/* Writes the finished current hour into the ring. */
static void
ring_push(KtEngine *e, KtEntity *ent)
{
    gint64 h = ent->cur_hour;
    if (h == G_MININT64 || !hour_learnable(e, h))
        return;
    kt_ring_push(ent, h, (guint32)MIN(ent->cur_req, G_MAXUINT32), (float)ent->cur_bytes);
}

void
kt_ring_iter_init(KtRingIter *it, const KtEntity *ent)
{
    it->ent = ent;
    it->i = 0;
    it->hour = ent->ring_first_hour == G_MININT64
                   ? G_MAXINT64
                   : MAX(ent->ring_first_hour, ent->ring_last_hour - KT_RING_HOURS + 1);
}

gboolean
kt_ring_next(KtRingIter *it, gint64 *hour, guint32 *req, float *bytes)
{
    const KtEntity *ent = it->ent;
    if (ent->ring_dense == NULL) {
        if (it->i >= ent->ring_n || ent->ring_first_hour == G_MININT64)
            return FALSE;
        const KtHour *h = &ent->ring_hours[it->i++];
        *hour = sparse_hour(ent, h);
        *req = h->req;
        *bytes = h->bytes;
        return TRUE;
    }
    for (; it->hour <= ent->ring_last_hour; it->hour++) {
        guint32 slot = ring_slot(it->hour);
        if (ent->ring_dense[slot] != 0 || dense_bytes(ent)[slot] != 0) {
            *hour = it->hour++;
            *req = ent->ring_dense[slot];
            *bytes = dense_bytes(ent)[slot];
            return TRUE;
        }
    }
    return FALSE;
}

/* Timeline: KT_TIMELINE_BUCKETS buckets from the first record; when the next record
 * falls past the last bucket, pairs are merged and the width doubles. */
void
kt_timeline_move(KtEntity *ent, gint64 ms)
{
    if (ent->tl_start == G_MININT64)
        ent->tl_start = kt_floor_div(ms, KT_MS_HOUR) * KT_MS_HOUR;
    if (ms < ent->tl_start) {
        kt_cnt_inc(ent, KT_CNT_TL);
        return;
    }
    while ((ms - ent->tl_start) / ent->tl_width >= KT_TIMELINE_BUCKETS) {
        for (int i = 0; i < KT_TIMELINE_BUCKETS / 2; i++)
            kt_cnt_set(ent, KT_CNT_TL + i,
                       kt_sat_add32(kt_cnt_get(ent, KT_CNT_TL + 2 * i),
                                    kt_cnt_get(ent, KT_CNT_TL + 2 * i + 1)));
        for (int i = KT_TIMELINE_BUCKETS / 2; i < KT_TIMELINE_BUCKETS; i++)
            kt_cnt_set(ent, KT_CNT_TL + i, 0);
        ent->tl_width *= 2;
    }
    guint idx = (guint)((ms - ent->tl_start) / ent->tl_width);
    kt_cnt_inc(ent, KT_CNT_TL + idx);
    ent->tl_idx = (guint8)idx;
    ent->tl_lo = ent->tl_start + (gint64)idx * ent->tl_width;
    ent->tl_hi = ent->tl_lo + ent->tl_width;
}

void
kt_baseline_new_hour(KtEngine *e, KtEntity *ent, gint64 hour)
{
    if (ent->spike_req_anom >= 0 || ent->spike_bytes_anom >= 0)
        kt_detect_refresh(e, ent); /* else it has no spike of this hour to rewrite */
    ring_push(e, ent);
    ent->cur_hour = hour;
    ent->cur_req = ent->cur_fail = 0;
    ent->cur_bytes = 0;
    ent->thr_req = 0;
    ent->fired_req = ent->fired_bytes = ent->fired_burst = ent->fired_off = FALSE;
    ent->spike_req_anom = ent->spike_bytes_anom = -1;
    ent->hour_src = ent->hour_votes = ent->fail_src = ent->fail_votes = 0;
}

void
kt_baseline_new_day(KtEngine *e, KtEntity *ent, gint64 day, gboolean base)
{
    if (base)
        ent->base_days++;
    if (!kt_engine_leak_mode(e) && ent->cur_day != G_MININT64) {
        gint64 cut = ent->last_ms - e->cfg.forget_ms; /* see lookup() in feed.c */
        kt_valset_prune(&ent->ips, cut);
        kt_valset_prune(&ent->nets, cut);
        kt_valset_prune(&ent->wide, cut);
        kt_valset_prune(&ent->ops, cut);
        kt_valset_prune(&ent->uas, cut);
    }
    ent->cur_day = day;
}

/* Collapses the hour-of-week profile into 48 bins: hour of day x weekday/weekend, stored
 * as prof48 and copied to @bins. Summed day by day, with one switch on the cell width
 * per day; a bin sums at most 7 counts below 2^32, so the sums saturate at the end
 * exactly as adding them one by one with kt_sat_add32() would. */
static void
collapse_profile(KtEntity *ent, guint64 bins[48])
{
    guint64 acc[48] = { 0 };
    guint32 max = 0;
    for (guint d = 0; d < 7; d++) {
        guint64 *a = acc + (d >= 5 ? 24 : 0);
        guint first = KT_CNT_HOW + d * 24;
        if (ent->cnt_width == 1) {
            const guint8 *c = (const guint8 *)ent->cnt + first;
            for (guint h = 0; h < 24; h++)
                a[h] += c[h];
        } else if (ent->cnt_width == 2) {
            const guint16 *c = (const guint16 *)ent->cnt + first;
            for (guint h = 0; h < 24; h++)
                a[h] += c[h];
        } else {
            const guint32 *c = (const guint32 *)ent->cnt + first;
            for (guint h = 0; h < 24; h++)
                a[h] += c[h];
        }
    }
    for (guint i = 0; i < 48; i++) {
        bins[i] = MIN(acc[i], (guint64)G_MAXUINT32);
        max = MAX(max, (guint32)bins[i]);
    }
    /* the cells hold every bin: no widening */
    if (ent->cnt_width == 1 && max <= G_MAXUINT8) {
        for (guint i = 0; i < 48; i++)
            ((guint8 *)ent->cnt)[KT_CNT_PROF + i] = (guint8)bins[i];
    } else if (ent->cnt_width == 2 && max <= G_MAXUINT16) {
        for (guint i = 0; i < 48; i++)
            ((guint16 *)ent->cnt)[KT_CNT_PROF + i] = (guint16)bins[i];
    } else if (ent->cnt_width == 4) {
        for (guint i = 0; i < 48; i++)
            ((guint32 *)ent->cnt)[KT_CNT_PROF + i] = (guint32)bins[i];
    } else {
        for (guint i = 0; i < 48; i++)
            kt_cnt_set(ent, KT_CNT_PROF + i, (guint32)bins[i]);
    }
}

/* Share of @how in prof48 and its neighbours (see kt_baseline_hour_share). */
static double
hour_share(const KtEntity *ent, int how)
{
    guint64 bins[48], total = 0; /* as of the day's kt_baseline_daily() */
    for (guint i = 0; i < 48; i++) {
        bins[i] = kt_cnt_get(ent, KT_CNT_PROF + i);
        total += bins[i];
    }
    if (total == 0)
        return 1.0;
    /* Neighbours are taken along the week, so Friday 23:00 borders Saturday 00:00: without
     * --tz the weekday/weekend boundary falls at UTC midnight, a Friday evening elsewhere. */
    guint64 mass = 0;
    for (int d = -KT_OFF_SPAN; d <= KT_OFF_SPAN; d++) {
        int h = ((how + d) % 168 + 168) % 168;
        mass += bins[(h / 24 >= 5) * 24 + h % 24];
    }
    return (double)mass / (double)total;
}

double
kt_baseline_hour_share(KtEntity *ent, int how)
{
    if (ent->base_how_total == 0)
        return 1.0;
    /* prof48 changes once a day (kt_baseline_daily, or a state load), the hour once an
     * hour: the share is computed when either changed */
    if (ent->share_how != how) {
        ent->share_val = hour_share(ent, how);
        ent->share_how = (gint16)how;
    }
    return ent->share_val;
}

/* The median of @v[0..@n) as kt_stats_quantile(.., 0.5) picks it (nearest rank), 0 when
 * @n is 0; @hint is the last median, probably equal or near (reorders @v). */
static guint32
median_u32(guint32 *v, gsize n, guint32 hint)
{
    if (n == 0)
        return 0;
    gsize rank = (gsize)ceil(0.5 * (double)n); /* 1-based nearest rank */
    return kt_stats_select_u32_near(v, n, MAX(rank, (gsize)1) - 1, hint);
}

/* Medians of the non-zero learned hours of the history (0 when none): of the request
 * counts into *@med_req, of the byte sums into *@med_bytes, each given its last value as
 * the hint (one day of hours changes a median of up to 672 by a few ranks at most). One
 * pass over the history, in slot order (a median does not depend on the order); request
 * counts are selected as integers and byte sums by their float bits (positive floats
 * order as their bit patterns; a last median of bytes is such a float or 0), which picks
 * the same element as selecting the doubles, at a fraction of the cost. */
static void
medians_nonzero(const KtEntity *ent, double *med_req, double *med_bytes)
{
    guint32 req[KT_RING_HOURS], bytes[KT_RING_HOURS];
    gsize nr = 0, nb = 0;
    if (ent->ring_first_hour == G_MININT64) {
        /* no history */
    } else if (ent->ring_dense == NULL) {
        for (guint32 i = 0; i < ent->ring_n; i++) {
            const KtHour *h = &ent->ring_hours[i];
            float x = h->bytes;
            if (h->req > 0)
                req[nr++] = h->req;
            if (x > 0)
                memcpy(&bytes[nb++], &x, sizeof(guint32));
        }
    } else {
        /* the hours kt_ring_next() walks: the window ending at ring_last_hour */
        gint64 from = MAX(ent->ring_first_hour, ent->ring_last_hour - KT_RING_HOURS + 1);
        const float *db = dense_bytes(ent);
        guint32 slot = ring_slot(from);
        for (gint64 h = from; h <= ent->ring_last_hour; h++) {
            float x = db[slot];
            if (ent->ring_dense[slot] > 0)
                req[nr++] = ent->ring_dense[slot];
            if (x > 0)
                memcpy(&bytes[nb++], &x, sizeof(guint32));
            slot = slot + 1 == KT_RING_HOURS ? 0 : slot + 1;
        }
    }
    /* a last median outside what the types hold (a loaded state) is only a poor hint */
    guint32 hint_req = *med_req >= 0 && *med_req <= G_MAXUINT32 ? (guint32)*med_req : 0;
    float hf = *med_bytes > 0 && *med_bytes <= G_MAXFLOAT ? (float)*med_bytes : 0.0f;
    guint32 hint_bytes;
    memcpy(&hint_bytes, &hf, sizeof(hint_bytes));
    *med_req = (double)median_u32(req, nr, hint_req);
    guint32 m = median_u32(bytes, nb, hint_bytes);
    float f;
    memcpy(&f, &m, sizeof(f));
    *med_bytes = nb > 0 ? (double)f : 0.0;
}

void
kt_baseline_daily(KtEngine *e, KtEntity *ent, gint64 now_ms)
{
    gint64 day = kt_floor_div(now_ms, KT_MS_DAY);
    if (day == ent->stat_day)
        return;
    ent->stat_day = day;
    guint64 bins[48];
    collapse_profile(ent, bins);
    ent->share_how = -1;
    ent->conc_bins = (guint8)kt_stats_concentration(bins, 48, 0.95);
    /* A concentrated profile: enough history, and 95% of it in at most 12 of the 48
     * hour-of-day x weekday/weekend bins (a working day, a nightly job). */
    ent->concentrated = ent->base_how_total >= 50 && ent->base_days >= 5 &&
                        ent->conc_bins > 0 && ent->conc_bins <= 12;
}

/* Collects the learned counts of the same hour of day (and the hours beside it, so
 * that a DST change does not matter) over the history into @req and @bytes. */
static gsize
seasonal_samples(const KtEngine *e, const KtEntity *ent, double *req, double *bytes,
                 gint64 *span)
{
    gint64 h = ent->cur_hour, vend = h - 1;
    if (kt_engine_leak_mode(e))
        vend = MIN(vend, kt_floor_div(e->cfg.leak_time_ms, KT_MS_HOUR) - 1);
    gint64 vstart = MAX(ent->ring_first_hour, vend - KT_RING_HOURS + 1);
    *span = vend - vstart + 1;
    /* A sparse history is spread over the candidate hours in one pass, instead of one
     * search per hour: hour h - 24k + d is candidate 3 (k - 1) + d + 1. */
    gboolean sparse = ent->ring_dense == NULL;
    double sreq[3 * KT_RING_HOURS / 24] = { 0 }, sbytes[3 * KT_RING_HOURS / 24] = { 0 };
    for (guint32 i = 0; sparse && i < ent->ring_n; i++) {
        gint64 off = h - sparse_hour(ent, &ent->ring_hours[i]); /* 24k - d */
        if (off < 23 || off > 24 * (KT_RING_HOURS / 24) + 1)
            continue;
        gint64 k = (off + 1) / 24, d = 24 * k - off;
        if (d < -1 || d > 1)
            continue;
        sreq[3 * (k - 1) + d + 1] = ent->ring_hours[i].req;
        sbytes[3 * (k - 1) + d + 1] = ent->ring_hours[i].bytes;
    }
    gsize n = 0;
    guint32 slot_h = ring_slot(h);
    for (int k = 1; k <= KT_RING_HOURS / 24; k++) {
        for (int d = -1; d <= 1; d++) {
            gint64 hh = h - 24 * (gint64)k + d;
            if (hh < vstart || hh > vend)
                continue;
            req[n] = bytes[n] = 0;
            if (sparse) {
                req[n] = sreq[3 * (k - 1) + d + 1];
                bytes[n] = sbytes[3 * (k - 1) + d + 1];
            } else if (hh <= ent->ring_last_hour) {
                guint32 slot = slot_add(slot_h, -24 * k + d); /* ring_get(hh), dense */
                req[n] = ent->ring_dense[slot];
                bytes[n] = dense_bytes(ent)[slot];
            }
            n++;
        }
    }
    return n;
}

/*
 * Index of dispersion (variance / mean) of the seasonal samples, at least 1. Real request
 * counts are overdispersed (bursty: NAB's real series show 2 to 117 at the same hour of
 * day), so a Poisson tail at their level flags ordinary variation on busy keys; dividing
 * counts by the dispersion gives the quasi-Poisson tail used below.
 */
static double
dispersion(const double *x, gsize n)
{
    if (n < 4)
        return 1.0;
    double m = 0, v = 0;
    for (gsize i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    if (m <= 0)
        return 1.0;
    for (gsize i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    v /= (double)(n - 1);
    return CLAMP(v / m, 1.0, 1e6);
}

/* Quasi-Poisson threshold: the Poisson threshold of lambda / phi, scaled back by phi. */
static guint64
quasi_threshold(KtEngine *e, double lambda, double phi)
{
    if (phi <= 1.0)
        return kt_engine_spike_threshold(e, lambda);
    /* round phi to 2 significant digits so that the memo of thresholds stays small */
    double p = pow(10.0, floor(log10(phi)) - 1.0);
    phi = ceil(phi / p) * p;
    guint64 t = kt_engine_spike_threshold(e, MAX(lambda / phi, 1e-3));
    return MAX((guint64)ceil((double)t * phi), (guint64)KT_SPIKE_MIN);
}

void
kt_baseline_thresholds(KtEngine *e, KtEntity *ent)
{
    double req[3 * KT_RING_HOURS / 24], bytes[3 * KT_RING_HOURS / 24];
    gint64 span = 0;
    ent->thr_req = G_MAXUINT64;
    ent->thr_bytes = G_MAXDOUBLE;
    if (ent->ring_first_hour == G_MININT64)
        return;
    gsize n = seasonal_samples(e, ent, req, bytes, &span);
    if (span < KT_SPIKE_MIN_HOURS || n == 0)
        return;
    /* Medians change slowly: once a day, when an hour first reaches KT_SPIKE_MIN calls. */
    gint64 day = kt_floor_div(ent->cur_hour, 24);
    if (day != ent->med_day) {
        ent->med_day = day;
        medians_nonzero(ent, &ent->med_req, &ent->med_bytes);
    }
    double phi_req = dispersion(req, n);
    ent->lambda_req = kt_stats_quantile(req, n, 0.99);
    double mean_req = 0;
    for (gsize i = 0; i < n; i++)
        mean_req += req[i] / (double)n;
    double lambda = MAX(MAX(mean_req, ent->med_req), 1.0);
    ent->thr_req = quasi_threshold(e, lambda, phi_req);
    if (ent->base_bytes_n == 0)
        return;
    /* Bytes are not counts: measure them in units of the mean response size, which
     * makes a compound-Poisson tail of "response-sized units" comparable to requests. */
    ent->unit_bytes = MAX((double)ent->base_bytes / (double)ent->base_bytes_n, 512.0);
    ent->lambda_bytes = kt_stats_quantile(bytes, n, 0.99);
    double lb = MAX(MAX(ent->lambda_bytes, ent->med_bytes), ent->unit_bytes) / ent->unit_bytes;
    double phi_bytes = dispersion(bytes, n) / ent->unit_bytes; /* in response-sized units */
    guint64 units = quasi_threshold(e, lb, phi_bytes);
    ent->thr_bytes = MAX((double)units * ent->unit_bytes, KT_SPIKE_MIN_BYTES);
}
