/*
 * test-shards.c - the engine on several threads (KtEngineShards, scan -j N): for seeded
 * streams with attacks in every entity mode, N engines give exactly the results of one
 * engine (every field of every key, incident and anomaly, in order), and a finding cap
 * reached by any engine is reported so that the caller can judge with one engine.
 */
#include "keytrail/engine.h"

#define T0 ((gint64)1704067200000) /* Monday 2024-01-01 00:00 UTC */
#define MIN_MS ((gint64)60000)
#define HOUR (60 * MIN_MS)
#define DAY (24 * HOUR)

static const char *const ops[] = { "s3:GetObject",  "s3:PutObject",   "sqs:SendMessage",
                                   "iam:ListUsers", "iam:CreateUser", "sts:GetCallerIdentity",
                                   "ec2:DescribeInstances" };
static const char *const uas[] = { "aws-cli/2.13.5 Python/3.11.4", "Boto3/1.28.0 Python/3.11",
                                   "curl/8.4.0", "python-requests/2.31.0" };

static gint
cmp_rec_time(gconstpointer pa, gconstpointer pb)
{
    const KtRecord *a = pa, *b = pb;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms ? -1 : 1;
    return (a->key > b->key) - (a->key < b->key);
}

static KtRecord
rec_of(KtDict *d, gint64 ms, const char *key, const char *principal, gboolean temp,
       const char *src, const char *op, const char *ua, KtOutcome outcome)
{
    KtRecord r = { 0 };
    r.time_ms = ms;
    r.bytes = 512;
    r.key = kt_dict_intern(d, KT_SPACE_KEY, kt_sv(key));
    r.principal = principal != NULL ? kt_dict_intern(d, KT_SPACE_PRINCIPAL, kt_sv(principal)) : 0;
    r.source = kt_dict_intern_source(d, kt_sv(src), NULL);
    r.op = kt_dict_intern(d, KT_SPACE_OP, kt_sv(op));
    r.ua = kt_dict_intern(d, KT_SPACE_UA, kt_sv(ua));
    r.outcome = (guint8)outcome;
    r.flags = temp ? KT_EV_TEMP_KEY : 0;
    return r;
}

/* Office hours use of one key from its own /24 for 40 days. */
static void
benign_key(KtDict *d, GArray *recs, GRand *rng, int k, const char *principal, gboolean temp)
{
    char key[32], src[32];
    for (int day = 0; day < 40; day++) {
        if (day % 7 >= 5 && g_rand_int_range(rng, 0, 4) != 0)
            continue;
        int n = g_rand_int_range(rng, 5, 40);
        for (int i = 0; i < n; i++) {
            gint64 ms = T0 + day * DAY + 8 * HOUR + g_rand_int_range(rng, 0, 10 * 60) * MIN_MS +
                        g_rand_int_range(rng, 0, 60000);
            g_snprintf(key, sizeof(key), temp ? "ASIA%04dSESSION%02d" : "AKIA%04dEXAMPLE",
                       k, temp ? day : 0);
            g_snprintf(src, sizeof(src), "10.%d.%d.%d", k / 200, k % 200,
                       g_rand_int_range(rng, 1, 4));
            KtRecord r = rec_of(d, ms, key, principal, temp, src,
                                ops[g_rand_int_range(rng, 0, 3)], uas[k % 2],
                                g_rand_int_range(rng, 0, 50) == 0 ? KT_OUTCOME_DENIED
                                                                  : KT_OUTCOME_OK);
            g_array_append_val(recs, r);
        }
    }
}

/* Misuse after day 30: recon from foreign IPs at night, error bursts, a dormant wake-up. */
static void
attacks(KtDict *d, GArray *recs, GRand *rng, int n_keys)
{
    char key[32], src[32];
    for (int a = 0; a < 12; a++) {
        int k = g_rand_int_range(rng, 0, n_keys);
        g_snprintf(key, sizeof(key), "AKIA%04dEXAMPLE", k);
        g_snprintf(src, sizeof(src), "203.0.%d.%d", 113 + a % 3, g_rand_int_range(rng, 1, 250));
        gint64 start = T0 + (30 + a % 9) * DAY + 2 * HOUR + g_rand_int_range(rng, 0, 60) * MIN_MS;
        int n = g_rand_int_range(rng, 20, 200);
        for (int i = 0; i < n; i++) {
            KtRecord r = rec_of(d, start + i * 7000, key, NULL, FALSE, src,
                                ops[3 + g_rand_int_range(rng, 0, 4)], uas[2 + a % 2],
                                g_rand_int_range(rng, 0, 3) != 0 ? KT_OUTCOME_DENIED
                                                                 : KT_OUTCOME_OK);
            g_array_append_val(recs, r);
        }
    }
    /* a key used on day 0 only, then again on day 39 from elsewhere */
    KtRecord r = rec_of(d, T0 + HOUR * 9, "AKIA9999DORMANT", NULL, FALSE, "10.9.9.9", ops[0],
                        uas[0], KT_OUTCOME_OK);
    g_array_append_val(recs, r);
    r = rec_of(d, T0 + 39 * DAY + 3 * HOUR, "AKIA9999DORMANT", NULL, FALSE, "198.51.100.77",
               ops[4], uas[3], KT_OUTCOME_OK);
    g_array_append_val(recs, r);
    /* The last records: eight keys used from a new network at the end of day 40, then one
     * more record of another key an hour later. Their incidents are closed at the end of
     * the stream, though an engine that saw none of the later record would call some of
     * them open. */
    for (int k = 0; k < 8; k++) {
        g_snprintf(key, sizeof(key), "AKIA%04dEXAMPLE", k * 3);
        for (int i = 0; i < 5; i++) {
            r = rec_of(d, T0 + 40 * DAY + 22 * HOUR + i * MIN_MS, key, NULL, FALSE,
                       "192.0.2.50", ops[5], uas[2], KT_OUTCOME_DENIED);
            g_array_append_val(recs, r);
        }
    }
    r = rec_of(d, T0 + 40 * DAY + 23 * HOUR + 30 * MIN_MS, "AKIA0001EXAMPLE", NULL, FALSE,
               "10.0.1.1", ops[0], uas[1], KT_OUTCOME_OK);
    g_array_append_val(recs, r);
}

/* (transfer full) A time-ordered stream of @n_keys keys (every fifth one a principal's
 * temporary keys) with attacks; ties broken by key so that it is one fixed order. */
static GArray *
make_stream(KtDict *d, guint32 seed, int n_keys)
{
    GRand *rng = g_rand_new_with_seed(seed);
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    char principal[64];
    for (int k = 0; k < n_keys; k++) {
        g_snprintf(principal, sizeof(principal), "arn:aws:iam::123456789012:role/r%d", k % 7);
        benign_key(d, recs, rng, k, k % 5 == 4 ? principal : NULL, k % 5 == 4);
    }
    attacks(d, recs, rng, n_keys);
    g_array_sort(recs, cmp_rec_time);
    g_rand_free(rng);
    return recs;
}

static void
dump_counts(GString *o, const KtDict *d, KtSpace space, const GArray *a)
{
    for (guint i = 0; a != NULL && i < a->len; i++) {
        const KtCount *c = &g_array_index(a, KtCount, i);
        g_string_append_printf(o, " %s=%" G_GUINT64_FORMAT, kt_dict_str(d, space, c->id), c->count);
    }
    g_string_append_c(o, '\n');
}

/* Every field of @r as text, ids as their strings (the dict is shared). */
static char *
dump(const KtResults *r, const KtDict *d)
{
    GString *o = g_string_new(NULL);
    g_string_append_printf(o, "events %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                              " dropped %" G_GUINT64_FORMAT "\n",
                           r->events, r->first_ms, r->last_ms, r->anomalies_dropped);
    for (guint i = 0; i < r->keys->len; i++) {
        const KtKeySummary *s = g_ptr_array_index(r->keys, i);
        g_string_append_printf(o, "key %s %d %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                                  " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %u %u %u %d %d\n",
                               kt_dict_str(d, s->entity_is_principal ? KT_SPACE_PRINCIPAL
                                                                     : KT_SPACE_KEY, s->entity),
                               s->entity_is_principal, kt_dict_str(d, KT_SPACE_KEY, s->key),
                               s->first_ms, s->last_ms, s->events, s->denied, s->distinct_ips,
                               s->distinct_networks, s->incidents, s->risk, s->severity);
        for (guint j = 0; j < s->consumers->len; j++) {
            const KtConsumer *c = g_ptr_array_index(s->consumers, j);
            g_string_append_printf(o, "  consumer %s %s %" G_GUINT64_FORMAT, c->network,
                                   c->ua_family, c->events);
            dump_counts(o, d, KT_SPACE_OP, c->ops);
        }
    }
    for (guint i = 0; i < r->incidents->len; i++) {
        const KtIncident *n = g_ptr_array_index(r->incidents, i);
        g_string_append_printf(o, "incident %" G_GUINT64_FORMAT " %s %s %s %" G_GINT64_FORMAT
                                  "-%" G_GINT64_FORMAT " %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                                  "/%" G_GUINT64_FORMAT " %x %d %d open=%d anoms",
                               n->id, kt_dict_str(d, KT_SPACE_KEY, n->key),
                               kt_dict_str(d, KT_SPACE_SOURCE, n->source), n->network,
                               n->first_ms, n->last_ms, n->events, n->denied, n->errors,
                               n->reasons, n->score, n->severity, n->open);
        for (guint j = 0; j < n->anomalies->len; j++)
            g_string_append_printf(o, " %" G_GUINT64_FORMAT, g_array_index(n->anomalies, guint64, j));
        dump_counts(o, d, KT_SPACE_OP, n->ops);
        dump_counts(o, d, KT_SPACE_UA, n->uas);
    }
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        g_string_append_printf(o, "anomaly %" G_GUINT64_FORMAT " %s %s %" G_GINT64_FORMAT
                                  " %d %d inc %" G_GUINT64_FORMAT " | %s | %s | %s\n",
                               a->id, kt_detector_name(a->kind),
                               kt_dict_str(d, KT_SPACE_KEY, a->key), a->time_ms, a->score,
                               a->severity, a->incident, a->observed, a->baseline, a->message);
    }
    return g_string_free(o, FALSE);
}

/* The results of one engine fed @recs, as text. */
static char *
one_engine(const KtEngineConfig *cfg, KtDict *d, const GArray *recs)
{
    KtEngine *e = kt_engine_new(cfg, d, NULL);
    kt_engine_feed_batch(e, (const KtRecord *)(const void *)recs->data, recs->len);
    char *out = dump(kt_engine_results(e), d);
    kt_engine_free(e);
    return out;
}

/* The results of @n engines fed @recs in batches of @batch, as text; *@capped set. */
static char *
shards(const KtEngineConfig *cfg, KtDict *d, const GArray *recs, guint n, gsize batch,
       gboolean *capped)
{
    KtEngineShards *s = kt_engine_shards_new(cfg, d, NULL, n);
    const KtRecord *r = (const KtRecord *)(const void *)recs->data;
    for (gsize i = 0; i < recs->len; i += batch)
        kt_engine_shards_feed_batch(s, r + i, MIN(batch, recs->len - i));
    kt_engine_shards_finish(s);
    *capped = kt_engine_shards_capped(s);
    char *out = dump(kt_engine_shards_results(s), d);
    kt_engine_shards_free(s);
    return out;
}

/* Fails naming the first line where @got and @want differ (they are long). */
static void
assert_same(const char *got, const char *want, guint n)
{
    if (strcmp(got, want) == 0)
        return;
    g_auto(GStrv) g = g_strsplit(got, "\n", -1), w = g_strsplit(want, "\n", -1);
    guint i = 0;
    while (g[i] != NULL && w[i] != NULL && strcmp(g[i], w[i]) == 0)
        i++;
    g_error("%u engines differ from one at line %u:\n  got:  %s\n  want: %s", n, i + 1,
            g[i] != NULL ? g[i] : "(end)", w[i] != NULL ? w[i] : "(end)");
}

static void
check_equal(KtEntityMode mode, guint32 seed)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    cfg.entity = mode;
    KtDict *d = kt_dict_new();
    GArray *recs = make_stream(d, seed, 60);
    char *want = one_engine(&cfg, d, recs);
    g_assert_nonnull(strstr(want, "incident 1 "));     /* the stream has findings */
    g_assert_nonnull(strstr(want, "anomaly 1 "));
    guint ns[] = { 2, 3, KT_ENGINE_SHARDS_MAX };
    gsize batches[] = { 1, 97, 100000 };
    for (guint i = 0; i < G_N_ELEMENTS(ns); i++) {
        gboolean capped = TRUE;
        char *got = shards(&cfg, d, recs, ns[i], batches[i], &capped);
        g_assert_false(capped);
        assert_same(got, want, ns[i]);
        g_free(got);
    }
    g_free(want);
    g_array_free(recs, TRUE);
    kt_dict_free(d);
}

static void
test_same_as_one_engine(void)
{
    check_equal(KT_ENTITY_AUTO, 7);
    check_equal(KT_ENTITY_KEY, 8);
    check_equal(KT_ENTITY_PRINCIPAL, 9);
}

/* Beyond max_findings the engines could keep other findings than one engine would: the
 * shards say so; below it they do not. */
static void
test_capped(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    KtDict *d = kt_dict_new();
    GArray *recs = make_stream(d, 11, 60);
    KtEngine *e = kt_engine_new(&cfg, d, NULL);
    kt_engine_feed_batch(e, (const KtRecord *)(const void *)recs->data, recs->len);
    const KtResults *r = kt_engine_results(e);
    guint n_inc = r->incidents->len, n_anom = r->anomalies->len;
    kt_engine_free(e);
    g_assert_cmpuint(n_inc, >=, 4);
    gboolean capped = FALSE;
    cfg.max_findings = MAX(n_inc, n_anom);     /* exactly enough: nothing dropped */
    g_free(shards(&cfg, d, recs, 2, 512, &capped));
    g_assert_false(capped);
    cfg.max_findings = MIN(n_inc, n_anom) - 1; /* one short */
    g_free(shards(&cfg, d, recs, 2, 512, &capped));
    g_assert_true(capped);
    cfg.max_findings = 1;
    g_free(shards(&cfg, d, recs, KT_ENGINE_SHARDS_MAX, 512, &capped));
    g_assert_true(capped);
    g_array_free(recs, TRUE);
    kt_dict_free(d);
}

/* No records: empty results, and no thread left behind by free without finish. */
static void
test_empty(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    KtDict *d = kt_dict_new();
    KtEngineShards *s = kt_engine_shards_new(&cfg, d, NULL, 2);
    kt_engine_shards_finish(s);
    const KtResults *r = kt_engine_shards_results(s);
    g_assert_cmpuint(r->events, ==, 0);
    g_assert_cmpuint(r->keys->len, ==, 0);
    g_assert_cmpint(r->first_ms, ==, 0);
    kt_engine_shards_free(s);
    s = kt_engine_shards_new(&cfg, d, NULL, 3);
    kt_engine_shards_free(s);
    kt_dict_free(d);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/shards/same-as-one-engine", test_same_as_one_engine);
    g_test_add_func("/shards/capped", test_capped);
    g_test_add_func("/shards/empty", test_empty);
    return g_test_run();
}
