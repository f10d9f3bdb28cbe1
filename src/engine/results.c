/*
 * results.c - turns the engine's state into KtResults (deterministic ids, scores,
 * per-key summaries and consumers) and KtKeyDetail for the TUI, plus the text helpers
 * the detectors use for their explanations.
 */
#include "engine-private.h"

#include <stddef.h>
#include <stdio.h>

static const char *
entity_str(const KtEngine *e, guint32 id, gboolean principal)
{
    return kt_dict_str(e->dict, principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY, id);
}

/* Order: time, entity text, source text, kind, creation (not interned ids, which
 * depend on input order). */
static gint
cmp_anom(gconstpointer pa, gconstpointer pb, gpointer ud)
{
    const KtEngine *e = ud;
    const KtAnom *a = *(KtAnom *const *)pa, *b = *(KtAnom *const *)pb;
    if (a->pub.time_ms != b->pub.time_ms)
        return a->pub.time_ms < b->pub.time_ms ? -1 : 1;
    int c = strcmp(entity_str(e, a->pub.entity, a->pub.entity_is_principal),
                   entity_str(e, b->pub.entity, b->pub.entity_is_principal));
    if (c != 0)
        return c;
    if (a->pub.entity_is_principal != b->pub.entity_is_principal)
        return a->pub.entity_is_principal ? 1 : -1;
    c = strcmp(kt_dict_str(e->dict, KT_SPACE_SOURCE, a->pub.source),
               kt_dict_str(e->dict, KT_SPACE_SOURCE, b->pub.source));
    if (c != 0)
        return c;
    if (a->pub.kind != b->pub.kind)
        return a->pub.kind < b->pub.kind ? -1 : 1;
    c = strcmp(a->pub.message, b->pub.message); /* e.g. two new operations at once */
    if (c != 0)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static gint
cmp_inc(gconstpointer pa, gconstpointer pb, gpointer ud)
{
    const KtEngine *e = ud;
    const KtInc *a = *(KtInc *const *)pa, *b = *(KtInc *const *)pb;
    if (a->pub.first_ms != b->pub.first_ms)
        return a->pub.first_ms < b->pub.first_ms ? -1 : 1;
    int c = strcmp(entity_str(e, a->pub.entity, a->pub.entity_is_principal),
                   entity_str(e, b->pub.entity, b->pub.entity_is_principal));
    if (c != 0)
        return c;
    if (a->pub.entity_is_principal != b->pub.entity_is_principal)
        return a->pub.entity_is_principal ? 1 : -1;
    c = strcmp(kt_dict_str(e->dict, KT_SPACE_SOURCE, a->pub.source),
               kt_dict_str(e->dict, KT_SPACE_SOURCE, b->pub.source));
    if (c != 0)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

typedef struct {
    const KtEngine *e;
    KtSpace space;
} KtCountCtx;

static gint
cmp_count(gconstpointer pa, gconstpointer pb, gpointer ud)
{
    const KtCountCtx *c = ud;
    const KtCount *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(kt_dict_str(c->e->dict, c->space, a->id),
                  kt_dict_str(c->e->dict, c->space, b->id));
}

/* (transfer full) The values of @s as KtCount, by count desc then text. */
static GArray *
counts_of(const KtEngine *e, const KtValSet *s, KtSpace space)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(KtCount));
    for (guint32 i = 0; i < kt_valset_span(s); i++) {
        if (s->slots[i].id != 0) {
            KtCount c = { s->slots[i].id, s->slots[i].count };
            g_array_append_val(a, c);
        }
    }
    KtCountCtx ctx = { e, space };
    g_array_sort_with_data(a, cmp_count, &ctx);
    return a;
}

static void
finish_incident(KtEngine *e, KtInc *inc)
{
    inc->pub.score = kt_incident_score(inc);
    inc->pub.severity = kt_severity_from_score(inc->pub.score);
    inc->pub.open = e->last_ms - inc->pub.last_ms <= e->cfg.quiet_ms;
    if (inc->pub.ops != NULL)
        g_array_free(inc->pub.ops, TRUE);
    if (inc->pub.uas != NULL)
        g_array_free(inc->pub.uas, TRUE);
    if (inc->pub.anomalies != NULL)
        g_array_free(inc->pub.anomalies, TRUE);
    inc->pub.ops = counts_of(e, &inc->ops, KT_SPACE_OP);
    inc->pub.uas = counts_of(e, &inc->uas, KT_SPACE_UA);
    inc->pub.anomalies = g_array_sized_new(FALSE, FALSE, sizeof(guint64), inc->anoms.len);
}

static gint
cmp_u64(gconstpointer pa, gconstpointer pb)
{
    guint64 a = *(const guint64 *)pa, b = *(const guint64 *)pb;
    return (a > b) - (a < b);
}

/* Links @inc and its anomalies by their ids (once both have them): the anomalies' incident
 * and the incident's anomaly ids, ascending. */
static void
link_anomalies(const KtEngine *e, KtInc *inc)
{
    g_array_set_size(inc->pub.anomalies, 0);
    for (guint32 i = 0; i < inc->anoms.len; i++) {
        KtAnom *a = g_ptr_array_index(e->anoms, kt_idlist_at(&inc->anoms, i));
        a->pub.incident = inc->pub.id;
        g_array_append_val(inc->pub.anomalies, a->pub.id);
    }
    g_array_sort(inc->pub.anomalies, cmp_u64);
}

void
kt_incident_finish(KtEngine *e)
{
    for (guint i = 0; i < e->ents->len; i++) {
        KtEntity *ent = g_ptr_array_index(e->ents, i);
        if (ent->spike_req_anom >= 0 || ent->spike_bytes_anom >= 0)
            kt_detect_refresh(e, ent);
    }
    GPtrArray *anoms = g_ptr_array_sized_new(e->anoms->len);
    for (guint i = 0; i < e->anoms->len; i++)
        g_ptr_array_add(anoms, g_ptr_array_index(e->anoms, i));
    g_ptr_array_sort_with_data(anoms, cmp_anom, e);
    e->res.anomalies = g_ptr_array_sized_new(anoms->len);
    for (guint i = 0; i < anoms->len; i++) {
        KtAnom *a = g_ptr_array_index(anoms, i);
        a->pub.id = i + 1;
        g_ptr_array_add(e->res.anomalies, &a->pub);
    }
    g_ptr_array_free(anoms, TRUE);
    GPtrArray *incs = g_ptr_array_sized_new(e->incs->len);
    for (guint i = 0; i < e->incs->len; i++)
        g_ptr_array_add(incs, g_ptr_array_index(e->incs, i));
    g_ptr_array_sort_with_data(incs, cmp_inc, e);
    e->res.incidents = g_ptr_array_sized_new(incs->len);
    for (guint i = 0; i < incs->len; i++) {
        KtInc *inc = g_ptr_array_index(incs, i);
        inc->pub.id = i + 1;
        finish_incident(e, inc);
        link_anomalies(e, inc);
        g_ptr_array_add(e->res.incidents, &inc->pub);
    }
    g_ptr_array_free(incs, TRUE);
}

/* --- key summaries and consumers -------------------------------------------------- */

static void
consumer_free(gpointer p)
{
    KtConsumer *c = p;
    if (c->ops != NULL)
        g_array_free(c->ops, TRUE);
    g_free(c);
}

static void
summary_free(gpointer p)
{
    KtKeySummary *s = p;
    if (s->consumers != NULL)
        g_ptr_array_free(s->consumers, TRUE);
    g_free(s);
}

/* TRUE when @net is the network (the range when @wide) of an incident of @ent at medium
 * or above. */
static gboolean
net_is_bad(const KtEngine *e, const KtEntity *ent, guint32 net, gboolean wide)
{
    for (guint32 i = 0; i < ent->incidents.len; i++) {
        const KtInc *inc = g_ptr_array_index(e->incs, kt_idlist_at(&ent->incidents, i));
        if ((wide ? inc->wide_id : inc->net_id) == net && inc->pub.score >= 40)
            return TRUE;
    }
    return FALSE;
}

static gint
cmp_consumer(gconstpointer pa, gconstpointer pb)
{
    const KtConsumer *a = *(KtConsumer *const *)pa, *b = *(KtConsumer *const *)pb;
    if (a->events != b->events)
        return a->events > b->events ? -1 : 1;
    return strcmp(a->network, b->network);
}

static GPtrArray *
consumers_of(const KtEngine *e, const KtEntity *ent)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(consumer_free);
    /* A key whose /24 networks churn (CI on cloud addresses) is listed by range. */
    gboolean wide = kt_valset_churny(&ent->nets, ent->base_days);
    const KtValSet *s = wide ? &ent->wide : &ent->nets;
    for (guint32 i = 0; i < kt_valset_span(s); i++) {
        const KtVal *v = &s->slots[i];
        if (v->id == 0 || !(v->flags & KT_VAL_BASE))
            continue;
        if ((v->flags & KT_VAL_NEW) && net_is_bad(e, ent, v->id, wide))
            continue;
        KtConsumer *c = g_new0(KtConsumer, 1);
        const KtValExtra *x = kt_valset_extra(s, v);
        g_strlcpy(c->network, kt_engine_str(e, v->id), sizeof(c->network));
        c->ua_family = (char *)kt_engine_str(e, x->ua_fam); /* engine-owned */
        c->ops = g_array_new(FALSE, FALSE, sizeof(KtCount));
        for (int k = 0; k < KT_TOP_OPS; k++) {
            if (x->top_cnt[k] > 0) {
                KtCount cnt = { x->top_op[k], x->top_cnt[k] };
                g_array_append_val(c->ops, cnt);
            }
        }
        KtCountCtx ctx = { e, KT_SPACE_OP };
        g_array_sort_with_data(c->ops, cmp_count, &ctx);
        c->events = v->count;
        c->first_ms = v->first_ms;
        c->last_ms = v->last_ms;
        g_ptr_array_add(list, c);
    }
    g_ptr_array_sort(list, cmp_consumer);
    return list;
}

static gint
cmp_summary(gconstpointer pa, gconstpointer pb, gpointer ud)
{
    const KtEngine *e = ud;
    const KtKeySummary *a = *(KtKeySummary *const *)pa, *b = *(KtKeySummary *const *)pb;
    if (a->risk != b->risk)
        return a->risk > b->risk ? -1 : 1;
    int c = strcmp(entity_str(e, a->entity, a->entity_is_principal),
                   entity_str(e, b->entity, b->entity_is_principal));
    if (c != 0)
        return c;
    return (int)a->entity_is_principal - (int)b->entity_is_principal;
}

static KtKeySummary *
summary_of(const KtEngine *e, const KtEntity *ent)
{
    KtKeySummary *s = g_new0(KtKeySummary, 1);
    s->entity = ent->id;
    s->entity_is_principal = ent->is_principal;
    s->key = ent->key;
    s->first_ms = ent->first_ms;
    s->last_ms = ent->last_ms;
    s->events = ent->events;
    s->denied = ent->denied;
    s->errors = ent->errors;
    s->distinct_ips = ent->ips.n;
    s->distinct_networks = ent->nets.n;
    s->risk = kt_entity_risk(e, ent, &s->incidents);
    s->severity = kt_severity_from_score(s->risk);
    s->consumers = consumers_of(e, ent);
    return s;
}

const KtResults *
kt_engine_results(KtEngine *e)
{
    g_return_val_if_fail(e != NULL, NULL);
    if (e->res_valid)
        return &e->res;
    if (e->res.keys != NULL)
        g_ptr_array_free(e->res.keys, TRUE);
    if (e->res.incidents != NULL)
        g_ptr_array_free(e->res.incidents, TRUE);
    if (e->res.anomalies != NULL)
        g_ptr_array_free(e->res.anomalies, TRUE);
    memset(&e->res, 0, sizeof(e->res));
    kt_incident_finish(e);
    e->res.keys = g_ptr_array_new_with_free_func(summary_free);
    for (guint i = 0; i < e->ents->len; i++)
        g_ptr_array_add(e->res.keys, summary_of(e, g_ptr_array_index(e->ents, i)));
    g_ptr_array_sort_with_data(e->res.keys, cmp_summary, e);
    e->res.first_ms = e->events > 0 ? e->first_ms : 0;
    e->res.last_ms = e->events > 0 ? e->last_ms : 0;
    e->res.events = e->events;
    e->res.anomalies_dropped = e->anoms_dropped;
    e->res_valid = TRUE;
    return &e->res;
}

/* --- merging the results of several engines (shards.c) ------------------------------ */

/* The public part is the first member, so an array of KtAnom* or KtInc* is one of
 * KtAnomaly* or KtIncident*. */
G_STATIC_ASSERT(offsetof(KtAnom, pub) == 0 && offsetof(KtInc, pub) == 0);

/* Sorts @items (KtAnom* when @anoms, else KtInc*) with @cmp and numbers them from 1. */
static void
number_in_order(GPtrArray *items, GCompareDataFunc cmp, const KtEngine *e, gboolean anoms)
{
    g_ptr_array_sort_with_data(items, cmp, (gpointer)e);
    for (guint i = 0; i < items->len; i++) {
        if (anoms)
            ((KtAnom *)g_ptr_array_index(items, i))->pub.id = i + 1;
        else
            ((KtInc *)g_ptr_array_index(items, i))->pub.id = i + 1;
    }
}

/*
 * Why the merge gives one engine's results: every engine judges an entity only against
 * that entity's history, and an entity's records all went to one engine in stream order,
 * so each finding is the same. The orders (cmp_anom, cmp_inc, cmp_summary) compare
 * times and texts from the shared dict first; what is local to an engine (creation
 * sequence, index) only breaks ties between findings of one entity, and so of one engine.
 * What one engine computes from the whole stream is redone here: ids, the links between
 * incidents and anomalies, whether an incident is still open at the last record, totals.
 */
void
kt_results_merge(KtEngine *const *es, guint n, KtResults *out)
{
    g_return_if_fail(es != NULL && n > 0 && out != NULL);
    memset(out, 0, sizeof(*out));
    GPtrArray *anoms = g_ptr_array_new(), *incs = g_ptr_array_new();
    out->keys = g_ptr_array_new();
    gint64 first = G_MAXINT64, last = G_MININT64;
    for (guint i = 0; i < n; i++) {
        KtEngine *e = es[i];
        kt_engine_results(e);
        g_ptr_array_extend(anoms, e->anoms, NULL, NULL);
        g_ptr_array_extend(incs, e->incs, NULL, NULL);
        g_ptr_array_extend(out->keys, e->res.keys, NULL, NULL);
        out->events += e->events;
        out->anomalies_dropped += e->anoms_dropped;
        first = MIN(first, e->first_ms);
        last = MAX(last, e->last_ms);
    }
    number_in_order(anoms, cmp_anom, es[0], TRUE);
    number_in_order(incs, cmp_inc, es[0], FALSE);
    out->anomalies = anoms;
    out->incidents = incs;
    for (guint i = 0; i < n; i++) {
        for (guint j = 0; j < es[i]->incs->len; j++) {
            KtInc *inc = g_ptr_array_index(es[i]->incs, j);
            link_anomalies(es[i], inc);
            inc->pub.open = last - inc->pub.last_ms <= es[i]->cfg.quiet_ms;
        }
    }
    g_ptr_array_sort_with_data(out->keys, cmp_summary, es[0]);
    out->first_ms = out->events > 0 ? first : 0;
    out->last_ms = out->events > 0 ? last : 0;
}

/* --- key detail --------------------------------------------------------------------- */

static void
value_stat_free(gpointer p)
{
    KtValueStat *v = p;
    g_free(v->label);
    g_free(v);
}

static gint
cmp_value_stat(gconstpointer pa, gconstpointer pb)
{
    const KtValueStat *a = *(KtValueStat *const *)pa, *b = *(KtValueStat *const *)pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static GPtrArray *
value_stats(const KtEngine *e, const KtValSet *s, gboolean engine_labels)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(value_stat_free);
    for (guint32 i = 0; i < kt_valset_span(s); i++) {
        const KtVal *v = &s->slots[i];
        if (v->id == 0)
            continue;
        KtValueStat *st = g_new0(KtValueStat, 1);
        st->id = engine_labels ? 0 : v->id;
        st->label = engine_labels ? g_strdup(kt_engine_str(e, v->id)) : NULL;
        st->first_ms = v->first_ms;
        st->last_ms = v->last_ms;
        st->count = v->count;
        st->is_new = (v->flags & KT_VAL_NEW) != 0;
        g_ptr_array_add(list, st);
    }
    g_ptr_array_sort(list, cmp_value_stat);
    return list;
}

KtKeyDetail *
kt_engine_key_detail(KtEngine *e, guint32 entity, gboolean is_principal)
{
    g_return_val_if_fail(e != NULL, NULL);
    KtEntity *ent = kt_engine_entity_lookup(e, entity, is_principal);
    if (ent == NULL)
        return NULL;
    KtKeyDetail *d = g_new0(KtKeyDetail, 1);
    d->entity = entity;
    d->ips = value_stats(e, &ent->ips, FALSE);
    d->networks = value_stats(e, &ent->nets, TRUE);
    d->ops = value_stats(e, &ent->ops, FALSE);
    d->uas = value_stats(e, &ent->uas, TRUE);
    for (int i = 0; i < 168; i++)
        d->hour_of_week[i] = kt_cnt_get(ent, KT_CNT_HOW + (guint)i);
    d->timeline = g_array_new(FALSE, FALSE, sizeof(guint64));
    int used = 0;
    for (int i = 0; i < KT_TIMELINE_BUCKETS; i++) {
        if (kt_cnt_get(ent, KT_CNT_TL + (guint)i) != 0)
            used = i + 1;
    }
    for (int i = 0; i < used; i++) {
        guint64 count = kt_cnt_get(ent, KT_CNT_TL + (guint)i);
        g_array_append_val(d->timeline, count);
    }
    d->timeline_start_ms = ent->tl_start == G_MININT64 ? 0 : ent->tl_start;
    d->timeline_bucket_ms = ent->tl_width;
    return d;
}

void
kt_key_detail_free(KtKeyDetail *d)
{
    if (d == NULL)
        return;
    g_ptr_array_free(d->ips, TRUE);
    g_ptr_array_free(d->networks, TRUE);
    g_ptr_array_free(d->ops, TRUE);
    g_ptr_array_free(d->uas, TRUE);
    g_array_free(d->timeline, TRUE);
    g_free(d);
}

/* --- text helpers -------------------------------------------------------------------- */

const char *
kt_engine_clip(const char *s, char *buf)
{
    gsize max = KT_CLIP_BUF - 4, n = 0;
    while (n <= max && s[n] != '\0')
        n++;
    if (n <= max)
        return s;
    n = max;
    while (n > 0 && ((guchar)s[n] & 0xC0) == 0x80)
        n--; /* do not cut a UTF-8 sequence */
    memcpy(buf, s, n);
    memcpy(buf + n, "...", 4);
    return buf;
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian, H. Hinnant). */
static void
civil_from_days(gint64 z, int *y, int *m, int *d)
{
    z += 719468;
    gint64 era = (z >= 0 ? z : z - 146096) / 146097;
    gint64 doe = z - era * 146097;
    gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    gint64 mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

char *
kt_engine_local_time(const KtEngine *e, gint64 ms, char *buf, gsize len)
{
    gint32 off = e->tp != NULL ? kt_time_zone_offset(e->tp, ms) : 0;
    gint64 s = ms / 1000 + off;
    gint64 days = s >= 0 ? s / 86400 : -1 - (-s - 1) / 86400;
    gint64 sod = s - days * 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (off == 0) {
        g_snprintf(buf, len, "%04d-%02d-%02d %02d:%02d UTC", y, m, d, (int)(sod / 3600),
                   (int)(sod / 60 % 60));
    } else {
        int a = ABS(off);
        g_snprintf(buf, len, "%04d-%02d-%02d %02d:%02d %c%02d:%02d", y, m, d, (int)(sod / 3600),
                   (int)(sod / 60 % 60), off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    }
    return buf;
}

typedef struct {
    const KtEngine *e;
    KtSpace space;
    gboolean engine_strs;
} KtListCtx;

static const char *
list_str(const KtListCtx *c, guint32 id)
{
    return c->engine_strs ? kt_engine_str(c->e, id) : kt_dict_str(c->e->dict, c->space, id);
}

/* By count desc, then text (interned ids depend on input order). */
static gint
cmp_val_count(gconstpointer pa, gconstpointer pb, gpointer ud)
{
    const KtVal *a = *(KtVal *const *)pa, *b = *(KtVal *const *)pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(list_str(ud, a->id), list_str(ud, b->id));
}

char *
kt_engine_list_values(const KtEngine *e, const KtValSet *s, KtSpace space,
                      gboolean engine_strs, guint max)
{
    g_autoptr(GPtrArray) vals = g_ptr_array_new();
    gboolean leak = kt_engine_leak_mode(e);
    for (guint32 i = 0; i < kt_valset_span(s); i++) {
        const KtVal *v = &s->slots[i];
        if (v->id != 0 && (!leak || (v->flags & KT_VAL_BASE)))
            g_ptr_array_add(vals, (gpointer)v);
    }
    if (vals->len == 0)
        return g_strdup("(none)");
    KtListCtx ctx = { e, space, engine_strs };
    g_ptr_array_sort_with_data(vals, cmp_val_count, &ctx);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < vals->len && i < max; i++) {
        const KtVal *v = g_ptr_array_index(vals, i);
        char clip[KT_CLIP_BUF];
        if (i > 0)
            g_string_append(out, ", ");
        g_string_append(out, kt_engine_clip(list_str(&ctx, v->id), clip));
    }
    if (vals->len > max)
        g_string_append_printf(out, " (+%u more)", vals->len - max);
    return g_string_free(out, FALSE);
}

/* --- memory accounting --------------------------------------------------------------- */

static gsize
str_bytes(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

static void
incident_memory(const KtInc *inc, KtEngineMemory *m)
{
    m->incidents += sizeof(KtInc) + kt_valset_bytes(&inc->ops) + kt_valset_bytes(&inc->uas) +
                    kt_idlist_bytes(&inc->anoms);
}

gsize
kt_engine_memory(const KtEngine *e, KtEngineMemory *m)
{
    KtEngineMemory local;
    if (m == NULL)
        m = &local;
    memset(m, 0, sizeof(*m));
    g_return_val_if_fail(e != NULL, 0);
    for (guint i = 0; i < e->ents->len; i++)
        kt_entity_memory(g_ptr_array_index(e->ents, i), m);
    m->entities += sizeof(gpointer) * e->ents->len;
    for (guint i = 0; i < e->incs->len; i++)
        incident_memory(g_ptr_array_index(e->incs, i), m);
    m->incidents += sizeof(gpointer) * e->incs->len;
    for (guint i = 0; i < e->anoms->len; i++) {
        const KtAnom *a = g_ptr_array_index(e->anoms, i);
        m->anomalies += sizeof(KtAnom) + str_bytes(a->pub.observed) +
                        str_bytes(a->pub.baseline) + str_bytes(a->pub.message);
    }
    m->anomalies += sizeof(gpointer) * e->anoms->len;
    m->n_entities = e->ents->len;
    m->n_incidents = e->incs->len;
    m->n_anomalies = e->anoms->len;
    m->other = sizeof(KtEngine) + sizeof(guint32) * (e->by_key->len + e->by_principal->len) +
               sizeof(KtSrcInfo) * e->src_info->len + sizeof(KtUaInfo) * e->ua_info->len +
               e->op_class->len + sizeof(gint64) * e->key_revoked->len;
    for (guint i = 0; i < e->strs->len; i++)
        m->other += sizeof(gpointer) * 3 + str_bytes(g_ptr_array_index(e->strs, i));
    m->other += sizeof(KtThrMemo) * KT_THR_MEMO + sizeof(KtNetMemo) * KT_NET_MEMO;
    return m->entities + m->value_sets + m->rings + m->incidents + m->anomalies + m->other;
}
