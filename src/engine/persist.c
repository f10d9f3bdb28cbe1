/*
 * persist.c - engine state for `watch`: baselines, open incidents and alert
 * bookkeeping as cJSON, with strings instead of interned ids so that a fresh dict and
 * engine can load it. Loading what was saved and feeding the rest of a log gives the
 * same anomalies as feeding the whole log in one pass.
 */
#include "engine-private.h"

#define KT_STATE_VERSION 1

/* --- writing ------------------------------------------------------------------------- */

static cJSON *
num(double v)
{
    cJSON *n = cJSON_CreateNumber(v);
    if (n == NULL)
        g_error("out of memory");
    return n;
}

/* gint64 sentinels (G_MININT64) become null; other values are exact below 2^53. */
static cJSON *
i64(gint64 v)
{
    if (v == G_MININT64 || v == G_MAXINT64)
        return cJSON_CreateNull();
    return num((double)v);
}

static void
add(cJSON *obj, const char *name, cJSON *item)
{
    if (item == NULL || !cJSON_AddItemToObject(obj, name, item))
        g_error("out of memory");
}

static void
push(cJSON *arr, cJSON *item)
{
    if (item == NULL || !cJSON_AddItemToArray(arr, item))
        g_error("out of memory");
}

static cJSON *
str(const char *s)
{
    cJSON *j = cJSON_CreateString(s);
    if (j == NULL)
        g_error("out of memory");
    return j;
}

typedef enum { KT_STR_SOURCE, KT_STR_OP, KT_STR_UA, KT_STR_ENGINE } KtStrKind;

static const char *
id_str(const KtEngine *e, KtStrKind k, guint32 id)
{
    switch (k) {
    case KT_STR_SOURCE:
        return kt_dict_str(e->dict, KT_SPACE_SOURCE, id);
    case KT_STR_OP:
        return kt_dict_str(e->dict, KT_SPACE_OP, id);
    case KT_STR_UA:
        return kt_dict_str(e->dict, KT_SPACE_UA, id);
    default:
        return kt_engine_str(e, id);
    }
}

typedef struct {
    const KtEngine *e;
    KtStrKind kind;
} KtSortCtx;

static gint
cmp_val_str(gconstpointer pa, gconstpointer pb, gpointer ud)
{
    const KtSortCtx *c = ud;
    const KtVal *a = *(KtVal *const *)pa, *b = *(KtVal *const *)pb;
    return strcmp(id_str(c->e, c->kind, a->id), id_str(c->e, c->kind, b->id));
}

/* (transfer container) The values of @s by their text, so that a state does not depend
 * on the order in which a run interned them. */
static GPtrArray *
sorted_values(const KtEngine *e, const KtValSet *s, KtStrKind k)
{
    GPtrArray *vals = g_ptr_array_new();
    for (guint32 i = 0; i < kt_valset_span(s); i++) {
        if (s->slots[i].id != 0)
            g_ptr_array_add(vals, (gpointer)&s->slots[i]);
    }
    KtSortCtx ctx = { e, k };
    g_ptr_array_sort_with_data(vals, cmp_val_str, &ctx);
    return vals;
}

static cJSON *
save_set(const KtEngine *e, const KtValSet *s, KtStrKind k, gboolean nets)
{
    cJSON *o = cJSON_CreateObject(), *vals = cJSON_CreateArray();
    add(o, "new_days", num(s->new_days));
    add(o, "last_new_day", i64(s->last_new_day == G_MININT32 ? G_MININT64 : s->last_new_day));
    add(o, "saturated", cJSON_CreateBool(s->saturated));
    g_autoptr(GPtrArray) sorted = sorted_values(e, s, k);
    for (guint i = 0; i < sorted->len; i++) {
        const KtVal *v = g_ptr_array_index(sorted, i);
        cJSON *a = cJSON_CreateArray();
        push(a, str(id_str(e, k, v->id)));
        push(a, num(v->flags));
        push(a, num((double)v->count));
        push(a, i64(v->first_ms));
        push(a, i64(v->last_ms));
        if (nets) {
            const KtValExtra *x = kt_valset_extra(s, v);
            push(a, str(kt_engine_str(e, x->ua_fam)));
            push(a, num(x->ua_votes));
            for (int j = 0; j < KT_TOP_OPS; j++) {
                push(a, str(kt_dict_str(e->dict, KT_SPACE_OP, x->top_op[j])));
                push(a, num(x->top_cnt[j]));
            }
        }
        push(vals, a);
    }
    add(o, "values", vals);
    return o;
}

static cJSON *
save_ring(const KtEntity *ent)
{
    cJSON *o = cJSON_CreateObject(), *hours = cJSON_CreateArray();
    add(o, "first", i64(ent->ring_first_hour));
    add(o, "last", i64(ent->ring_last_hour));
    KtRingIter it;
    gint64 h;
    guint32 req;
    float bytes;
    kt_ring_iter_init(&it, ent);
    while (kt_ring_next(&it, &h, &req, &bytes)) {
        cJSON *a = cJSON_CreateArray();
        push(a, num((double)h));
        push(a, num(req));
        push(a, num(bytes));
        push(hours, a);
    }
    add(o, "hours", hours);
    return o;
}

/* Scalars of an entity, in a fixed order (see load_scalars). */
static cJSON *
save_scalars(const KtEngine *e, const KtEntity *ent)
{
    const gint64 v[] = {
        ent->first_ms, ent->last_ms, ent->learn_end_ms, (gint64)ent->events,
        (gint64)ent->denied, (gint64)ent->errors, ent->bytes, (gint64)ent->base_events,
        (gint64)ent->base_fail, (gint64)ent->base_bytes_n, ent->base_bytes, ent->base_days,
        ent->cur_day, (gint64)ent->base_how_total, ent->cur_hour, (gint64)ent->cur_req,
        (gint64)ent->cur_fail, ent->cur_bytes, ent->fired_req, ent->fired_bytes,
        ent->fired_burst, ent->fired_off, ent->stat_day, ent->concentrated, ent->conc_bins,
        ent->net0_ms, (gint64)ent->base_overlaps, ent->tl_start, ent->tl_width,
    };
    cJSON *a = cJSON_CreateArray();
    for (gsize i = 0; i < G_N_ELEMENTS(v); i++)
        push(a, i64(v[i]));
    /* cached per-hour thresholds and daily statistics (doubles) */
    const double d[] = { ent->med_req, ent->med_bytes, ent->lambda_req, ent->lambda_bytes,
                         ent->thr_bytes, ent->unit_bytes, (double)ent->thr_req,
                         ent->med_day == G_MININT64 ? -1e18 : (double)ent->med_day };
    for (gsize i = 0; i < G_N_ELEMENTS(d); i++)
        push(a, num(d[i]));
    return a;
}

static cJSON *
save_entity(const KtEngine *e, const KtEntity *ent)
{
    cJSON *o = cJSON_CreateObject();
    KtSpace sp = ent->is_principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY;
    add(o, "entity", str(kt_dict_str(e->dict, sp, ent->id))); /* "entity": masked by export */
    add(o, "principal", cJSON_CreateBool(ent->is_principal));
    add(o, "key", str(kt_dict_str(e->dict, KT_SPACE_KEY, ent->key)));
    add(o, "scalars", save_scalars(e, ent));
    if (ent->base_idle_ms > 0) /* optional: states before it load with 0 */
        add(o, "idle_max", i64(ent->base_idle_ms));
    cJSON *nets = cJSON_CreateArray();
    push(nets, str(kt_engine_str(e, ent->net0)));
    push(nets, str(kt_dict_str(e->dict, KT_SPACE_SOURCE, ent->net0_src)));
    push(nets, str(kt_engine_str(e, ent->net1)));
    push(nets, i64(ent->net1_ms));
    add(o, "recent_nets", nets);
    cJSON *votes = cJSON_CreateArray();
    push(votes, str(kt_dict_str(e->dict, KT_SPACE_SOURCE, ent->hour_src)));
    push(votes, num(ent->hour_votes));
    push(votes, str(kt_dict_str(e->dict, KT_SPACE_SOURCE, ent->fail_src)));
    push(votes, num(ent->fail_votes));
    add(o, "votes", votes);
    cJSON *how = cJSON_CreateArray(), *tl = cJSON_CreateArray();
    for (int i = 0; i < 168; i++)
        push(how, num((double)kt_cnt_get(ent, KT_CNT_HOW + (guint)i)));
    cJSON *prof = cJSON_CreateArray();
    for (int i = 0; i < 48; i++)
        push(prof, num((double)kt_cnt_get(ent, KT_CNT_PROF + (guint)i)));
    add(o, "profile48", prof);
    for (int i = 0; i < KT_TIMELINE_BUCKETS; i++)
        push(tl, num((double)kt_cnt_get(ent, KT_CNT_TL + (guint)i)));
    add(o, "how", how);
    add(o, "timeline", tl);
    add(o, "ring", save_ring(ent));
    add(o, "ips", save_set(e, &ent->ips, KT_STR_SOURCE, FALSE));
    add(o, "nets", save_set(e, &ent->nets, KT_STR_ENGINE, TRUE));
    add(o, "wide", save_set(e, &ent->wide, KT_STR_ENGINE, TRUE));
    add(o, "ops", save_set(e, &ent->ops, KT_STR_OP, FALSE));
    add(o, "uas", save_set(e, &ent->uas, KT_STR_ENGINE, FALSE));
    return o;
}

static cJSON *
save_counts(const KtEngine *e, const KtValSet *s, KtSpace space)
{
    cJSON *arr = cJSON_CreateArray();
    g_autoptr(GPtrArray) sorted = sorted_values(e, s, space == KT_SPACE_OP ? KT_STR_OP : KT_STR_UA);
    for (guint i = 0; i < sorted->len; i++) {
        const KtVal *v = g_ptr_array_index(sorted, i);
        cJSON *a = cJSON_CreateArray();
        push(a, str(kt_dict_str(e->dict, space, v->id)));
        push(a, num((double)v->count));
        push(arr, a);
    }
    return arr;
}

static cJSON *
save_incident(const KtEngine *e, const KtInc *inc)
{
    cJSON *o = cJSON_CreateObject();
    const KtEntity *ent = g_ptr_array_index(e->ents, inc->ent);
    KtSpace sp = ent->is_principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY;
    add(o, "entity", str(kt_dict_str(e->dict, sp, ent->id)));
    add(o, "principal", cJSON_CreateBool(ent->is_principal));
    add(o, "key", str(kt_dict_str(e->dict, KT_SPACE_KEY, inc->pub.key)));
    add(o, "source", str(kt_dict_str(e->dict, KT_SPACE_SOURCE, inc->pub.source)));
    guint64 kind = inc->group >> 32;
    add(o, "group", num((double)kind));
    add(o, "group_value", str(kind == 1 ? kt_engine_str(e, (guint32)inc->group)
                                        : kt_dict_str(e->dict, KT_SPACE_SOURCE,
                                                      (guint32)inc->group)));
    cJSON *n = cJSON_CreateArray();
    const gint64 v[] = { inc->pub.first_ms, inc->pub.last_ms, (gint64)inc->pub.events,
                         (gint64)inc->pub.denied, (gint64)inc->pub.errors, inc->pub.bytes,
                         inc->pub.reasons, inc->strong };
    for (gsize i = 0; i < G_N_ELEMENTS(v); i++)
        push(n, i64(v[i]));
    for (int k = 0; k < KT_DET_COUNT; k++)
        push(n, num(inc->kind_score[k]));
    add(o, "scalars", n);
    add(o, "ops", save_counts(e, &inc->ops, KT_SPACE_OP));
    add(o, "uas", save_counts(e, &inc->uas, KT_SPACE_UA));
    return o;
}

static gint
cmp_entity(gconstpointer pa, gconstpointer pb, gpointer ud)
{
    const KtEngine *e = ud;
    const KtEntity *a = *(KtEntity *const *)pa, *b = *(KtEntity *const *)pb;
    if (a->is_principal != b->is_principal)
        return a->is_principal ? 1 : -1;
    KtSpace sp = a->is_principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY;
    return strcmp(kt_dict_str(e->dict, sp, a->id), kt_dict_str(e->dict, sp, b->id));
}

static gint
cmp_open_incident(gconstpointer pa, gconstpointer pb, gpointer ud)
{
    const KtEngine *e = ud;
    const KtInc *a = *(KtInc *const *)pa, *b = *(KtInc *const *)pb;
    if (a->pub.first_ms != b->pub.first_ms)
        return a->pub.first_ms < b->pub.first_ms ? -1 : 1;
    return strcmp(kt_dict_str(e->dict, KT_SPACE_SOURCE, a->pub.source),
                  kt_dict_str(e->dict, KT_SPACE_SOURCE, b->pub.source));
}

cJSON *
kt_engine_save(KtEngine *e)
{
    g_return_val_if_fail(e != NULL, NULL);
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        g_error("out of memory");
    add(root, "version", num(KT_STATE_VERSION));
    add(root, "events", num((double)e->events));
    add(root, "first_ms", i64(e->events > 0 ? e->first_ms : G_MININT64));
    add(root, "last_ms", i64(e->events > 0 ? e->last_ms : G_MININT64));
    cJSON *ents = cJSON_CreateArray(), *incs = cJSON_CreateArray();
    /* Sorted by text, so the same history gives the same state however it was chunked. */
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    for (guint i = 0; i < e->ents->len; i++)
        g_ptr_array_add(sorted, g_ptr_array_index(e->ents, i));
    g_ptr_array_sort_with_data(sorted, cmp_entity, e);
    for (guint i = 0; i < sorted->len; i++) {
        KtEntity *ent = g_ptr_array_index(sorted, i);
        push(ents, save_entity(e, ent));
        g_autoptr(GPtrArray) open = g_ptr_array_new();
        for (guint32 j = 0; j < ent->open.len; j++) {
            KtInc *inc = g_ptr_array_index(e->incs, kt_idlist_at(&ent->open, j));
            if (e->last_ms - inc->pub.last_ms <= e->cfg.quiet_ms)
                g_ptr_array_add(open, inc);
        }
        g_ptr_array_sort_with_data(open, cmp_open_incident, e);
        for (guint j = 0; j < open->len; j++)
            push(incs, save_incident(e, g_ptr_array_index(open, j)));
    }
    add(root, "entities", ents);
    add(root, "incidents", incs);
    return root;
}

/* --- reading ------------------------------------------------------------------------- */

/* Loader state: any malformed member sets @bad; the caller turns it into an error. */
typedef struct {
    KtEngine *e;
    gboolean bad;
    const char *what; /* first malformed member */
} KtLoad;

static void
fail(KtLoad *l, const char *what)
{
    if (!l->bad)
        l->what = what;
    l->bad = TRUE;
}

static gint64
get_i64(KtLoad *l, const cJSON *j, const char *what)
{
    if (cJSON_IsNull(j))
        return G_MININT64;
    /* Times (ms until year 33658) and totals stay far from overflow in later arithmetic. */
    if (!cJSON_IsNumber(j) || j->valuedouble < -1e15 || j->valuedouble > 1e15) {
        fail(l, what);
        return 0;
    }
    return (gint64)j->valuedouble;
}

static guint64
get_u64(KtLoad *l, const cJSON *j, const char *what)
{
    if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > 1e15) {
        fail(l, what);
        return 0;
    }
    return (guint64)j->valuedouble;
}

static const char *
get_str(KtLoad *l, const cJSON *j, const char *what)
{
    if (!cJSON_IsString(j) || j->valuestring == NULL) {
        fail(l, what);
        return "";
    }
    return j->valuestring;
}

static guint32
load_id(KtLoad *l, KtStrKind k, const char *s)
{
    switch (k) {
    case KT_STR_SOURCE:
        return kt_dict_intern_source(l->e->dict, kt_sv(s), NULL);
    case KT_STR_OP:
        return kt_dict_intern(l->e->dict, KT_SPACE_OP, kt_sv(s));
    default:
        return kt_engine_intern(l->e, s);
    }
}

static void
load_net_extra(KtLoad *l, KtValExtra *v, const cJSON *a)
{
    if (cJSON_GetArraySize(a) != 7 + 2 * KT_TOP_OPS) {
        fail(l, "network value");
        return;
    }
    v->ua_fam = kt_engine_intern(l->e, get_str(l, cJSON_GetArrayItem(a, 5), "ua family"));
    v->ua_votes = (guint32)MIN(get_u64(l, cJSON_GetArrayItem(a, 6), "votes"), G_MAXUINT32);
    for (int j = 0; j < KT_TOP_OPS; j++) {
        const char *op = get_str(l, cJSON_GetArrayItem(a, 7 + 2 * j), "top op");
        v->top_op[j] = kt_dict_intern(l->e->dict, KT_SPACE_OP, kt_sv(op));
        v->top_cnt[j] = (guint32)MIN(get_u64(l, cJSON_GetArrayItem(a, 8 + 2 * j), "top count"),
                                     G_MAXUINT32);
    }
}

static void
load_set(KtLoad *l, KtValSet *s, const cJSON *o, KtStrKind k, gboolean nets)
{
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(o, "values");
    if (!cJSON_IsObject(o) || !cJSON_IsArray(vals)) {
        fail(l, "value set");
        return;
    }
    s->new_days = (guint16)MIN(get_u64(l, cJSON_GetObjectItemCaseSensitive(o, "new_days"),
                                       "new_days"), G_MAXUINT16);
    gint64 day = get_i64(l, cJSON_GetObjectItemCaseSensitive(o, "last_new_day"), "day");
    s->last_new_day = day == G_MININT64 ? G_MININT32
                                        : (gint32)CLAMP(day, (gint64)G_MININT32 + 1, G_MAXINT32);
    s->saturated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "saturated"));
    const cJSON *a;
    cJSON_ArrayForEach(a, vals)
    {
        if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 5) {
            fail(l, "value");
            return;
        }
        guint32 id = load_id(l, k, get_str(l, cJSON_GetArrayItem(a, 0), "value"));
        if (id == 0 || kt_valset_find(s, id) != NULL) {
            fail(l, "value id");
            return;
        }
        KtVal *v = kt_valset_insert(s, id, 0);
        kt_valset_set_flags(s, v, (guint32)get_u64(l, cJSON_GetArrayItem(a, 1), "flags") & 7u);
        v->count = (guint32)MIN(get_u64(l, cJSON_GetArrayItem(a, 2), "count"), G_MAXUINT32);
        v->first_ms = kt_val_time(get_i64(l, cJSON_GetArrayItem(a, 3), "first"));
        v->last_ms = get_i64(l, cJSON_GetArrayItem(a, 4), "last");
        kt_valset_forget_min(s); /* last_ms set directly: the next prune scans */
        if (nets)
            load_net_extra(l, kt_valset_extra(s, v), a);
    }
}

static void
load_ring(KtLoad *l, KtEntity *ent, const cJSON *o)
{
    const cJSON *hours = cJSON_GetObjectItemCaseSensitive(o, "hours");
    if (!cJSON_IsArray(hours)) {
        fail(l, "ring");
        return;
    }
    ent->ring_first_hour = get_i64(l, cJSON_GetObjectItemCaseSensitive(o, "first"), "ring");
    ent->ring_last_hour = get_i64(l, cJSON_GetObjectItemCaseSensitive(o, "last"), "ring");
    const cJSON *a;
    cJSON_ArrayForEach(a, hours)
    {
        if (cJSON_GetArraySize(a) != 3) {
            fail(l, "ring hour");
            return;
        }
        gint64 h = get_i64(l, cJSON_GetArrayItem(a, 0), "ring hour");
        if (h == G_MININT64 || h > ent->ring_last_hour || h < ent->ring_last_hour - KT_RING_HOURS) {
            fail(l, "ring hour");
            return;
        }
        guint32 req = (guint32)MIN(get_u64(l, cJSON_GetArrayItem(a, 1), "req"), G_MAXUINT32);
        float bytes = (float)get_u64(l, cJSON_GetArrayItem(a, 2), "bytes");
        /* Hours outside the window or before the first are never read: skip them. */
        if (ent->ring_first_hour == G_MININT64 || h < ent->ring_first_hour ||
            h <= ent->ring_last_hour - KT_RING_HOURS)
            continue;
        kt_ring_set(ent, h, req, bytes);
    }
}

static void
load_scalars(KtLoad *l, KtEntity *ent, const cJSON *a)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 29 + 8) {
        fail(l, "scalars");
        return;
    }
    gint64 v[29];
    for (int i = 0; i < 29; i++)
        v[i] = get_i64(l, cJSON_GetArrayItem(a, i), "scalar");
    double d[8];
    for (int i = 0; i < 8; i++) {
        const cJSON *j = cJSON_GetArrayItem(a, 29 + i);
        d[i] = cJSON_IsNumber(j) ? j->valuedouble : 0.0;
    }
    ent->first_ms = v[0], ent->last_ms = v[1], ent->learn_end_ms = v[2];
    ent->events = (guint64)MAX(v[3], 0), ent->denied = (guint64)MAX(v[4], 0);
    ent->errors = (guint64)MAX(v[5], 0), ent->bytes = v[6];
    ent->base_events = (guint64)MAX(v[7], 0), ent->base_fail = (guint64)MAX(v[8], 0);
    ent->base_bytes_n = (guint64)MAX(v[9], 0), ent->base_bytes = v[10];
    ent->base_days = (guint32)CLAMP(v[11], 0, G_MAXUINT32), ent->cur_day = v[12];
    ent->base_how_total = (guint64)MAX(v[13], 0), ent->cur_hour = v[14];
    ent->cur_req = (guint64)MAX(v[15], 0), ent->cur_fail = (guint64)MAX(v[16], 0);
    ent->cur_bytes = v[17];
    ent->fired_req = v[18] == 1, ent->fired_bytes = v[19] == 1;
    ent->fired_burst = v[20] == 1, ent->fired_off = v[21] == 1;
    ent->stat_day = v[22], ent->concentrated = v[23] == 1;
    ent->conc_bins = (guint8)CLAMP(v[24], 0, 48);
    ent->net0_ms = v[25], ent->base_overlaps = (guint64)MAX(v[26], 0);
    ent->tl_start = v[27], ent->tl_width = v[28];
    ent->tl_lo = 1, ent->tl_hi = 0; /* no cached bucket */
    if (ent->tl_width < KT_MS_HOUR || ent->tl_width > ((gint64)1 << 50))
        fail(l, "timeline width");
    ent->med_req = d[0], ent->med_bytes = d[1], ent->lambda_req = d[2];
    ent->lambda_bytes = d[3], ent->thr_bytes = d[4], ent->unit_bytes = d[5];
    ent->thr_req = d[6] >= 1.8e19 ? G_MAXUINT64 : d[6] < 0 ? 0 : (guint64)d[6];
    ent->med_day = d[7] < -1e17 || d[7] > 1e17 ? G_MININT64 : (gint64)d[7];
}

/* Counts, saturated at G_MAXUINT32 (as the engine counts them). */
static void
load_counters(KtLoad *l, KtEntity *ent, guint first, int n, const cJSON *a, const char *what)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) {
        fail(l, what);
        return;
    }
    for (int i = 0; i < n; i++)
        kt_cnt_set(ent, first + (guint)i,
                   (guint32)MIN(get_u64(l, cJSON_GetArrayItem(a, i), what), G_MAXUINT32));
}

/* The latest two networks, for concurrent_use. */
static void
load_recent_nets(KtLoad *l, KtEntity *ent, const cJSON *a)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 4) {
        fail(l, "recent_nets");
        return;
    }
    ent->net0 = kt_engine_intern(l->e, get_str(l, cJSON_GetArrayItem(a, 0), "net"));
    ent->net0_src = kt_dict_intern_source(
        l->e->dict, kt_sv(get_str(l, cJSON_GetArrayItem(a, 1), "net source")), NULL);
    ent->net1 = kt_engine_intern(l->e, get_str(l, cJSON_GetArrayItem(a, 2), "net"));
    ent->net1_ms = get_i64(l, cJSON_GetArrayItem(a, 3), "net time");
}

/* The majority-vote sources of the current hour (see advance() in feed.c). */
static void
load_votes(KtLoad *l, KtEntity *ent, const cJSON *a)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 4) {
        fail(l, "votes");
        return;
    }
    KtDict *d = l->e->dict;
    ent->hour_src = kt_dict_intern_source(d, kt_sv(get_str(l, cJSON_GetArrayItem(a, 0), "vote")),
                                          NULL);
    ent->hour_votes = (guint32)MIN(get_u64(l, cJSON_GetArrayItem(a, 1), "votes"), G_MAXUINT32);
    ent->fail_src = kt_dict_intern_source(d, kt_sv(get_str(l, cJSON_GetArrayItem(a, 2), "vote")),
                                          NULL);
    ent->fail_votes = (guint32)MIN(get_u64(l, cJSON_GetArrayItem(a, 3), "votes"), G_MAXUINT32);
}

static void
load_entity(KtLoad *l, const cJSON *o)
{
    KtEngine *e = l->e;
    const char *id = get_str(l, cJSON_GetObjectItemCaseSensitive(o, "entity"), "entity");
    gboolean principal = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "principal"));
    guint32 eid = kt_dict_intern(e->dict, principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY,
                                 kt_sv(id));
    if (l->bad || eid == 0 || kt_engine_entity_lookup(e, eid, principal) != NULL) {
        fail(l, "entity id");
        return;
    }
    KtEntity *ent = kt_entity_new(eid, principal, e->ents->len);
    g_ptr_array_add(e->ents, ent);
    GArray *map = principal ? e->by_principal : e->by_key;
    if (eid >= map->len)
        g_array_set_size(map, eid + 1);
    g_array_index(map, guint32, eid) = e->ents->len;
    const char *key = get_str(l, cJSON_GetObjectItemCaseSensitive(o, "key"), "key");
    ent->key = kt_dict_intern(e->dict, KT_SPACE_KEY, kt_sv(key));
    load_scalars(l, ent, cJSON_GetObjectItemCaseSensitive(o, "scalars"));
    const cJSON *idle = cJSON_GetObjectItemCaseSensitive(o, "idle_max");
    ent->base_idle_ms = idle != NULL ? MAX(get_i64(l, idle, "idle_max"), 0) : 0;
    load_recent_nets(l, ent, cJSON_GetObjectItemCaseSensitive(o, "recent_nets"));
    load_votes(l, ent, cJSON_GetObjectItemCaseSensitive(o, "votes"));
    load_counters(l, ent, KT_CNT_HOW, 168, cJSON_GetObjectItemCaseSensitive(o, "how"), "how");
    load_counters(l, ent, KT_CNT_PROF, 48, cJSON_GetObjectItemCaseSensitive(o, "profile48"),
                  "profile48");
    ent->share_how = -1; /* the profile replaced */
    load_counters(l, ent, KT_CNT_TL, KT_TIMELINE_BUCKETS,
                  cJSON_GetObjectItemCaseSensitive(o, "timeline"), "timeline");
    load_ring(l, ent, cJSON_GetObjectItemCaseSensitive(o, "ring"));
    load_set(l, &ent->ips, cJSON_GetObjectItemCaseSensitive(o, "ips"), KT_STR_SOURCE, FALSE);
    load_set(l, &ent->nets, cJSON_GetObjectItemCaseSensitive(o, "nets"), KT_STR_ENGINE, TRUE);
    load_set(l, &ent->wide, cJSON_GetObjectItemCaseSensitive(o, "wide"), KT_STR_ENGINE, TRUE);
    load_set(l, &ent->ops, cJSON_GetObjectItemCaseSensitive(o, "ops"), KT_STR_OP, FALSE);
    load_set(l, &ent->uas, cJSON_GetObjectItemCaseSensitive(o, "uas"), KT_STR_ENGINE, FALSE);
}

static void
load_counts(KtLoad *l, KtValSet *s, const cJSON *arr, KtSpace space)
{
    const cJSON *a;
    if (!cJSON_IsArray(arr)) {
        fail(l, "counts");
        return;
    }
    cJSON_ArrayForEach(a, arr)
    {
        if (cJSON_GetArraySize(a) != 2 || s->n >= s->cap) {
            fail(l, "count");
            return;
        }
        const char *txt = get_str(l, cJSON_GetArrayItem(a, 0), "count value");
        guint32 id = kt_dict_intern(l->e->dict, space, kt_sv(txt));
        if (id == 0 || kt_valset_find(s, id) != NULL) {
            fail(l, "count value");
            return;
        }
        kt_valset_insert(s, id, 0)->count =
            (guint32)MIN(get_u64(l, cJSON_GetArrayItem(a, 1), "count"), G_MAXUINT32);
    }
}

static KtInc *
load_incident_head(KtLoad *l, const cJSON *o)
{
    KtEngine *e = l->e;
    gboolean principal = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "principal"));
    const char *id = get_str(l, cJSON_GetObjectItemCaseSensitive(o, "entity"), "entity");
    guint32 eid = kt_dict_lookup(e->dict, principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY,
                                 kt_sv(id));
    KtEntity *ent = kt_engine_entity_lookup(e, eid, principal);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scalars");
    if (l->bad || ent == NULL || !cJSON_IsArray(sc) ||
        cJSON_GetArraySize(sc) != 8 + KT_DET_COUNT || e->incs->len >= kt_engine_max_findings(e)) {
        fail(l, "incident");
        return NULL;
    }
    KtRecord rec = { 0 };
    rec.key = kt_dict_intern(e->dict, KT_SPACE_KEY,
                             kt_sv(get_str(l, cJSON_GetObjectItemCaseSensitive(o, "key"), "key")));
    rec.source = kt_dict_intern_source(
        e->dict, kt_sv(get_str(l, cJSON_GetObjectItemCaseSensitive(o, "source"), "src")), NULL);
    guint64 gk = get_u64(l, cJSON_GetObjectItemCaseSensitive(o, "group"), "group");
    const char *gv = get_str(l, cJSON_GetObjectItemCaseSensitive(o, "group_value"), "group");
    guint64 group = gk == 1 ? (gk << 32) | kt_engine_intern(e, gv)
                  : gk == 2 ? gk << 32
                            : kt_dict_intern_source(e->dict, kt_sv(gv), NULL);
    rec.time_ms = get_i64(l, cJSON_GetArrayItem(sc, 0), "first");
    KtInc *inc = NULL;
    if (!l->bad && gk <= 2)
        inc = kt_incident_restore(e, ent, &rec, group);
    else
        fail(l, "incident group");
    return inc;
}

static void
load_incident(KtLoad *l, const cJSON *o)
{
    KtInc *inc = load_incident_head(l, o);
    if (inc == NULL)
        return;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scalars");
    inc->pub.last_ms = get_i64(l, cJSON_GetArrayItem(sc, 1), "last");
    inc->pub.events = get_u64(l, cJSON_GetArrayItem(sc, 2), "events");
    inc->pub.denied = get_u64(l, cJSON_GetArrayItem(sc, 3), "denied");
    inc->pub.errors = get_u64(l, cJSON_GetArrayItem(sc, 4), "errors");
    inc->pub.bytes = get_i64(l, cJSON_GetArrayItem(sc, 5), "bytes");
    inc->pub.reasons = (guint32)get_u64(l, cJSON_GetArrayItem(sc, 6), "reasons") &
                       ((1u << KT_DET_COUNT) - 1);
    inc->strong = get_u64(l, cJSON_GetArrayItem(sc, 7), "strong") != 0;
    for (int k = 0; k < KT_DET_COUNT; k++)
        inc->kind_score[k] = (guint8)MIN(get_u64(l, cJSON_GetArrayItem(sc, 8 + k), "score"), 100);
    load_counts(l, &inc->ops, cJSON_GetObjectItemCaseSensitive(o, "ops"), KT_SPACE_OP);
    load_counts(l, &inc->uas, cJSON_GetObjectItemCaseSensitive(o, "uas"), KT_SPACE_UA);
}

gboolean
kt_engine_load(KtEngine *e, const cJSON *obj, GError **error)
{
    g_return_val_if_fail(e != NULL, FALSE);
    KtLoad l = { e, FALSE, NULL };
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(obj, "version");
    const cJSON *ents = cJSON_GetObjectItemCaseSensitive(obj, "entities");
    const cJSON *incs = cJSON_GetObjectItemCaseSensitive(obj, "incidents");
    if (!cJSON_IsObject(obj) || !cJSON_IsNumber(ver) || ver->valuedouble != KT_STATE_VERSION ||
        !cJSON_IsArray(ents) || !cJSON_IsArray(incs)) {
        g_set_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT,
                    "engine state: not a version %d engine state object", KT_STATE_VERSION);
        return FALSE;
    }
    guint64 events = get_u64(&l, cJSON_GetObjectItemCaseSensitive(obj, "events"), "events");
    gint64 first = get_i64(&l, cJSON_GetObjectItemCaseSensitive(obj, "first_ms"), "first_ms");
    gint64 last = get_i64(&l, cJSON_GetObjectItemCaseSensitive(obj, "last_ms"), "last_ms");
    const cJSON *o;
    cJSON_ArrayForEach(o, ents)
    {
        if (!l.bad)
            load_entity(&l, o);
    }
    cJSON_ArrayForEach(o, incs)
    {
        if (!l.bad)
            load_incident(&l, o);
    }
    if (l.bad) {
        g_set_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT,
                    "engine state: malformed member (%s)", l.what);
        return FALSE;
    }
    e->events += events;
    if (events > 0) {
        e->first_ms = MIN(e->first_ms, first);
        e->last_ms = MAX(e->last_ms, last);
    }
    e->res_valid = FALSE;
    return TRUE;
}
