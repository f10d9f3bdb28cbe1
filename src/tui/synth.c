/*
 * synth.c - deterministic generated results for the TUI: the screen tests (stable,
 * independent of the engine's tuning) and the redraw benchmark (100,000 keys and
 * 1,000,000 events). Events are never stored: the events source regenerates the
 * records of one key from its seed, like a re-scan of the inputs would.
 */
#include <stdio.h>

#include "keytrail/tui.h"

#define SYNTH_T0 G_GINT64_CONSTANT(1719792000000) /* 2024-07-01T00:00:00Z */
#define SYNTH_DAYS 30
#define SYNTH_HOUR G_GINT64_CONSTANT(3600000)

struct _KtTuiSynth {
    KtDict *dict;     /* borrowed */
    KtResults res;    /* owned arrays */
    guint64 *events;  /* per key index (creation order): events */
    guint32 *key_ids; /* per key index: dict id */
    gint *incident;   /* per key index: index in res.incidents, -1 for none */
    GHashTable *by_entity; /* key dict id -> key index + 1 */
    guint nkeys;
    guint64 total;
};

static const char *const ops[] = { "s3.GetObject",          "s3.PutObject",  "s3.ListBucket",
                                   "sts.GetCallerIdentity", "iam.ListUsers", "ec2.DescribeInstances",
                                   "iam.CreateUser",        "iam.CreateAccessKey" };
static const char *const uas[] = { "aws-cli/2.15.0 Python/3.11", "Boto3/1.34.0 Python/3.12",
                                   "aws-sdk-go/1.50.0", "curl/8.4.0",
                                   /* hostile: terminal escapes and a bidi override */
                                   "python-requests/2.31\x1b[2J\x1b]0;pwned\x07 \xe2\x80\xae"
                                   "gnp.exe" };

static guint64
mix(guint64 x)
{
    x += G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static guint32
intern(KtDict *d, KtSpace sp, const char *s)
{
    return kt_dict_intern(d, sp, kt_sv(s));
}

static void
anomaly_free(gpointer p)
{
    KtAnomaly *a = p;
    g_free(a->observed);
    g_free(a->baseline);
    g_free(a->message);
    g_free(a);
}

static void
incident_free(gpointer p)
{
    KtIncident *inc = p;
    g_array_unref(inc->ops);
    g_array_unref(inc->uas);
    g_array_unref(inc->anomalies);
    g_free(inc);
}

static void
consumer_free(gpointer p)
{
    KtConsumer *c = p;
    g_free(c->ua_family);
    g_array_unref(c->ops);
    g_free(c);
}

static void
summary_free(gpointer p)
{
    KtKeySummary *k = p;
    g_ptr_array_unref(k->consumers);
    g_free(k);
}

static guint32
incident_source(KtTuiSynth *s, guint i)
{
    g_autofree char *ip = g_strdup_printf("203.0.113.%u", i % 250 + 1);
    return kt_dict_intern_source(s->dict, kt_sv(ip), NULL);
}

static void
add_anomalies(KtTuiSynth *s, KtIncident *inc, guint64 h)
{
    static const KtDetectorKind kinds[] = { KT_DET_NEW_IP, KT_DET_NEW_NETWORK, KT_DET_OFF_HOURS,
                                            KT_DET_NEW_OP };
    static const char *const observed[] = { "source 203.0.113.x never seen", "network new",
                                            "calls at 03:00 UTC", "iam.CreateUser first use" };
    static const char *const baseline[] = { "4 known IPs", "2 known networks",
                                            "active 08:00-18:00", "5 known operations" };
    guint n = 2 + (guint)(h % 3);
    for (guint j = 0; j < n; j++) {
        KtAnomaly *a = g_new0(KtAnomaly, 1);
        a->id = s->res.anomalies->len + 1;
        a->kind = kinds[j % G_N_ELEMENTS(kinds)];
        a->entity = inc->entity;
        a->key = inc->key;
        a->source = inc->source;
        a->time_ms = inc->first_ms + (gint64)j * 60000;
        a->score = inc->score - (int)j * 5;
        a->severity = kt_severity_from_score(a->score);
        a->observed = g_strdup(observed[j % 4]);
        a->baseline = g_strdup(baseline[j % 4]);
        a->message = g_strdup_printf("%s: %s (baseline: %s)", kt_detector_name(a->kind),
                                     a->observed, a->baseline);
        a->incident = inc->id;
        inc->reasons |= 1u << a->kind;
        g_array_append_val(inc->anomalies, a->id);
        g_ptr_array_add(s->res.anomalies, a);
    }
}

static KtIncident *
make_incident(KtTuiSynth *s, guint i, KtKeySummary *k)
{
    guint64 h = mix(i * 7 + 3);
    KtIncident *inc = g_new0(KtIncident, 1);
    inc->id = s->res.incidents->len + 1;
    inc->entity = k->entity;
    inc->key = k->key;
    inc->source = incident_source(s, i);
    g_snprintf(inc->network, sizeof inc->network, "203.0.113.0/24");
    inc->first_ms = SYNTH_T0 + (gint64)(SYNTH_DAYS - 1 - (h % 20)) * 24 * SYNTH_HOUR +
                    (gint64)(h % 5) * SYNTH_HOUR;
    inc->events = MIN(10 + h % 90, s->events[i]);
    inc->last_ms = inc->first_ms + (gint64)inc->events * 30000;
    inc->denied = inc->events / 3;
    inc->errors = inc->events / 10;
    inc->bytes = (gint64)inc->events * 2048;
    inc->ops = g_array_new(FALSE, FALSE, sizeof(KtCount));
    inc->uas = g_array_new(FALSE, FALSE, sizeof(KtCount));
    inc->anomalies = g_array_new(FALSE, FALSE, sizeof(guint64));
    KtCount c1 = { intern(s->dict, KT_SPACE_OP, ops[6]), inc->events - inc->events / 2 };
    KtCount c2 = { intern(s->dict, KT_SPACE_OP, ops[7]), inc->events / 2 };
    KtCount u = { intern(s->dict, KT_SPACE_UA, uas[4]), inc->events };
    g_array_append_val(inc->ops, c1);
    g_array_append_val(inc->ops, c2);
    g_array_append_val(inc->uas, u);
    inc->score = 35 + (int)(h % 65);
    inc->severity = kt_severity_from_score(inc->score);
    inc->open = h % 3 == 0;
    add_anomalies(s, inc, h);
    return inc;
}

static KtKeySummary *
make_key(KtTuiSynth *s, guint i, gint64 first, gint64 last)
{
    guint64 h = mix(i);
    KtKeySummary *k = g_new0(KtKeySummary, 1);
    k->entity = k->key = s->key_ids[i];
    k->first_ms = first;
    k->last_ms = last - (gint64)(h % 48) * SYNTH_HOUR;
    k->events = s->events[i];
    k->denied = k->events / 50;
    k->errors = k->events / 100;
    k->distinct_ips = 1 + (guint32)(h % 4);
    k->distinct_networks = 1 + (guint32)(h % 2);
    k->risk = (int)(h % 15);
    k->consumers = g_ptr_array_new_with_free_func(consumer_free);
    KtConsumer *c = g_new0(KtConsumer, 1);
    g_snprintf(c->network, sizeof c->network, "10.%u.%u.0/24", (guint)(i >> 8) & 255, i & 255);
    c->ua_family = g_strdup(h % 2 ? "aws-cli/2" : "Boto3/1");
    c->ops = g_array_new(FALSE, FALSE, sizeof(KtCount));
    KtCount oc = { intern(s->dict, KT_SPACE_OP, ops[h % 3]), k->events };
    g_array_append_val(c->ops, oc);
    c->events = k->events;
    c->first_ms = k->first_ms;
    c->last_ms = k->last_ms;
    g_ptr_array_add(k->consumers, c);
    return k;
}

static int
key_cmp(gconstpointer a, gconstpointer b, gpointer ud)
{
    const KtKeySummary *x = *(KtKeySummary *const *)a, *y = *(KtKeySummary *const *)b;
    if (x->risk != y->risk)
        return x->risk > y->risk ? -1 : 1;
    return strcmp(kt_dict_str(ud, KT_SPACE_KEY, x->entity), kt_dict_str(ud, KT_SPACE_KEY, y->entity));
}

static void
make_keys(KtTuiSynth *s)
{
    guint64 wsum = 0;
    for (guint i = 0; i < s->nkeys; i++)
        wsum += 1 + mix(i + 11) % 100;
    guint64 given = 0;
    for (guint i = 0; i < s->nkeys; i++) {
        char key[24];
        guint64 h = mix(i + 101);
        g_snprintf(key, sizeof key, "AKIA%04X%012" G_GINT64_MODIFIER "X", i & 0xffff,
                   h & G_GUINT64_CONSTANT(0xffffffffffff));
        s->key_ids[i] = intern(s->dict, KT_SPACE_KEY, key);
        s->incident[i] = -1;
        g_hash_table_insert(s->by_entity, GUINT_TO_POINTER(s->key_ids[i]), GUINT_TO_POINTER(i + 1));
        s->events[i] = i + 1 == s->nkeys ? s->total - given
                                         : s->total * (1 + mix(i + 11) % 100) / MAX(wsum, 1);
        given += s->events[i];
    }
    gint64 last = SYNTH_T0 + SYNTH_DAYS * 24 * SYNTH_HOUR - 1;
    for (guint i = 0; i < s->nkeys; i++) {
        KtKeySummary *k = make_key(s, i, SYNTH_T0, last);
        if (i % 4 == 1 && s->events[i] > 0) {
            KtIncident *inc = make_incident(s, i, k);
            s->incident[i] = (gint)s->res.incidents->len;
            g_ptr_array_add(s->res.incidents, inc);
            k->incidents = 1;
            k->risk = MAX(k->risk, inc->score);
        }
        k->severity = kt_severity_from_score(k->risk);
        g_ptr_array_add(s->res.keys, k);
    }
    g_ptr_array_sort_with_data(s->res.keys, key_cmp, s->dict);
}

KtTuiSynth *
kt_tui_synth_new(KtDict *dict, guint keys, guint64 events)
{
    KtTuiSynth *s = g_new0(KtTuiSynth, 1);
    s->dict = dict;
    s->nkeys = keys;
    s->total = events;
    s->events = g_new0(guint64, MAX(keys, 1));
    s->key_ids = g_new0(guint32, MAX(keys, 1));
    s->incident = g_new0(gint, MAX(keys, 1));
    s->by_entity = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->res.keys = g_ptr_array_new_with_free_func(summary_free);
    s->res.incidents = g_ptr_array_new_with_free_func(incident_free);
    s->res.anomalies = g_ptr_array_new_with_free_func(anomaly_free);
    s->res.first_ms = SYNTH_T0;
    s->res.last_ms = SYNTH_T0 + SYNTH_DAYS * 24 * SYNTH_HOUR - 1;
    s->res.events = events;
    make_keys(s);
    return s;
}

void
kt_tui_synth_free(KtTuiSynth *s)
{
    if (s == NULL)
        return;
    g_ptr_array_unref(s->res.keys);
    g_ptr_array_unref(s->res.incidents);
    g_ptr_array_unref(s->res.anomalies);
    g_free(s->events);
    g_free(s->key_ids);
    g_free(s->incident);
    g_hash_table_unref(s->by_entity);
    g_free(s);
}

const KtResults *
kt_tui_synth_results(KtTuiSynth *s)
{
    return &s->res;
}

void
kt_tui_synth_summary(KtTuiSynth *s, KtTuiSummary *out)
{
    *out = (KtTuiSummary){ "synthetic input", s->total, s->total, 0, s->res.first_ms,
                           s->res.last_ms, FALSE };
}

/* ---- detail and events of one key ------------------------------------------------------ */

static void
value_free(gpointer p)
{
    KtValueStat *v = p;
    g_free(v->label);
    g_free(v);
}

static KtValueStat *
value_new(guint32 id, const char *label, guint64 count, gint64 first, gint64 last, gboolean is_new)
{
    KtValueStat *v = g_new0(KtValueStat, 1);
    v->id = id;
    v->label = g_strdup(label);
    v->count = count;
    v->first_ms = first;
    v->last_ms = last;
    v->is_new = is_new;
    return v;
}

static guint32
key_source(KtTuiSynth *s, guint i, guint j)
{
    g_autofree char *ip = g_strdup_printf("10.%u.%u.%u", (i >> 8) & 255, i & 255, j + 1);
    return kt_dict_intern_source(s->dict, kt_sv(ip), NULL);
}

static void
detail_values(KtTuiSynth *s, guint i, KtKeyDetail *d)
{
    guint64 n = s->events[i];
    gint64 t0 = s->res.first_ms, t1 = s->res.last_ms;
    guint nips = 1 + (guint)(mix(i) % 4);
    const KtIncident *inc = s->incident[i] >= 0 ? g_ptr_array_index(s->res.incidents, s->incident[i]) : NULL;
    if (inc != NULL)
        g_ptr_array_add(d->ips, value_new(inc->source, NULL, inc->events, inc->first_ms, inc->last_ms, TRUE));
    for (guint j = 0; j < nips; j++)
        g_ptr_array_add(d->ips, value_new(key_source(s, i, j), NULL, n / nips, t0, t1, FALSE));
    g_autofree char *net = g_strdup_printf("10.%u.%u.0/24", (i >> 8) & 255, i & 255);
    g_ptr_array_add(d->networks, value_new(0, net, n, t0, t1, FALSE));
    if (inc != NULL)
        g_ptr_array_add(d->networks, value_new(0, inc->network, inc->events, inc->first_ms, inc->last_ms, TRUE));
    for (guint j = 0; j < 3; j++)
        g_ptr_array_add(d->ops, value_new(intern(s->dict, KT_SPACE_OP, ops[(mix(i) + j) % 3]), NULL,
                                          n / (j + 2), t0, t1, FALSE));
    g_ptr_array_add(d->uas, value_new(intern(s->dict, KT_SPACE_UA, uas[mix(i) % 2]),
                                      mix(i) % 2 ? "Boto3/1" : "aws-cli/2", n, t0, t1, FALSE));
    if (inc != NULL)
        g_ptr_array_add(d->uas, value_new(intern(s->dict, KT_SPACE_UA, uas[4]), NULL, inc->events,
                                          inc->first_ms, inc->last_ms, TRUE));
}

static gint
key_index(KtTuiSynth *s, guint32 entity)
{
    return (gint)GPOINTER_TO_UINT(g_hash_table_lookup(s->by_entity, GUINT_TO_POINTER(entity))) - 1;
}

KtKeyDetail *
kt_tui_synth_key_detail(KtTuiSynth *s, guint32 entity, gboolean is_principal)
{
    gint i = is_principal ? -1 : key_index(s, entity);
    if (i < 0)
        return NULL;
    KtKeyDetail *d = g_new0(KtKeyDetail, 1);
    d->entity = entity;
    d->ips = g_ptr_array_new_with_free_func(value_free);
    d->networks = g_ptr_array_new_with_free_func(value_free);
    d->ops = g_ptr_array_new_with_free_func(value_free);
    d->uas = g_ptr_array_new_with_free_func(value_free);
    detail_values(s, (guint)i, d);
    guint64 n = s->events[i];
    for (int h = 0; h < 168; h++) {
        int hour = h % 24, day = h / 24;
        guint64 w = (day < 5 && hour >= 8 && hour < 18) ? 10 : 1;
        d->hour_of_week[h] = n * w / 620;
    }
    d->timeline = g_array_sized_new(FALSE, TRUE, sizeof(guint64), SYNTH_DAYS * 24);
    d->timeline_start_ms = s->res.first_ms;
    d->timeline_bucket_ms = SYNTH_HOUR;
    for (guint b = 0; b < SYNTH_DAYS * 24; b++) {
        guint64 v = n / (SYNTH_DAYS * 24) + ((mix((guint64)i * 1000 + b) % 4 == 0) ? n % 7 : 0);
        v += (b / 24 + (guint)i) % 7 == 0 ? n / 200 : 0;
        g_array_append_val(d->timeline, v);
    }
    return d;
}

static void
offer_key_events(KtTuiSynth *s, guint i, KtTuiEvents *ev)
{
    guint64 n = s->events[i];
    guint nips = 1 + (guint)(mix(i) % 4);
    gint64 span = s->res.last_ms - s->res.first_ms;
    for (guint64 j = 0; j < n; j++) {
        guint64 h = mix(((guint64)i << 32) ^ j);
        KtRecord r = { 0 };
        r.time_ms = s->res.first_ms + (gint64)(j * (guint64)span / MAX(n, 1));
        r.tiebreak = h;
        r.line = j + 1;
        r.key = s->key_ids[i];
        r.source = key_source(s, i, (guint)(h % nips));
        r.op = intern(s->dict, KT_SPACE_OP, ops[(mix(i) + h % 3) % 3]);
        r.ua = intern(s->dict, KT_SPACE_UA, uas[mix(i) % 2]);
        r.status = h % 50 == 0 ? 403 : 200;
        r.outcome = h % 50 == 0 ? KT_OUTCOME_DENIED : KT_OUTCOME_OK;
        r.bytes = 512;
        kt_tui_events_offer(ev, &r);
    }
}

static void
offer_incident_events(KtTuiSynth *s, guint i, KtTuiEvents *ev)
{
    const KtIncident *inc = g_ptr_array_index(s->res.incidents, s->incident[i]);
    for (guint64 j = 0; j < inc->events; j++) {
        KtRecord r = { 0 };
        r.time_ms = inc->first_ms + (gint64)j * 30000;
        r.tiebreak = mix(j + 7);
        r.line = s->events[i] + j + 1;
        r.key = s->key_ids[i];
        r.source = inc->source;
        r.op = intern(s->dict, KT_SPACE_OP, ops[j % 3 == 0 ? 7 : 6]);
        r.ua = intern(s->dict, KT_SPACE_UA, uas[4]);
        r.status = j % 3 == 1 ? 403 : 200;
        r.outcome = j % 3 == 1 ? KT_OUTCOME_DENIED : KT_OUTCOME_OK;
        r.bytes = 2048;
        kt_tui_events_offer(ev, &r);
    }
}

gboolean
kt_tui_synth_load_events(KtTuiSynth *s, KtTuiEvents *ev, GError **error)
{
    const KtTuiScope *scope = kt_tui_events_scope(ev);
    gint i = scope->is_principal ? -1 : key_index(s, scope->entity);
    if (i >= 0) {
        offer_key_events(s, (guint)i, ev);
        if (s->incident[i] >= 0)
            offer_incident_events(s, (guint)i, ev);
    }
    kt_tui_events_finish(ev);
    return TRUE;
}

static KtKeyDetail *
ops_key_detail(gpointer ud, guint32 entity, gboolean is_principal)
{
    return kt_tui_synth_key_detail(ud, entity, is_principal);
}

static gboolean
ops_load_events(gpointer ud, KtTuiEvents *out, GError **error)
{
    return kt_tui_synth_load_events(ud, out, error);
}

static const KtTuiSourceOps synth_ops = {
    .key_detail = ops_key_detail,
    .load_events = ops_load_events,
    .export_incident = NULL,
};

const KtTuiSourceOps *
kt_tui_synth_ops(void)
{
    return &synth_ops;
}
