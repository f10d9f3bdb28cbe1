/*
 * detectors.c - the detectors of the engine, one rule function per KtDetectorKind in a
 * table. Each judges one record against what its entity learned before it and, when it
 * fires, builds an explanation with the observed value next to the baseline. The rules
 * and their parameters are documented in docs/DETECTORS.md.
 */
#include "engine-private.h"

#include <math.h>

#include "stats.h"

static void
emit(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtDetectorKind kind, int score,
     gboolean strong, char *observed, char *baseline, char *message)
{
    kt_incident_add_anomaly(e, ent, rec, kind, score, strong, observed, baseline, message);
}

static gboolean
enabled(const KtEngine *e, KtDetectorKind k)
{
    return (e->cfg.enabled & (1u << k)) != 0;
}

/* The source text of @rec for messages (clipped), looked up when a rule first needs it. */
static const char *
ctx_src(KtEngine *e, const KtRecord *rec, KtCtx *c)
{
    if (c->src == NULL) {
        const char *src = kt_dict_str(e->dict, KT_SPACE_SOURCE, rec->source);
        c->src = (c->sf & KT_SRC_LONG) ? kt_engine_clip(src, c->src_buf) : src;
    }
    return c->src;
}

static const char *
src_text(KtEngine *e, const KtRecord *rec, KtCtx *c)
{
    const char *src = ctx_src(e, rec, c);
    return src[0] != '\0' ? src : "(no source)";
}

/* --- signature rules (every phase) --------------------------------------------------- */

static void
rule_revoked(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    gint64 rev = kt_engine_key_revoked(e, rec->key);
    if (rev == G_MAXINT64 || rec->time_ms < rev ||
        kt_incident_has(e, ent, rec, KT_DET_REVOKED_KEY))
        return;
    char when[48];
    if (rev <= 1)
        g_strlcpy(when, "a decoy (any use)", sizeof(when));
    else
        kt_engine_local_time(e, rev, when, sizeof(when));
    emit(e, ent, rec, KT_DET_REVOKED_KEY, 95, TRUE,
         g_strdup_printf("used from %s", src_text(e, rec, c)),
         g_strdup_printf("revoked %s", when),
         g_strdup_printf("revoked key used from %s; revoked %s", src_text(e, rec, c), when));
}

static void
rule_known_bad(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (!(c->sf & KT_SRC_BAD) && !(c->uaf & KT_UA_BAD))
        return;
    if (kt_incident_has(e, ent, rec, KT_DET_KNOWN_BAD))
        return;
    char clip[KT_CLIP_BUF];
    const char *ua = kt_engine_clip(kt_dict_str(e->dict, KT_SPACE_UA, rec->ua), clip);
    if (c->sf & KT_SRC_BAD) {
        emit(e, ent, rec, KT_DET_KNOWN_BAD, 90, TRUE, g_strdup_printf("source %s", src_text(e, rec, c)),
             g_strdup("known-bad address list"),
             g_strdup_printf("source %s is on the known-bad address list", src_text(e, rec, c)));
        return;
    }
    const char *tool = NULL;
    if (!kt_ua_is_attack_tool(kt_dict_str(e->dict, KT_SPACE_UA, rec->ua), &tool))
        tool = "a --known-bad user agent";
    emit(e, ent, rec, KT_DET_KNOWN_BAD, 90, TRUE, g_strdup_printf("user agent \"%s\"", ua),
         g_strdup_printf("matches %s", tool),
         g_strdup_printf("attack-tool user agent \"%s\" (matches %s) from %s", ua, tool,
                         src_text(e, rec, c)));
}

/* --- baseline rules (judged records of entities with a baseline) ---------------------- */

static void
rule_dormant(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (ent->events == 0 || rec->time_ms - ent->last_ms < e->cfg.dormant_ms)
        return;
    /* A key whose learned history already holds an idle spell two thirds as long (a
     * monthly job) is keeping its rhythm, not waking up. */
    if (ent->base_idle_ms >= (rec->time_ms - ent->last_ms) / 3 * 2)
        return;
    char last[48];
    kt_engine_local_time(e, ent->last_ms, last, sizeof(last));
    gint64 days = (rec->time_ms - ent->last_ms) / KT_MS_DAY;
    emit(e, ent, rec, KT_DET_DORMANT_KEY, 50, TRUE,
         g_strdup_printf("first use in %" G_GINT64_FORMAT " days", days),
         g_strdup_printf("last use %s", last),
         g_strdup_printf("key unused for %" G_GINT64_FORMAT " days (last use %s), then used "
                         "from %s", days, last, src_text(e, rec, c)));
}

/* Good-Turing estimate of the chance that the entity's next record brings a value its
 * baseline does not hold: the share of baseline records whose value was seen only once
 * (n1 / N). Sets *@n_out and *@n1_out for the message. Walks the set: called only for a
 * new value. */
static double
missing_mass(const KtValSet *s, guint64 *n_out, guint64 *n1_out)
{
    guint64 n = 0, n1 = 0;
    for (guint32 i = 0; i < kt_valset_span(s); i++) { /* compact sets: s->n entries */
        const KtVal *v = &s->slots[i];
        if (v->id == 0 || !(v->flags & KT_VAL_BASE))
            continue;
        n += v->count;
        n1 += v->count == 1;
    }
    *n_out = n;
    *n1_out = n1;
    return n > 0 ? (double)n1 / (double)n : 0.0;
}

/* new_network for a key that often brings new networks (or ranges): the estimated chance
 * of a new one is above KT_NEW_MASS, so one more is drift, not evidence. TRUE if emitted. */
static gboolean
new_network_expected(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c,
                     const KtValSet *s, const char *what, const char *value)
{
    guint64 n, n1;
    double p = missing_mass(s, &n, &n1);
    if (p <= KT_NEW_MASS)
        return FALSE;
    emit(e, ent, rec, KT_DET_NEW_NETWORK, 25, FALSE,
         g_strdup_printf("IP %s (%s)", ctx_src(e, rec, c), value),
         g_strdup_printf("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " learned requests "
                         "came from %ss seen once", n1, n, what),
         g_strdup_printf("IP %s never seen; %s %s is new, as expected for this key: %"
                         G_GUINT64_FORMAT " of its %" G_GUINT64_FORMAT " learned requests "
                         "came from %ss seen once (estimated %.0f%% chance of a new one)",
                         ctx_src(e, rec, c), what, value, n1, n, what, 100.0 * p));
    return TRUE;
}

static void
rule_new_network(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (!c->net_alert)
        return;
    char clip[KT_CLIP_BUF];
    const char *net = kt_engine_clip(kt_engine_str(e, c->net), clip);
    g_autofree char *known = kt_engine_list_values(e, &ent->nets, KT_SPACE_SOURCE, TRUE, 4);
    if (!(c->sf & KT_SRC_IP)) {
        emit(e, ent, rec, KT_DET_NEW_NETWORK, 15, FALSE, g_strdup_printf("source %s", net),
             g_strdup_printf("known sources %s", known),
             g_strdup_printf("named source %s never seen; known sources %s", net, known));
        return;
    }
    if (c->net_churny) {
        const char *wide = kt_engine_str(e, c->wide);
        if (new_network_expected(e, ent, rec, c, &ent->wide, "range", wide))
            return;
        g_autofree char *kw = kt_engine_list_values(e, &ent->wide, KT_SPACE_SOURCE, TRUE, 4);
        emit(e, ent, rec, KT_DET_NEW_NETWORK, 40, TRUE,
             g_strdup_printf("IP %s in %s", ctx_src(e, rec, c), wide), g_strdup_printf("known ranges %s", kw),
             g_strdup_printf("IP %s never seen; its range %s is new (this key's /24 networks "
                             "change often, so ranges are compared); known ranges %s",
                             ctx_src(e, rec, c), wide, kw));
        return;
    }
    if (new_network_expected(e, ent, rec, c, &ent->nets, "network", net))
        return;
    emit(e, ent, rec, KT_DET_NEW_NETWORK, 45, TRUE,
         g_strdup_printf("IP %s (%s)", ctx_src(e, rec, c), net), g_strdup_printf("known networks %s", known),
         g_strdup_printf("IP %s never seen; network %s is new; known networks %s", ctx_src(e, rec, c), net,
                         known));
}

static void
rule_new_ip(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (!c->ip_new || c->net_alert || kt_valset_churny(&ent->ips, ent->base_days))
        return;
    const char *net = kt_engine_str(e, c->net);
    if (c->net_new) {
        /* new_network judged the network (churning networks are judged by range) unless
         * it is disabled; then the IP carries the evidence, if there is a baseline */
        if (enabled(e, KT_DET_NEW_NETWORK) || kt_valset_base_count(&ent->nets) == 0)
            return;
        g_autofree char *known = kt_engine_list_values(e, &ent->nets, KT_SPACE_SOURCE, TRUE, 4);
        emit(e, ent, rec, KT_DET_NEW_IP, 40, TRUE, g_strdup_printf("IP %s", ctx_src(e, rec, c)),
             g_strdup_printf("known networks %s", known),
             g_strdup_printf("IP %s never seen, in a new network %s; known networks %s", ctx_src(e, rec, c),
                             net, known));
        return;
    }
    const KtVal *nv = kt_valset_find(&ent->nets, c->net);
    emit(e, ent, rec, KT_DET_NEW_IP, 10, FALSE, g_strdup_printf("IP %s", ctx_src(e, rec, c)),
         g_strdup_printf("network %s known (%" G_GUINT64_FORMAT " events)", net,
                         nv != NULL ? (guint64)nv->count : 0),
         g_strdup_printf("IP %s never seen, in known network %s", ctx_src(e, rec, c), net));
}

static void
rule_new_ua(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (!c->fam_new || kt_valset_churny(&ent->uas, ent->base_days) ||
        kt_valset_base_count(&ent->uas) == 0)
        return;
    const char *fam = kt_engine_str(e, c->fam);
    g_autofree char *known = kt_engine_list_values(e, &ent->uas, KT_SPACE_UA, TRUE, 4);
    char clip[KT_CLIP_BUF];
    emit(e, ent, rec, KT_DET_NEW_USER_AGENT, 25, FALSE,
         g_strdup_printf("\"%s\"", kt_engine_clip(kt_dict_str(e->dict, KT_SPACE_UA, rec->ua), clip)),
         g_strdup_printf("known families %s", known),
         g_strdup_printf("user-agent family %s never seen from this key (from %s); known "
                         "families %s", fam, src_text(e, rec, c), known));
}

static const int op_scores[KT_OP_CLASS_COUNT] = {
    [KT_OP_OTHER] = 10, [KT_OP_DATA] = 15, [KT_OP_RECON] = 25,
    [KT_OP_CREDENTIAL_ACCESS] = 40, [KT_OP_PRIVILEGE] = 40, [KT_OP_DESTRUCTIVE] = 40,
};

static void
rule_new_op(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (!c->op_new || kt_valset_churny(&ent->ops, ent->base_days) ||
        kt_valset_base_count(&ent->ops) == 0)
        return;
    KtOpClass cls = kt_engine_op_class(e, rec->op);
    int score = op_scores[cls];
    /* A known source trying something new is drift: low at most. A network first seen
     * within the last quiet_ms (this incident) is not known yet. */
    if (c->v_net != NULL && rec->time_ms - c->v_net->first_ms > e->cfg.quiet_ms)
        score = MIN(score, 35);
    char clip[KT_CLIP_BUF];
    const char *op = kt_engine_clip(kt_dict_str(e->dict, KT_SPACE_OP, rec->op), clip);
    g_autofree char *known = kt_engine_list_values(e, &ent->ops, KT_SPACE_OP, FALSE, 3);
    emit(e, ent, rec, KT_DET_NEW_OP, score, FALSE,
         g_strdup_printf("%s (%s)", op, kt_op_class_name(cls)),
         g_strdup_printf("%u known operations: %s", kt_valset_base_count(&ent->ops), known),
         g_strdup_printf("operation %s (%s) never used by this key, from %s; known "
                         "operations %s", op, kt_op_class_name(cls), src_text(e, rec, c), known));
}

static void
rule_off_hours(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (ent->fired_off)
        return;
    kt_baseline_daily(e, ent, rec->time_ms);
    if (!ent->concentrated)
        return;
    int how = kt_engine_how(e, rec->time_ms);
    double share = kt_baseline_hour_share(ent, how);
    if (share >= KT_OFF_SHARE)
        return;
    ent->fired_off = TRUE;
    char when[48];
    kt_engine_local_time(e, rec->time_ms, when, sizeof(when));
    static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
    emit(e, ent, rec, KT_DET_OFF_HOURS, 45, TRUE,
         g_strdup_printf("%s %s", days[how / 24], when),
         g_strdup_printf("95%% of %" G_GUINT64_FORMAT " learned events in %u of 48 "
                         "hour-of-day x weekday/weekend slots; this hour %.1f%%",
                         ent->base_how_total, ent->conc_bins, share * 100.0),
         g_strdup_printf("use at %s %s from %s, an hour this key is not used (%.1f%% of "
                         "learned events; 95%% fall in %u of 48 weekly hour slots)",
                         days[how / 24], when, src_text(e, rec, c), share * 100.0, ent->conc_bins));
}

/* Writes the three texts of a volume spike of @count (requests, or bytes when @bytes)
 * in the entity's current hour. */
static void
spike_texts(KtEngine *e, const KtEntity *ent, gboolean bytes, double count, char **observed,
            char **baseline, char **message)
{
    char from[48];
    kt_engine_local_time(e, ent->cur_hour * KT_MS_HOUR, from, sizeof(from));
    const char *unit = bytes ? "bytes" : "calls";
    double p99 = bytes ? ent->lambda_bytes : ent->lambda_req;
    double med = bytes ? ent->med_bytes : ent->med_req;
    *observed = g_strdup_printf("%.0f %s in the hour from %s", count, unit, from);
    *baseline = g_strdup_printf("p99 %.0f %s at this hour of day over 28 days, median active "
                                "hour %.0f", p99, unit, med);
    *message = g_strdup_printf("%.0f %s in the hour from %s, baseline p99 %.0f (same hour of day), "
                               "median %.0f", count, unit, from, p99, med);
}

static void
replace_texts(KtEngine *e, const KtEntity *ent, gint64 idx, gboolean bytes, double count)
{
    if (idx < 0 || (guint64)idx >= e->anoms->len)
        return;
    KtAnom *a = g_ptr_array_index(e->anoms, (guint)idx);
    char *o, *b, *m;
    spike_texts(e, ent, bytes, count, &o, &b, &m);
    kt_anom_set_texts(a, o, b, m);
}

void
kt_detect_refresh(KtEngine *e, KtEntity *ent)
{
    replace_texts(e, ent, ent->spike_req_anom, FALSE, (double)ent->cur_req);
    replace_texts(e, ent, ent->spike_bytes_anom, TRUE, (double)ent->cur_bytes);
}

static gint64
fire_spike(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean bytes, double count,
           double lambda)
{
    char *o, *b, *m;
    spike_texts(e, ent, bytes, count, &o, &b, &m);
    int score = count >= 10.0 * MAX(lambda, 1.0) ? 55 : 45;
    return kt_incident_add_anomaly(e, ent, rec, KT_DET_VOLUME_SPIKE, score, TRUE, o, b, m);
}

static void
rule_volume(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    gboolean need_req = !ent->fired_req && ent->cur_req >= KT_SPIKE_MIN;
    gboolean need_bytes = !ent->fired_bytes && rec->bytes > 0 &&
                          (double)ent->cur_bytes >= KT_SPIKE_MIN_BYTES;
    if (!need_req && !need_bytes)
        return;
    if (ent->thr_req == 0)
        kt_baseline_thresholds(e, ent);
    /* The window belongs to the entity; the anomaly goes to the source that dominates the
     * hour (the majority vote), so a legitimate client is not blamed for an attacker's
     * burst. Other sources' records only wait for that source's next record. */
    if (rec->source != ent->hour_src)
        return;
    if (need_req && ent->cur_req >= ent->thr_req) {
        ent->fired_req = TRUE;
        ent->spike_req_anom = (gint32)fire_spike(e, ent, rec, FALSE, (double)ent->cur_req,
                                                 MAX(ent->lambda_req, ent->med_req));
    }
    if (need_bytes && (double)ent->cur_bytes >= ent->thr_bytes) {
        ent->fired_bytes = TRUE;
        ent->spike_bytes_anom = (gint32)fire_spike(e, ent, rec, TRUE, (double)ent->cur_bytes,
                                                   MAX(ent->lambda_bytes, ent->med_bytes));
    }
}

static void
rule_error_burst(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (ent->fired_burst || rec->outcome == KT_OUTCOME_OK || ent->cur_fail < KT_BURST_MIN ||
        rec->source != ent->fail_src)
        return; /* as for volume_spike: blame the source of most failures */
    /* Learned failure rate with a half-event prior, so a clean history is not rate 0. */
    double p = ((double)ent->base_fail + 0.5) / ((double)ent->base_events + 1.0);
    double n = (double)ent->cur_req, d = (double)ent->cur_fail;
    /* A tail below 1e-6 needs d well above the mean; skip the sum below 3 sigma. */
    if (d < n * p + 3.0 * sqrt(n * p * (1.0 - p)) + 1.0)
        return;
    double tail = kt_stats_binom_sf(ent->cur_fail, ent->cur_req, p);
    if (tail >= KT_BURST_ALPHA)
        return;
    ent->fired_burst = TRUE;
    char from[48];
    kt_engine_local_time(e, ent->cur_hour * KT_MS_HOUR, from, sizeof(from));
    emit(e, ent, rec, KT_DET_ERROR_BURST, 45, TRUE,
         g_strdup_printf("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " calls denied or failed "
                         "in the hour from %s", ent->cur_fail, ent->cur_req, from),
         g_strdup_printf("learned failure rate %.2f%% (%" G_GUINT64_FORMAT " of %"
                         G_GUINT64_FORMAT ")", p * 100.0, ent->base_fail, ent->base_events),
         g_strdup_printf("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " calls denied or failed "
                         "in the hour from %s (latest from %s), learned failure rate %.2f%%, "
                         "binomial tail %.1e", ent->cur_fail, ent->cur_req, from, src_text(e, rec, c),
                         p * 100.0, tail));
}

static void
rule_concurrent(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c)
{
    if (!(c->sf & KT_SRC_IP) || ent->base_overlaps > 0 || c->net_churny)
        return; /* only a key that lives in fixed networks has a "somewhere else" */
    if (!kt_baseline_interleaves(ent, c->net, rec->time_ms))
        return;
    /* Records went A (c->net), B (net0), A again: blame the less established of the two,
     * which may be B, the source of the previous record. */
    const KtVal *a = kt_valset_find(&ent->nets, c->net);
    const KtVal *b = kt_valset_find(&ent->nets, ent->net0);
    guint64 an = a != NULL ? a->count : 0, bn = b != NULL ? b->count : 0;
    KtRecord blamed = *rec;
    guint32 other = ent->net0, bad = c->net;
    const KtVal *bv = a;
    if (bn < an) {
        blamed.source = ent->net0_src;
        other = c->net;
        bad = ent->net0;
        bv = b;
    }
    /* Two learned networks in use at once are the same people (office and VPN); only a
     * network first seen after learning can be someone else. */
    if (bv != NULL && !(bv->flags & KT_VAL_NEW))
        return;
    if (kt_incident_has(e, ent, &blamed, KT_DET_CONCURRENT_USE))
        return;
    char clip[KT_CLIP_BUF];
    const char *ip = kt_engine_clip(kt_dict_str(e->dict, KT_SPACE_SOURCE, blamed.source), clip);
    const char *bad_net = kt_engine_str(e, bad), *other_net = kt_engine_str(e, other);
    gint64 span = (rec->time_ms - ent->net1_ms) / 1000;
    emit(e, ent, &blamed, KT_DET_CONCURRENT_USE, 50, TRUE,
         g_strdup_printf("%s and %s in use within %" G_GINT64_FORMAT " s", bad_net, other_net,
                         span),
         g_strdup_printf("no interleaved networks within %d minutes in %" G_GUINT64_FORMAT
                         " learned events", KT_CONCURRENT_MS / 60000, ent->base_events),
         g_strdup_printf("IP %s (%s) and %s used the key at the same time (interleaved within "
                         "%" G_GINT64_FORMAT " s); the baseline never interleaves two networks "
                         "within %d minutes", ip, bad_net, other_net, span,
                         KT_CONCURRENT_MS / 60000));
}

void
kt_detect_rule(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c, KtDetectorKind kind)
{
    switch (kind) {
    case KT_DET_NEW_IP: rule_new_ip(e, ent, rec, c); break;
    case KT_DET_NEW_NETWORK: rule_new_network(e, ent, rec, c); break;
    case KT_DET_NEW_USER_AGENT: rule_new_ua(e, ent, rec, c); break;
    case KT_DET_NEW_OP: rule_new_op(e, ent, rec, c); break;
    case KT_DET_OFF_HOURS: rule_off_hours(e, ent, rec, c); break;
    case KT_DET_VOLUME_SPIKE: rule_volume(e, ent, rec, c); break;
    case KT_DET_ERROR_BURST: rule_error_burst(e, ent, rec, c); break;
    case KT_DET_DORMANT_KEY: rule_dormant(e, ent, rec, c); break;
    case KT_DET_CONCURRENT_USE: rule_concurrent(e, ent, rec, c); break;
    case KT_DET_KNOWN_BAD: rule_known_bad(e, ent, rec, c); break;
    case KT_DET_REVOKED_KEY: rule_revoked(e, ent, rec, c); break;
    default: break;
    }
}
