/*
 * json.c - the JSON reporters (last pipeline stage): one document of schema 1 for
 * `--output json`, one object per line for `--output jsonl`, and the incident/anomaly
 * objects `watch` sends as alerts. The schema is a contract: docs/JSON.md.
 */
#include "report-private.h"

#include <errno.h>

#include "keytrail/sanitize.h"

/* --- building blocks (a NULL from cJSON means out of memory) -------------------------- */

static cJSON *
jcheck(cJSON *v)
{
    if (v == NULL)
        g_error("out of memory while building the JSON report");
    return v;
}

static void
jadd(cJSON *obj, const char *name, cJSON *v)
{
    if (!cJSON_AddItemToObject(obj, name, jcheck(v)))
        g_error("out of memory while building the JSON report");
}

static void
jpush(cJSON *arr, cJSON *v)
{
    if (!cJSON_AddItemToArray(arr, jcheck(v)))
        g_error("out of memory while building the JSON report");
}

/* A string from a log or the dictionary: made valid UTF-8 first. */
static cJSON *
jstr(const char *s)
{
    g_autofree char *valid = kt_utf8_valid(s, s != NULL ? strlen(s) : 0);
    return jcheck(cJSON_CreateString(valid));
}

static void
jadd_str(cJSON *obj, const char *name, const char *s)
{
    jadd(obj, name, jstr(s));
}

/* null when @s is NULL or empty */
static void
jadd_str_or_null(cJSON *obj, const char *name, const char *s)
{
    jadd(obj, name, s != NULL && *s ? jstr(s) : cJSON_CreateNull());
}

static void
jadd_num(cJSON *obj, const char *name, double v)
{
    jadd(obj, name, cJSON_CreateNumber(v));
}

static void
jadd_bool(cJSON *obj, const char *name, gboolean v)
{
    jadd(obj, name, cJSON_CreateBool(v));
}

static void
jadd_time(cJSON *obj, const char *name, gint64 ms)
{
    char buf[32];
    if (!kt_report_time_set(ms)) {
        jadd(obj, name, cJSON_CreateNull());
        return;
    }
    jadd(obj, name, cJSON_CreateString(kt_report_time(ms, buf)));
}

static void
jadd_key(cJSON *obj, const KtDict *dict, guint32 key, const KtReportOptions *o)
{
    g_autofree char *k = kt_report_key(dict, key, o);
    jadd_str_or_null(obj, "key", k);
}

/* `entity` names the principal, only when the finding is judged by principal. */
static void
jadd_entity(cJSON *obj, const KtDict *dict, guint32 entity, gboolean is_principal)
{
    const char *p = kt_report_principal(dict, entity, is_principal);
    if (p != NULL)
        jadd_str(obj, "entity", p);
}

/* [{@label: name, count: n}] over a KtCount array of ids in @space. */
static cJSON *
jcounts(const GArray *counts, const KtDict *dict, KtSpace space, const char *label,
        const KtReportOptions *ro)
{
    cJSON *arr = jcheck(cJSON_CreateArray());
    for (guint i = 0; counts != NULL && i < counts->len; i++) {
        const KtCount *c = &g_array_index(counts, KtCount, i);
        cJSON *o = jcheck(cJSON_CreateObject());
        g_autofree char *text = kt_report_log_str(dict, space, c->id, ro);
        jadd_str(o, label, text);
        jadd_num(o, "count", (double)c->count);
        jpush(arr, o);
    }
    return arr;
}

/* --- input ------------------------------------------------------------------------------ */

/* @type (nullable) adds a leading "type" member, for JSON lines. */
static cJSON *
json_input_file(const KtInputStats *st, const char *type)
{
    cJSON *f = jcheck(cJSON_CreateObject());
    if (type != NULL)
        jadd_str(f, "type", type);
    jadd_str(f, "path", st->path);
    jadd_str_or_null(f, "format", st->format);
    jadd_str_or_null(f, "preset", st->preset);
    jadd_bool(f, "gzip", st->gzip);
    jadd_num(f, "lines", (double)st->lines);
    jadd_num(f, "events", (double)st->events);
    jadd_num(f, "skipped", (double)st->skipped);
    jadd_num(f, "rejected", (double)st->rejected);
    cJSON *by = jcheck(cJSON_CreateObject());
    for (int r = 0; r < KT_REJECT_COUNT; r++) {
        if (st->by_reason[r] > 0)
            jadd_num(by, kt_reject_name((KtReject)r), (double)st->by_reason[r]);
    }
    jadd(f, "rejected_by_reason", by);
    jadd_num(f, "ip_warnings", (double)st->ip_warnings);
    jadd_num(f, "distinct_keys", st->keys != NULL ? g_hash_table_size(st->keys) : 0);
    jadd_time(f, "first", st->first_ms);
    jadd_time(f, "last", st->last_ms);
    jadd_str_or_null(f, "error", st->error);
    return f;
}

static cJSON *
json_reject(const KtRejectSample *rs, const KtReportOptions *o, const char *type)
{
    cJSON *r = jcheck(cJSON_CreateObject());
    if (type != NULL)
        jadd_str(r, "type", type);
    jadd_str(r, "file", rs->path);
    jadd_num(r, "line", (double)rs->line);
    jadd_str(r, "reason", kt_reject_name(rs->reason));
    jadd_str_or_null(r, "detail", rs->detail);
    g_autofree char *excerpt = kt_report_redact_excerpt(rs->excerpt, o->reveal_keys);
    jadd_str(r, "excerpt", excerpt);
    return r;
}

cJSON *
kt_report_json_input(const KtReportData *d, const KtReportOptions *o)
{
    cJSON *in = jcheck(cJSON_CreateObject());
    cJSON *files = jcheck(cJSON_CreateArray());
    for (guint i = 0; d->stats != NULL && i < d->stats->len; i++)
        jpush(files, json_input_file(g_ptr_array_index(d->stats, i), NULL));
    jadd(in, "files", files);
    guint64 events, rejected;
    kt_report_totals(d->stats, &events, &rejected, NULL);
    jadd_num(in, "events", (double)events);
    jadd_num(in, "rejected", (double)rejected);
    cJSON *rejects = jcheck(cJSON_CreateArray());
    for (guint i = 0; d->rejects != NULL && i < d->rejects->len; i++)
        jpush(rejects, json_reject(g_ptr_array_index(d->rejects, i), o, NULL));
    jadd(in, "rejects", rejects);
    return in;
}

/* --- findings --------------------------------------------------------------------------- */

static cJSON *
json_consumer(const KtConsumer *c, const KtDict *dict, const KtReportOptions *ro)
{
    cJSON *o = jcheck(cJSON_CreateObject());
    jadd_str_or_null(o, "network", c->network);
    jadd_str_or_null(o, "user_agent", c->ua_family);
    jadd(o, "ops", jcounts(c->ops, dict, KT_SPACE_OP, "op", ro));
    jadd_num(o, "events", (double)c->events);
    jadd_time(o, "first_seen", c->first_ms);
    jadd_time(o, "last_seen", c->last_ms);
    return o;
}

static cJSON *
json_key(const KtKeySummary *k, const KtDict *dict, const KtReportOptions *o)
{
    cJSON *j = jcheck(cJSON_CreateObject());
    jadd_key(j, dict, k->key, o);
    jadd_entity(j, dict, k->entity, k->entity_is_principal);
    jadd_time(j, "first_seen", k->first_ms);
    jadd_time(j, "last_seen", k->last_ms);
    jadd_num(j, "events", (double)k->events);
    jadd_num(j, "denied", (double)k->denied);
    jadd_num(j, "errors", (double)k->errors);
    jadd_num(j, "distinct_ips", k->distinct_ips);
    jadd_num(j, "distinct_networks", k->distinct_networks);
    jadd_num(j, "incidents", k->incidents);
    jadd_num(j, "risk", CLAMP(k->risk, 0, 100));
    jadd_str(j, "severity", kt_severity_name(k->severity));
    cJSON *cons = jcheck(cJSON_CreateArray());
    for (guint i = 0; k->consumers != NULL && i < k->consumers->len; i++)
        jpush(cons, json_consumer(g_ptr_array_index(k->consumers, i), dict, o));
    jadd(j, "consumers", cons);
    return j;
}

static cJSON *
json_incident(const KtIncident *inc, const KtDict *dict, const KtReportOptions *o,
              gboolean with_type)
{
    cJSON *j = jcheck(cJSON_CreateObject());
    if (with_type)
        jadd_str(j, "type", "incident");
    jadd_num(j, "id", (double)inc->id);
    jadd_key(j, dict, inc->key, o);
    jadd_entity(j, dict, inc->entity, inc->entity_is_principal);
    g_autofree char *ip = kt_report_log_str(dict, KT_SPACE_SOURCE, inc->source, o);
    jadd_str_or_null(j, "ip", ip);
    jadd_str_or_null(j, "network", inc->network);
    jadd_time(j, "first_seen", inc->first_ms);
    jadd_time(j, "last_seen", inc->last_ms);
    jadd_num(j, "events", (double)inc->events);
    jadd_num(j, "denied", (double)inc->denied);
    jadd_num(j, "errors", (double)inc->errors);
    jadd(j, "bytes", inc->bytes >= 0 ? cJSON_CreateNumber((double)inc->bytes)
                                     : cJSON_CreateNull());
    jadd(j, "ops", jcounts(inc->ops, dict, KT_SPACE_OP, "op", o));
    jadd(j, "user_agents", jcounts(inc->uas, dict, KT_SPACE_UA, "user_agent", o));
    cJSON *reasons = jcheck(cJSON_CreateArray());
    for (int k = 0; k < KT_DET_COUNT; k++) {
        if (inc->reasons & (1u << k))
            jpush(reasons, cJSON_CreateString(kt_report_kind_name((KtDetectorKind)k)));
    }
    jadd(j, "reasons", reasons);
    cJSON *ids = jcheck(cJSON_CreateArray());
    for (guint i = 0; inc->anomalies != NULL && i < inc->anomalies->len; i++)
        jpush(ids, cJSON_CreateNumber((double)g_array_index(inc->anomalies, guint64, i)));
    jadd(j, "anomalies", ids);
    jadd_num(j, "score", CLAMP(inc->score, 0, 100));
    jadd_str(j, "severity", kt_severity_name(inc->severity));
    jadd_bool(j, "open", inc->open);
    return j;
}

static cJSON *
json_anomaly(const KtAnomaly *a, const KtDict *dict, const KtReportOptions *o,
             gboolean with_type)
{
    cJSON *j = jcheck(cJSON_CreateObject());
    if (with_type)
        jadd_str(j, "type", "anomaly");
    jadd_num(j, "id", (double)a->id);
    jadd_str(j, "kind", kt_report_kind_name(a->kind));
    jadd_key(j, dict, a->key, o);
    jadd_entity(j, dict, a->entity, a->entity_is_principal);
    g_autofree char *ip = kt_report_log_str(dict, KT_SPACE_SOURCE, a->source, o);
    jadd_str_or_null(j, "ip", ip);
    jadd_time(j, "time", a->time_ms);
    jadd_str(j, "severity", kt_severity_name(a->severity));
    jadd_num(j, "score", CLAMP(a->score, 0, 100));
    g_autofree char *observed = kt_report_redact_key(a->observed, dict, a->key, o);
    g_autofree char *baseline = kt_report_redact_key(a->baseline, dict, a->key, o);
    g_autofree char *message = kt_report_redact_key(a->message, dict, a->key, o);
    jadd_str_or_null(j, "observed", observed);
    jadd_str_or_null(j, "baseline", baseline);
    jadd_str(j, "message", message != NULL ? message : "");
    jadd(j, "incident", a->incident != 0 ? cJSON_CreateNumber((double)a->incident)
                                         : cJSON_CreateNull());
    return j;
}

cJSON *
kt_report_incident_json(const KtIncident *inc, const KtDict *dict, const KtReportOptions *o)
{
    g_return_val_if_fail(inc != NULL && dict != NULL && o != NULL, NULL);
    return json_incident(inc, dict, o, TRUE);
}

cJSON *
kt_report_anomaly_json(const KtAnomaly *a, const KtDict *dict, const KtReportOptions *o)
{
    g_return_val_if_fail(a != NULL && dict != NULL && o != NULL, NULL);
    return json_anomaly(a, dict, o, TRUE);
}

/* --- the document ----------------------------------------------------------------------- */

static cJSON *
json_window(const KtReportData *d, const KtReportOptions *o)
{
    gint64 first, last;
    if (d->results != NULL && d->results->events > 0) {
        first = d->results->first_ms;
        last = d->results->last_ms;
    } else {
        kt_report_stats_range(d->stats, &first, &last);
    }
    cJSON *w = jcheck(cJSON_CreateObject());
    jadd_time(w, "first", first);
    jadd_time(w, "last", last);
    jadd_time(w, "leak_time", o->leak_time_ms);
    return w;
}

/* Adds keys, incidents and anomalies (empty arrays without results). */
static void
json_findings(cJSON *doc, const KtReportData *d, const KtReportOptions *o)
{
    const KtResults *r = d->results;
    cJSON *keys = jcheck(cJSON_CreateArray());
    cJSON *incs = jcheck(cJSON_CreateArray());
    cJSON *anoms = jcheck(cJSON_CreateArray());
    for (guint i = 0; r != NULL && r->keys != NULL && i < r->keys->len; i++)
        jpush(keys, json_key(g_ptr_array_index(r->keys, i), d->dict, o));
    for (guint i = 0; r != NULL && r->incidents != NULL && i < r->incidents->len; i++)
        jpush(incs, json_incident(g_ptr_array_index(r->incidents, i), d->dict, o, FALSE));
    for (guint i = 0; r != NULL && r->anomalies != NULL && i < r->anomalies->len; i++)
        jpush(anoms, json_anomaly(g_ptr_array_index(r->anomalies, i), d->dict, o, FALSE));
    jadd(doc, "keys", keys);
    jadd(doc, "incidents", incs);
    jadd(doc, "anomalies", anoms);
    jadd_num(doc, "anomalies_dropped", r != NULL ? (double)r->anomalies_dropped : 0);
}

cJSON *
kt_report_json_document(const KtReportData *d, const KtReportOptions *o, gboolean stats_only)
{
    cJSON *doc = jcheck(cJSON_CreateObject());
    cJSON *kt = jcheck(cJSON_CreateObject());
    jadd_str(kt, "version", KT_VERSION);
    jadd_num(kt, "schema", KT_REPORT_SCHEMA);
    jadd(doc, "keytrail", kt);
    jadd(doc, "input", kt_report_json_input(d, o));
    jadd(doc, "window", json_window(d, o));
    if (!stats_only)
        json_findings(doc, d, o);
    return doc;
}

/* --- printing ----------------------------------------------------------------------------- */

static void
append_json_escape(GString *s, gunichar c)
{
    if (c > 0xffff) {
        c -= 0x10000;
        g_string_append_printf(s, "\\u%04x\\u%04x", (unsigned)(0xd800 + (c >> 10)),
                               (unsigned)(0xdc00 + (c & 0x3ff)));
    } else {
        g_string_append_printf(s, "\\u%04x", (unsigned)c);
    }
}

/*
 * Prints @v and appends it to @s with terminal-unsafe code points escaped and, when
 * @depth > 0, every line after the first indented by @depth more tabs (so that a value
 * printed on its own nests inside a streamed document). Every string went through
 * kt_utf8_valid, so the text is valid UTF-8; unsafe code points and newlines only
 * occur where the encoder put them: inside strings (as \uXXXX they mean the same) and
 * between members.
 */
static void
append_value(GString *s, const cJSON *v, gboolean pretty, guint depth)
{
    char *text = pretty ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
    if (text == NULL)
        g_error("out of memory while printing the JSON report");
    const char *p = text;
    while (*p) {
        const char *run = p;
        while ((guchar)*p >= 0x20 && (guchar)*p < 0x7f)
            p++;
        g_string_append_len(s, run, p - run);
        if (*p == '\0')
            break;
        if (*p == '\n') {
            g_string_append_c(s, '\n');
            for (guint i = 0; i < depth; i++)
                g_string_append_c(s, '\t');
            p++;
            continue;
        }
        gunichar c = g_utf8_get_char(p);
        const char *next = g_utf8_next_char(p);
        if (c >= 0x7f && kt_sanitize_needs_escape(c))
            append_json_escape(s, c);
        else
            g_string_append_len(s, p, next - p);
        p = next;
    }
    cJSON_free(text);
}

void
kt_report_json_print(const cJSON *doc, gboolean pretty, GString *s)
{
    append_value(s, doc, pretty, 0);
    g_string_append_c(s, '\n');
}

/* A JSON document written piece by piece, so that memory holds one element at a time
 * rather than the whole report. */
typedef struct {
    FILE *out;
    GString *buf;
    gboolean pretty;
    gboolean failed; /* a write failed; later writes are skipped */
    int err;         /* its errno */
} JsonStream;

#define JSON_STREAM_CHUNK (64 * 1024)

static void
js_flush(JsonStream *js, gboolean force)
{
    if (js->buf->len == 0 || (!force && js->buf->len < JSON_STREAM_CHUNK))
        return;
    errno = 0;
    if (!js->failed && fwrite(js->buf->str, 1, js->buf->len, js->out) != js->buf->len) {
        js->failed = TRUE;
        js->err = errno != 0 ? errno : EIO;
    }
    g_string_truncate(js->buf, 0);
}

/* `"name": ` at depth 1 of the document */
static void
js_name(JsonStream *js, const char *name, gboolean first)
{
    if (!first)
        g_string_append_c(js->buf, ',');
    if (js->pretty)
        g_string_append_printf(js->buf, "\n\t\"%s\":\t", name);
    else
        g_string_append_printf(js->buf, "\"%s\":", name);
}

/* A member whose value is small (consumed). */
static void
js_member(JsonStream *js, const char *name, cJSON *v, gboolean first)
{
    js_name(js, name, first);
    append_value(js->buf, v, js->pretty, 1);
    cJSON_Delete(v);
    js_flush(js, FALSE);
}

/* One element of an array member (consumed). */
static void
js_element(JsonStream *js, cJSON *v, gboolean first)
{
    if (!first)
        g_string_append_c(js->buf, ',');
    if (js->pretty)
        g_string_append(js->buf, "\n\t\t");
    append_value(js->buf, v, js->pretty, 2);
    cJSON_Delete(v);
    js_flush(js, FALSE);
}

static void
js_array_end(JsonStream *js, guint n)
{
    g_string_append(js->buf, js->pretty && n > 0 ? "\n\t]" : "]");
}

typedef cJSON *(*ElementFn)(gconstpointer item, const KtReportData *d, const KtReportOptions *o);

static cJSON *
key_element(gconstpointer item, const KtReportData *d, const KtReportOptions *o)
{
    return json_key(item, d->dict, o);
}

static cJSON *
incident_element(gconstpointer item, const KtReportData *d, const KtReportOptions *o)
{
    return json_incident(item, d->dict, o, FALSE);
}

static cJSON *
anomaly_element(gconstpointer item, const KtReportData *d, const KtReportOptions *o)
{
    return json_anomaly(item, d->dict, o, FALSE);
}

static void
js_array(JsonStream *js, const char *name, GPtrArray *items, ElementFn fn,
         const KtReportData *d, const KtReportOptions *o)
{
    guint n = items != NULL ? items->len : 0;
    js_name(js, name, FALSE);
    g_string_append_c(js->buf, '[');
    for (guint i = 0; i < n; i++)
        js_element(js, fn(g_ptr_array_index(items, i), d, o), i == 0);
    js_array_end(js, n);
}

/* The findings document, member order as kt_report_json_document(). */
static void
stream_document(JsonStream *js, const KtReportData *d, const KtReportOptions *o)
{
    static const KtResults empty = { 0 };
    const KtResults *r = d->results != NULL ? d->results : &empty;
    cJSON *kt = jcheck(cJSON_CreateObject());
    jadd_str(kt, "version", KT_VERSION);
    jadd_num(kt, "schema", KT_REPORT_SCHEMA);
    g_string_append_c(js->buf, '{');
    js_member(js, "keytrail", kt, TRUE);
    js_member(js, "input", kt_report_json_input(d, o), FALSE);
    js_member(js, "window", json_window(d, o), FALSE);
    js_array(js, "keys", r->keys, key_element, d, o);
    js_array(js, "incidents", r->incidents, incident_element, d, o);
    js_array(js, "anomalies", r->anomalies, anomaly_element, d, o);
    js_member(js, "anomalies_dropped", cJSON_CreateNumber((double)r->anomalies_dropped),
              FALSE);
    g_string_append(js->buf, js->pretty ? "\n}\n" : "}\n");
}

static void
stream_lines(JsonStream *js, const KtReportData *d, const KtReportOptions *o)
{
    const KtResults *r = d->results;
    for (guint i = 0; r != NULL && r->incidents != NULL && i < r->incidents->len; i++) {
        cJSON *j = json_incident(g_ptr_array_index(r->incidents, i), d->dict, o, TRUE);
        kt_report_json_print(j, FALSE, js->buf);
        cJSON_Delete(j);
        js_flush(js, FALSE);
    }
    for (guint i = 0; r != NULL && r->anomalies != NULL && i < r->anomalies->len; i++) {
        cJSON *j = json_anomaly(g_ptr_array_index(r->anomalies, i), d->dict, o, TRUE);
        kt_report_json_print(j, FALSE, js->buf);
        cJSON_Delete(j);
        js_flush(js, FALSE);
    }
}

gboolean
kt_report_json_findings(const KtReportData *d, const KtReportOptions *o, FILE *out,
                        GError **error)
{
    g_autoptr(GString) buf = g_string_sized_new(JSON_STREAM_CHUNK + 4096);
    JsonStream js = { out, buf, o->pretty && o->kind == KT_OUTPUT_JSON, FALSE, 0 };
    if (o->kind == KT_OUTPUT_JSONL)
        stream_lines(&js, d, o);
    else
        stream_document(&js, d, o);
    js_flush(&js, TRUE);
    if (js.failed) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot write the report: %s",
                    g_strerror(js.err));
        return FALSE;
    }
    g_string_truncate(buf, 0);
    return kt_report_write(out, buf, error); /* flushes and checks the stream */
}

gboolean
kt_report_json_stats(const KtReportData *d, const KtReportOptions *o, FILE *out,
                     GError **error)
{
    g_autoptr(GString) s = g_string_sized_new(4096);
    if (o->kind == KT_OUTPUT_JSONL) {
        for (guint i = 0; d->stats != NULL && i < d->stats->len; i++) {
            cJSON *j = json_input_file(g_ptr_array_index(d->stats, i), "input");
            kt_report_json_print(j, FALSE, s);
            cJSON_Delete(j);
        }
        for (guint i = 0; d->rejects != NULL && i < d->rejects->len; i++) {
            cJSON *j = json_reject(g_ptr_array_index(d->rejects, i), o, "reject");
            kt_report_json_print(j, FALSE, s);
            cJSON_Delete(j);
        }
    } else {
        cJSON *doc = kt_report_json_document(d, o, TRUE);
        kt_report_json_print(doc, o->pretty, s);
        cJSON_Delete(doc);
    }
    return kt_report_write(out, s, error);
}
