/*
 * test-mem.c - the engine's memory layout: compact value sets behave exactly like the
 * 8-slot tables they stand for, the sparse volume history like the dense ring, counters
 * widen and saturate, a state written by the old layout loads and saves unchanged, and
 * the per-key cost of a sparse key stays under a stated bound.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "keytrail/engine.h"

#include "../../src/engine/engine-private.h"

/* --- reference value set: the table-only layout the compact sets must reproduce ------- */

typedef struct {
    KtVal *slots;
    guint32 mask, n, n_base, cap;
    gboolean saturated;
} Ref;

static guint32
ref_home(guint32 id, guint32 mask)
{
    return (id * 2654435761u) & mask;
}

static KtVal *
ref_find(Ref *r, guint32 id)
{
    if (r->slots == NULL)
        return NULL;
    for (guint32 i = ref_home(id, r->mask);; i = (i + 1) & r->mask) {
        if (r->slots[i].id == id)
            return &r->slots[i];
        if (r->slots[i].id == 0)
            return NULL;
    }
}

static KtVal *
ref_place(Ref *r, const KtVal *v)
{
    guint32 i = ref_home(v->id, r->mask);
    while (r->slots[i].id != 0)
        i = (i + 1) & r->mask;
    r->slots[i] = *v;
    return &r->slots[i];
}

static void
ref_grow(Ref *r)
{
    guint32 old = r->slots != NULL ? r->mask + 1 : 0, size = old ? old * 2 : 8;
    KtVal *o = r->slots;
    r->slots = g_new0(KtVal, size);
    r->mask = size - 1;
    for (guint32 i = 0; i < old; i++) {
        if (o[i].id != 0)
            ref_place(r, &o[i]);
    }
    g_free(o);
}

static void
ref_remove(Ref *r, guint32 id)
{
    KtVal *v = ref_find(r, id);
    if (v == NULL)
        return;
    guint32 i = (guint32)(v - r->slots);
    if (v->flags & KT_VAL_BASE)
        r->n_base--;
    for (guint32 j = (i + 1) & r->mask;; j = (j + 1) & r->mask) {
        if (r->slots[j].id == 0)
            break;
        guint32 home = ref_home(r->slots[j].id, r->mask);
        gboolean between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            r->slots[i] = r->slots[j];
            i = j;
        }
    }
    memset(&r->slots[i], 0, sizeof(KtVal));
    r->n--;
}

static KtVal *
ref_insert(Ref *r, guint32 id, gint64 now)
{
    if (r->n >= r->cap) {
        KtVal *oldest = NULL, *oldest_new = NULL;
        for (guint32 i = 0; i <= r->mask; i++) {
            KtVal *v = &r->slots[i];
            if (v->id == 0)
                continue;
            if (oldest == NULL || v->last_ms < oldest->last_ms)
                oldest = v;
            if (!(v->flags & KT_VAL_BASE) &&
                (oldest_new == NULL || v->last_ms < oldest_new->last_ms))
                oldest_new = v;
        }
        KtVal *victim = oldest_new != NULL ? oldest_new : oldest;
        if (victim->flags & KT_VAL_BASE)
            r->saturated = TRUE;
        ref_remove(r, victim->id);
    }
    if (r->slots == NULL || (r->n + 1) * 4 > (r->mask + 1) * 3)
        ref_grow(r);
    KtVal v = { 0 };
    v.id = id;
    v.first_ms = v.last_ms = now;
    r->n++;
    return ref_place(r, &v);
}

static void
ref_prune(Ref *r, gint64 cutoff)
{
    for (guint32 i = 0; r->slots != NULL && i <= r->mask;) {
        if (r->slots[i].id != 0 && r->slots[i].last_ms < cutoff)
            ref_remove(r, r->slots[i].id);
        else
            i++;
    }
}

/* A table's eviction bounds (valueset.c: one gint64 per 64 slots after the entries and
 * extras) are at most the last time of every value in their block. */
static void
check_bounds(const KtValSet *s)
{
    if (s->slots == NULL || s->ccap != 0)
        return;
    guint32 size = (guint32)s->mask + 1;
    gsize entry = sizeof(KtVal) + (s->extras ? sizeof(KtValExtra) : 0);
    const gint64 *lb = (const gint64 *)(const void *)((const char *)s->slots + size * entry);
    for (guint32 i = 0; i < size; i++) {
        if (s->slots[i].id != 0)
            g_assert_cmpint(lb[i / 64], <=, s->slots[i].last_ms);
    }
}

/* The values of @s in slot order equal those of @r; extras follow their values. */
static void
check_same(const KtValSet *s, const Ref *r)
{
    check_bounds(s);
    guint32 j = 0;
    for (guint32 i = 0; i < kt_valset_span(s); i++) {
        const KtVal *v = &s->slots[i];
        if (v->id == 0)
            continue;
        while (r->slots[j].id == 0)
            j++;
        const KtVal *w = &r->slots[j++];
        g_assert_cmpuint(v->id, ==, w->id);
        g_assert_cmpuint(v->flags, ==, w->flags);
        g_assert_cmpuint(v->count, ==, w->count);
        g_assert_cmpint(v->last_ms, ==, w->last_ms);
        if (s->extras)
            g_assert_cmpuint(kt_valset_extra(s, v)->ua_fam, ==, v->id * 7);
        g_assert_true(kt_valset_find(s, v->id) == v);
    }
    for (; r->slots != NULL && j <= r->mask; j++)
        g_assert_cmpuint(r->slots[j].id, ==, 0);
    g_assert_cmpuint(s->n, ==, r->n);
    g_assert_cmpuint(s->n_base, ==, r->n_base);
    g_assert_cmpint(s->saturated, ==, r->saturated);
    if (s->n > KT_VALSET_COMPACT)
        g_assert_cmpuint(s->ccap, ==, 0);
}

/* Drives a set and the reference through @steps random operations. With @back, time
 * sometimes goes back (a value inserted is then older than others) and hits keep the
 * later time, as the engine counts records. */
static void
run_layout_steps(guint32 cap, gboolean extras, guint32 seed, int steps, gboolean back)
{
    GRand *rnd = g_rand_new_with_seed(seed);
    KtValSet s;
    Ref r = { NULL, 0, 0, 0, cap, FALSE };
    kt_valset_init(&s, cap, extras);
    gint64 now = 1000;
    guint32 ids = MAX(cap * 2, 12);
    for (int step = 0; step < steps; step++) {
        now += g_rand_int_range(rnd, back ? -3 : 0, 3); /* equal times: eviction ties */
        guint32 id = (guint32)g_rand_int_range(rnd, 1, (gint32)ids + 1);
        int op = g_rand_int_range(rnd, 0, 10);
        if (op < 6) {
            KtVal *v = kt_valset_find(&s, id), *w = ref_find(&r, id);
            g_assert_true((v == NULL) == (w == NULL));
            if (v == NULL) {
                v = kt_valset_insert(&s, id, now);
                w = ref_insert(&r, id, now);
                if (extras)
                    kt_valset_extra(&s, v)->ua_fam = id * 7;
            }
            if (g_rand_int_range(rnd, 0, 3) == 0 && !(w->flags & KT_VAL_BASE)) {
                kt_valset_set_flags(&s, v, v->flags | KT_VAL_BASE);
                w->flags |= KT_VAL_BASE;
                r.n_base++;
            }
            v->count++, w->count++;
            v->last_ms = w->last_ms = back ? MAX(w->last_ms, now) : now;
        } else if (op < 9) {
            kt_valset_remove(&s, id);
            ref_remove(&r, id);
        } else {
            gint64 cut = now - g_rand_int_range(rnd, 0, 40);
            kt_valset_prune(&s, cut);
            ref_prune(&r, cut);
        }
        check_same(&s, &r);
    }
    kt_valset_clear(&s);
    g_free(r.slots);
    g_rand_free(rnd);
}

static void
run_layout(guint32 cap, gboolean extras, guint32 seed)
{
    run_layout_steps(cap, extras, seed, 4000, FALSE);
}

static void
test_valset_layout(void)
{
    const guint32 caps[] = { 1, 3, 5, 6, 9, 40 };
    for (gsize i = 0; i < G_N_ELEMENTS(caps); i++) {
        run_layout(caps[i], FALSE, 7 + (guint32)i);
        run_layout(caps[i], TRUE, 70 + (guint32)i);
    }
}

/* Tables of several eviction blocks (KT_VALSET_BLOCK slots), at their cap most of the
 * time, with time going forward and sometimes back: every eviction picks the value the
 * reference picks by scanning all slots. */
static void
test_valset_evict_blocks(void)
{
    const guint32 caps[] = { 100, 200, 700 };
    for (gsize i = 0; i < G_N_ELEMENTS(caps); i++) {
        run_layout_steps(caps[i], FALSE, 17 + (guint32)i, 20000, FALSE);
        run_layout_steps(caps[i], TRUE, 170 + (guint32)i, 20000, TRUE);
    }
}

static void
test_valset_sizes(void)
{
    KtValSet s;
    kt_valset_init(&s, 1024, TRUE);
    g_assert_cmpuint(kt_valset_bytes(&s), ==, 0);
    kt_valset_insert(&s, 5, 1);
    g_assert_cmpuint(kt_valset_bytes(&s), ==, sizeof(KtVal) + sizeof(KtValExtra));
    for (guint32 id = 6; id < 9; id++)
        kt_valset_insert(&s, id, 1);
    g_assert_cmpuint(s.ccap, ==, 4);
    g_assert_cmpuint(kt_valset_bytes(&s), ==, 4 * (sizeof(KtVal) + sizeof(KtValExtra)));
    kt_valset_insert(&s, 9, 1); /* the fifth value: the 8-slot table */
    g_assert_cmpuint(s.ccap, ==, 0);
    /* a table also keeps one eviction bound per 64 slots */
    g_assert_cmpuint(kt_valset_bytes(&s), ==,
                     8 * (sizeof(KtVal) + sizeof(KtValExtra)) + sizeof(gint64));
    kt_valset_clear(&s);
    /* A value is 24 bytes; its consumer inventory another 32, only where it is kept. */
    g_assert_cmpuint(sizeof(KtVal), ==, 24);
    g_assert_cmpuint(sizeof(KtValExtra), ==, 32);
    /* counts saturate; times keep their full range in 61 bits */
    KtVal v = { 0 };
    v.count = G_MAXUINT32 - 1;
    kt_val_count(&v);
    kt_val_count(&v);
    g_assert_cmpuint(v.count, ==, G_MAXUINT32);
    v.first_ms = kt_val_time((gint64)253402300799999); /* 9999-12-31T23:59:59.999Z */
    g_assert_cmpint(v.first_ms, ==, (gint64)253402300799999);
    v.first_ms = kt_val_time(-(gint64)62135596800000); /* 0001-01-01 */
    g_assert_cmpint(v.first_ms, ==, -(gint64)62135596800000);
    v.flags = KT_VAL_BASE | KT_VAL_NEW;
    g_assert_cmpint(v.first_ms, ==, -(gint64)62135596800000);
    g_assert_cmpuint(v.flags, ==, KT_VAL_BASE | KT_VAL_NEW);
    g_assert_cmpint(kt_val_time(G_MININT64), <, -((gint64)1 << 59));
}

/* --- volume history: sparse against the dense ring of KT_RING_HOURS slots -------------- */

typedef struct {
    guint32 req[KT_RING_HOURS];
    float bytes[KT_RING_HOURS];
    gint64 first, last;
} Ring;

static guint32
slot(gint64 h)
{
    return (guint32)(((h % KT_RING_HOURS) + KT_RING_HOURS) % KT_RING_HOURS);
}

static void
ring_ref_push(Ring *r, gint64 h, guint32 req, float bytes)
{
    if (r->first == G_MININT64) {
        r->first = h;
        r->last = h - 1;
    }
    for (gint64 z = MAX(r->last + 1, h - KT_RING_HOURS + 1); z < h; z++) {
        r->req[slot(z)] = 0;
        r->bytes[slot(z)] = 0;
    }
    r->req[slot(h)] = req;
    r->bytes[slot(h)] = bytes;
    r->last = MAX(r->last, h);
}

static void
check_ring(const KtEntity *ent, const Ring *r)
{
    KtRingIter it;
    gint64 h;
    guint32 req;
    float bytes;
    kt_ring_iter_init(&it, ent);
    g_assert_cmpint(ent->ring_first_hour, ==, r->first);
    g_assert_cmpint(ent->ring_last_hour, ==, r->last);
    for (gint64 z = MAX(r->first, r->last - KT_RING_HOURS + 1); z <= r->last; z++) {
        if (r->req[slot(z)] == 0 && r->bytes[slot(z)] == 0)
            continue;
        g_assert_true(kt_ring_next(&it, &h, &req, &bytes));
        g_assert_cmpint(h, ==, z);
        g_assert_cmpuint(req, ==, r->req[slot(z)]);
        g_assert_cmpfloat(bytes, ==, r->bytes[slot(z)]);
    }
    g_assert_false(kt_ring_next(&it, &h, &req, &bytes));
}

static void
run_ring(guint32 seed, int max_gap, guint32 big_req_every)
{
    GRand *rnd = g_rand_new_with_seed(seed);
    KtEntity *ent = kt_entity_new(1, FALSE, 0);
    Ring r;
    memset(&r, 0, sizeof(r));
    r.first = r.last = G_MININT64;
    gint64 h = 475000;
    gboolean was_sparse = FALSE;
    for (int step = 0; step < 3000; step++) {
        h += g_rand_int_range(rnd, 1, max_gap + 1);
        guint32 req = (guint32)g_rand_int_range(rnd, 0, 40);
        if (big_req_every != 0 && g_rand_int_range(rnd, 0, (gint32)big_req_every) == 0)
            req = 70000;
        float bytes =
            req == 0 && g_rand_boolean(rnd) ? 0.0f : (float)g_rand_int_range(rnd, 0, 1 << 20);
        kt_ring_push(ent, h, req, bytes);
        ring_ref_push(&r, h, req, bytes);
        was_sparse = was_sparse || ent->ring_dense == NULL;
        if (step % 7 == 0) { /* a state load sets hours in place */
            gint64 z = h - g_rand_int_range(rnd, 0, KT_RING_HOURS);
            if (z >= r.first) {
                req = g_rand_boolean(rnd) ? 0 : (guint32)g_rand_int_range(rnd, 1, 9);
                kt_ring_set(ent, z, req, (float)req);
                r.req[slot(z)] = req;
                r.bytes[slot(z)] = (float)req;
            }
        }
        check_ring(ent, &r);
    }
    g_assert_true(was_sparse);
    kt_entity_free(ent);
    g_rand_free(rnd);
}

static void
test_ring_sparse(void)
{
    run_ring(1, 40, 0);   /* quiet key: stays sparse */
    run_ring(2, 3, 0);    /* busy key: turns dense when full */
    run_ring(3, 12, 500); /* a 70,000-call hour turns it dense */
}

static void
test_ring_memory(void)
{
    KtEntity *ent = kt_entity_new(1, FALSE, 0);
    for (gint64 h = 0; h < 40; h++)
        kt_ring_push(ent, 475000 + 9 * h, 12, 3000.0f);
    KtEngineMemory m = { 0 };
    kt_entity_memory(ent, &m);
    g_assert_null(ent->ring_dense);
    g_assert_cmpuint(sizeof(KtHour), ==, 8);
    g_assert_cmpuint(m.rings, <=, 64 * sizeof(KtHour)); /* 40 hours, not 672 slots */
    for (gint64 h = 0; h < KT_RING_HOURS; h++)
        kt_ring_push(ent, 476000 + h, 12, 3000.0f);
    g_assert_nonnull(ent->ring_dense);
    kt_entity_free(ent);
}

/* --- counters ------------------------------------------------------------------------ */

static void
test_counters_widen(void)
{
    KtEntity *ent = kt_entity_new(1, FALSE, 0);
    g_assert_cmpuint(ent->cnt_width, ==, 1);
    kt_cnt_add(ent, KT_CNT_HOW + 3, 255);
    kt_cnt_add(ent, KT_CNT_TL + 127, 9);
    g_assert_cmpuint(ent->cnt_width, ==, 1);
    kt_cnt_add(ent, KT_CNT_HOW + 3, 1);
    g_assert_cmpuint(ent->cnt_width, ==, 2);
    g_assert_cmpuint(kt_cnt_get(ent, KT_CNT_HOW + 3), ==, 256);
    g_assert_cmpuint(kt_cnt_get(ent, KT_CNT_TL + 127), ==, 9);
    kt_cnt_set(ent, KT_CNT_PROF + 47, 70000);
    g_assert_cmpuint(ent->cnt_width, ==, 4);
    g_assert_cmpuint(kt_cnt_get(ent, KT_CNT_PROF + 47), ==, 70000);
    g_assert_cmpuint(kt_cnt_get(ent, KT_CNT_HOW + 3), ==, 256);
    /* 32-bit counts saturate instead of wrapping */
    kt_cnt_set(ent, KT_CNT_TL, G_MAXUINT32 - 2);
    kt_cnt_add(ent, KT_CNT_TL, 5);
    g_assert_cmpuint(kt_cnt_get(ent, KT_CNT_TL), ==, G_MAXUINT32);
    kt_cnt_add(ent, KT_CNT_TL, G_MAXUINT64 / 2);
    g_assert_cmpuint(kt_cnt_get(ent, KT_CNT_TL), ==, G_MAXUINT32);
    g_assert_cmpuint(kt_sat_add32(G_MAXUINT32, 1), ==, G_MAXUINT32);
    g_assert_cmpuint(kt_sat_add32(1, 2), ==, 3);
    kt_entity_free(ent);
}

/* --- index lists ----------------------------------------------------------------------- */

static void
test_idlist(void)
{
    GRand *rnd = g_rand_new_with_seed(5);
    KtIdList l = { { NULL }, 0, 0 };
    GArray *ref = g_array_new(FALSE, FALSE, sizeof(guint32));
    for (guint32 step = 0; step < 2000; step++) {
        if (ref->len > 0 && g_rand_int_range(rnd, 0, 3) == 0) {
            guint32 i = (guint32)g_rand_int_range(rnd, 0, (gint32)ref->len);
            kt_idlist_remove_fast(&l, i);
            g_array_remove_index_fast(ref, i);
        } else {
            kt_idlist_push(&l, step);
            g_array_append_val(ref, step);
        }
        g_assert_cmpuint(l.len, ==, ref->len);
        for (guint32 i = 0; i < ref->len; i++)
            g_assert_cmpuint(kt_idlist_at(&l, i), ==, g_array_index(ref, guint32, i));
        if (l.alloc <= 2)
            g_assert_cmpuint(kt_idlist_bytes(&l), ==, 0); /* held inline */
    }
    kt_idlist_clear(&l);
    g_assert_cmpuint(l.len, ==, 0);
    g_array_free(ref, TRUE);
    g_rand_free(rnd);
}

/* --- a state written by the layout before this one ------------------------------------ */

static char *
data_path(const char *name)
{
    const char *dir = g_getenv("G_TEST_SRCDIR");
    g_autofree char *here = g_path_get_dirname(__FILE__);
    return g_build_filename(dir != NULL ? dir : here, "data", name, NULL);
}

static void
test_state_v1(void)
{
    /* Written by `keytrail watch` of commit c31ef90 (64-byte values, dense rings): dense
     * and sparse histories, a 457-value IP table, compact sets, an open incident. */
    g_autofree char *path = data_path("engine-state-v1.json");
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, &err));
    cJSON *old = cJSON_Parse(text);
    g_assert_nonnull(old);
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    g_autoptr(KtDict) dict = kt_dict_new();
    g_autoptr(KtEngine) e = kt_engine_new(&cfg, dict, NULL);
    g_assert_true(kt_engine_load(e, old, &err));
    g_assert_no_error(err);
    cJSON *saved = kt_engine_save(e);
    char *a = cJSON_PrintUnformatted(old), *b = cJSON_PrintUnformatted(saved);
    g_assert_cmpstr(a, ==, b);
    KtEngineMemory m;
    g_assert_cmpuint(kt_engine_memory(e, &m), >, 0);
    g_assert_cmpuint(m.n_entities, ==, 6);
    g_assert_cmpuint(m.n_incidents, ==, 1);
    g_assert_cmpuint(m.rings, >=, 2 * KT_RING_HOURS * 8); /* two dense histories */
    cJSON_free(a);
    cJSON_free(b);
    cJSON_Delete(saved);
    cJSON_Delete(old);
}

/* --- per-key cost -------------------------------------------------------------------- */

/*
 * A sparse key (60 calls over 30 days from two IPs of one network, three operations,
 * one client) costs at most this many bytes: entity, counters, value sets and history
 * (docs/DETECTORS.md, "Memory per entity"); measured 1,632. Before the compact layout
 * (64-byte values, 8-slot tables, a dense 672-hour ring) it was about 11 KiB.
 */
#define SPARSE_KEY_MAX_BYTES 2048

static void
test_sparse_key_cost(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    g_autoptr(KtDict) dict = kt_dict_new();
    g_autoptr(KtEngine) e = kt_engine_new(&cfg, dict, NULL);
    const char *ops[] = { "GET /v1/charges", "POST /v1/refunds", "GET /v1/balance" };
    const gint64 t0 = (gint64)1709251200000; /* 2024-03-01 */
    const guint keys = 500;
    for (int i = 0; i < 60; i++) {
        for (guint k = 0; k < keys; k++) {
            char key[32], ip[32];
            g_snprintf(key, sizeof(key), "sk_live_%06u", k);
            g_snprintf(ip, sizeof(ip), "10.%u.%u.%d", k / 200, k % 200, 10 + i % 2);
            KtRecord r = { 0 };
            r.time_ms = t0 + (gint64)i * 12 * 3600 * 1000 + k * 1000;
            r.bytes = 2000 + i;
            r.key = kt_dict_intern(dict, KT_SPACE_KEY, kt_sv(key));
            r.source = kt_dict_intern_source(dict, kt_sv(ip), NULL);
            r.op = kt_dict_intern(dict, KT_SPACE_OP, kt_sv(ops[i % 3]));
            r.ua = kt_dict_intern(dict, KT_SPACE_UA, kt_sv("Stripe/v1 PythonBindings/7.8.0"));
            kt_engine_feed(e, &r);
        }
    }
    KtEngineMemory m;
    gsize total = kt_engine_memory(e, &m);
    g_assert_cmpuint(m.n_entities, ==, keys);
    g_assert_cmpuint(total, ==, m.entities + m.value_sets + m.rings + m.incidents +
                                    m.anomalies + m.other);
    gsize per_key = (m.entities + m.value_sets + m.rings) / keys;
    g_test_message("sparse key: %" G_GSIZE_FORMAT " bytes (entity %" G_GSIZE_FORMAT
                   ", values %" G_GSIZE_FORMAT ", history %" G_GSIZE_FORMAT ")",
                   per_key, m.entities / keys, m.value_sets / keys, m.rings / keys);
    g_assert_cmpuint(m.n_values, ==, keys * (2 + 1 + 1 + 3 + 1));
    g_assert_cmpuint(per_key, <=, SPARSE_KEY_MAX_BYTES);
    g_assert_cmpuint(sizeof(KtEntity), <=, 600);
    g_assert_cmpuint(m.incidents, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/mem/valueset/layout", test_valset_layout);
    g_test_add_func("/mem/valueset/evict-blocks", test_valset_evict_blocks);
    g_test_add_func("/mem/valueset/sizes", test_valset_sizes);
    g_test_add_func("/mem/ring/sparse-like-dense", test_ring_sparse);
    g_test_add_func("/mem/ring/memory", test_ring_memory);
    g_test_add_func("/mem/counters/widen-saturate", test_counters_widen);
    g_test_add_func("/mem/idlist/like-garray", test_idlist);
    g_test_add_func("/mem/state/v1-loads-unchanged", test_state_v1);
    g_test_add_func("/mem/cost/sparse-key", test_sparse_key_cost);
    return g_test_run();
}
