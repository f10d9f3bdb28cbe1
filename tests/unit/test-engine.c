/*
 * test-engine.c - the detection engine on synthetic records built through a KtDict:
 * every detector firing and not firing (benign drift), leak-time vs online learning,
 * forgetting, caps, incidents, determinism and save/load equivalence.
 */
#include <cjson/cJSON.h>
#include <time.h>

#include "keytrail/engine.h"
#include "keytrail/timeparse.h"

#define T0 ((gint64)1704067200000) /* Monday 2024-01-01 00:00 UTC */
#define MIN_MS ((gint64)60000)
#define HOUR ((gint64)3600000)
#define DAY (24 * HOUR)

#define UA_CLI "aws-cli/2.13.5 Python/3.11.4 Linux/5.15.0 exe/x86_64.ubuntu.22"
#define IP_A "198.51.100.10"
#define IP_EVIL "203.0.113.7"

/* A record as strings, so it can be interned into any dict (save/load tests). */
typedef struct {
    gint64 ms;
    const char *key, *src, *op, *ua;
    KtOutcome outcome;
    gint64 bytes;
    const char *principal; /* nullable */
    gboolean temp;
} Spec;

typedef struct {
    KtDict *dict;
    KtEngine *e;
    GArray *specs; /* Spec, everything fed, for replay */
} Fx;

static void
fx_init(Fx *f, const KtEngineConfig *cfg)
{
    KtEngineConfig def;
    kt_engine_config_init(&def);
    f->dict = kt_dict_new();
    f->e = kt_engine_new(cfg != NULL ? cfg : &def, f->dict, NULL);
    f->specs = g_array_new(FALSE, FALSE, sizeof(Spec));
}

static void
fx_clear(Fx *f)
{
    kt_engine_free(f->e);
    kt_dict_free(f->dict);
    g_array_free(f->specs, TRUE);
}

static KtRecord
make_rec(KtDict *d, const Spec *s)
{
    KtRecord r = { 0 };
    r.time_ms = s->ms;
    r.bytes = s->bytes;
    r.key = kt_dict_intern(d, KT_SPACE_KEY, kt_sv(s->key));
    r.principal = s->principal ? kt_dict_intern(d, KT_SPACE_PRINCIPAL, kt_sv(s->principal)) : 0;
    r.source = kt_dict_intern_source(d, kt_sv(s->src), NULL);
    r.op = kt_dict_intern(d, KT_SPACE_OP, kt_sv(s->op));
    r.ua = kt_dict_intern(d, KT_SPACE_UA, kt_sv(s->ua));
    r.outcome = (guint8)s->outcome;
    r.flags = s->temp ? KT_EV_TEMP_KEY : 0;
    return r;
}

static void
feed_spec(Fx *f, const Spec *s)
{
    KtRecord r = make_rec(f->dict, s);
    kt_engine_feed(f->e, &r);
    g_array_append_val(f->specs, *s);
}

static void
feed(Fx *f, gint64 ms, const char *key, const char *src, const char *op, const char *ua,
     KtOutcome o, gint64 bytes)
{
    Spec s = { ms, key, src, op, ua, o, bytes, NULL, FALSE };
    feed_spec(f, &s);
}

static const char *const service_ops[] = { "s3:GetObject", "s3:PutObject", "sqs:SendMessage" };

/* A service: @per_hour calls every hour from @src for @days days from @start. */
static void
service_history(Fx *f, const char *key, const char *src, gint64 start, int days, int per_hour)
{
    for (gint64 h = 0; h < days * 24; h++) {
        for (int i = 0; i < per_hour; i++) {
            gint64 ms = start + h * HOUR + i * (HOUR / per_hour);
            feed(f, ms, key, src, service_ops[i % 3], UA_CLI, KT_OUTCOME_OK, 2000);
        }
    }
}

/* A human: weekdays 09-17 (UTC), 6 calls an hour. */
static void
office_history(Fx *f, const char *key, const char *src, gint64 start, int days)
{
    for (int d = 0; d < days; d++) {
        gint64 day = start + d * DAY;
        int dow = (int)(((day - T0) / DAY) % 7); /* 0 = Monday */
        if (dow >= 5)
            continue;
        for (int h = 9; h < 17; h++) {
            for (int i = 0; i < 6; i++)
                feed(f, day + h * HOUR + i * 10 * MIN_MS + MIN_MS, key, src, service_ops[i % 2],
                     UA_CLI, KT_OUTCOME_OK, 1500);
        }
    }
}

static guint
count_kind(const KtResults *r, KtDetectorKind k)
{
    guint n = 0;
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        n += a->kind == k;
    }
    return n;
}

static const KtAnomaly *
find_kind(const KtResults *r, KtDetectorKind k)
{
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        if (a->kind == k)
            return a;
    }
    return NULL;
}

/* Like find_kind, but the anomaly must exist. */
static const KtAnomaly *
get_kind(const KtResults *r, KtDetectorKind k)
{
    const KtAnomaly *a = find_kind(r, k);
    if (a == NULL)
        g_error("no %s anomaly", kt_detector_name(k));
    return a;
}

static int
max_incident_score(const KtResults *r)
{
    int best = 0;
    for (guint i = 0; i < r->incidents->len; i++) {
        const KtIncident *inc = g_ptr_array_index(r->incidents, i);
        best = MAX(best, inc->score);
    }
    return best;
}

static void
dump(const Fx *f, const KtResults *r)
{
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        g_test_message("anomaly %" G_GUINT64_FORMAT " %s score %d inc %" G_GUINT64_FORMAT
                       ": %s", a->id, kt_detector_name(a->kind), a->score, a->incident,
                       a->message);
    }
    for (guint i = 0; i < r->incidents->len; i++) {
        const KtIncident *inc = g_ptr_array_index(r->incidents, i);
        g_test_message("incident %" G_GUINT64_FORMAT " %s %s score %d events %" G_GUINT64_FORMAT,
                       inc->id, kt_dict_str(f->dict, KT_SPACE_SOURCE, inc->source), inc->network,
                       inc->score, inc->events);
    }
}

/* --- benign drift ----------------------------------------------------------------- */

static void
test_new_ip_same_network(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    gint64 t = T0 + 10 * DAY + 10 * HOUR;
    for (int i = 0; i < 5; i++)
        feed(&f, t + i * MIN_MS, "AKIASERVICE", "198.51.100.77", "s3:GetObject", UA_CLI,
             KT_OUTCOME_OK, 2000);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_IP), ==, 1);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 0);
    g_assert_cmpint(max_incident_score(r), <, 20);
    const KtAnomaly *a = get_kind(r, KT_DET_NEW_IP);
    g_assert_nonnull(strstr(a->message, "198.51.100.77"));
    g_assert_nonnull(strstr(a->message, "198.51.100.0/24"));
    fx_clear(&f);
}

static void
test_benign_drift(void)
{
    /* Traffic growth (+30%), an SDK patch bump, a new operation from the known IP. */
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    gint64 t = T0 + 10 * DAY;
    for (gint64 h = 0; h < 48; h++) {
        for (int i = 0; i < 13; i++)
            feed(&f, t + h * HOUR + i * (HOUR / 13), "AKIASERVICE", IP_A, service_ops[i % 3],
                 "aws-cli/2.15.1 Python/3.11.6 Linux/6.1", KT_OUTCOME_OK, 2100);
    }
    feed(&f, t + 50 * HOUR, "AKIASERVICE", IP_A, "sqs:DeleteMessage", UA_CLI, KT_OUTCOME_OK, 10);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_VOLUME_SPIKE), ==, 0);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_USER_AGENT), ==, 0);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_OP), ==, 1);
    g_assert_cmpint(max_incident_score(r), <, 40);
    fx_clear(&f);
}

/* --- attacks ---------------------------------------------------------------------- */

static void
test_new_network(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    /* low and slow: one call at a usual hour with the usual agent and operation */
    feed(&f, T0 + 10 * DAY + 10 * HOUR, "AKIASERVICE", IP_EVIL, "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 2000);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 1);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_IP), ==, 0);
    const KtAnomaly *a = get_kind(r, KT_DET_NEW_NETWORK);
    g_assert_nonnull(strstr(a->message, IP_EVIL));
    g_assert_nonnull(strstr(a->message, "198.51.100.0/24"));
    g_assert_nonnull(strstr(a->baseline, "198.51.100.0/24"));
    g_assert_cmpuint(r->incidents->len, ==, 1);
    const KtIncident *inc = g_ptr_array_index(r->incidents, 0);
    g_assert_cmpint(inc->severity, ==, KT_SEV_MEDIUM);
    g_assert_cmpstr(inc->network, ==, "203.0.113.0/24");
    g_assert_cmpuint(a->incident, ==, inc->id);
    fx_clear(&f);
}

static void
test_same_16(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    feed(&f, T0 + 10 * DAY + 3 * HOUR, "AKIASERVICE", "198.51.7.9", "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 2000);
    const KtResults *r = kt_engine_results(f.e);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 1);
    g_assert_cmpint(max_incident_score(r), >=, 40);
    fx_clear(&f);
}

/* A sparse key whose six learned calls each came from a different /24 (a client on
 * ever-changing addresses, too few values to count as churn): one more new network is expected, weak and low. The same
 * number of calls from one network makes the new network medium. */
static void
test_new_network_expected(void)
{
    for (int stable = 0; stable <= 1; stable++) {
        Fx f;
        KtEngineConfig cfg;
        kt_engine_config_init(&cfg);
        cfg.leak_time_ms = T0 + 12 * DAY;
        fx_init(&f, &cfg);
        for (int d = 0; d < 6; d++) {
            char ip[32];
            g_snprintf(ip, sizeof(ip), "100.%d.%d.9", 64 + d % 3, stable ? 7 : 10 + d);
            if (stable)
                g_strlcpy(ip, IP_A, sizeof(ip));
            feed(&f, T0 + d * DAY + 10 * HOUR, "AKIASPARSE", ip, "s3:GetObject", UA_CLI,
                 KT_OUTCOME_OK, 2000);
        }
        feed(&f, T0 + 12 * DAY + 11 * HOUR, "AKIASPARSE", IP_EVIL, "s3:GetObject", UA_CLI,
             KT_OUTCOME_OK, 2000);
        const KtResults *r = kt_engine_results(f.e);
        g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 1);
        const KtAnomaly *a = get_kind(r, KT_DET_NEW_NETWORK);
        g_assert_cmpuint(r->incidents->len, ==, 1);
        const KtIncident *inc = g_ptr_array_index(r->incidents, 0);
        if (stable) {
            g_assert_cmpint(a->score, ==, 45);
            g_assert_cmpint(inc->severity, ==, KT_SEV_MEDIUM);
        } else {
            g_assert_cmpint(a->score, ==, 25);
            g_assert_nonnull(strstr(a->message, "as expected for this key"));
            g_assert_cmpint(inc->severity, <, KT_SEV_MEDIUM);
        }
        fx_clear(&f);
    }
}

static const char *const recon_ops[] = { "sts:GetCallerIdentity", "iam:ListUsers",
                                         "s3:ListBuckets", "iam:ListRoles",
                                         "ec2:DescribeInstances", "iam:GetAccountSummary" };

static void
test_recon_burst(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    gint64 t = T0 + 10 * DAY + 14 * HOUR + 5 * MIN_MS;
    for (int i = 0; i < 30; i++)
        feed(&f, t + i * 15000, "AKIASERVICE", IP_EVIL, recon_ops[i % 6],
             "python-requests/2.31.0", i < 5 ? KT_OUTCOME_OK : KT_OUTCOME_DENIED, 300);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_ERROR_BURST), ==, 1);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 1);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_OP), ==, 6);
    g_assert_cmpuint(r->incidents->len, ==, 1);
    const KtIncident *inc = g_ptr_array_index(r->incidents, 0);
    g_assert_cmpint(inc->severity, >=, KT_SEV_HIGH);
    g_assert_cmpuint(inc->events, ==, 30);
    g_assert_cmpuint(inc->denied, ==, 25);
    g_assert_cmpuint(inc->ops->len, ==, 6);
    g_assert_cmpuint(g_array_index(inc->ops, KtCount, 0).count, ==, 5);
    g_assert_cmpuint(inc->uas->len, ==, 1);
    g_assert_true(inc->reasons & (1u << KT_DET_ERROR_BURST));
    const KtKeySummary *k = g_ptr_array_index(r->keys, 0);
    g_assert_cmpint(k->risk, ==, inc->score);
    g_assert_cmpint(k->severity, >=, KT_SEV_HIGH);
    fx_clear(&f);
}

static void
test_error_burst_noisy_key(void)
{
    /* A key that is denied 40% of the time does not alert on 15 denials in 30 calls. */
    Fx f;
    fx_init(&f, NULL);
    for (gint64 h = 0; h < 10 * 24; h++) {
        for (int i = 0; i < 10; i++)
            feed(&f, T0 + h * HOUR + i * 6 * MIN_MS, "AKIANOISY", IP_A, "s3:GetObject", UA_CLI,
                 i < 4 ? KT_OUTCOME_DENIED : KT_OUTCOME_OK, 100);
    }
    gint64 t = T0 + 10 * DAY + 5 * HOUR;
    for (int i = 0; i < 30; i++)
        feed(&f, t + i * MIN_MS, "AKIANOISY", IP_A, "s3:GetObject", UA_CLI,
             i % 2 ? KT_OUTCOME_DENIED : KT_OUTCOME_OK, 100);
    const KtResults *r = kt_engine_results(f.e);
    g_assert_cmpuint(count_kind(r, KT_DET_ERROR_BURST), ==, 0);
    fx_clear(&f);
}

static void
test_off_hours(void)
{
    Fx f;
    fx_init(&f, NULL);
    office_history(&f, "AKIAHUMAN", IP_A, T0, 21);
    /* Within an hour of the usual start (a DST change): not off hours. */
    feed(&f, T0 + 22 * DAY + 8 * HOUR + 30 * MIN_MS, "AKIAHUMAN", IP_A, "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 1500);
    g_assert_cmpuint(count_kind(kt_engine_results(f.e), KT_DET_OFF_HOURS), ==, 0);
    /* Sunday 03:00 */
    feed(&f, T0 + 27 * DAY + 3 * HOUR, "AKIAHUMAN", IP_A, "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 1500);
    feed(&f, T0 + 27 * DAY + 3 * HOUR + MIN_MS, "AKIAHUMAN", IP_A, "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 1500);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_OFF_HOURS), ==, 1);
    const KtAnomaly *a = get_kind(r, KT_DET_OFF_HOURS);
    g_assert_nonnull(strstr(a->message, "Sun"));
    g_assert_cmpint(max_incident_score(r), >=, 40);
    fx_clear(&f);

    /* A key used around the clock has no off hours. */
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 4);
    feed(&f, T0 + 13 * DAY + 3 * HOUR + 7 * MIN_MS, "AKIASERVICE", IP_A, "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 2000);
    g_assert_cmpuint(count_kind(kt_engine_results(f.e), KT_DET_OFF_HOURS), ==, 0);
    fx_clear(&f);
}

/* Office hours in Europe/Berlin across the DST change of 2024-03-31: the profile is
 * kept in local time, so the same local hours after the change are usual. */
static void
test_off_hours_tz(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(KtTimeParser) tp = kt_time_parser_new("Europe/Berlin", &err);
    g_assert_no_error(err);
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    Fx f;
    f.dict = kt_dict_new();
    f.e = kt_engine_new(&cfg, f.dict, tp);
    f.specs = g_array_new(FALSE, FALSE, sizeof(Spec));
    const gint64 mar4 = T0 + 63 * DAY; /* Monday 2024-03-04 00:00 UTC */
    for (int d = 0; d < 35; d++) {
        if (d % 7 >= 5)
            continue;
        gint64 day = mar4 + d * DAY;
        gint64 off = day >= T0 + 90 * DAY ? 2 * HOUR : HOUR; /* CEST from 2024-03-31 */
        for (int h = 9; h < 17; h++) {
            for (int i = 0; i < 6; i++)
                feed(&f, day + h * HOUR - off + i * 10 * MIN_MS, "AKIABERLIN", IP_A,
                     service_ops[i % 2], UA_CLI, KT_OUTCOME_OK, 100);
        }
    }
    g_assert_cmpuint(kt_engine_results(f.e)->anomalies->len, ==, 0);
    /* Sunday 2024-04-07 03:00 CEST = 01:00 UTC */
    feed(&f, T0 + 97 * DAY + HOUR, "AKIABERLIN", IP_A, "s3:GetObject", UA_CLI, KT_OUTCOME_OK,
         100);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_OFF_HOURS), ==, 1);
    g_assert_nonnull(strstr(get_kind(r, KT_DET_OFF_HOURS)->message, "03:00 +02:00"));
    fx_clear(&f);
}

static void
test_volume_spike(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    gint64 t = T0 + 10 * DAY + 10 * HOUR;
    for (int i = 0; i < 200; i++)
        feed(&f, t + i * 15000, "AKIASERVICE", IP_A, "s3:GetObject", UA_CLI, KT_OUTCOME_OK,
             2000);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_VOLUME_SPIKE), >=, 1);
    const KtAnomaly *a = get_kind(r, KT_DET_VOLUME_SPIKE);
    g_assert_nonnull(strstr(a->message, "200 calls"));
    g_assert_nonnull(strstr(a->message, "p99 10"));
    g_assert_cmpint(max_incident_score(r), >=, 40);
    fx_clear(&f);
}

static void
test_volume_seasonal(void)
{
    /* Busy weekdays, quiet weekends: Monday morning is not a spike. */
    Fx f;
    fx_init(&f, NULL);
    for (int d = 0; d < 14; d++) {
        gboolean weekend = d % 7 >= 5;
        for (int h = 0; h < 24; h++) {
            int n = weekend ? 2 : (h >= 9 && h < 17 ? 120 : 5);
            for (int i = 0; i < n; i++)
                feed(&f, T0 + d * DAY + h * HOUR + i * (HOUR / n), "AKIASEASON", IP_A,
                     service_ops[i % 3], UA_CLI, KT_OUTCOME_OK, 2000);
        }
    }
    for (int h = 0; h < 12; h++) {
        for (int i = 0; i < (h >= 9 ? 125 : 5); i++)
            feed(&f, T0 + 14 * DAY + h * HOUR + i * 20000, "AKIASEASON", IP_A,
                 service_ops[i % 3], UA_CLI, KT_OUTCOME_OK, 2000);
    }
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_VOLUME_SPIKE), ==, 0);
    fx_clear(&f);
}

static void
test_dormant(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIARARE", IP_A, T0, 2, 2);
    feed(&f, T0 + 45 * DAY, "AKIARARE", IP_A, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 2000);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_DORMANT_KEY), ==, 1);
    g_assert_cmpuint(r->anomalies->len, ==, 1); /* the baseline is not forgotten */
    const KtAnomaly *a = get_kind(r, KT_DET_DORMANT_KEY);
    g_assert_nonnull(strstr(a->message, "43 days"));
    g_assert_cmpint(max_incident_score(r), >=, 40);
    fx_clear(&f);
}

/* A monthly job: its learned history already holds 31-day idle spells, so a 31-day gap
 * after learning is its rhythm; a 100-day gap is not. */
static void
test_dormant_rhythm(void)
{
    for (int long_gap = 0; long_gap <= 1; long_gap++) {
        Fx f;
        KtEngineConfig cfg;
        kt_engine_config_init(&cfg);
        cfg.learn_ms = 70 * DAY;
        fx_init(&f, &cfg);
        for (int m = 0; m < 3; m++)
            feed(&f, T0 + m * 31 * DAY + 2 * HOUR, "AKIAMONTHLY", IP_A, "s3:GetObject", UA_CLI,
                 KT_OUTCOME_OK, 2000);
        gint64 next = T0 + (long_gap ? 162 : 93) * DAY + 2 * HOUR;
        feed(&f, next, "AKIAMONTHLY", IP_A, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 2000);
        const KtResults *r = kt_engine_results(f.e);
        guint want = long_gap ? 1 : 0;
        g_assert_cmpuint(count_kind(r, KT_DET_DORMANT_KEY), ==, want);
        fx_clear(&f);
    }
}

static void
test_concurrent(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    gint64 t = T0 + 10 * DAY + 10 * HOUR;
    feed(&f, t, "AKIASERVICE", IP_A, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 2000);
    feed(&f, t + 30000, "AKIASERVICE", IP_EVIL, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 2000);
    feed(&f, t + 60000, "AKIASERVICE", IP_A, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 2000);
    feed(&f, t + 90000, "AKIASERVICE", IP_EVIL, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 2000);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_CONCURRENT_USE), ==, 1);
    const KtAnomaly *a = get_kind(r, KT_DET_CONCURRENT_USE);
    g_assert_cmpstr(kt_dict_str(f.dict, KT_SPACE_SOURCE, a->source), ==, IP_EVIL);
    g_assert_cmpuint(r->incidents->len, ==, 1);
    fx_clear(&f);
}

static void
test_known_bad(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    cfg.bad_cidrs = g_array_new(FALSE, FALSE, sizeof(KtCidr));
    KtCidr c;
    g_assert_true(kt_cidr_parse("185.220.101.0/24", &c));
    g_array_append_val(cfg.bad_cidrs, c);
    Fx f;
    fx_init(&f, &cfg);
    g_array_free(cfg.bad_cidrs, TRUE); /* copied by the engine */
    /* Even while learning: a secret scanner validating the key. */
    service_history(&f, "AKIASERVICE", IP_A, T0, 1, 10);
    feed(&f, T0 + 2 * HOUR + 1, "AKIASERVICE", "192.0.2.50", "sts:GetCallerIdentity",
         "TruffleHog", KT_OUTCOME_OK, 100);
    feed(&f, T0 + 2 * HOUR + 2, "AKIASERVICE", "192.0.2.50", "sts:GetCallerIdentity",
         "TruffleHog", KT_OUTCOME_OK, 100);
    feed(&f, T0 + 3 * HOUR + 1, "AKIASERVICE", "185.220.101.5", "s3:ListBuckets", UA_CLI,
         KT_OUTCOME_OK, 100);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_KNOWN_BAD), ==, 2);
    g_assert_cmpuint(r->anomalies->len, ==, 2); /* learning: nothing else */
    const KtAnomaly *a = get_kind(r, KT_DET_KNOWN_BAD);
    g_assert_cmpint(a->severity, ==, KT_SEV_CRITICAL);
    g_assert_nonnull(strstr(a->message, "trufflehog"));
    g_assert_cmpuint(r->incidents->len, ==, 2);
    fx_clear(&f);
}

/* Hostile values: a 64 KiB user agent and operation are quoted clipped, not whole. */
static void
test_long_values(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 2);
    GString *ua = g_string_new("TruffleHog/3 ");
    GString *op = g_string_new("GET /");
    for (int i = 0; i < 65536; i++) {
        g_string_append_c(ua, 'a' + i % 26);
        g_string_append(op, i % 3 ? "x" : "\xc3\xa9"); /* multi-byte characters */
    }
    feed(&f, T0 + 10 * DAY + HOUR, "AKIASERVICE", IP_EVIL, op->str, ua->str, KT_OUTCOME_OK, 10);
    const KtResults *r = kt_engine_results(f.e);
    g_assert_cmpuint(count_kind(r, KT_DET_KNOWN_BAD), ==, 1);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_OP), ==, 1);
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        g_assert_cmpuint(strlen(a->message), <, 1200);
        g_assert_cmpuint(strlen(a->observed), <, 400);
        g_assert_true(g_utf8_validate(a->message, -1, NULL));
    }
    g_string_free(ua, TRUE);
    g_string_free(op, TRUE);
    fx_clear(&f);
}

static void
test_allow(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    cfg.allow_cidrs = g_array_new(FALSE, FALSE, sizeof(KtCidr));
    KtCidr c;
    g_assert_true(kt_cidr_parse("203.0.113.0/24", &c));
    g_array_append_val(cfg.allow_cidrs, c);
    cfg.allow_uas = g_ptr_array_new();
    g_ptr_array_add(cfg.allow_uas, (gpointer) "internal-scanner");
    Fx f;
    fx_init(&f, &cfg);
    g_array_free(cfg.allow_cidrs, TRUE);
    g_ptr_array_free(cfg.allow_uas, TRUE);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    feed(&f, T0 + 10 * DAY + HOUR, "AKIASERVICE", IP_EVIL, "iam:CreateUser", UA_CLI,
         KT_OUTCOME_OK, 100);
    feed(&f, T0 + 10 * DAY + 2 * HOUR, "AKIASERVICE", "192.0.2.1", "s3:GetObject",
         "Internal-Scanner/1.0", KT_OUTCOME_OK, 100);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(r->anomalies->len, ==, 0);
    fx_clear(&f);
}

static void
test_revoked(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    KtRevoked rv = { (char *)"AKIAREVOKED", T0 + 5 * DAY };
    cfg.revoked = g_ptr_array_new();
    g_ptr_array_add(cfg.revoked, &rv);
    Fx f;
    fx_init(&f, &cfg);
    g_ptr_array_free(cfg.revoked, TRUE);
    service_history(&f, "AKIAREVOKED", IP_A, T0, 5, 2);
    g_assert_cmpuint(kt_engine_results(f.e)->anomalies->len, ==, 0);
    feed(&f, T0 + 5 * DAY + HOUR, "AKIAREVOKED", IP_A, "s3:GetObject", UA_CLI, KT_OUTCOME_OK,
         100);
    feed(&f, T0 + 5 * DAY + HOUR + 1000, "AKIAREVOKED", IP_A, "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 100);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_REVOKED_KEY), ==, 1);
    g_assert_cmpint(get_kind(r, KT_DET_REVOKED_KEY)->severity, ==, KT_SEV_CRITICAL);
    const KtIncident *inc = g_ptr_array_index(r->incidents, 0);
    g_assert_cmpint(inc->severity, ==, KT_SEV_CRITICAL);
    g_assert_cmpuint(inc->events, ==, 2);
    fx_clear(&f);
}

static void
test_new_user_agent(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    gint64 t = T0 + 10 * DAY + 10 * HOUR;
    feed(&f, t, "AKIASERVICE", IP_A, "s3:GetObject", "aws-cli/2.15.0 Python/3.11.6", KT_OUTCOME_OK,
         2000);
    g_assert_cmpuint(kt_engine_results(f.e)->anomalies->len, ==, 0);
    feed(&f, t + HOUR, "AKIASERVICE", IP_A, "s3:GetObject", "python-requests/2.31.0",
         KT_OUTCOME_OK, 2000);
    feed(&f, t + HOUR + 1000, "AKIASERVICE", IP_A, "s3:GetObject", "python-requests/2.28.0",
         KT_OUTCOME_OK, 2000);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_USER_AGENT), ==, 1);
    g_assert_nonnull(strstr(get_kind(r, KT_DET_NEW_USER_AGENT)->message, "python-requests/2"));
    g_assert_cmpint(max_incident_score(r), <, 40);
    fx_clear(&f);
}

static void
test_new_op(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    gint64 t = T0 + 10 * DAY + 10 * HOUR;
    /* from the known IP: drift, low at most */
    feed(&f, t, "AKIASERVICE", IP_A, "iam:CreateUser", UA_CLI, KT_OUTCOME_OK, 100);
    const KtResults *r = kt_engine_results(f.e);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_OP), ==, 1);
    g_assert_cmpint(max_incident_score(r), <, 40);
    g_assert_nonnull(strstr(get_kind(r, KT_DET_NEW_OP)->message, "privilege"));
    /* privilege operations from a new network */
    feed(&f, t + 2 * HOUR, "AKIASERVICE", IP_EVIL, "iam:CreateAccessKey", UA_CLI, KT_OUTCOME_OK,
         100);
    feed(&f, t + 2 * HOUR + 1000, "AKIASERVICE", IP_EVIL, "iam:AttachUserPolicy", UA_CLI,
         KT_OUTCOME_OK, 100);
    r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(r->incidents->len, ==, 2);
    g_assert_cmpint(max_incident_score(r), >=, 60);
    fx_clear(&f);
}

/* --- learning modes --------------------------------------------------------------- */

static void
test_leak_time(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    cfg.leak_time_ms = T0 + 10 * DAY;
    Fx f;
    fx_init(&f, &cfg);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    /* a key with one day of history is judged from the leak time on */
    service_history(&f, "AKIASHORT", IP_A, T0 + 9 * DAY, 1, 2);
    gint64 t = T0 + 10 * DAY + HOUR;
    for (int i = 0; i < 3; i++) {
        feed(&f, t + i * HOUR, "AKIASERVICE", IP_EVIL, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 10);
        feed(&f, t + i * HOUR, "AKIASHORT", IP_EVIL, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 10);
    }
    /* a key first seen after the leak time has no baseline */
    feed(&f, t, "AKIANEW", IP_EVIL, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 10);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 2); /* once per key */
    g_assert_cmpuint(r->anomalies->len, ==, 2);
    fx_clear(&f);

    /* Online mode: the short key is still learning, and new values are learned. */
    fx_init(&f, NULL);
    service_history(&f, "AKIASHORT", IP_A, T0 + 9 * DAY, 1, 2);
    feed(&f, t, "AKIASHORT", IP_EVIL, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 10);
    g_assert_cmpuint(kt_engine_results(f.e)->anomalies->len, ==, 0);
    fx_clear(&f);
}

static void
test_forget(void)
{
    for (int pass = 0; pass < 2; pass++) {
        KtEngineConfig cfg;
        kt_engine_config_init(&cfg);
        cfg.forget_ms = pass == 0 ? 30 * DAY : 90 * DAY;
        Fx f;
        fx_init(&f, &cfg);
        for (int d = 0; d < 45; d++) {
            for (int h = 0; h < 24; h += 2)
                feed(&f, T0 + d * DAY + h * HOUR, "AKIASERVICE", IP_A, "s3:GetObject", UA_CLI,
                     KT_OUTCOME_OK, 100);
            if (d == 2)
                feed(&f, T0 + d * DAY + 5 * HOUR + 1, "AKIASERVICE", "192.0.2.44",
                     "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 100);
        }
        feed(&f, T0 + 45 * DAY + 5 * HOUR, "AKIASERVICE", "192.0.2.44", "s3:GetObject", UA_CLI,
             KT_OUTCOME_OK, 100);
        const KtResults *r = kt_engine_results(f.e);
        g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, pass == 0 ? 1 : 0);
        fx_clear(&f);
    }
}

static void
test_caps_churn(void)
{
    /* A CI key on ephemeral IPs spread over four /16s: thousands of IPs, judged by range. */
    Fx f;
    fx_init(&f, NULL);
    GStringChunk *strs = g_string_chunk_new(4096); /* owns the generated addresses */
    guint k = 0;
    for (gint64 h = 0; h < 12 * 24; h++) {
        for (int i = 0; i < 20; i++, k++) {
            char ip[32];
            g_snprintf(ip, sizeof(ip), "10.%u.%u.%u", k % 4, (k / 4) % 256, 1 + (k * 7) % 250);
            Spec s = { T0 + h * HOUR + i * MIN_MS, "AKIACI", g_string_chunk_insert_const(strs, ip),
                       "s3:PutObject",
                       UA_CLI, KT_OUTCOME_OK, 100, NULL, FALSE };
            feed_spec(&f, &s);
        }
    }
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_IP), ==, 0);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 0);
    guint32 key = kt_dict_lookup(f.dict, KT_SPACE_KEY, kt_sv("AKIACI"));
    g_autoptr(KtKeyDetail) d = kt_engine_key_detail(f.e, key, FALSE);
    g_assert_nonnull(d);
    g_assert_cmpuint(d->ips->len, <=, 1024);
    g_assert_cmpuint(d->networks->len, <=, 256);
    /* its consumers are listed by range */
    const KtKeySummary *ks = g_ptr_array_index(kt_engine_results(f.e)->keys, 0);
    g_assert_cmpuint(ks->consumers->len, ==, 4);
    const KtConsumer *c0 = g_ptr_array_index(ks->consumers, 0);
    g_assert_true(g_str_has_suffix(c0->network, "/16"));
    /* A new range outside the known /16s is still found. */
    feed(&f, T0 + 12 * DAY + HOUR, "AKIACI", "172.16.5.5", "s3:PutObject", UA_CLI, KT_OUTCOME_OK,
         100);
    r = kt_engine_results(f.e);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 1);
    g_assert_nonnull(strstr(get_kind(r, KT_DET_NEW_NETWORK)->message, "172.16.0.0/16"));
    fx_clear(&f);
    g_string_chunk_free(strs);
}

/* After the leak time, a flood of 3000 new IPs cannot evict the baseline. */
static void
test_caps_flood(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    cfg.leak_time_ms = T0 + 10 * DAY;
    Fx f;
    fx_init(&f, &cfg);
    GStringChunk *strs = g_string_chunk_new(4096);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 2);
    for (int i = 0; i < 3000; i++) {
        char ip[32];
        g_snprintf(ip, sizeof(ip), "100.%d.%d.%d", 64 + i / 65536, (i / 256) % 256, i % 256);
        Spec s = { T0 + 10 * DAY + i * 1000, "AKIASERVICE", g_string_chunk_insert_const(strs, ip),
                   "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 10, NULL, FALSE };
        feed_spec(&f, &s);
    }
    feed(&f, T0 + 11 * DAY, "AKIASERVICE", IP_A, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 10);
    feed(&f, T0 + 11 * DAY + 1000, "AKIASERVICE", "198.18.0.1", "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 10);
    const KtResults *r = kt_engine_results(f.e);
    guint32 key = kt_dict_lookup(f.dict, KT_SPACE_KEY, kt_sv("AKIASERVICE"));
    g_autoptr(KtKeyDetail) d = kt_engine_key_detail(f.e, key, FALSE);
    g_assert_cmpuint(d->ips->len, <=, 1024);
    guint32 ip_a = kt_dict_lookup(f.dict, KT_SPACE_SOURCE, kt_sv(IP_A));
    gboolean kept = FALSE;
    for (guint i = 0; i < d->ips->len; i++) {
        const KtValueStat *v = g_ptr_array_index(d->ips, i);
        kept = kept || (v->id == ip_a && !v->is_new);
    }
    g_assert_true(kept);
    /* the known IP is still known; a later new network still alerts */
    const KtAnomaly *last = g_ptr_array_index(r->anomalies, r->anomalies->len - 1);
    g_assert_cmpint(last->kind, ==, KT_DET_NEW_NETWORK);
    g_assert_cmpstr(kt_dict_str(f.dict, KT_SPACE_SOURCE, last->source), ==, "198.18.0.1");
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        g_assert_cmpstr(kt_dict_str(f.dict, KT_SPACE_SOURCE, a->source), !=, IP_A);
    }
    fx_clear(&f);
    g_string_chunk_free(strs);
}

static void
test_entity_modes(void)
{
    for (int mode = 0; mode < 3; mode++) {
        KtEngineConfig cfg;
        kt_engine_config_init(&cfg);
        cfg.entity = (KtEntityMode)mode;
        Fx f;
        fx_init(&f, &cfg);
        GStringChunk *strs = g_string_chunk_new(4096);
        /* hourly rotating session keys of one role, 10 days, from one instance */
        for (gint64 h = 0; h < 240; h++) {
            char key[32];
            g_snprintf(key, sizeof(key), "ASIA%04d", (int)h);
            Spec s = { T0 + h * HOUR, g_string_chunk_insert_const(strs, key), IP_A, "s3:GetObject", UA_CLI,
                       KT_OUTCOME_OK, 100, "arn:aws:iam::1:role/app", TRUE };
            feed_spec(&f, &s);
        }
        Spec evil = { T0 + 240 * HOUR + 10, "ASIA0239", IP_EVIL, "s3:GetObject", UA_CLI,
                      KT_OUTCOME_OK, 100, "arn:aws:iam::1:role/app", TRUE };
        feed_spec(&f, &evil);
        const KtResults *r = kt_engine_results(f.e);
        if (mode == KT_ENTITY_KEY) {
            g_assert_cmpuint(r->keys->len, ==, 240);
            g_assert_cmpuint(r->anomalies->len, ==, 0); /* each session key is still learning */
        } else {
            g_assert_cmpuint(r->keys->len, ==, 1);
            g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 1);
            const KtAnomaly *a = get_kind(r, KT_DET_NEW_NETWORK);
            g_assert_true(a->entity_is_principal);
            g_assert_cmpstr(kt_dict_str(f.dict, KT_SPACE_KEY, a->key), ==, "ASIA0239");
            g_assert_cmpstr(kt_dict_str(f.dict, KT_SPACE_PRINCIPAL, a->entity), ==,
                            "arn:aws:iam::1:role/app");
        }
        fx_clear(&f);
        g_string_chunk_free(strs);
    }
}

/* --- incidents, consumers, detail ------------------------------------------------- */

static void
test_incident_accounting(void)
{
    Fx f;
    fx_init(&f, NULL);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    gint64 t = T0 + 10 * DAY + 10 * HOUR;
    feed(&f, t, "AKIASERVICE", IP_EVIL, "s3:GetObject", UA_CLI, KT_OUTCOME_OK, 1000);
    for (int i = 1; i <= 5; i++)
        feed(&f, t + i * 5 * MIN_MS, "AKIASERVICE", IP_EVIL, "s3:GetObject", UA_CLI,
             KT_OUTCOME_OK, 1000);
    /* after more than 30 minutes of quiet, a new incident */
    feed(&f, t + 2 * HOUR, "AKIASERVICE", IP_EVIL, "s3:ListBuckets", UA_CLI, KT_OUTCOME_OK, 10);
    const KtResults *r = kt_engine_results(f.e);
    dump(&f, r);
    g_assert_cmpuint(r->incidents->len, ==, 2);
    const KtIncident *inc = g_ptr_array_index(r->incidents, 0);
    g_assert_cmpuint(inc->id, ==, 1);
    g_assert_cmpuint(inc->events, ==, 6);
    g_assert_cmpint(inc->bytes, ==, 6000);
    g_assert_cmpint(inc->last_ms, ==, t + 25 * MIN_MS);
    g_assert_false(inc->open);
    const KtIncident *inc2 = g_ptr_array_index(r->incidents, 1);
    g_assert_true(inc2->open);
    g_assert_true(inc2->reasons & (1u << KT_DET_NEW_OP));
    /* consumers: the learned network, its agent family and top operations */
    const KtKeySummary *k = g_ptr_array_index(r->keys, 0);
    g_assert_cmpuint(k->incidents, ==, 2);
    g_assert_cmpuint(k->consumers->len, ==, 1);
    const KtConsumer *c = g_ptr_array_index(k->consumers, 0);
    g_assert_cmpstr(c->network, ==, "198.51.100.0/24");
    g_assert_cmpstr(c->ua_family, ==, "aws-cli/2");
    g_assert_cmpuint(c->events, ==, 2400);
    g_assert_cmpuint(c->ops->len, >=, 1);
    g_assert_cmpuint(k->distinct_ips, ==, 2);
    /* detail */
    g_autoptr(KtKeyDetail) d = kt_engine_key_detail(f.e, k->entity, FALSE);
    g_assert_cmpuint(d->ips->len, ==, 2);
    const KtValueStat *top = g_ptr_array_index(d->ips, 0);
    g_assert_cmpuint(top->count, ==, 2400);
    g_assert_false(top->is_new);
    g_assert_true(((const KtValueStat *)g_ptr_array_index(d->ips, 1))->is_new);
    g_assert_cmpuint(d->networks->len, ==, 2);
    guint64 total = 0, tl = 0;
    for (int i = 0; i < 168; i++)
        total += d->hour_of_week[i];
    for (guint i = 0; i < d->timeline->len; i++)
        tl += g_array_index(d->timeline, guint64, i);
    g_assert_cmpuint(total, ==, k->events);
    g_assert_cmpuint(tl, ==, k->events);
    g_assert_cmpint(d->timeline_bucket_ms, >=, HOUR);
    g_assert_null(kt_engine_key_detail(f.e, 9999, FALSE));
    fx_clear(&f);
}

/* --- determinism and persistence -------------------------------------------------- */

/* A mixed scenario: benign history for three keys, then attacks and drift. */
static void
scenario(GArray *out)
{
    static const char *const keys[] = { "AKIAONE", "AKIATWO", "AKIATHREE" };
    static const char *const ips[] = { "198.51.100.10", "198.51.100.20", "10.1.2.3" };
    for (gint64 h = 0; h < 12 * 24; h++) {
        for (int k = 0; k < 3; k++) {
            for (int i = 0; i < 4; i++) {
                Spec s = { T0 + h * HOUR + i * 15 * MIN_MS, keys[k], ips[k], service_ops[i % 3],
                           UA_CLI, KT_OUTCOME_OK, 1000, NULL, FALSE };
                g_array_append_val(out, s);
            }
        }
    }
    gint64 t = T0 + 12 * DAY + 3 * HOUR;
    for (int i = 0; i < 40; i++) {
        Spec s = { t + i * 20000, keys[i % 2], IP_EVIL, recon_ops[i % 6], "python-requests/2.31",
                   i % 3 ? KT_OUTCOME_DENIED : KT_OUTCOME_OK, 100, NULL, FALSE };
        g_array_append_val(out, s);
    }
    for (int i = 0; i < 30; i++) {
        Spec s = { t + HOUR + i * 60000, "AKIATHREE", "10.1.2.99", "s3:GetObject",
                   "TruffleHog", KT_OUTCOME_OK, 100, NULL, FALSE };
        g_array_append_val(out, s);
    }
    for (gint64 h = 0; h < 48; h++) {
        Spec s = { t + 2 * HOUR + h * HOUR, "AKIAONE", ips[0], "sqs:PurgeQueue", UA_CLI,
                   KT_OUTCOME_OK, 10, NULL, FALSE };
        g_array_append_val(out, s);
    }
}

/* One line per anomaly, by id, with strings (not ids). */
static char *
anomaly_lines(const KtDict *dict, const KtResults *r, gboolean texts)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        g_string_append_printf(s, "%" G_GINT64_FORMAT " %s %s %s %d %s\n", a->time_ms,
                               kt_detector_name(a->kind),
                               kt_dict_str(dict, KT_SPACE_KEY, a->entity),
                               kt_dict_str(dict, KT_SPACE_SOURCE, a->source), a->score,
                               texts && a->kind != KT_DET_VOLUME_SPIKE ? a->message : "");
    }
    return g_string_free(s, FALSE);
}

static char *
incident_lines(const KtDict *dict, const KtResults *r)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < r->incidents->len; i++) {
        const KtIncident *inc = g_ptr_array_index(r->incidents, i);
        g_string_append_printf(s, "%" G_GUINT64_FORMAT " %s %s %d %" G_GUINT64_FORMAT " %u\n",
                               inc->id, kt_dict_str(dict, KT_SPACE_KEY, inc->entity),
                               kt_dict_str(dict, KT_SPACE_SOURCE, inc->source), inc->score,
                               inc->events, inc->anomalies->len);
    }
    return g_string_free(s, FALSE);
}

static void
test_determinism(void)
{
    g_autoptr(GArray) specs = g_array_new(FALSE, FALSE, sizeof(Spec));
    scenario(specs);
    /* Second order: records with equal timestamps reversed, and different dict ids
     * (keys interned in reverse order first). */
    g_autoptr(GArray) rev = g_array_new(FALSE, FALSE, sizeof(Spec));
    for (guint i = 0; i < specs->len;) {
        guint j = i;
        while (j < specs->len &&
               g_array_index(specs, Spec, j).ms == g_array_index(specs, Spec, i).ms)
            j++;
        for (guint k = j; k > i; k--)
            g_array_append_val(rev, g_array_index(specs, Spec, k - 1));
        i = j;
    }
    Fx a, b;
    fx_init(&a, NULL);
    fx_init(&b, NULL);
    kt_dict_intern(b.dict, KT_SPACE_KEY, kt_sv("AKIATHREE"));
    kt_dict_intern_source(b.dict, kt_sv(IP_EVIL), NULL);
    for (guint i = 0; i < specs->len; i++) {
        feed_spec(&a, &g_array_index(specs, Spec, i));
        feed_spec(&b, &g_array_index(rev, Spec, i));
    }
    const KtResults *ra = kt_engine_results(a.e), *rb = kt_engine_results(b.e);
    dump(&a, ra);
    g_assert_cmpuint(ra->anomalies->len, >=, 5);
    g_autofree char *la = anomaly_lines(a.dict, ra, TRUE);
    g_autofree char *lb = anomaly_lines(b.dict, rb, TRUE);
    g_assert_cmpstr(la, ==, lb);
    g_autofree char *ia = incident_lines(a.dict, ra);
    g_autofree char *ib = incident_lines(b.dict, rb);
    g_assert_cmpstr(ia, ==, ib);
    /* results are stable when asked again */
    g_autofree char *la2 = anomaly_lines(a.dict, kt_engine_results(a.e), TRUE);
    g_assert_cmpstr(la, ==, la2);
    fx_clear(&a);
    fx_clear(&b);
}

/* kt_engine_feed_batch() in blocks of varied sizes gives exactly the results of
 * kt_engine_feed() on each record (the prefetching it adds is only a hint). */
static void
test_feed_batch(void)
{
    g_autoptr(GArray) specs = g_array_new(FALSE, FALSE, sizeof(Spec));
    scenario(specs);
    Fx a, b;
    fx_init(&a, NULL);
    fx_init(&b, NULL);
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    for (guint i = 0; i < specs->len; i++) {
        feed_spec(&a, &g_array_index(specs, Spec, i));
        KtRecord r = make_rec(b.dict, &g_array_index(specs, Spec, i));
        g_array_append_val(recs, r);
    }
    static const guint sizes[] = { 1, 2, 3, 5, 8, 13, 0, 256 };
    for (guint i = 0, k = 0; i < recs->len; k++) {
        guint m = MIN(sizes[k % G_N_ELEMENTS(sizes)], recs->len - i);
        kt_engine_feed_batch(b.e, &g_array_index(recs, KtRecord, i), m);
        i += m;
    }
    const KtResults *ra = kt_engine_results(a.e), *rb = kt_engine_results(b.e);
    g_assert_cmpuint(ra->anomalies->len, >=, 5);
    g_autofree char *la = anomaly_lines(a.dict, ra, TRUE);
    g_autofree char *lb = anomaly_lines(b.dict, rb, TRUE);
    g_assert_cmpstr(la, ==, lb);
    g_autofree char *ia = incident_lines(a.dict, ra);
    g_autofree char *ib = incident_lines(b.dict, rb);
    g_assert_cmpstr(ia, ==, ib);
    g_array_free(recs, TRUE);
    fx_clear(&a);
    fx_clear(&b);
}

/* Feeds @specs in chunks, saving and loading into a fresh dict and engine between them;
 * returns the anomaly lines of all chunks together, sorted. */
static char *
chunked_run(const GArray *specs, const guint *cuts, guint ncuts)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    char *state = NULL;
    guint from = 0;
    for (guint c = 0; c <= ncuts; c++) {
        guint to = c < ncuts ? cuts[c] : specs->len;
        Fx f;
        fx_init(&f, NULL);
        if (state != NULL) {
            cJSON *j = cJSON_Parse(state);
            g_assert_nonnull(j);
            g_autoptr(GError) err = NULL;
            g_assert_true(kt_engine_load(f.e, j, &err));
            g_assert_no_error(err);
            cJSON_Delete(j);
            g_free(state);
        }
        for (guint i = from; i < to; i++)
            feed_spec(&f, &g_array_index(specs, Spec, i));
        g_autofree char *l = anomaly_lines(f.dict, kt_engine_results(f.e), TRUE);
        g_auto(GStrv) parts = g_strsplit(l, "\n", -1);
        for (int i = 0; parts[i] != NULL; i++) {
            if (parts[i][0] != '\0')
                g_ptr_array_add(lines, g_strdup(parts[i]));
        }
        cJSON *saved = kt_engine_save(f.e);
        state = cJSON_PrintUnformatted(saved);
        cJSON_Delete(saved);
        fx_clear(&f);
        from = to;
    }
    g_free(state);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(s, "%s\n", (char *)g_ptr_array_index(lines, i));
    return g_string_free(s, FALSE);
}

static void
test_save_load_equivalence(void)
{
    g_autoptr(GArray) specs = g_array_new(FALSE, FALSE, sizeof(Spec));
    scenario(specs);
    Fx f;
    fx_init(&f, NULL);
    for (guint i = 0; i < specs->len; i++)
        feed_spec(&f, &g_array_index(specs, Spec, i));
    g_autofree char *one = anomaly_lines(f.dict, kt_engine_results(f.e), TRUE);
    fx_clear(&f);
    /* cuts: in the learning period, mid-burst, and inside the TruffleHog hour */
    guint n = specs->len;
    guint cuts[] = { n / 5, n - 100, n - 70, n - 60, n - 20 };
    g_autofree char *chunked = chunked_run(specs, cuts, G_N_ELEMENTS(cuts));
    g_assert_cmpstr(one, ==, chunked);
}

/* save -> load into a fresh dict (other interning order) -> save gives the same text. */
static void
test_save_roundtrip(void)
{
    g_autoptr(GArray) specs = g_array_new(FALSE, FALSE, sizeof(Spec));
    scenario(specs);
    Fx a, b;
    fx_init(&a, NULL);
    for (guint i = 0; i < specs->len - 50; i++)
        feed_spec(&a, &g_array_index(specs, Spec, i));
    cJSON *sa = kt_engine_save(a.e);
    g_autofree char *ta = cJSON_PrintUnformatted(sa);
    fx_init(&b, NULL);
    kt_dict_intern(b.dict, KT_SPACE_OP, kt_sv("sqs:PurgeQueue"));
    kt_dict_intern_source(b.dict, kt_sv("10.1.2.99"), NULL);
    g_autoptr(GError) err = NULL;
    g_assert_true(kt_engine_load(b.e, sa, &err));
    g_assert_no_error(err);
    cJSON *sb = kt_engine_save(b.e);
    g_autofree char *tb = cJSON_PrintUnformatted(sb);
    g_assert_cmpstr(ta, ==, tb);
    g_assert_nonnull(strstr(ta, "\"version\":1"));
    /* loading twice into one engine is refused (the entities exist) */
    g_assert_false(kt_engine_load(b.e, sa, &err));
    g_assert_error(err, KT_ERROR, KT_ERROR_STATE_CORRUPT);
    cJSON_Delete(sa);
    cJSON_Delete(sb);
    fx_clear(&a);
    fx_clear(&b);
}

/* Appends (parent, child) pairs of every node under @n. */
static void
collect_nodes(cJSON *n, GPtrArray *out)
{
    for (cJSON *c = n->child; c != NULL; c = c->next) {
        g_ptr_array_add(out, n);
        g_ptr_array_add(out, c);
        if (c->child != NULL)
            collect_nodes(c, out);
    }
}

/* A tampered state never crashes the engine: each of many single-value mutations either
 * fails to load, or loads and then takes more records and gives results. */
static void
test_load_mutated(void)
{
    g_autoptr(GArray) specs = g_array_new(FALSE, FALSE, sizeof(Spec));
    scenario(specs);
    Fx a;
    fx_init(&a, NULL);
    for (guint i = 0; i < specs->len - 80; i++)
        feed_spec(&a, &g_array_index(specs, Spec, i));
    cJSON *saved = kt_engine_save(a.e);
    g_autofree char *text = cJSON_PrintUnformatted(saved);
    cJSON_Delete(saved);
    fx_clear(&a);
    static const char *const repl[] = { "-1", "1e300", "-1e300", "\"x\"", "null", "[]", "{}",
                                        "0", "1e15", "-1e15", "[1,2]", "true", "167", "\"\"" };
    GRand *rnd = g_rand_new_with_seed(7);
    guint loaded = 0;
    for (int round = 0; round < 300; round++) {
        cJSON *doc = cJSON_Parse(text);
        g_autoptr(GPtrArray) nodes = g_ptr_array_new();
        collect_nodes(doc, nodes);
        guint pick = 2 * (guint)g_rand_int_range(rnd, 0, (gint32)(nodes->len / 2));
        cJSON *by = cJSON_Parse(repl[g_rand_int_range(rnd, 0, G_N_ELEMENTS(repl))]);
        g_assert_true(cJSON_ReplaceItemViaPointer(g_ptr_array_index(nodes, pick),
                                                  g_ptr_array_index(nodes, pick + 1), by));
        Fx f;
        fx_init(&f, NULL);
        GError *err = NULL;
        if (kt_engine_load(f.e, doc, &err)) {
            loaded++;
            for (guint i = specs->len - 80; i < specs->len; i++)
                feed_spec(&f, &g_array_index(specs, Spec, i));
            kt_engine_results(f.e);
            cJSON *again = kt_engine_save(f.e);
            cJSON_Delete(again);
        } else {
            g_assert_error(err, KT_ERROR, KT_ERROR_STATE_CORRUPT);
            g_error_free(err);
        }
        fx_clear(&f);
        cJSON_Delete(doc);
    }
    g_rand_free(rnd);
    g_test_message("%u of 300 mutated states loaded", loaded);
}

static void
test_load_corrupt(void)
{
    static const char *const bad[] = {
        "[]", "{}", "{\"version\":2,\"entities\":[],\"incidents\":[]}",
        "{\"version\":1,\"entities\":[{\"entity\":5}],\"incidents\":[]}",
        ("{\"version\":1,\"entities\":[{\"entity\":\"A\",\"key\":\"A\",\"scalars\":[1]}],"
         "\"incidents\":[]}"),
        "{\"version\":1,\"entities\":[],\"incidents\":[{\"entity\":\"nobody\"}]}",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        Fx f;
        fx_init(&f, NULL);
        cJSON *j = cJSON_Parse(bad[i]);
        g_assert_nonnull(j);
        g_autoptr(GError) err = NULL;
        g_assert_false(kt_engine_load(f.e, j, &err));
        g_assert_error(err, KT_ERROR, KT_ERROR_STATE_CORRUPT);
        cJSON_Delete(j);
        fx_clear(&f);
    }
}

static void
test_names(void)
{
    KtDetectorKind k;
    g_assert_true(kt_detector_parse("volume_spike", &k));
    g_assert_cmpint(k, ==, KT_DET_VOLUME_SPIKE);
    g_assert_cmpstr(kt_detector_name(KT_DET_REVOKED_KEY), ==, "revoked_key");
    g_assert_false(kt_detector_parse("nope", &k));
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    g_assert_cmpuint(cfg.enabled, ==, (1u << KT_DET_COUNT) - 1);
    g_assert_cmpint(cfg.learn_ms, ==, 7 * DAY);
}

static void
test_disabled(void)
{
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    cfg.enabled &= ~(1u << KT_DET_NEW_NETWORK);
    Fx f;
    fx_init(&f, &cfg);
    service_history(&f, "AKIASERVICE", IP_A, T0, 10, 10);
    feed(&f, T0 + 10 * DAY + HOUR, "AKIASERVICE", IP_EVIL, "s3:GetObject", UA_CLI,
         KT_OUTCOME_OK, 100);
    const KtResults *r = kt_engine_results(f.e);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_NETWORK), ==, 0);
    g_assert_cmpuint(count_kind(r, KT_DET_NEW_IP), ==, 1); /* the IP carries the evidence */
    g_assert_cmpint(max_incident_score(r), >=, 40);
    fx_clear(&f);
}

/* Throughput on 2M pre-interned records (200 keys, 2000 IPs): run with -m perf. */
static void
test_perf(void)
{
    if (!g_test_perf()) {
        g_test_skip("performance test (-m perf)");
        return;
    }
    Fx f;
    fx_init(&f, NULL);
    const guint n = 2000000;
    KtRecord *recs = g_new0(KtRecord, n);
    char buf[64];
    for (guint i = 0; i < n; i++) {
        guint key = (i * 7919u) % 200, ip = key * 10 + (i % 10);
        g_snprintf(buf, sizeof(buf), "AKIAPERF%04u", key);
        recs[i].key = kt_dict_intern(f.dict, KT_SPACE_KEY, kt_sv(buf));
        g_snprintf(buf, sizeof(buf), "10.%u.%u.%u", ip / 65536, (ip / 256) % 256, ip % 256);
        recs[i].source = kt_dict_intern_source(f.dict, kt_sv(buf), NULL);
        recs[i].op = kt_dict_intern(f.dict, KT_SPACE_OP, kt_sv(service_ops[i % 3]));
        recs[i].ua = kt_dict_intern(f.dict, KT_SPACE_UA, kt_sv(UA_CLI));
        recs[i].time_ms = T0 + (gint64)i * 1500; /* 35 days */
        recs[i].bytes = 1000 + i % 500;
        recs[i].outcome = i % 97 == 0 ? KT_OUTCOME_DENIED : KT_OUTCOME_OK;
    }
    /* CPU time of the process, so a loaded machine does not distort the rate */
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (guint i = 0; i < n; i++)
        kt_engine_feed(f.e, &recs[i]);
    const KtResults *r = kt_engine_results(f.e);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    g_test_minimized_result(secs, "2M records fed in %.3f s CPU (%.2f M records/s), %u anomalies",
                            secs, n / secs / 1e6, r->anomalies->len);
    guint kinds[KT_DET_COUNT] = { 0 };
    for (guint i = 0; i < r->anomalies->len; i++)
        kinds[((const KtAnomaly *)g_ptr_array_index(r->anomalies, i))->kind]++;
    for (int k = 0; k < KT_DET_COUNT; k++)
        if (kinds[k] > 0)
            g_test_message("%s: %u", kt_detector_name((KtDetectorKind)k), kinds[k]);
    g_free(recs);
    fx_clear(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/engine/names", test_names);
    g_test_add_func("/engine/benign/new-ip-same-network", test_new_ip_same_network);
    g_test_add_func("/engine/benign/drift", test_benign_drift);
    g_test_add_func("/engine/benign/seasonal-volume", test_volume_seasonal);
    g_test_add_func("/engine/benign/noisy-errors", test_error_burst_noisy_key);
    g_test_add_func("/engine/detect/new-network", test_new_network);
    g_test_add_func("/engine/detect/same-16", test_same_16);
    g_test_add_func("/engine/detect/new-network-expected", test_new_network_expected);
    g_test_add_func("/engine/detect/recon-burst", test_recon_burst);
    g_test_add_func("/engine/detect/off-hours", test_off_hours);
    g_test_add_func("/engine/detect/off-hours-tz", test_off_hours_tz);
    g_test_add_func("/engine/detect/volume-spike", test_volume_spike);
    g_test_add_func("/engine/detect/dormant", test_dormant);
    g_test_add_func("/engine/detect/dormant-rhythm", test_dormant_rhythm);
    g_test_add_func("/engine/detect/concurrent", test_concurrent);
    g_test_add_func("/engine/detect/known-bad", test_known_bad);
    g_test_add_func("/engine/detect/allow", test_allow);
    g_test_add_func("/engine/hostile/long-values", test_long_values);
    g_test_add_func("/engine/detect/revoked", test_revoked);
    g_test_add_func("/engine/detect/new-user-agent", test_new_user_agent);
    g_test_add_func("/engine/detect/new-op", test_new_op);
    g_test_add_func("/engine/detect/disabled", test_disabled);
    g_test_add_func("/engine/learn/leak-time", test_leak_time);
    g_test_add_func("/engine/learn/forget", test_forget);
    g_test_add_func("/engine/learn/caps-churn", test_caps_churn);
    g_test_add_func("/engine/learn/caps-flood", test_caps_flood);
    g_test_add_func("/engine/entity/modes", test_entity_modes);
    g_test_add_func("/engine/incident/accounting", test_incident_accounting);
    g_test_add_func("/engine/determinism", test_determinism);
    g_test_add_func("/engine/feed-batch", test_feed_batch);
    g_test_add_func("/engine/persist/equivalence", test_save_load_equivalence);
    g_test_add_func("/engine/persist/roundtrip", test_save_roundtrip);
    g_test_add_func("/engine/persist/corrupt", test_load_corrupt);
    g_test_add_func("/engine/persist/mutated", test_load_mutated);
    g_test_add_func("/engine/perf", test_perf);
    return g_test_run();
}
