/*
 * preset-json.c - the presets' JSON side (input stage): mapping a record parsed by cJSON
 * (the first record of an input, which picks the preset) and the single-pass capture of
 * mapped members through jsonscan.c for every other record.
 */
#include <math.h>

#include "preset-private.h"

static gboolean
json_has(gconstpointer ctx, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive((const cJSON *)ctx, name) != NULL;
}

/* ---- JSON --------------------------------------------------------------------------- */

/* Stores the JSON number @d as the value of @slot, formatted as text too. */
static void
num_value(KtMapper *m, guint slot, double d)
{
    if (d == floor(d) && fabs(d) < 9e15)
        g_snprintf(m->num[slot], sizeof(m->num[slot]), "%" G_GINT64_FORMAT, (gint64)d);
    else
        g_snprintf(m->num[slot], sizeof(m->num[slot]), "%.15g", d);
    m->vals[slot] = (KtVal){kt_sv(m->num[slot]), d, KT_VAL_NUM};
}

/* Stores the scalar @item as the value of @slot; FALSE for null, "", objects, arrays. */
static gboolean
json_value(KtMapper *m, guint slot, const cJSON *item)
{
    KtVal *v = &m->vals[slot];
    if (cJSON_IsString(item) && item->valuestring != NULL && item->valuestring[0] != '\0') {
        *v = (KtVal){kt_sv(item->valuestring), 0, KT_VAL_STR};
    } else if (cJSON_IsNumber(item)) {
        num_value(m, slot, item->valuedouble);
    } else if (cJSON_IsBool(item)) {
        *v = (KtVal){kt_sv(cJSON_IsTrue(item) ? "true" : "false"), 0, KT_VAL_STR};
    } else {
        return FALSE;
    }
    return TRUE;
}

/* Follows @p from @obj; a key that itself contains dots is tried as a whole last. */
static const cJSON *
json_path(const cJSON *obj, const KtPath *p, gboolean ci)
{
    const cJSON *cur = obj;
    for (guint i = 0; i < p->nsegs && cur != NULL; i++) {
        if (!cJSON_IsObject(cur))
            return NULL;
        cur = ci ? cJSON_GetObjectItem(cur, p->segs[i])
                 : cJSON_GetObjectItemCaseSensitive(cur, p->segs[i]);
    }
    if (cur == NULL && p->nsegs > 1)
        cur =
            ci ? cJSON_GetObjectItem(obj, p->full) : cJSON_GetObjectItemCaseSensitive(obj, p->full);
    return cur;
}

/* Generic preset: one pass over the keys (and one level into the parents that dotted
 * candidates name: error, request, http), keeping the best-ranked candidate per slot. */
static void
json_fuzzy(KtMapper *m, const cJSON *obj, const char *parent)
{
    char nm[NORM_MAX * 2 + 2];
    gsize plen = parent ? strlen(parent) : 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        if (c->string == NULL)
            continue;
        if (parent != NULL) {
            memcpy(nm, parent, plen);
            nm[plen] = '.';
        }
        gsize off = parent ? plen + 1 : 0;
        if (!kt_preset_norm_name(c->string, strlen(c->string), nm + off))
            continue;
        if (cJSON_IsObject(c)) {
            if (parent == NULL && g_hash_table_contains(m->fuzzy_parents, nm))
                json_fuzzy(m, c, nm);
            continue;
        }
        guint code = GPOINTER_TO_UINT(g_hash_table_lookup(m->fuzzy, nm));
        if (code == 0)
            continue;
        guint slot = (code - 1) / 256, rank = (code - 1) % 256;
        if (slot < KT_SLOT_FIELDS && m->override[slot] != NULL)
            continue; /* an override replaces the preset's candidates */
        if (m->vals[slot].kind != KT_VAL_NONE && m->rank[slot] <= rank)
            continue;
        if (json_value(m, slot, c))
            m->rank[slot] = rank;
    }
}

KtMapResult
kt_mapper_json(KtMapper *m, const cJSON *obj, KtEventView *ev, KtReject *reason)
{
    kt_mapper_choose(m, json_has, obj);
    memset(m->vals, 0, sizeof(m->vals));
    for (guint s = 0; s < KT_SLOT_FIELDS; s++) {
        if (m->override_path[s] == NULL)
            continue;
        const cJSON *it = json_path(obj, m->override_path[s], FALSE);
        if (it == NULL)
            it = json_path(obj, m->override_path[s], TRUE);
        json_value(m, s, it);
    }
    if (m->preset->fuzzy) {
        json_fuzzy(m, obj, NULL);
    } else {
        for (guint s = 0; s < KT_SLOT_COUNT; s++) {
            if (s < KT_SLOT_FIELDS && m->override[s] != NULL)
                continue;
            for (guint i = 0; i < m->paths[s]->len; i++) {
                if (json_value(m, s, json_path(obj, g_ptr_array_index(m->paths[s], i), FALSE)))
                    break;
            }
        }
    }
    return kt_mapper_finish(m, ev, reason);
}

/* ---- JSON, single pass (jsonscan.c) --------------------------------------------------- */

/* Unescapes the string @raw into the record's scratch; views stay valid for the record. */
static KtStrView
scratch_unescape(KtMapper *m, KtStrView raw)
{
    char *out;
    if (m->scratch_used + raw.len + 1 <= m->scratch->len) {
        out = m->scratch->str + m->scratch_used;
        m->scratch_used += raw.len + 1;
    } else {
        out = g_malloc(raw.len + 1);
        g_ptr_array_add(m->spill, out);
    }
    return kt_sv_len(out, kt_json_unescape(raw.ptr, raw.len, out));
}

/* num_value() for a plain integer of up to 15 digits (exact as a double, so strtod and
 * "%" G_GINT64_FORMAT would give the same); FALSE for any other number text. */
static gboolean
int_value(KtMapper *m, guint slot, KtStrView raw)
{
    gsize neg = raw.len > 0 && raw.ptr[0] == '-';
    if (raw.len - neg == 0 || raw.len - neg > 15)
        return FALSE;
    gint64 n = 0;
    for (gsize i = neg; i < raw.len; i++) {
        if (!g_ascii_isdigit(raw.ptr[i]))
            return FALSE;
        n = n * 10 + (raw.ptr[i] - '0');
    }
    char *o = m->num[slot] + sizeof(m->num[slot]);
    *--o = '\0';
    gint64 k = n;
    do {
        *--o = (char)('0' + k % 10);
        k /= 10;
    } while (k > 0);
    if (neg && n != 0)
        *--o = '-';
    gsize len = (gsize)(m->num[slot] + sizeof(m->num[slot]) - 1 - o);
    m->vals[slot] = (KtVal){kt_sv_len(o, len), neg ? -(double)n : (double)n, KT_VAL_NUM};
    return TRUE;
}

/* json_value() for a scanned value. */
static gboolean
scan_value(KtMapper *m, guint slot, const KtJsonValue *jv)
{
    switch (jv->type) {
    case KT_JSON_STRING: {
        KtStrView s = jv->esc ? scratch_unescape(m, jv->raw) : jv->raw;
        if (s.len == 0)
            return FALSE;
        m->vals[slot] = (KtVal){s, 0, KT_VAL_STR};
        return TRUE;
    }
    case KT_JSON_NUMBER:
        if (!int_value(m, slot, jv->raw))
            num_value(m, slot, kt_json_number(jv->raw));
        return TRUE;
    case KT_JSON_TRUE:
    case KT_JSON_FALSE:
        m->vals[slot] = (KtVal){kt_sv(jv->type == KT_JSON_TRUE ? "true" : "false"), 0, KT_VAL_STR};
        return TRUE;
    default:
        return FALSE;
    }
}

/* json_path() over the last scan: TRUE and *@out when @p leads to a member. */
static gboolean
scan_path(const KtMapper *m, const KtPath *p, guint ci, KtJsonValue *out)
{
    KtJsonPathState st = kt_json_scan_get(m->scan, p->id[ci], out);
    if (st == KT_JSON_PATH_MISSING && p->nsegs > 1)
        st = kt_json_scan_get(m->scan, p->id_full[ci], out);
    return st == KT_JSON_PATH_FOUND;
}

/* Resolves the raw member name @key at @depth into @e (norm_ok, code, is_parent). */
static void
fz_resolve(KtMapper *m, guint depth, KtStrView key, KtFzEntry *e)
{
    char nm[NORM_MAX * 2 + 2];
    gsize off = 0;
    if (depth > 1 && m->fz_pdirty) {
        kt_preset_norm_name(m->fz_praw, m->fz_prawlen, m->fz_parent);
        m->fz_plen = strlen(m->fz_parent);
        m->fz_pdirty = FALSE;
    }
    if (depth > 1) {
        memcpy(nm, m->fz_parent, m->fz_plen);
        nm[m->fz_plen] = '.';
        off = m->fz_plen + 1;
    }
    e->norm_ok = kt_preset_norm_name(key.ptr, key.len, nm + off);
    e->code = e->norm_ok ? GPOINTER_TO_UINT(g_hash_table_lookup(m->fuzzy, nm)) : 0;
    e->is_parent = e->norm_ok && depth == 1 && g_hash_table_contains(m->fuzzy_parents, nm);
    e->id = ++m->fz_next_id;
    if (e->is_parent) {
        m->fz_plen = strlen(nm);
        memcpy(m->fz_parent, nm, m->fz_plen + 1);
        m->fz_pdirty = FALSE;
    }
}

/* The cache entry for @key at @depth, resolved; @tmp when the name is too long to
 * cache. */
static const KtFzEntry *
fz_lookup(KtMapper *m, guint depth, KtStrView key, KtFzEntry *tmp)
{
    guint64 parent = depth > 1 ? m->fz_parent_id : 0;
    if (key.len > FZ_KEY_MAX) {
        fz_resolve(m, depth, key, tmp);
        return tmp;
    }
    guint32 h = 2166136261u ^ (guint32)parent;
    for (gsize i = 0; i < key.len; i++)
        h = (h ^ (guchar)key.ptr[i]) * 16777619u;
    KtFzEntry *e = &m->fz_cache[h & (FZ_CACHE - 1)];
    if (e->used && e->parent == parent && e->len == key.len &&
        memcmp(e->key, key.ptr, key.len) == 0) {
        if (e->is_parent) {
            /* its normalized name is computed when a child needs resolving */
            memcpy(m->fz_praw, key.ptr, key.len);
            m->fz_prawlen = key.len;
            m->fz_pdirty = TRUE;
        }
        return e;
    }
    fz_resolve(m, depth, key, e);
    e->used = TRUE;
    e->parent = parent;
    e->len = (guint)key.len;
    memcpy(e->key, key.ptr, key.len);
    return e;
}

/* json_fuzzy() as a scanner visitor: members of the record and of its candidate
 * parents, in document order. */
gboolean
kt_mapper_scan_fuzzy_member(gpointer ud, guint depth, KtStrView key, const KtJsonValue *v)
{
    KtMapper *m = ud;
    KtFzEntry tmp;
    const KtFzEntry *e = fz_lookup(m, depth, key, &tmp);
    if (!e->norm_ok)
        return FALSE;
    if (v->type == KT_JSON_OBJECT) {
        if (!e->is_parent)
            return FALSE;
        m->fz_parent_id = e->id;
        return TRUE;
    }
    if (e->code == 0)
        return FALSE;
    guint slot = (e->code - 1) / 256, rank = (e->code - 1) % 256;
    if (slot < KT_SLOT_FIELDS && m->override[slot] != NULL)
        return FALSE;
    if (m->vals[slot].kind != KT_VAL_NONE && m->rank[slot] <= rank)
        return FALSE;
    if (scan_value(m, slot, v))
        m->rank[slot] = rank;
    return FALSE;
}

KtJsonStatus
kt_mapper_scan(KtMapper *m, const char *text, gsize len, guint max_depth)
{
    g_return_val_if_fail(m->preset != NULL, KT_JSON_NO_OBJECT);
    memset(m->vals, 0, sizeof(m->vals));
    if (m->scratch->len < len + 1)
        g_string_set_size(m->scratch, len + 1);
    m->scratch_used = 0;
    if (m->spill->len > 0)
        g_ptr_array_set_size(m->spill, 0);
    return kt_json_scan_run(m->scan, text, len, max_depth);
}

gboolean
kt_mapper_scan_unwrap(KtMapper *m, KtStrView *inner)
{
    KtJsonValue ct, et;
    if (kt_json_scan_get(m->scan, m->id_wrapped, &ct) != KT_JSON_PATH_FOUND ||
        ct.type != KT_JSON_STRING ||
        kt_json_scan_get(m->scan, m->id_event_time, &et) == KT_JSON_PATH_FOUND)
        return FALSE;
    if (!ct.esc) {
        *inner = ct.raw;
        return TRUE;
    }
    g_string_set_size(m->inner, ct.raw.len + 1);
    *inner = kt_sv_len(m->inner->str, kt_json_unescape(ct.raw.ptr, ct.raw.len, m->inner->str));
    return TRUE;
}

KtMapResult
kt_mapper_scanned(KtMapper *m, KtEventView *ev, KtReject *reason)
{
    KtJsonValue jv;
    for (guint s = 0; s < KT_SLOT_FIELDS; s++) {
        const KtPath *p = m->override_path[s];
        if (p != NULL && (scan_path(m, p, 0, &jv) || scan_path(m, p, 1, &jv)))
            scan_value(m, s, &jv);
    }
    for (guint s = 0; !m->preset->fuzzy && s < KT_SLOT_COUNT; s++) {
        if (s < KT_SLOT_FIELDS && m->override[s] != NULL)
            continue;
        for (guint i = 0; i < m->paths[s]->len; i++) {
            if (scan_path(m, g_ptr_array_index(m->paths[s], i), 0, &jv) && scan_value(m, s, &jv))
                break;
        }
    }
    return kt_mapper_finish(m, ev, reason);
}

