/*
 * test-report.c - the reporters (src/report/): JSON document and lines parsed back and
 * checked member by member, text report with hostile log fields, --stats table, key
 * masking everywhere. Results and input statistics are built by hand.
 */
#include <stdio.h>

#include "../../src/report/report-private.h"
#include "keytrail/sanitize.h"

#define KEY_AKIA "AKIAIOSFODNN7EXAMPLE"
#define KEY_ASIA "ASIAY34FZKBOKMUTVV7A"
#define PRINCIPAL "arn:aws:iam::123456789012:role/ci-deploy"
#define HOSTILE_UA "curl/8.1\x1b]0;pwned\x07\x1b[2J\xe2\x80\xae\xff"
#define HOSTILE_OP "s3:GetObject\r\x1b[31mFAKE\xe2\x81\xa6"
#define T0 1722392000000LL /* 2024-07-31T02:13:20Z */

typedef struct {
    KtDict *dict;
    KtResults results;
    GPtrArray *stats;
    GPtrArray *rejects;
    KtReportData data;
    KtReportOptions opts;
} Fixture;

/* --- building results by hand ------------------------------------------------------------ */

static guint32
intern(Fixture *f, KtSpace space, const char *s)
{
    return kt_dict_intern(f->dict, space, kt_sv(s));
}

static GArray *
counts(Fixture *f, KtSpace space, const char *a, guint64 na, const char *b, guint64 nb)
{
    GArray *arr = g_array_new(FALSE, TRUE, sizeof(KtCount));
    KtCount c = { intern(f, space, a), na };
    g_array_append_val(arr, c);
    if (b != NULL) {
        KtCount d = { intern(f, space, b), nb };
        g_array_append_val(arr, d);
    }
    return arr;
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
anomaly_free(gpointer p)
{
    KtAnomaly *a = p;
    g_free(a->observed);
    g_free(a->baseline);
    g_free(a->message);
    g_free(a);
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

static void
stats_free(gpointer p)
{
    KtInputStats *st = p;
    g_free(st->path);
    g_free(st->error);
    if (st->keys != NULL)
        g_hash_table_unref(st->keys);
    g_free(st);
}

static void
reject_free(gpointer p)
{
    KtRejectSample *rs = p;
    g_free(rs->path);
    g_free(rs->detail);
    g_free(rs->excerpt);
    g_free(rs);
}

static void
add_anomaly(Fixture *f, KtDetectorKind kind, guint32 key, const char *src, gint64 t,
            KtSeverity sev, const char *observed, const char *baseline, const char *msg)
{
    KtAnomaly *a = g_new0(KtAnomaly, 1);
    a->id = f->results.anomalies->len + 1;
    a->kind = kind;
    a->entity = key;
    a->key = key;
    a->source = kt_dict_intern_source(f->dict, kt_sv(src), NULL);
    a->time_ms = t;
    a->severity = sev;
    a->score = sev == KT_SEV_CRITICAL ? 95 : 75;
    a->observed = g_strdup(observed);
    a->baseline = g_strdup(baseline);
    a->message = g_strdup(msg);
    a->incident = 1;
    g_ptr_array_add(f->results.anomalies, a);
}

static void
add_incident(Fixture *f, guint32 key)
{
    KtIncident *inc = g_new0(KtIncident, 1);
    inc->id = 1;
    inc->entity = key;
    inc->key = key;
    inc->source = kt_dict_intern_source(f->dict, kt_sv("203.0.113.7"), NULL);
    g_strlcpy(inc->network, "203.0.113.0/24", sizeof(inc->network));
    inc->first_ms = T0;
    inc->last_ms = T0 + 36 * 60 * 1000;
    inc->events = 340;
    inc->denied = 313;
    inc->errors = 2;
    inc->bytes = 48000;
    inc->ops = counts(f, KT_SPACE_OP, "iam:ListUsers", 120, HOSTILE_OP, 80);
    inc->uas = counts(f, KT_SPACE_UA, HOSTILE_UA, 340, NULL, 0);
    inc->reasons = (1u << KT_DET_NEW_IP) | (1u << KT_DET_ERROR_BURST);
    inc->anomalies = g_array_new(FALSE, FALSE, sizeof(guint64));
    for (guint64 id = 1; id <= 2; id++)
        g_array_append_val(inc->anomalies, id);
    inc->score = 92;
    inc->severity = KT_SEV_CRITICAL;
    g_ptr_array_add(f->results.incidents, inc);
}

static KtKeySummary *
add_key(Fixture *f, guint32 key, guint32 principal, int risk, KtSeverity sev, guint32 incs)
{
    KtKeySummary *k = g_new0(KtKeySummary, 1);
    k->entity = principal != 0 ? principal : key;
    k->entity_is_principal = principal != 0;
    k->key = key;
    k->first_ms = T0 - 30LL * 86400000;
    k->last_ms = T0 + 36 * 60 * 1000;
    k->events = 12345;
    k->denied = 313;
    k->distinct_ips = 3;
    k->distinct_networks = 2;
    k->incidents = incs;
    k->risk = risk;
    k->severity = sev;
    k->consumers = g_ptr_array_new_with_free_func(consumer_free);
    KtConsumer *c = g_new0(KtConsumer, 1);
    g_strlcpy(c->network, "198.51.100.0/24", sizeof(c->network));
    c->ua_family = g_strdup("aws-cli/2");
    c->ops = counts(f, KT_SPACE_OP, "s3:GetObject", 9000, "s3:PutObject", 2000);
    c->events = 12005;
    c->first_ms = k->first_ms;
    c->last_ms = T0 - 86400000;
    g_ptr_array_add(k->consumers, c);
    g_ptr_array_add(f->results.keys, k);
    return k;
}

static void
add_input(Fixture *f, const char *path, guint32 key)
{
    KtInputStats *st = g_new0(KtInputStats, 1);
    st->path = g_strdup(path);
    st->format = "cloudtrail";
    st->preset = "cloudtrail";
    st->gzip = TRUE;
    st->lines = 12350;
    st->events = 12345;
    st->skipped = 2;
    st->by_reason[KT_REJECT_MALFORMED] = 2;
    st->by_reason[KT_REJECT_BAD_TIME] = 1;
    st->rejected = 3;
    st->ip_warnings = 4;
    st->first_ms = T0 - 30LL * 86400000;
    st->last_ms = T0 + 36 * 60 * 1000;
    st->keys = g_hash_table_new(NULL, NULL);
    g_hash_table_add(st->keys, GUINT_TO_POINTER(key));
    g_ptr_array_add(f->stats, st);

    KtRejectSample *rs = g_new0(KtRejectSample, 1);
    rs->path = g_strdup(path);
    rs->line = 17;
    rs->reason = KT_REJECT_MALFORMED;
    rs->detail = g_strdup("no closing quote");
    rs->excerpt = g_strdup("\"2024-07-31,\x1b[31m" KEY_AKIA "\x1b]52;c;ZXZpbA==\x07");
    g_ptr_array_add(f->rejects, rs);
}

static void
fixture_setup(Fixture *f, gconstpointer with_findings)
{
    memset(f, 0, sizeof(*f));
    f->dict = kt_dict_new();
    f->results.keys = g_ptr_array_new_with_free_func(summary_free);
    f->results.incidents = g_ptr_array_new_with_free_func(incident_free);
    f->results.anomalies = g_ptr_array_new_with_free_func(anomaly_free);
    f->stats = g_ptr_array_new_with_free_func(stats_free);
    f->rejects = g_ptr_array_new_with_free_func(reject_free);
    guint32 akia = intern(f, KT_SPACE_KEY, KEY_AKIA);
    guint32 asia = intern(f, KT_SPACE_KEY, KEY_ASIA);
    guint32 principal = intern(f, KT_SPACE_PRINCIPAL, PRINCIPAL);
    f->results.first_ms = T0 - 30LL * 86400000;
    f->results.last_ms = T0 + 36 * 60 * 1000;
    f->results.events = 24690;
    if (GPOINTER_TO_INT(with_findings)) {
        add_key(f, akia, 0, 92, KT_SEV_CRITICAL, 1);
        add_key(f, asia, principal, 0, KT_SEV_NONE, 0);
        add_anomaly(f, KT_DET_NEW_IP, akia, "203.0.113.7", T0, KT_SEV_HIGH, "203.0.113.7",
                    "known networks 198.51.100.0/24",
                    "IP 203.0.113.7 never seen; user agent " HOSTILE_UA);
        add_anomaly(f, KT_DET_ERROR_BURST, akia, "203.0.113.7", T0 + 60000, KT_SEV_CRITICAL,
                    "313 of 340 denied", "p99 1% denied", "92% of calls denied: probing");
        add_incident(f, akia);
    } else {
        add_key(f, akia, 0, 0, KT_SEV_NONE, 0);
    }
    add_input(f, "logs/\x1b[31mtrail\xe2\x80\xae.json.gz", akia);
    f->data.stats = f->stats;
    f->data.rejects = f->rejects;
    f->data.dict = f->dict;
    f->data.results = &f->results;
    kt_report_options_init(&f->opts);
}

static void
fixture_teardown(Fixture *f, gconstpointer unused)
{
    g_ptr_array_unref(f->results.keys);
    g_ptr_array_unref(f->results.incidents);
    g_ptr_array_unref(f->results.anomalies);
    g_ptr_array_unref(f->stats);
    g_ptr_array_unref(f->rejects);
    kt_dict_free(f->dict);
}

/* --- helpers ------------------------------------------------------------------------------- */

typedef gboolean (*WriteFn)(const KtReportData *d, const KtReportOptions *o, FILE *out,
                            GError **error);

/* (transfer full) What @fn writes, through a real FILE*. */
static char *
capture(WriteFn fn, const Fixture *f, const KtReportOptions *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    g_assert_nonnull(out);
    g_autoptr(GError) error = NULL;
    g_assert_true(fn(&f->data, o, out, &error));
    g_assert_no_error(error);
    fclose(out);
    return buf;
}

static char *
render_text(const Fixture *f, const KtReportOptions *o)
{
    GString *s = g_string_new(NULL);
    kt_report_text_render(&f->data, o, s);
    return g_string_free(s, FALSE);
}

/* No byte of @s may be a control character other than newline (ESC in particular). */
static void
assert_no_controls(const char *s)
{
    for (const guchar *p = (const guchar *)s; *p; p++) {
        if (*p == '\n')
            continue;
        g_assert_cmpuint(*p, >=, 0x20);
        g_assert_cmpuint(*p, !=, 0x7f);
    }
    g_assert_true(g_utf8_validate(s, -1, NULL));
    g_assert_null(strstr(s, "\xe2\x80\xae")); /* RLO */
    g_assert_null(strstr(s, "\xe2\x81\xa6")); /* LRI */
}

static void
assert_width(const char *s, guint max)
{
    g_auto(GStrv) lines = g_strsplit(s, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        guint w = kt_report_text_width(lines[i], strlen(lines[i]));
        if (w > max)
            g_test_message("too wide (%u): %s", w, lines[i]);
        g_assert_cmpuint(w, <=, max);
    }
}

static cJSON *
member(const cJSON *obj, const char *name)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (m == NULL)
        g_test_message("missing member %s", name);
    g_assert_nonnull(m);
    return m;
}

static void
assert_members(const cJSON *obj, const char *const *names)
{
    const cJSON *m = obj->child;
    for (guint i = 0; names[i] != NULL; i++, m = m->next) {
        g_assert_nonnull(m);
        g_assert_cmpstr(m->string, ==, names[i]);
    }
    g_assert_null(m);
}

static const char *
str(const cJSON *obj, const char *name)
{
    cJSON *m = member(obj, name);
    g_assert_true(cJSON_IsString(m));
    return m->valuestring;
}

static double
number(const cJSON *obj, const char *name)
{
    cJSON *m = member(obj, name);
    g_assert_true(cJSON_IsNumber(m));
    return m->valuedouble;
}

/* --- JSON ---------------------------------------------------------------------------------- */

static void
test_json_document(Fixture *f, gconstpointer unused)
{
    f->opts.kind = KT_OUTPUT_JSON;
    f->opts.leak_time_ms = T0 - 86400000;
    f->opts.pretty = TRUE;
    g_autofree char *text = capture(kt_report_json_findings, f, &f->opts);
    g_test_message("%s", text);
    cJSON *doc = cJSON_Parse(text);
    g_assert_nonnull(doc);
    static const char *const top[] = { "keytrail", "input",     "window",           "keys",
                                       "incidents", "anomalies", "anomalies_dropped", NULL };
    assert_members(doc, top);
    cJSON *kt = member(doc, "keytrail");
    g_assert_cmpstr(str(kt, "version"), ==, KT_VERSION);
    g_assert_cmpfloat(number(kt, "schema"), ==, 1);

    cJSON *window = member(doc, "window");
    g_assert_cmpstr(str(window, "first"), ==, "2024-07-01T02:13:20Z");
    g_assert_cmpstr(str(window, "last"), ==, "2024-07-31T02:49:20Z");
    g_assert_cmpstr(str(window, "leak_time"), ==, "2024-07-30T02:13:20Z");

    cJSON *keys = member(doc, "keys");
    g_assert_cmpint(cJSON_GetArraySize(keys), ==, 2);
    cJSON *k0 = cJSON_GetArrayItem(keys, 0);
    static const char *const key_members[] = {
        "key",       "first_seen",   "last_seen",         "events", "denied",
        "errors",    "distinct_ips", "distinct_networks", "incidents", "risk",
        "severity",  "consumers",    NULL
    };
    assert_members(k0, key_members);
    g_assert_cmpstr(str(k0, "key"), ==, "AKIA...MPLE");
    g_assert_cmpfloat(number(k0, "risk"), ==, 92);
    g_assert_cmpstr(str(k0, "severity"), ==, "critical");
    cJSON *cons = cJSON_GetArrayItem(member(k0, "consumers"), 0);
    g_assert_cmpstr(str(cons, "network"), ==, "198.51.100.0/24");
    g_assert_cmpstr(str(cons, "user_agent"), ==, "aws-cli/2");
    g_assert_cmpstr(str(cJSON_GetArrayItem(member(cons, "ops"), 0), "op"), ==, "s3:GetObject");
    g_assert_cmpfloat(number(cJSON_GetArrayItem(member(cons, "ops"), 1), "count"), ==, 2000);
    /* principal entity: key names the key id used, entity the principal */
    cJSON *k1 = cJSON_GetArrayItem(keys, 1);
    g_assert_cmpstr(str(k1, "key"), ==, "ASIA...VV7A");
    g_assert_cmpstr(str(k1, "entity"), ==, PRINCIPAL);
    g_assert_null(cJSON_GetObjectItem(k0, "entity"));
    cJSON_Delete(doc);
}

/* The streamed document (compact and pretty) is the same value as the one built whole. */
static void
test_json_stream_equal(Fixture *f, gconstpointer unused)
{
    f->opts.kind = KT_OUTPUT_JSON;
    cJSON *whole = kt_report_json_document(&f->data, &f->opts, FALSE);
    for (int pretty = 0; pretty <= 1; pretty++) {
        f->opts.pretty = pretty;
        g_autofree char *text = capture(kt_report_json_findings, f, &f->opts);
        cJSON *streamed = cJSON_Parse(text);
        g_assert_nonnull(streamed);
        g_assert_true(cJSON_Compare(whole, streamed, TRUE));
        cJSON_Delete(streamed);
    }
    /* without results: empty arrays, not missing members */
    f->data.results = NULL;
    f->opts.pretty = FALSE;
    g_autofree char *text = capture(kt_report_json_findings, f, &f->opts);
    g_assert_nonnull(strstr(text, "\"keys\":[],\"incidents\":[],\"anomalies\":[]"));
    cJSON_Delete(whole);
}

static void
test_json_incident_anomaly(Fixture *f, gconstpointer unused)
{
    f->opts.kind = KT_OUTPUT_JSON;
    g_autofree char *text = capture(kt_report_json_findings, f, &f->opts);
    cJSON *doc = cJSON_Parse(text);
    g_assert_nonnull(doc);
    cJSON *inc = cJSON_GetArrayItem(member(doc, "incidents"), 0);
    static const char *const inc_members[] = {
        "id",     "key",     "ip",          "network", "first_seen", "last_seen",
        "events", "denied",  "errors",      "bytes",   "ops",        "user_agents",
        "reasons", "anomalies", "score",    "severity", "open",      NULL
    };
    assert_members(inc, inc_members);
    g_assert_cmpstr(str(inc, "key"), ==, "AKIA...MPLE");
    g_assert_cmpstr(str(inc, "ip"), ==, "203.0.113.7");
    g_assert_cmpstr(str(inc, "network"), ==, "203.0.113.0/24");
    g_assert_cmpstr(str(inc, "first_seen"), ==, "2024-07-31T02:13:20Z");
    g_assert_cmpfloat(number(inc, "denied"), ==, 313);
    g_assert_cmpfloat(number(inc, "bytes"), ==, 48000);
    cJSON *op1 = cJSON_GetArrayItem(member(inc, "ops"), 1);
    g_assert_cmpstr(str(op1, "op"), ==, HOSTILE_OP); /* valid UTF-8 already: kept exactly */
    cJSON *ua = cJSON_GetArrayItem(member(inc, "user_agents"), 0);
    /* the invalid byte became U+FFFD, the rest is kept for the consumer to judge */
    g_assert_cmpstr(str(ua, "user_agent"), ==,
                    "curl/8.1\x1b]0;pwned\x07\x1b[2J\xe2\x80\xae\xef\xbf\xbd");
    cJSON *reasons = member(inc, "reasons");
    g_assert_cmpint(cJSON_GetArraySize(reasons), ==, 2);
    g_assert_cmpstr(cJSON_GetArrayItem(reasons, 0)->valuestring, ==, "new_ip");
    g_assert_cmpstr(cJSON_GetArrayItem(reasons, 1)->valuestring, ==, "error_burst");
    g_assert_cmpfloat(cJSON_GetArrayItem(member(inc, "anomalies"), 1)->valuedouble, ==, 2);
    g_assert_true(cJSON_IsFalse(member(inc, "open")));

    cJSON *an = cJSON_GetArrayItem(member(doc, "anomalies"), 1);
    static const char *const an_members[] = { "id",       "kind",  "key",      "ip",
                                              "time",     "severity", "score", "observed",
                                              "baseline", "message",  "incident", NULL };
    assert_members(an, an_members);
    g_assert_cmpstr(str(an, "kind"), ==, "error_burst");
    g_assert_cmpstr(str(an, "time"), ==, "2024-07-31T02:14:20Z");
    g_assert_cmpstr(str(an, "observed"), ==, "313 of 340 denied");
    g_assert_cmpstr(str(an, "baseline"), ==, "p99 1% denied");
    g_assert_cmpfloat(number(an, "incident"), ==, 1);
    cJSON_Delete(doc);
}

static void
test_json_input(Fixture *f, gconstpointer unused)
{
    f->opts.kind = KT_OUTPUT_JSON;
    g_autofree char *text = capture(kt_report_json_findings, f, &f->opts);
    cJSON *doc = cJSON_Parse(text);
    g_assert_nonnull(doc);
    cJSON *in = member(doc, "input");
    static const char *const in_members[] = { "files", "events", "rejected", "rejects", NULL };
    assert_members(in, in_members);
    g_assert_cmpfloat(number(in, "events"), ==, 12345);
    g_assert_cmpfloat(number(in, "rejected"), ==, 3);
    cJSON *file = cJSON_GetArrayItem(member(in, "files"), 0);
    static const char *const file_members[] = {
        "path",     "format", "preset",       "gzip",        "lines", "events",
        "skipped",  "rejected", "rejected_by_reason", "ip_warnings", "distinct_keys",
        "first",    "last",   "error",        NULL
    };
    assert_members(file, file_members);
    g_assert_cmpstr(str(file, "format"), ==, "cloudtrail");
    g_assert_true(cJSON_IsTrue(member(file, "gzip")));
    cJSON *by = member(file, "rejected_by_reason");
    static const char *const by_members[] = { "malformed", "bad_time", NULL };
    assert_members(by, by_members);
    g_assert_cmpfloat(number(by, "bad_time"), ==, 1);
    g_assert_cmpfloat(number(file, "distinct_keys"), ==, 1);
    g_assert_true(cJSON_IsNull(member(file, "error")));
    cJSON *rej = cJSON_GetArrayItem(member(in, "rejects"), 0);
    static const char *const rej_members[] = { "file", "line", "reason", "detail", "excerpt",
                                               NULL };
    assert_members(rej, rej_members);
    g_assert_cmpfloat(number(rej, "line"), ==, 17);
    g_assert_cmpstr(str(rej, "reason"), ==, "malformed");
    cJSON_Delete(doc);
}

/* Valid UTF-8, no raw control or bidi bytes, for any input bytes. */
static void
test_json_terminal_safe(Fixture *f, gconstpointer unused)
{
    for (int kind = KT_OUTPUT_JSON; kind <= KT_OUTPUT_JSONL; kind++) {
        for (int pretty = 0; pretty <= 1; pretty++) {
            f->opts.kind = (KtOutputKind)kind;
            f->opts.pretty = pretty;
            g_autofree char *text = capture(kt_report_json_findings, f, &f->opts);
            if (pretty) {
                /* cJSON indents with tabs */
                for (char *p = text; *p; p++)
                    if (*p == '\t')
                        *p = ' ';
            }
            assert_no_controls(text);
            g_assert_nonnull(strstr(text, "\\u202e"));
        }
    }
}

/* A full key appears only with --reveal-keys, in every output. */
static void
test_no_full_key(Fixture *f, gconstpointer unused)
{
    static const WriteFn fns[] = { kt_report_json_findings, kt_report_json_stats };
    for (int reveal = 0; reveal <= 1; reveal++) {
        f->opts.reveal_keys = reveal;
        for (int kind = KT_OUTPUT_JSON; kind <= KT_OUTPUT_JSONL; kind++) {
            f->opts.kind = (KtOutputKind)kind;
            g_autofree char *a = capture(fns[0], f, &f->opts);
            g_assert_true((strstr(a, KEY_AKIA) != NULL) == (reveal != 0));
            g_autofree char *b = capture(fns[1], f, &f->opts);
            g_assert_null(strstr(b, KEY_ASIA)); /* stats never names keys */
        }
        g_autofree char *t = render_text(f, &f->opts);
        g_assert_true((strstr(t, KEY_AKIA) != NULL) == (reveal != 0));
        if (!reveal) {
            g_assert_null(strstr(t, "IOSFODNN7")); /* not even the middle */
            g_assert_null(strstr(t, KEY_ASIA));
        }
    }
}

static void
test_jsonl(Fixture *f, gconstpointer unused)
{
    f->opts.kind = KT_OUTPUT_JSONL;
    g_autofree char *text = capture(kt_report_json_findings, f, &f->opts);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 4); /* 1 incident, 2 anomalies, "" */
    g_assert_cmpstr(lines[3], ==, "");
    static const char *const types[] = { "incident", "anomaly", "anomaly" };
    for (int i = 0; i < 3; i++) {
        cJSON *j = cJSON_Parse(lines[i]);
        g_assert_nonnull(j);
        g_assert_cmpstr(j->child->string, ==, "type");
        g_assert_cmpstr(str(j, "type"), ==, types[i]);
        g_assert_cmpfloat(number(j, "id"), ==, i == 0 ? 1 : i);
        cJSON_Delete(j);
    }
}

/* The watch alert shape: principal entities carry `entity`. */
static void
test_alert_objects(Fixture *f, gconstpointer unused)
{
    KtAnomaly *a = g_ptr_array_index(f->results.anomalies, 0);
    a->entity = kt_dict_lookup(f->dict, KT_SPACE_PRINCIPAL, kt_sv(PRINCIPAL));
    a->entity_is_principal = TRUE;
    a->incident = 0;
    cJSON *j = kt_report_anomaly_json(a, f->dict, &f->opts);
    g_assert_cmpstr(str(j, "type"), ==, "anomaly");
    g_assert_cmpstr(str(j, "entity"), ==, PRINCIPAL);
    g_assert_cmpstr(str(j, "key"), ==, "AKIA...MPLE");
    g_assert_true(cJSON_IsNull(member(j, "incident")));
    cJSON_Delete(j);
    cJSON *i = kt_report_incident_json(g_ptr_array_index(f->results.incidents, 0), f->dict,
                                       &f->opts);
    g_assert_cmpstr(i->child->string, ==, "type");
    g_assert_cmpstr(str(i, "type"), ==, "incident");
    g_assert_null(cJSON_GetObjectItem(i, "entity"));
    cJSON_Delete(i);
}

/* --- text ---------------------------------------------------------------------------------- */

static void
test_text_findings(Fixture *f, gconstpointer unused)
{
    g_autofree char *t = render_text(f, &f->opts);
    g_test_message("%s", t);
    assert_no_controls(t);
    assert_width(t, KT_REPORT_WIDTH);
    /* keys at risk come first, with what breaks on revocation */
    const char *keys = strstr(t, "KEYS AT RISK");
    const char *incs = strstr(t, "INCIDENTS");
    const char *input = strstr(t, "INPUT");
    g_assert_nonnull(keys);
    g_assert_nonnull(incs);
    g_assert_nonnull(input);
    g_assert_true(keys < incs && incs < input);
    g_assert_nonnull(strstr(t, "AKIA...MPLE  risk 92  CRITICAL"));
    g_assert_nonnull(strstr(t, "What breaks if you revoke it"));
    g_assert_nonnull(strstr(t, "\n    first seen 2024-07-01T02:13:20Z, last seen 2024-07-31T02:49:20Z\n"));
    g_assert_nonnull(strstr(t, "198.51.100.0/24  aws-cli/2: 12,005 events"));
    /* the key without incidents is not at risk */
    g_assert_null(strstr(keys, "ASIA...VV7A"));
    /* the evidence sentence */
    g_assert_nonnull(strstr(t, "IP 203.0.113.7 used key AKIA...MPLE on 2024-07-31 from 02:13"));
    g_assert_nonnull(strstr(t, "340 calls, 92% denied, 2 errors, 48.0 kB, ops:"));
    g_assert_nonnull(strstr(t, "iam:ListUsers (120)"));
    /* hostile op escaped, visibly */
    g_assert_nonnull(strstr(t, "s3:GetObject\\r\\x1b[31mFAKE\\u2066 (80)"));
    g_assert_nonnull(strstr(t, "curl/8.1\\x1b]0;pwned\\x07\\x1b[2J\\u202e\\xff"));
    /* reasons with observed vs baseline */
    g_assert_nonnull(strstr(t, "- error_burst [CRITICAL]: 92% of calls denied: probing"));
    g_assert_nonnull(strstr(t, "observed 313 of 340 denied; baseline p99 1% denied"));
    /* the critical reason comes before the high one although it happened later */
    g_assert_true(strstr(t, "- error_burst [CRITICAL]") < strstr(t, "- new_ip [HIGH]"));
    /* input summary with the first rejects, sanitized */
    g_assert_nonnull(strstr(t, "1 file, 12,350 lines, 12,345 events, 3 rejected (malformed 2, bad_time 1)"));
    g_assert_nonnull(strstr(t, ":17 malformed (no closing quote)"));
    g_assert_null(strstr(t, "Nothing found"));
}

/* With colour, every ESC is one of our SGR sequences. */
static void
test_text_color(Fixture *f, gconstpointer unused)
{
    f->opts.color = TRUE;
    g_autofree char *t = render_text(f, &f->opts);
    g_assert_nonnull(strstr(t, "\033[1;31mCRITICAL\033[0m"));
    for (const char *p = strchr(t, '\033'); p != NULL; p = strchr(p + 1, '\033')) {
        g_assert_cmpint(p[1], ==, '[');
        gsize n = strspn(p + 2, "0123456789;");
        g_assert_cmpint(p[2 + n], ==, 'm');
    }
    assert_width(t, KT_REPORT_WIDTH);
    f->opts.color = FALSE;
    g_autofree char *plain = render_text(f, &f->opts);
    g_assert_null(strchr(plain, '\033'));
}

static void
test_text_clean(Fixture *f, gconstpointer unused)
{
    g_autofree char *t = render_text(f, &f->opts);
    assert_no_controls(t);
    g_assert_nonnull(strstr(t, "Nothing found: 1 key was checked and none shows signs of"));
    g_assert_null(strstr(t, "KEYS AT RISK"));
    g_assert_null(strstr(t, "INCIDENTS"));
    g_assert_nonnull(strstr(t, "0 incidents"));
    f->results.events = 0;
    g_autofree char *none = render_text(f, &f->opts);
    g_assert_nonnull(strstr(none, "\nwindow: no events\n"));
    g_assert_nonnull(strstr(none, "Nothing found: no API key events were read."));
    /* the fixture's rejects are malformed and bad times: no hint about the key's field */
    g_assert_null(strstr(none, "--field key="));
    /* most lines without a key: the hint names the option (wrapped, so look for words) */
    for (guint i = 0; i < f->stats->len; i++) {
        KtInputStats *st = g_ptr_array_index(f->stats, i);
        st->by_reason[KT_REJECT_NO_KEY] += st->rejected + 1;
        st->rejected = st->rejected * 2 + 1;
    }
    g_autofree char *nokey = render_text(f, &f->opts);
    assert_width(nokey, KT_REPORT_WIDTH);
    g_assert_nonnull(strstr(nokey, "Most lines carry no key where"));
    g_assert_nonnull(strstr(nokey, "--field key=SOURCE"));
    /* with events read, the hint is not given */
    f->results.events = 1;
    g_autofree char *some = render_text(f, &f->opts);
    g_assert_null(strstr(some, "Most lines carry no key"));
}

static void
test_text_min_severity(Fixture *f, gconstpointer unused)
{
    KtIncident *inc = g_ptr_array_index(f->results.incidents, 0);
    inc->severity = KT_SEV_LOW;
    KtKeySummary *k = g_ptr_array_index(f->results.keys, 0);
    k->severity = KT_SEV_LOW;
    f->opts.min_severity = KT_SEV_MEDIUM;
    g_autofree char *t = render_text(f, &f->opts);
    g_test_message("%s", t);
    g_assert_null(strstr(t, "INCIDENTS"));
    g_assert_nonnull(strstr(t, "Nothing at or above medium: 1 incident below it not shown."));
    f->opts.min_severity = KT_SEV_LOW;
    g_autofree char *t2 = render_text(f, &f->opts);
    g_assert_nonnull(strstr(t2, "INCIDENTS"));
}

/* Long hostile fields are cut and wrapped, never wider than 80 columns. */
static void
test_text_long_fields(Fixture *f, gconstpointer unused)
{
    g_autoptr(GString) big = g_string_new(NULL);
    for (int i = 0; i < 400; i++)
        g_string_append(big, i % 7 ? "\xe6\x9d\xb1" : "\x1b[1m");
    KtIncident *inc = g_ptr_array_index(f->results.incidents, 0);
    KtCount c = { intern(f, KT_SPACE_OP, big->str), 1 };
    g_array_append_val(inc->ops, c);
    KtAnomaly *a = g_ptr_array_index(f->results.anomalies, 0);
    g_free(a->message);
    a->message = g_strdup(big->str);
    g_autofree char *t = render_text(f, &f->opts);
    assert_no_controls(t);
    assert_width(t, KT_REPORT_WIDTH);
}

/* (transfer full) Random bytes biased towards escapes, bidi and broken UTF-8. */
static char *
random_hostile(gboolean with_key)
{
    static const char *const pieces[] = { "\x1b[", "\x1b]0;", "\x07", "\r", "\b", "\x9b",
                                          "\xc2\x9b", "\xe2\x80\xae", "\xe2\x81\xa6",
                                          "\xef\xbb\xbf", "\xf3\xa0\x80\x81", "\xff", "\xc3",
                                          "AKIAIOSFODNN7EXAMPLE", "\xe6\x9d\xb1", " ", "a" };
    GString *s = g_string_new(NULL);
    guint n = (guint)g_test_rand_int_range(0, 40);
    for (guint i = 0; i < n; i++) {
        const char *piece = pieces[g_test_rand_int_range(0, G_N_ELEMENTS(pieces))];
        if (!with_key && strcmp(piece, KEY_AKIA) == 0)
            continue;
        if (g_test_rand_bit())
            g_string_append(s, piece);
        else
            g_string_append_c(s, (char)g_test_rand_int_range(1, 256));
    }
    return g_string_free(s, FALSE);
}

/* Random hostile strings in every field: text stays terminal-safe and 80 columns wide,
 * JSON stays parseable, valid UTF-8 and free of raw controls. */
static void
test_hostile_random(Fixture *f, gconstpointer unused)
{
    for (int round = 0; round < 200; round++) {
        KtIncident *inc = g_ptr_array_index(f->results.incidents, 0);
        KtAnomaly *a = g_ptr_array_index(f->results.anomalies, 0);
        KtInputStats *st = g_ptr_array_index(f->stats, 0);
        KtRejectSample *rs = g_ptr_array_index(f->rejects, 0);
        g_autofree char *r1 = random_hostile(TRUE), *r2 = random_hostile(TRUE);
        g_autofree char *r3 = random_hostile(TRUE), *r4 = random_hostile(FALSE);
        g_array_index(inc->ops, KtCount, 0).id = intern(f, KT_SPACE_OP, r1);
        g_array_index(inc->uas, KtCount, 0).id = intern(f, KT_SPACE_UA, r2);
        inc->source = kt_dict_intern_source(f->dict, kt_sv(r3), NULL);
        g_strlcpy(inc->network, r4, sizeof(inc->network)); /* computed, never a key */
        g_free(a->message);
        a->message = random_hostile(TRUE);
        g_free(st->path);
        st->path = random_hostile(FALSE); /* the user's own file names are not redacted */
        g_free(rs->excerpt);
        rs->excerpt = random_hostile(TRUE);
        g_autofree char *t = render_text(f, &f->opts);
        assert_no_controls(t);
        assert_width(t, KT_REPORT_WIDTH);
        GString *stats = g_string_new(NULL);
        kt_report_stats_render(&f->data, &f->opts, stats);
        assert_no_controls(stats->str);
        assert_width(stats->str, KT_REPORT_WIDTH);
        g_string_free(stats, TRUE);
        f->opts.kind = KT_OUTPUT_JSON;
        g_autofree char *j = capture(kt_report_json_findings, f, &f->opts);
        assert_no_controls(j);
        cJSON *doc = cJSON_Parse(j);
        g_assert_nonnull(doc);
        cJSON_Delete(doc);
        g_assert_null(strstr(j, KEY_AKIA));
        g_assert_null(strstr(t, KEY_AKIA));
    }
}

/* --- stats --------------------------------------------------------------------------------- */

static void
test_stats_text(Fixture *f, gconstpointer unused)
{
    add_input(f, "/var/log/a/very/long/directory/name/that/goes/on/and/on/access.log", 1);
    KtInputStats *st = g_ptr_array_index(f->stats, 1);
    st->gzip = FALSE;
    st->error = g_strdup("gzip stream exceeds the ratio limit");
    GString *s = g_string_new(NULL);
    kt_report_stats_render(&f->data, &f->opts, s);
    g_autofree char *t = g_string_free(s, FALSE);
    g_test_message("%s", t);
    assert_no_controls(t);
    assert_width(t, KT_REPORT_WIDTH);
    g_auto(GStrv) lines = g_strsplit(t, "\n", -1);
    g_assert_true(g_str_has_prefix(lines[0], "FILE")); /* no common directory */
    /* columns line up: LINES ends where each row's line count ends */
    const char *h = strstr(lines[0], "LINES");
    gsize end = (gsize)(h - lines[0]) + 5;
    g_autofree char *cut = g_strndup(lines[1], end);
    g_assert_true(g_str_has_suffix(cut, "12350"));
    g_assert_nonnull(strstr(t, "cloudtrail"));
    g_assert_nonnull(strstr(t, "    gzip, 2024-07-01T02:13:20Z .. 2024-07-31T02:49:20Z, 2 skipped"));
    g_assert_nonnull(strstr(t, "\n    rejected: malformed=2 bad_time=1\n"));
    g_assert_nonnull(strstr(t, "\n    4 IPv4 addresses with leading zeros, read as decimal\n"));
    g_assert_null(strstr(t, "cloudtrail/cloudtrail")); /* preset named like the format */
    g_assert_nonnull(strstr(t, "/on/access.log  cloudtrail  ")); /* the name survives the cut */
    g_assert_nonnull(strstr(t, "    not read: gzip stream exceeds the ratio limit\n"));
    g_assert_nonnull(strstr(t, "logs/\\x1b[31mtrail\\u202e.json.gz"));
    g_assert_nonnull(strstr(t, "total (2)"));
    g_assert_nonnull(strstr(t, "First 2 rejected lines:"));
    g_assert_nonnull(strstr(t, "...g/directory/name/that/goes/on/and/on/access.log:17 malformed"));
    g_assert_null(strstr(t, KEY_AKIA)); /* the reject excerpt holds the key: masked */
}

/* Inputs under one directory are shown relative to it; format/preset when they differ. */
static void
test_stats_common_dir(Fixture *f, gconstpointer unused)
{
    g_ptr_array_set_size(f->stats, 0);
    g_ptr_array_set_size(f->rejects, 0);
    add_input(f, "/srv/logs/2024/07/web-01.log.gz", 1);
    add_input(f, "/srv/logs/2024/07/web-02.log.gz", 1);
    add_input(f, "/srv/logs/2024/api.log", 1);
    KtInputStats *st = g_ptr_array_index(f->stats, 2);
    st->format = "clf";
    st->preset = "combined";
    g_assert_cmpuint(kt_report_common_dir(f->stats), ==, strlen("/srv/logs/2024/"));
    GString *s = g_string_new(NULL);
    kt_report_stats_render(&f->data, &f->opts, s);
    g_autofree char *t = g_string_free(s, FALSE);
    g_test_message("%s", t);
    g_assert_true(g_str_has_prefix(t, "Inputs under /srv/logs/2024/\nFILE "));
    g_assert_nonnull(strstr(t, "\n07/web-01.log.gz "));
    g_assert_nonnull(strstr(t, "\napi.log "));
    g_assert_nonnull(strstr(t, " clf/combined "));
    g_assert_nonnull(strstr(t, "\n  07/web-02.log.gz:17 malformed"));
    g_assert_nonnull(strstr(t, "total (3)"));
    /* one input: no common directory */
    g_ptr_array_set_size(f->stats, 1);
    g_assert_cmpuint(kt_report_common_dir(f->stats), ==, 0);
}

static void
test_stats_json(Fixture *f, gconstpointer unused)
{
    f->opts.kind = KT_OUTPUT_JSON;
    g_autofree char *text = capture(kt_report_json_stats, f, &f->opts);
    cJSON *doc = cJSON_Parse(text);
    g_assert_nonnull(doc);
    static const char *const top[] = { "keytrail", "input", "window", NULL };
    assert_members(doc, top);
    cJSON *file = cJSON_GetArrayItem(member(member(doc, "input"), "files"), 0);
    g_assert_cmpfloat(number(file, "lines"), ==, 12350);
    g_assert_cmpstr(str(file, "first"), ==, "2024-07-01T02:13:20Z");
    cJSON_Delete(doc);

    f->opts.kind = KT_OUTPUT_JSONL;
    g_autofree char *lines = capture(kt_report_json_stats, f, &f->opts);
    g_auto(GStrv) l = g_strsplit(lines, "\n", -1);
    g_assert_cmpuint(g_strv_length(l), ==, 3);
    cJSON *a = cJSON_Parse(l[0]);
    cJSON *b = cJSON_Parse(l[1]);
    g_assert_cmpstr(str(a, "type"), ==, "input");
    g_assert_cmpstr(str(b, "type"), ==, "reject");
    g_assert_cmpfloat(number(b, "line"), ==, 17);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* --- misc ---------------------------------------------------------------------------------- */

static void
test_write_error(Fixture *f, gconstpointer unused)
{
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL) {
        g_test_skip("no /dev/full");
        return;
    }
    g_autoptr(GError) error = NULL;
    f->opts.kind = KT_OUTPUT_JSON;
    g_assert_false(kt_report_json_findings(&f->data, &f->opts, full, &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_IO);
    fclose(full);
}

/* Perf (-m perf): many keys, incidents and anomalies through every reporter. */
static void
test_perf(Fixture *f, gconstpointer unused)
{
    if (!g_test_perf()) {
        g_test_skip("perf only (-m perf)");
        return;
    }
    guint nkeys = 100000, nincs = 10000;
    for (guint i = 0; i < nkeys; i++) {
        char key[32];
        g_snprintf(key, sizeof(key), "AKIA%016u", i);
        add_key(f, intern(f, KT_SPACE_KEY, key), 0, i < nincs ? 80 : 0,
                i < nincs ? KT_SEV_HIGH : KT_SEV_NONE, i < nincs ? 1 : 0);
    }
    for (guint i = 0; i < nincs; i++) {
        add_incident(f, 1);
        KtIncident *inc = g_ptr_array_index(f->results.incidents, i + 1);
        inc->id = i + 2;
        add_anomaly(f, KT_DET_NEW_IP, 1, "203.0.113.7", T0, KT_SEV_HIGH, "o", "b", "m");
        add_anomaly(f, KT_DET_NEW_OP, 1, "203.0.113.7", T0, KT_SEV_HIGH, "o", "b", "m");
    }
    static const KtOutputKind kinds[] = { KT_OUTPUT_TEXT, KT_OUTPUT_JSON, KT_OUTPUT_JSONL };
    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        f->opts.kind = kinds[k];
        g_test_timer_start();
        gsize len;
        if (kinds[k] == KT_OUTPUT_TEXT) {
            g_autofree char *t = render_text(f, &f->opts);
            len = strlen(t);
        } else {
            g_autofree char *t = capture(kt_report_json_findings, f, &f->opts);
            len = strlen(t);
        }
        double secs = g_test_timer_elapsed();
        g_test_minimized_result(secs, "output %u: %u keys, %u incidents, %u anomalies, "
                                "%" G_GSIZE_FORMAT " bytes in %.3f s", k, nkeys, nincs + 1,
                                f->results.anomalies->len, len, secs);
    }
}

static void
test_time(void)
{
    char buf[32];
    g_assert_cmpstr(kt_report_time(0, buf), ==, "1970-01-01T00:00:00Z");
    g_assert_cmpstr(kt_report_time(T0, buf), ==, "2024-07-31T02:13:20Z");
    g_assert_cmpstr(kt_report_time(T0 + 5, buf), ==, "2024-07-31T02:13:20.005Z");
    g_assert_cmpstr(kt_report_time(-1, buf), ==, "1969-12-31T23:59:59.999Z");
    g_assert_cmpstr(kt_report_time(G_MININT64, buf), ==, "-");
    g_assert_cmpstr(kt_report_time(G_MAXINT64, buf), ==, "-");
    g_assert_cmpstr(kt_report_time(G_MAXINT64 - 1, buf), ==, "-");
}

static void
test_redact(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "GET /v1/charges?api_key=sk_live_4eC39HqLyjWDarjtT1zdp7dc&x=1",
          "GET /v1/charges?api_key=sk_l...p7dc&x=1" },
        { "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.223-211.872.amzn2.x86_64",
          "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.223-211.872.amzn2.x86_64" },
        { "iam.CreateAccessKeyForServiceAccount", "iam.CreateAccessKeyForServiceAccount" },
        { "key " KEY_AKIA " used", "key AKIA...MPLE used" },
        { "token=ghp_16C7e42F292c6912E7710c838347Ae178B4a", "token=ghp_...8B4a" },
        { "1234567890123456789", "1234567890123456789" }, /* digits only: an id, kept */
        { "", "" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *r = kt_report_redact(cases[i].in, FALSE);
        g_assert_cmpstr(r, ==, cases[i].out);
        g_autofree char *keep = kt_report_redact(cases[i].in, TRUE);
        g_assert_cmpstr(keep, ==, cases[i].in);
    }
    g_autofree char *n = kt_report_redact(NULL, FALSE);
    g_assert_cmpstr(n, ==, "");
}

static void
test_wrap(void)
{
    GString *s = g_string_new(NULL);
    kt_report_text_wrap(s, "aaa bbb", 2, 4);
    g_assert_cmpstr(s->str, ==, "  aaa bbb\n");
    g_string_truncate(s, 0);
    g_autofree char *word = g_strnfill(200, 'x');
    kt_report_text_wrap(s, word, 2, 4);
    assert_width(s->str, KT_REPORT_WIDTH);
    g_assert_cmpuint(s->len, ==, 2 + 78 + 1 + 4 + 76 + 1 + 4 + 46 + 1);
    g_string_free(s, TRUE);
}

typedef void (*FixtureFn)(Fixture *f, gconstpointer data);

static void
add_test(const char *path, FixtureFn fn, int findings)
{
    g_test_add(path, Fixture, GINT_TO_POINTER(findings), fixture_setup, fn, fixture_teardown);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    add_test("/report/json/document", test_json_document, 1);
    add_test("/report/json/incident-anomaly", test_json_incident_anomaly, 1);
    add_test("/report/json/input", test_json_input, 1);
    add_test("/report/json/stream-equal", test_json_stream_equal, 1);
    add_test("/report/json/terminal-safe", test_json_terminal_safe, 1);
    add_test("/report/json/alert-objects", test_alert_objects, 1);
    add_test("/report/jsonl/lines", test_jsonl, 1);
    add_test("/report/secrets/no-full-key", test_no_full_key, 1);
    add_test("/report/text/findings", test_text_findings, 1);
    add_test("/report/text/color", test_text_color, 1);
    add_test("/report/text/clean", test_text_clean, 0);
    add_test("/report/text/min-severity", test_text_min_severity, 1);
    add_test("/report/text/long-fields", test_text_long_fields, 1);
    add_test("/report/hostile/random", test_hostile_random, 1);
    add_test("/report/stats/text", test_stats_text, 1);
    add_test("/report/stats/common-dir", test_stats_common_dir, 1);
    add_test("/report/stats/json", test_stats_json, 1);
    add_test("/report/write-error", test_write_error, 1);
    add_test("/report/perf", test_perf, 1);
    g_test_add_func("/report/time", test_time);
    g_test_add_func("/report/wrap", test_wrap);
    g_test_add_func("/report/redact", test_redact);
    return g_test_run();
}
