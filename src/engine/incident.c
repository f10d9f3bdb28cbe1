/*
 * incident.c - groups anomalies into incidents by (entity, source IP, or network for
 * keys whose IPs churn), split by quiet_ms of quiet; counts every later record of the
 * entity from that source into the open incident ("what did they do"); scores
 * incidents and keys; assigns deterministic ids when results are requested.
 */
#include "engine-private.h"

#include <math.h>

#define KT_GROUP_NET ((guint64)1 << 32)
#define KT_GROUP_NONE ((guint64)2 << 32)

guint64
kt_incident_group(KtEngine *e, KtEntity *ent, guint32 source)
{
    if (source == 0)
        return KT_GROUP_NONE;
    const KtSrcInfo *info = kt_engine_src(e, source);
    if ((info->flags & KT_SRC_IP) && kt_valset_churny(&ent->ips, ent->base_days))
        return KT_GROUP_NET | info->net;
    return source;
}

void
kt_incident_free(KtInc *inc)
{
    if (inc == NULL)
        return;
    kt_valset_clear(&inc->ops);
    kt_valset_clear(&inc->uas);
    kt_idlist_clear(&inc->anoms);
    if (inc->pub.ops != NULL)
        g_array_free(inc->pub.ops, TRUE);
    if (inc->pub.uas != NULL)
        g_array_free(inc->pub.uas, TRUE);
    if (inc->pub.anomalies != NULL)
        g_array_free(inc->pub.anomalies, TRUE);
    g_free(inc);
}

static KtInc *
inc_at(const KtEngine *e, guint32 idx)
{
    return g_ptr_array_index(e->incs, idx);
}

/* Drops incidents that have been quiet for longer than quiet_ms from the open list. */
static void
expire(KtEngine *e, KtEntity *ent, gint64 now_ms)
{
    for (guint32 i = 0; i < ent->open.len;) {
        KtInc *inc = inc_at(e, kt_idlist_at(&ent->open, i));
        if (now_ms - inc->pub.last_ms > e->cfg.quiet_ms)
            kt_idlist_remove_fast(&ent->open, i);
        else
            i++;
    }
}

static KtInc *
find_open(KtEngine *e, KtEntity *ent, guint64 group, gint64 now_ms)
{
    for (guint32 i = 0; i < ent->open.len; i++) {
        KtInc *inc = inc_at(e, kt_idlist_at(&ent->open, i));
        if (inc->group == group && now_ms - inc->pub.last_ms <= e->cfg.quiet_ms)
            return inc;
    }
    return NULL;
}

static KtInc *
new_incident(KtEngine *e, KtEntity *ent, const KtRecord *rec, guint64 group)
{
    KtInc *inc = g_new0(KtInc, 1);
    guint32 idx = e->incs->len;
    inc->index = idx;
    inc->ent = ent->index;
    inc->group = group;
    inc->pub.entity = ent->id;
    inc->pub.entity_is_principal = ent->is_principal;
    inc->pub.key = rec->key;
    inc->pub.source = rec->source;
    const KtSrcInfo *info = kt_engine_src(e, rec->source);
    if (info->flags & KT_SRC_IP) {
        inc->net_id = info->net;
        inc->wide_id = info->wide;
        g_strlcpy(inc->pub.network, kt_engine_str(e, inc->net_id), sizeof(inc->pub.network));
    }
    inc->pub.first_ms = inc->pub.last_ms = rec->time_ms;
    kt_valset_init(&inc->ops, KT_CAP_INC_OPS, FALSE);
    kt_valset_init(&inc->uas, KT_CAP_INC_UAS, FALSE);
    g_ptr_array_add(e->incs, inc);
    kt_idlist_push(&ent->incidents, idx);
    kt_idlist_push(&ent->open, idx);
    return inc;
}

KtInc *
kt_incident_restore(KtEngine *e, KtEntity *ent, const KtRecord *rec, guint64 group)
{
    return new_incident(e, ent, rec, group);
}

gint64
kt_incident_add_anomaly(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtDetectorKind kind,
                        int score, gboolean strong, char *observed, char *baseline,
                        char *message)
{
    guint64 group = kt_incident_group(e, ent, rec->source);
    expire(e, ent, rec->time_ms);
    KtInc *inc = find_open(e, ent, group, rec->time_ms);
    if (inc == NULL && e->incs->len < kt_engine_max_findings(e))
        inc = new_incident(e, ent, rec, group);
    if (inc != NULL) {
        inc->kind_score[kind] = (guint8)MAX(inc->kind_score[kind], score);
        inc->pub.reasons |= 1u << kind;
        inc->strong = inc->strong || strong;
        inc->pub.last_ms = MAX(inc->pub.last_ms, rec->time_ms);
    }
    if (inc == NULL || e->anoms->len >= kt_engine_max_findings(e)) {
        e->anoms_dropped++;
        g_free(observed);
        g_free(baseline);
        g_free(message);
        return -1;
    }
    /* One block for the anomaly and its texts: they are kept to the end of the run. */
    gsize lo = strlen(observed) + 1, lb = strlen(baseline) + 1, lm = strlen(message) + 1;
    KtAnom *a = g_malloc0(sizeof(KtAnom) + lo + lb + lm);
    char *t = (char *)(a + 1);
    a->pub.observed = memcpy(t, observed, lo);
    a->pub.baseline = memcpy(t + lo, baseline, lb);
    a->pub.message = memcpy(t + lo + lb, message, lm);
    a->texts_inline = TRUE;
    g_free(observed);
    g_free(baseline);
    g_free(message);
    a->pub.kind = kind;
    a->pub.entity = ent->id;
    a->pub.entity_is_principal = ent->is_principal;
    a->pub.key = rec->key;
    a->pub.source = rec->source;
    a->pub.time_ms = rec->time_ms;
    a->pub.score = CLAMP(score, 0, 100);
    a->pub.severity = kt_severity_from_score(a->pub.score);
    a->strong = strong != FALSE;
    a->seq = e->seq++;
    guint32 idx = e->anoms->len;
    a->inc = inc->index;
    g_ptr_array_add(e->anoms, a);
    kt_idlist_push(&inc->anoms, idx);
    return idx;
}

void
kt_anom_set_texts(KtAnom *a, char *observed, char *baseline, char *message)
{
    if (!a->texts_inline) {
        g_free(a->pub.observed);
        g_free(a->pub.baseline);
        g_free(a->pub.message);
    }
    a->pub.observed = observed;
    a->pub.baseline = baseline;
    a->pub.message = message;
    a->texts_inline = FALSE;
}

void
kt_anom_free(KtAnom *a)
{
    if (a == NULL)
        return;
    if (!a->texts_inline) {
        g_free(a->pub.observed);
        g_free(a->pub.baseline);
        g_free(a->pub.message);
    }
    g_free(a);
}

gboolean
kt_incident_has(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtDetectorKind kind)
{
    if (ent->open.len == 0)
        return FALSE;
    KtInc *inc = find_open(e, ent, kt_incident_group(e, ent, rec->source), rec->time_ms);
    return inc != NULL && (inc->pub.reasons & (1u << kind)) != 0;
}

static void
count_value(KtValSet *s, guint32 id, gint64 ms)
{
    if (id == 0)
        return;
    KtVal *v = kt_valset_find(s, id);
    if (v == NULL) {
        if (s->n >= s->cap)
            return; /* capped: the rest is summed up as events */
        v = kt_valset_insert(s, id, ms);
    }
    kt_val_count(v);
    v->last_ms = MAX(v->last_ms, ms);
}

void
kt_incident_count(KtEngine *e, KtEntity *ent, const KtRecord *rec)
{
    if (ent->open.len == 0)
        return;
    expire(e, ent, rec->time_ms);
    KtInc *inc = find_open(e, ent, kt_incident_group(e, ent, rec->source), rec->time_ms);
    if (inc == NULL)
        return;
    inc->pub.events++;
    if (rec->outcome == KT_OUTCOME_DENIED)
        inc->pub.denied++;
    else if (rec->outcome == KT_OUTCOME_ERROR)
        inc->pub.errors++;
    if (rec->bytes > 0)
        inc->pub.bytes += rec->bytes;
    inc->pub.last_ms = MAX(inc->pub.last_ms, rec->time_ms);
    if (inc->pub.key == 0)
        inc->pub.key = rec->key;
    count_value(&inc->ops, rec->op, rec->time_ms);
    count_value(&inc->uas, rec->ua, rec->time_ms);
}

int
kt_incident_score(const KtInc *inc)
{
    /* Independent evidence combines like probabilities (noisy-OR): 1 - prod(1 - s). */
    double keep = 1.0;
    for (int k = 0; k < KT_DET_COUNT; k++)
        keep *= 1.0 - inc->kind_score[k] / 100.0;
    int score = (int)lround(100.0 * (1.0 - keep));
    if (!inc->strong)
        score = MIN(score, 39); /* only drift of a known source: low at most */
    if (!inc->kind_score[KT_DET_KNOWN_BAD] && !inc->kind_score[KT_DET_REVOKED_KEY])
        score = MIN(score, 89); /* critical is for signatures: known bad, revoked */
    return CLAMP(score, 0, 100);
}

int
kt_entity_risk(const KtEngine *e, const KtEntity *ent, guint32 *n_incidents)
{
    int best = 0, others = 0;
    for (guint32 i = 0; i < ent->incidents.len; i++) {
        const KtInc *inc = inc_at(e, kt_idlist_at(&ent->incidents, i));
        int s = inc->pub.score;
        if (s > best) {
            if (best >= 40)
                others++;
            best = s;
        } else if (s >= 40) {
            others++;
        }
    }
    if (n_incidents != NULL)
        *n_incidents = ent->incidents.len;
    /* Several medium+ incidents raise the key's risk, by at most 15 points. */
    return MIN(100, best + MIN(15, 5 * others));
}
