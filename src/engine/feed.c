/*
 * feed.c - the detection engine's per-record path (kt_engine_feed): the entity's hour and
 * day windows, the lookups of its value sets, the detectors' guards, its counters and
 * learning. The steps live in one file, as static functions, so that the compiler builds
 * kt_engine_feed as one function with the entity and the record in registers; what is
 * rare (a new hour or day, a new value, a rule that may fire) is called out of line.
 */
#include "engine-private.h"

/* --- windows and counters ------------------------------------------------------------ */

/* Boyer-Moore majority vote: the candidate is the majority value if there is one. */
static inline void
vote(guint32 *cand, guint32 *votes, guint32 v)
{
    /* without a branch (which source comes next is not predictable): +1 for the
       candidate, else -1, or a new candidate at 1 when the count is 0 */
    guint32 same = kt_eq_bit(*cand, v), take = kt_eq_bit(*votes, 0) & (1u - same);
    *cand ^= (*cand ^ v) & (0u - take);
    *votes = *votes + 2u * same - 1u + 2u * take;
}

/* kt_floor_div(@ms, @unit), without dividing when @ms lies in unit @cur (records of an
 * entity come in time order, so this is the usual case). */
static inline gint64
unit_of(gint64 ms, gint64 unit, gint64 cur)
{
    if (cur != G_MININT64 && cur > G_MININT64 / unit + 1 && cur < G_MAXINT64 / unit - 1 &&
        ms >= cur * unit && ms < (cur + 1) * unit)
        return cur;
    return kt_floor_div(ms, unit);
}

/* The slow part of advance(): starts the hour and the day of @ms when they are new, and
 * sets the window of the current hour. */
static G_GNUC_NO_INLINE void
advance_window(KtEngine *e, KtEntity *ent, gint64 ms, gboolean base)
{
    gint64 hour = unit_of(ms, KT_MS_HOUR, ent->cur_hour);
    if (hour > ent->cur_hour)
        kt_baseline_new_hour(e, ent, hour);
    gint64 day = unit_of(ms, KT_MS_DAY, ent->cur_day);
    if (day > ent->cur_day)
        kt_baseline_new_day(e, ent, day, base);
    ent->win_lo = 1; /* empty */
    ent->win_hi = 0;
    if (hour == ent->cur_hour && hour > G_MININT64 / KT_MS_HOUR + 1 &&
        hour < G_MAXINT64 / KT_MS_HOUR - 1 && kt_floor_div(hour, 24) == ent->cur_day) {
        ent->win_lo = hour * KT_MS_HOUR;
        ent->win_hi = ent->win_lo + KT_MS_HOUR;
    }
}

/* Advances the hour and day windows to @rec's time and counts it in the hour. A record
 * within the window of the current hour (which lies in the current day) starts no hour
 * and no day, so only the others take advance_window(). */
static inline void
advance(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean base)
{
    if (G_UNLIKELY(rec->time_ms < ent->win_lo || rec->time_ms >= ent->win_hi))
        advance_window(e, ent, rec->time_ms, base);
    ent->cur_req++;
    vote(&ent->hour_src, &ent->hour_votes, rec->source);
    if (rec->outcome != KT_OUTCOME_OK) {
        ent->cur_fail++;
        vote(&ent->fail_src, &ent->fail_votes, rec->source);
    }
    if (rec->bytes > 0)
        ent->cur_bytes += rec->bytes;
}

/* Counts a record at @ms into the timeline (kt_timeline_move() when it leaves the
 * bucket of the previous one). */
static inline void
timeline_add(KtEntity *ent, gint64 ms)
{
    if (ms >= ent->tl_lo && ms < ent->tl_hi) /* the usual case: same bucket as before */
        kt_cnt_inc(ent, KT_CNT_TL + ent->tl_idx);
    else
        kt_timeline_move(ent, ms);
}

/* Counts @rec in the entity's totals and the timeline. */
static inline void
count_record(KtEngine *e, KtEntity *ent, const KtRecord *rec)
{
    ent->events++;
    if (rec->outcome == KT_OUTCOME_DENIED)
        ent->denied++;
    else if (rec->outcome == KT_OUTCOME_ERROR)
        ent->errors++;
    if (rec->bytes > 0)
        ent->bytes += rec->bytes;
    ent->last_ms = MAX(ent->last_ms, rec->time_ms);
    if (ent->key == 0)
        ent->key = rec->key;
    timeline_add(ent, rec->time_ms);
}

/* Inserts @id, new to @s, for learn_value(); counts a new learned day for churn. */
static G_GNUC_NO_INLINE KtVal *
learn_new_value(KtEntity *ent, KtValSet *s, guint32 id, const KtRecord *rec, gboolean base,
                gboolean judged)
{
    KtVal *v = kt_valset_insert(s, id, rec->time_ms);
    if (judged)
        kt_valset_set_flags(s, v, v->flags | KT_VAL_NEW);
    if (base && ent->cur_day != kt_floor_div(ent->first_ms, KT_MS_DAY) &&
        (gint64)s->last_new_day != ent->cur_day) {
        s->new_days = (guint16)MIN(s->new_days + 1u, G_MAXUINT16);
        s->last_new_day = (gint32)CLAMP(ent->cur_day, (gint64)G_MININT32 + 1, G_MAXINT32);
    }
    return v;
}

/* Learns one value (@v: its entry, NULL when new); inline, as the usual case of a known
 * value is a few instructions. */
static inline KtVal *
learn_value(KtEntity *ent, KtValSet *s, KtVal *v, guint32 id, const KtRecord *rec,
            gboolean base, gboolean judged)
{
    if (G_UNLIKELY(v == NULL)) { /* new, or no value (id 0: lookup() found nothing) */
        if (id == 0)
            return NULL;
        v = learn_new_value(ent, s, id, rec, base, judged);
    }
    if (base && !(v->flags & KT_VAL_BASE))
        kt_valset_set_flags(s, v, v->flags | KT_VAL_BASE);
    kt_val_count(v);
    v->last_ms = MAX(v->last_ms, rec->time_ms);
    return v;
}

/* Consumer inventory per network: majority UA family, Misra-Gries top operations. */
static inline void
vote_network(KtValExtra *net, guint32 fam, guint32 op)
{
    if (fam != 0) {
        if (net->ua_fam == fam)
            net->ua_votes++;
        else if (net->ua_votes == 0) {
            net->ua_fam = fam;
            net->ua_votes = 1;
        } else
            net->ua_votes--;
    }
    if (op == 0)
        return;
    /* an operation is in at most one slot: counted without a branch per slot */
    guint32 m0 = kt_eq_bit(net->top_op[0], op), m1 = kt_eq_bit(net->top_op[1], op),
            m2 = kt_eq_bit(net->top_op[2], op);
    if (m0 | m1 | m2) {
        net->top_cnt[0] += m0;
        net->top_cnt[1] += m1;
        net->top_cnt[2] += m2;
        return;
    }
    for (int i = 0; i < KT_TOP_OPS; i++) {
        if (net->top_cnt[i] == 0) {
            net->top_op[i] = op;
            net->top_cnt[i] = 1;
            return;
        }
    }
    for (int i = 0; i < KT_TOP_OPS; i++)
        net->top_cnt[i]--;
}

/* Learns @rec into the baseline (@base) or only into alert bookkeeping; @judged as
 * kt_engine_feed() decided it. */
static inline void
learn_record(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean base, gboolean judged,
             const KtCtx *c)
{
    guint8 sf = c->sf;
    guint32 net = c->net, fam = c->fam;
    /* Each set is touched once, so an insertion cannot move another set's entry. */
    KtVal *nv = learn_value(ent, &ent->nets, c->v_net, net, rec, base, judged);
    if (nv != NULL && base)
        vote_network(kt_valset_extra(&ent->nets, nv), fam, rec->op);
    if (sf & KT_SRC_IP)
        learn_value(ent, &ent->ips, c->v_ip, rec->source, rec, base, judged);
    KtVal *wv = learn_value(ent, &ent->wide, c->v_wide, c->wide, rec, base, judged);
    if (wv != NULL && base)
        vote_network(kt_valset_extra(&ent->wide, wv), fam, rec->op); /* consumers of keys
                                                                         whose networks churn */
    learn_value(ent, &ent->ops, c->v_op, rec->op, rec, base, judged);
    learn_value(ent, &ent->uas, c->v_ua, fam, rec, base, judged);
    if ((sf & KT_SRC_IP) && net != 0) {
        if (base && kt_baseline_interleaves(ent, net, rec->time_ms))
            ent->base_overlaps++;
        if (net != ent->net0) {
            ent->net1 = ent->net0;
            ent->net1_ms = ent->net0_ms;
            ent->net0 = net;
        }
        ent->net0_ms = rec->time_ms;
        ent->net0_src = rec->source;
    }
    if (!base)
        return;
    kt_cnt_inc(ent, KT_CNT_HOW + (guint)kt_engine_how(e, rec->time_ms));
    ent->base_how_total++;
    ent->base_events++;
    if (rec->outcome != KT_OUTCOME_OK)
        ent->base_fail++;
    if (rec->bytes >= 0) {
        ent->base_bytes += rec->bytes;
        ent->base_bytes_n++;
    }
}

/* --- lookups and detectors ----------------------------------------------------------- */

/* Looks @id up (NULL when absent). In online mode a value the entity has not used for
 * forget_ms of its own activity is dropped, so it is new again; measuring from the
 * entity's last use, not from now, keeps a dormant key's baseline for dormant_key. */
static inline KtVal *
lookup(const KtEngine *e, const KtEntity *ent, KtValSet *s, guint32 id, gboolean online)
{
    if (id == 0)
        return NULL;
    KtVal *v = kt_valset_find(s, id);
    if (v != NULL && online && ent->last_ms - v->last_ms > e->cfg.forget_ms) {
        kt_valset_remove(s, id);
        v = NULL;
    }
    return v;
}

/* Fills @c for @rec: classifications and the entity's values (forgetting stale ones). */
static inline void
detect_prepare(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean judge, KtCtx *c)
{
    /* the per-id caches of engine.c, read here without a call once filled */
    const KtSrcInfo *si = rec->source < e->src_info->len
                              ? &g_array_index(e->src_info, KtSrcInfo, rec->source)
                              : NULL;
    if (si == NULL || !(si->flags & KT_SRC_DONE))
        si = kt_engine_src(e, rec->source);
    const KtUaInfo *ui = rec->ua < e->ua_info->len ? &g_array_index(e->ua_info, KtUaInfo, rec->ua)
                                                   : NULL;
    if (ui == NULL || !(ui->flags & KT_UA_DONE))
        ui = kt_engine_ua(e, rec->ua);
    c->sf = si->flags;
    c->net = si->net;
    c->wide = si->wide;
    c->uaf = ui->flags;
    c->fam = ui->fam;
    c->src = NULL; /* ctx_src() */
    /* Lookups of the five sets (removals first: they may move entries of the same set). */
    gboolean online = !kt_engine_leak_mode(e);
    c->v_ip = (c->sf & KT_SRC_IP) ? lookup(e, ent, &ent->ips, rec->source, online) : NULL;
    c->v_net = lookup(e, ent, &ent->nets, c->net, online);
    c->v_wide = lookup(e, ent, &ent->wide, c->wide, online);
    c->v_op = lookup(e, ent, &ent->ops, rec->op, online);
    c->v_ua = lookup(e, ent, &ent->uas, c->fam, online);
    c->net_alert = c->net_churny = FALSE;
    if (c->v_net != NULL && c->v_wide != NULL && c->v_op != NULL && c->v_ua != NULL &&
        (c->v_ip != NULL || !(c->sf & KT_SRC_IP))) {
        /* every value has an entry (the usual record): each test below would be FALSE */
        c->ip_new = c->net_new = c->wide_new = c->op_new = c->fam_new = FALSE;
    } else {
        c->ip_new = (c->sf & KT_SRC_IP) && c->v_ip == NULL;
        c->net_new = c->net != 0 && c->v_net == NULL;
        c->wide_new = c->wide != 0 && c->v_wide == NULL;
        c->op_new = rec->op != 0 && c->v_op == NULL;
        c->fam_new = c->fam != 0 && c->v_ua == NULL;
    }
    if (!judge)
        return; /* learning: only the signature rules run */
    /* Read only by new_network (when net_new) and concurrent_use (when the record
     * interleaves networks, which nothing before it can change): left FALSE otherwise. */
    if (c->net_new || kt_baseline_interleaves(ent, c->net, rec->time_ms))
        c->net_churny = kt_valset_churny(&ent->nets, ent->base_days);
    if (c->net_new && (e->cfg.enabled & (1u << KT_DET_NEW_NETWORK)) &&
        kt_valset_base_count(&ent->nets) > 0) {
        if (!(c->sf & KT_SRC_IP) || !c->net_churny)
            c->net_alert = TRUE;
        else
            c->net_alert = c->wide_new && !kt_valset_churny(&ent->wide, ent->base_days);
    }
}

/* Guard of off_hours (after fired_off): the rule first runs the day's statistics
 * (kt_baseline_daily), then returns unless the profile is concentrated, then unless the
 * share of the hour (kt_baseline_hour_share(), cached per hour of week) is below
 * KT_OFF_SHARE. FALSE only when the statistics are current and one of those returns
 * would be taken with the cached values. */
static inline gboolean
off_hours_due(KtEngine *e, const KtEntity *ent, const KtRecord *rec)
{
    /* a record within the hour window lies in cur_day (advance()): the statistics are
     * current when they are cur_day's */
    gboolean in_win = rec->time_ms >= ent->win_lo && rec->time_ms < ent->win_hi;
    if (in_win ? ent->stat_day != ent->cur_day : !kt_baseline_daily_current(ent, rec->time_ms))
        return TRUE;
    if (!ent->concentrated || ent->base_how_total == 0)
        return FALSE;
    return ent->share_how != kt_engine_how(e, rec->time_ms) || ent->share_val < KT_OFF_SHARE;
}

/* Guard of volume_spike: the rule returns unless a count reached its minimum and has
 * not fired this hour, and, once the hour's thresholds are known, for a record of a
 * source other than the hour's majority one, or with no needed count at its threshold
 * (it would fire nothing). */
static inline gboolean
volume_due(const KtEntity *ent, const KtRecord *rec)
{
    gboolean need_req = !ent->fired_req && ent->cur_req >= KT_SPIKE_MIN;
    gboolean need_bytes = !ent->fired_bytes && rec->bytes > 0 &&
                          ent->cur_bytes >= (gint64)KT_SPIKE_MIN_BYTES;
    if (!need_req && !need_bytes)
        return FALSE;
    if (ent->thr_req == 0)
        return TRUE; /* the rule computes the thresholds first */
    return rec->source == ent->hour_src &&
           ((need_req && ent->cur_req >= ent->thr_req) ||
            (need_bytes && (double)ent->cur_bytes >= ent->thr_bytes));
}

/*
 * The detectors run in table order (KtDetectorKind: the order anomalies are created in),
 * every enabled one on a judged record of an entity with a baseline, only the signature
 * ones (known_bad; revoked_key first of all) otherwise.
 *
 * Most records cannot fire any rule, so each rule is guarded here by a cheap test that
 * is one of the rule's own early returns: a record failing it would return from the rule
 * without any effect, and the rule itself still checks everything. The guards read no
 * state that an earlier rule of the same record could change other than the rule would.
 */
static inline void
detect_record(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean judged, KtCtx *c)
{
    const guint32 on = e->cfg.enabled;
    if ((on & (1u << KT_DET_REVOKED_KEY)) && e->n_revoked > 0) /* else no key is revoked */
        kt_detect_rule(e, ent, rec, c, KT_DET_REVOKED_KEY);
    if ((c->sf & KT_SRC_ALLOW) || (c->uaf & KT_UA_ALLOW))
        return; /* --allow: the user knows this source; only revoked keys still count */
    if (judged && ent->base_events > 0) {
        if (c->ip_new | c->net_alert | c->fam_new | c->op_new) { /* the new-value rules */
            if (c->ip_new && !c->net_alert && (on & (1u << KT_DET_NEW_IP)))
                kt_detect_rule(e, ent, rec, c, KT_DET_NEW_IP);
            if (c->net_alert && (on & (1u << KT_DET_NEW_NETWORK)))
                kt_detect_rule(e, ent, rec, c, KT_DET_NEW_NETWORK);
            if (c->fam_new && (on & (1u << KT_DET_NEW_USER_AGENT)))
                kt_detect_rule(e, ent, rec, c, KT_DET_NEW_USER_AGENT);
            if (c->op_new && (on & (1u << KT_DET_NEW_OP)))
                kt_detect_rule(e, ent, rec, c, KT_DET_NEW_OP);
        }
        if ((on & (1u << KT_DET_OFF_HOURS)) && !ent->fired_off && off_hours_due(e, ent, rec))
            kt_detect_rule(e, ent, rec, c, KT_DET_OFF_HOURS);
        if ((on & (1u << KT_DET_VOLUME_SPIKE)) && volume_due(ent, rec))
            kt_detect_rule(e, ent, rec, c, KT_DET_VOLUME_SPIKE);
        if (rec->outcome != KT_OUTCOME_OK && ent->cur_fail >= KT_BURST_MIN &&
            !ent->fired_burst && rec->source == ent->fail_src && (on & (1u << KT_DET_ERROR_BURST)))
            kt_detect_rule(e, ent, rec, c, KT_DET_ERROR_BURST);
        if (ent->events > 0 && rec->time_ms - ent->last_ms >= e->cfg.dormant_ms &&
            (on & (1u << KT_DET_DORMANT_KEY)))
            kt_detect_rule(e, ent, rec, c, KT_DET_DORMANT_KEY);
        if ((c->sf & KT_SRC_IP) && ent->base_overlaps == 0 &&
            kt_baseline_interleaves(ent, c->net, rec->time_ms) && !c->net_churny &&
            (on & (1u << KT_DET_CONCURRENT_USE)))
            kt_detect_rule(e, ent, rec, c, KT_DET_CONCURRENT_USE);
    }
    if (((c->sf & KT_SRC_BAD) || (c->uaf & KT_UA_BAD)) && (on & (1u << KT_DET_KNOWN_BAD)))
        kt_detect_rule(e, ent, rec, c, KT_DET_KNOWN_BAD);
}

/* --- feed ---------------------------------------------------------------------------- */

/* The map (id -> entity slot) @rec's entity is filed in, its id there into *@id and
 * whether it is a principal's into *@principal. */
static inline GArray *
entity_map(const KtEngine *e, const KtRecord *rec, guint32 *id, gboolean *principal)
{
    *principal = kt_engine_by_principal(e->cfg.entity, rec);
    *id = *principal ? rec->principal : rec->key;
    return *principal ? e->by_principal : e->by_key;
}

/* The entity of @rec (created on its first record). */
static inline KtEntity *
entity_for(KtEngine *e, const KtRecord *rec)
{
    guint32 id;
    gboolean principal;
    GArray *map = entity_map(e, rec, &id, &principal);
    kt_ensure_len(map, id);
    guint32 *slot = &g_array_index(map, guint32, id);
    if (*slot != 0)
        return g_ptr_array_index(e->ents, *slot - 1);
    KtEntity *ent = kt_entity_new(id, principal, e->ents->len);
    ent->key = rec->key;
    ent->first_ms = rec->time_ms;
    ent->learn_end_ms = rec->time_ms + e->cfg.learn_ms;
    g_ptr_array_add(e->ents, ent);
    *slot = e->ents->len;
    return ent;
}

/* kt_engine_feed() of one record, inlined into the loop of kt_engine_feed_batch() (its
 * only caller, so that the steps above stay inlined too): a batch pays the function's
 * entry and exit (saving and restoring registers, about 17 instructions) once, not per
 * record. */
G_ALWAYS_INLINE static inline void
feed_record(KtEngine *e, const KtRecord *rec)
{
    if (rec->key == 0)
        return;
    e->res_valid = FALSE;
    e->events++;
    e->first_ms = MIN(e->first_ms, rec->time_ms);
    e->last_ms = MAX(e->last_ms, rec->time_ms);
    KtEntity *ent = entity_for(e, rec);
    gboolean judged, learn;
    if (kt_engine_leak_mode(e)) {
        judged = rec->time_ms >= e->cfg.leak_time_ms;
        learn = !judged;
    } else {
        judged = rec->time_ms >= ent->learn_end_ms;
        learn = TRUE;
    }
    KtCtx c;
    advance(e, ent, rec, learn);
    detect_prepare(e, ent, rec, judged && ent->base_events > 0, &c);
    detect_record(e, ent, rec, judged, &c);
    /* after dormant_key judged this gap, before count_record() moves last_ms */
    if (learn && ent->events > 0 && rec->time_ms - ent->last_ms > ent->base_idle_ms)
        ent->base_idle_ms = rec->time_ms - ent->last_ms;
    count_record(e, ent, rec);
    if (ent->open.len > 0)
        kt_incident_count(e, ent, rec);
    learn_record(e, ent, rec, learn, judged, &c);
}


/* --- batches ------------------------------------------------------------------------- */

/*
 * Why kt_engine_feed_batch() exists: consecutive records usually belong to different
 * entities (hundreds of keys, interleaved), so each record's entity (about ten cache
 * lines, nearly all read or written per record) misses the cache, one record after
 * another. A batch knows the records to come, so while it feeds record i it prefetches
 * the entity of record i + KT_PF_ENT. That is only a hint: it reads the engine's maps and
 * changes nothing, so the batch is kt_engine_feed() on each record in order (feed_record()), the same
 * computation; an entity that a record before it creates is simply not prefetched.
 * Measured (scan -j1 of the bench logs): 2 records ahead beats 3 to 8 (more lines in
 * flight than the core keeps), and also prefetching the slots of the value sets that
 * record will look up, once its entity is in cache, cost more than it saved.
 */
#define KT_PF_ENT 2 /* records ahead */

/* A prefetch of the line of @p. GCC 12 at -O1 and above deletes __builtin_prefetch()
 * here as dead code (its -fno-tree-dce keeps it), so on x86 the instruction is written
 * out; it has no effect but on the cache. */
static inline void
prefetch(const void *p)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p);
#endif
}

/* The existing entity of @rec, or NULL: entity_for() without creating one. */
static inline const KtEntity *
entity_peek(const KtEngine *e, const KtRecord *rec)
{
    if (rec->key == 0)
        return NULL;
    guint32 id;
    gboolean principal;
    const GArray *map = entity_map(e, rec, &id, &principal);
    if (id >= map->len)
        return NULL;
    guint32 slot = g_array_index(map, guint32, id);
    return slot != 0 ? g_ptr_array_index(e->ents, slot - 1) : NULL;
}

/* Prefetches every line of @rec's entity (feeding reads nearly all of them). Prefetching
 * also the cached classification of its source (src_info, ~600 KB on the bench log) cost
 * 8 instructions a record for no measurable time. */
static inline void
prefetch_entity(const KtEngine *e, const KtRecord *rec)
{
    const KtEntity *ent = entity_peek(e, rec);
    if (ent == NULL)
        return;
    /* unrolled: a loop of ten prefetches spent more instructions on counting than on them */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
    for (gsize off = 0; off < sizeof(KtEntity); off += 64)
        prefetch((const char *)ent + off);
}

void
kt_engine_feed_batch(KtEngine *e, const KtRecord *recs, gsize n)
{
    g_return_if_fail(e != NULL && (recs != NULL || n == 0));
    for (gsize i = 0; i < MIN(n, (gsize)KT_PF_ENT); i++)
        prefetch_entity(e, &recs[i]);
    for (gsize i = 0; i < n; i++) {
        if (i + KT_PF_ENT < n)
            prefetch_entity(e, &recs[i + KT_PF_ENT]);
        feed_record(e, &recs[i]);
    }
}

void
kt_engine_feed(KtEngine *e, const KtRecord *rec)
{
    g_return_if_fail(e != NULL && rec != NULL);
    kt_engine_feed_batch(e, rec, 1);
}
