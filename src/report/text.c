/*
 * text.c - the terminal reporter (last pipeline stage): keys at risk with their
 * legitimate consumers, then incidents with their evidence, then an input summary.
 * Wraps to 80 columns; colour only when asked; every log string is sanitized.
 */
#include "report-private.h"

#include "keytrail/sanitize.h"

#define MAX_CONSUMERS 5       /* per key at risk */
#define MAX_OPS 5             /* per incident sentence and consumer */
#define MAX_UAS 3             /* per incident */
#define MAX_ANOMALIES 6       /* reasons shown per incident */

static const char *const sev_colors[] = {
    "",          /* none */
    "\033[2m",   /* info: dim */
    "\033[36m",  /* low: cyan */
    "\033[33m",  /* medium: yellow */
    "\033[31m",  /* high: red */
    "\033[1;31m" /* critical: bold red */
};
#define COLOR_BOLD "\033[1m"
#define COLOR_RESET "\033[0m"

/* --- width and wrapping ---------------------------------------------------------------- */

guint
kt_report_text_width(const char *s, gsize len)
{
    guint w = 0;
    const char *end = s + len;
    for (const char *p = s; p < end;) {
        if (*p == '\033') {
            /* our own SGR sequences: ESC [ ... m, zero width */
            while (p < end && *p != 'm')
                p++;
            if (p < end)
                p++;
            continue;
        }
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            w++;
            p++;
            continue;
        }
        if (g_unichar_iswide(c))
            w += 2;
        else if (!g_unichar_iszerowidth(c))
            w += 1;
        p = g_utf8_next_char(p);
    }
    return w;
}

static void
pad(GString *s, guint n)
{
    for (guint i = 0; i < n; i++)
        g_string_append_c(s, ' ');
}

/* Appends as much of @w (@len bytes) as fits in @room columns, at least one character;
 * returns the number of bytes used. */
static gsize
fit_prefix(GString *s, const char *w, gsize len, guint room, guint *used)
{
    gsize i = 0;
    *used = 0;
    while (i < len) {
        const char *next = g_utf8_find_next_char(w + i, w + len);
        gsize n = next != NULL ? (gsize)(next - (w + i)) : len - i;
        guint cw = kt_report_text_width(w + i, n);
        if (i > 0 && *used + cw > room)
            break;
        *used += cw;
        i += n;
    }
    g_string_append_len(s, w, (gssize)i);
    return i;
}

void
kt_report_text_wrap(GString *s, const char *text, guint indent, guint hang)
{
    guint col = indent;
    gboolean empty = TRUE;
    pad(s, indent);
    for (const char *p = text; *p;) {
        const char *sp = p;
        while (*p == ' ')
            p++;
        guint spaces = (guint)(p - sp);
        if (*p == '\0')
            break;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        gsize wlen = (gsize)(p - w);
        guint ww = kt_report_text_width(w, wlen);
        if (!empty && col + spaces + ww > KT_REPORT_WIDTH) {
            g_string_append_c(s, '\n');
            pad(s, hang);
            col = hang;
        } else if (!empty) {
            pad(s, spaces);
            col += spaces;
        }
        empty = FALSE;
        /* a word wider than the line is cut */
        while (col + ww > KT_REPORT_WIDTH && col < KT_REPORT_WIDTH) {
            guint used;
            gsize n = fit_prefix(s, w, wlen, KT_REPORT_WIDTH - col, &used);
            w += n;
            wlen -= n;
            ww = kt_report_text_width(w, wlen);
            if (wlen == 0)
                break;
            g_string_append_c(s, '\n');
            pad(s, hang);
            col = hang;
        }
        g_string_append_len(s, w, (gssize)wlen);
        col += ww;
    }
    g_string_append_c(s, '\n');
}

void
kt_report_text_field(GString *s, const char *text, guint max_chars)
{
    g_autoptr(GString) clean = g_string_new(NULL);
    kt_sanitize_append(clean, text, text != NULL ? strlen(text) : 0);
    glong chars = g_utf8_strlen(clean->str, (gssize)clean->len);
    if (max_chars < 4 || chars <= (glong)max_chars) {
        g_string_append_len(s, clean->str, (gssize)clean->len);
        return;
    }
    const char *cut = g_utf8_offset_to_pointer(clean->str, (glong)max_chars - 3);
    g_string_append_len(s, clean->str, cut - clean->str);
    g_string_append(s, "...");
}

/* --- small formatters --------------------------------------------------------------------- */

static void
append_count(GString *s, guint64 n)
{
    char digits[32];
    int len = g_snprintf(digits, sizeof(digits), "%" G_GUINT64_FORMAT, n);
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            g_string_append_c(s, ',');
        g_string_append_c(s, digits[i]);
    }
}

static void
append_plural(GString *s, guint64 n, const char *one, const char *many)
{
    append_count(s, n);
    g_string_append_printf(s, " %s", n == 1 ? one : many);
}

static void
append_sev(GString *s, const KtReportOptions *o, KtSeverity sev)
{
    g_autofree char *up = g_ascii_strup(kt_severity_name(sev), -1);
    if (o->color && (unsigned)sev <= KT_SEV_CRITICAL && sev != KT_SEV_NONE)
        g_string_append_printf(s, "%s%s%s", sev_colors[sev], up, COLOR_RESET);
    else
        g_string_append(s, up);
}

static void
heading(GString *s, const KtReportOptions *o, const char *title)
{
    g_string_append_c(s, '\n');
    if (o->color)
        g_string_append_printf(s, "%s%s%s\n", COLOR_BOLD, title, COLOR_RESET);
    else
        g_string_append_printf(s, "%s\n", title);
}

static void
append_key(GString *s, const KtDict *dict, guint32 key, const KtReportOptions *o)
{
    g_autofree char *k = kt_report_key(dict, key, o);
    kt_report_text_field(s, *k ? k : "(none)", 64);
}

/* "on 2024-07-31 from 02:13 to 02:49 UTC" or "from 2024-07-30 23:50 to ... UTC" */
static void
append_span(GString *s, gint64 first, gint64 last)
{
    char a[32], b[32];
    kt_report_time(first, a);
    kt_report_time(last, b);
    if (strlen(a) < 16 || strlen(b) < 16) {
        g_string_append_printf(s, "from %s to %s", a, b);
        return;
    }
    if (strncmp(a, b, 10) == 0)
        g_string_append_printf(s, "on %.10s from %.5s to %.5s UTC", a, a + 11, b + 11);
    else
        g_string_append_printf(s, "from %.10s %.5s to %.10s %.5s UTC", a, a + 11, b, b + 11);
}

/* "48.0 kB" (decimal units, plain space: g_format_size uses U+00A0) */
static void
append_bytes(GString *s, guint64 n)
{
    static const char *const units[] = { "kB", "MB", "GB", "TB", "PB" };
    if (n < 1000) {
        g_string_append_printf(s, ", %" G_GUINT64_FORMAT " bytes", n);
        return;
    }
    double v = (double)n / 1000.0;
    guint u = 0;
    while (v >= 999.95 && u + 1 < G_N_ELEMENTS(units)) {
        v /= 1000.0;
        u++;
    }
    g_string_append_printf(s, ", %.1f %s", v, units[u]);
}

/* "iam:ListUsers (120), s3:ListBuckets (80) ..." */
static void
append_counts(GString *s, const GArray *counts, const KtDict *dict, KtSpace space, guint max,
              guint max_chars, const KtReportOptions *o)
{
    guint n = counts != NULL ? counts->len : 0;
    for (guint i = 0; i < n && i < max; i++) {
        const KtCount *c = &g_array_index(counts, KtCount, i);
        if (i > 0)
            g_string_append(s, ", ");
        g_autofree char *text = kt_report_log_str(dict, space, c->id, o);
        kt_report_text_field(s, text, max_chars);
        g_string_append(s, " (");
        append_count(s, c->count);
        g_string_append_c(s, ')');
    }
    if (n > max)
        g_string_append_printf(s, " and %u more", n - max);
}

/* --- keys at risk ------------------------------------------------------------------------- */

static void
render_consumer(GString *s, const KtConsumer *c, const KtDict *dict, const KtReportOptions *o)
{
    g_autoptr(GString) line = g_string_new("- ");
    kt_report_text_field(line, *c->network ? c->network : "(unknown source)", 50);
    g_string_append(line, "  ");
    kt_report_text_field(line, c->ua_family != NULL && *c->ua_family ? c->ua_family
                                                                       : "(no user agent)",
                         40);
    g_string_append(line, ": ");
    append_plural(line, c->events, "event", "events");
    char a[32], b[32];
    g_string_append_printf(line, ", %.10s .. %.10s", kt_report_time(c->first_ms, a),
                           kt_report_time(c->last_ms, b));
    if (c->ops != NULL && c->ops->len > 0) {
        g_string_append(line, "; ops: ");
        append_counts(line, c->ops, dict, KT_SPACE_OP, 3, 40, o);
    }
    kt_report_text_wrap(s, line->str, 6, 8);
}

static void
render_key(GString *s, const KtKeySummary *k, const KtDict *dict, const KtReportOptions *o)
{
    g_autoptr(GString) line = g_string_new(NULL);
    append_key(line, dict, k->key, o);
    g_string_append_printf(line, "  risk %d  ", CLAMP(k->risk, 0, 100));
    append_sev(line, o, k->severity);
    kt_report_text_wrap(s, line->str, 2, 4);

    g_string_truncate(line, 0);
    const char *principal = kt_report_principal(dict, k->entity, k->entity_is_principal);
    if (principal != NULL) {
        g_string_append(line, "principal ");
        kt_report_text_field(line, principal, 200);
        kt_report_text_wrap(s, line->str, 4, 6);
        g_string_truncate(line, 0);
    }
    append_plural(line, k->events, "event", "events");
    g_string_append(line, " (");
    append_count(line, k->denied);
    g_string_append(line, " denied, ");
    append_plural(line, k->errors, "error", "errors");
    g_string_append(line, "), ");
    append_plural(line, k->distinct_ips, "IP", "IPs");
    g_string_append(line, " in ");
    append_plural(line, k->distinct_networks, "network", "networks");
    g_string_append(line, ", ");
    append_plural(line, k->incidents, "incident", "incidents");
    kt_report_text_wrap(s, line->str, 4, 6);
    char a[32], b[32];
    g_string_printf(line, "first seen %s, last seen %s", kt_report_time(k->first_ms, a),
                    kt_report_time(k->last_ms, b));
    kt_report_text_wrap(s, line->str, 4, 6);

    guint n = k->consumers != NULL ? k->consumers->len : 0;
    if (n == 0) {
        kt_report_text_wrap(s, "No legitimate consumer learned: revoking it should break "
                               "nothing known.", 4, 6);
        return;
    }
    kt_report_text_wrap(s, "What breaks if you revoke it (legitimate consumers):", 4, 6);
    for (guint i = 0; i < n && i < MAX_CONSUMERS; i++)
        render_consumer(s, g_ptr_array_index(k->consumers, i), dict, o);
    if (n > MAX_CONSUMERS)
        g_string_append_printf(s, "      (and %u more)\n", n - MAX_CONSUMERS);
}

static gboolean
shown(KtSeverity sev, const KtReportOptions *o)
{
    return o->min_severity <= KT_SEV_INFO || sev >= o->min_severity;
}

/* "(and 12 more incidents, less severe: --limit 0 lists all)" after a list cut at @limit. */
static void
more_line(GString *s, guint n, guint limit, const char *one, const char *many)
{
    if (limit == 0 || n <= limit)
        return;
    g_autoptr(GString) line = g_string_new("(and ");
    append_count(line, n - limit);
    g_string_append_printf(line, " more %s, less severe: --limit 0 lists all)",
                           n - limit == 1 ? one : many);
    kt_report_text_wrap(s, line->str, 2, 3);
}

/* The incidents the severity filter hides, by severity: "note: 7,354 low and 5,075 info
 * incidents are not listed (--min-severity info lists them)". */
static void
render_hidden(GString *s, const KtResults *r, const KtReportOptions *o)
{
    guint counts[KT_SEV_CRITICAL + 1] = { 0 };
    guint n = r->incidents != NULL ? r->incidents->len : 0, hidden = 0;
    KtSeverity lowest = o->min_severity;
    for (guint i = 0; i < n; i++) {
        const KtIncident *inc = g_ptr_array_index(r->incidents, i);
        if (shown(inc->severity, o))
            continue;
        counts[CLAMP((int)inc->severity, 0, KT_SEV_CRITICAL)]++;
        hidden++;
        lowest = MIN(lowest, inc->severity);
    }
    if (hidden == 0)
        return;
    g_autoptr(GString) line = g_string_new("note: ");
    guint left = hidden;
    for (int sev = KT_SEV_CRITICAL; sev >= 0; sev--) {
        if (counts[sev] == 0)
            continue;
        if (left != hidden)
            g_string_append(line, left == counts[sev] ? " and " : ", ");
        append_count(line, counts[sev]);
        g_string_append_printf(line, " %s", kt_severity_name((KtSeverity)sev));
        left -= counts[sev];
    }
    g_string_append_printf(line, " %s not listed (--min-severity %s lists %s)",
                           hidden == 1 ? "incident is" : "incidents are",
                           kt_severity_name(lowest), hidden == 1 ? "it" : "them");
    kt_report_text_wrap(s, line->str, 0, 2);
}

/* Returns the number of keys at risk shown. */
static guint
render_keys(GString *s, const KtReportData *d, const KtReportOptions *o)
{
    const KtResults *r = d->results;
    guint at_risk = 0, total = r->keys != NULL ? r->keys->len : 0;
    for (guint i = 0; i < total; i++) {
        const KtKeySummary *k = g_ptr_array_index(r->keys, i);
        if (k->incidents == 0 || !shown(k->severity, o))
            continue;
        at_risk++;
        if (o->limit > 0 && at_risk > o->limit)
            continue;
        if (at_risk == 1)
            heading(s, o, "KEYS AT RISK");
        else
            g_string_append_c(s, '\n');
        render_key(s, k, d->dict, o);
    }
    more_line(s, at_risk, o->limit, "key", "keys");
    return at_risk;
}

/* --- incidents ---------------------------------------------------------------------------- */

static const KtAnomaly *
find_anomaly(const KtResults *r, guint64 id)
{
    if (r->anomalies == NULL || id == 0)
        return NULL;
    if (id <= r->anomalies->len) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, id - 1);
        if (a->id == id)
            return a;
    }
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        if (a->id == id)
            return a;
    }
    return NULL;
}

static void
render_evidence(GString *s, const KtIncident *inc, const KtDict *dict,
                const KtReportOptions *o)
{
    g_autoptr(GString) line = g_string_new(NULL);
    g_autofree char *src = kt_report_log_str(dict, KT_SPACE_SOURCE, inc->source, o);
    g_string_append(line, *inc->network ? "IP " : "Source ");
    kt_report_text_field(line, *src ? src : "(unknown)", 60);
    g_string_append(line, " used key ");
    append_key(line, dict, inc->key, o);
    const char *principal = kt_report_principal(dict, inc->entity, inc->entity_is_principal);
    if (principal != NULL) {
        g_string_append(line, " of ");
        kt_report_text_field(line, principal, 120);
    }
    g_string_append_c(line, ' ');
    append_span(line, inc->first_ms, inc->last_ms);
    g_string_append(line, ", ");
    append_plural(line, inc->events, "call", "calls");
    guint64 pct = inc->events > 0 ? (inc->denied * 100 + inc->events / 2) / inc->events : 0;
    g_string_append_printf(line, ", %" G_GUINT64_FORMAT "%% denied", pct);
    if (inc->errors > 0) {
        g_string_append(line, ", ");
        append_plural(line, inc->errors, "error", "errors");
    }
    if (inc->bytes > 0)
        append_bytes(line, (guint64)inc->bytes);
    if (inc->ops != NULL && inc->ops->len > 0) {
        g_string_append(line, ", ops: ");
        append_counts(line, inc->ops, dict, KT_SPACE_OP, MAX_OPS, 48, o);
    }
    kt_report_text_wrap(s, line->str, 4, 6);
    if (inc->uas != NULL && inc->uas->len > 0) {
        g_string_assign(line, "user agents: ");
        append_counts(line, inc->uas, dict, KT_SPACE_UA, MAX_UAS, 60, o);
        kt_report_text_wrap(s, line->str, 4, 6);
    }
}

static void
render_reason(GString *s, const KtAnomaly *a, const KtDict *dict, const KtReportOptions *o)
{
    g_autofree char *message = kt_report_redact_key(a->message, dict, a->key, o);
    g_autofree char *observed = kt_report_redact_key(a->observed, dict, a->key, o);
    g_autofree char *baseline = kt_report_redact_key(a->baseline, dict, a->key, o);
    g_autoptr(GString) line = g_string_new("- ");
    g_string_append(line, kt_report_kind_name(a->kind));
    g_string_append(line, " [");
    append_sev(line, o, a->severity);
    g_string_append(line, "]: ");
    kt_report_text_field(line, message != NULL ? message : "", 400);
    kt_report_text_wrap(s, line->str, 6, 8);
    if ((observed == NULL || !*observed) && (baseline == NULL || !*baseline))
        return;
    g_string_assign(line, "observed ");
    kt_report_text_field(line, observed != NULL && *observed ? observed : "-", 200);
    g_string_append(line, "; baseline ");
    kt_report_text_field(line, baseline != NULL && *baseline ? baseline : "-", 200);
    kt_report_text_wrap(s, line->str, 8, 10);
}

/* Most severe first, then by score, then by id (time). */
static gint
anomaly_cmp(gconstpointer pa, gconstpointer pb)
{
    const KtAnomaly *a = *(KtAnomaly *const *)pa;
    const KtAnomaly *b = *(KtAnomaly *const *)pb;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static void
render_incident(GString *s, const KtIncident *inc, const KtReportData *d,
                const KtReportOptions *o)
{
    g_autoptr(GString) line = g_string_new(NULL);
    g_string_printf(line, "#%" G_GUINT64_FORMAT " ", inc->id);
    append_sev(line, o, inc->severity);
    g_string_append_printf(line, "  score %d  key ", CLAMP(inc->score, 0, 100));
    append_key(line, d->dict, inc->key, o);
    if (inc->open)
        g_string_append(line, "  (still active)");
    kt_report_text_wrap(s, line->str, 2, 4);
    render_evidence(s, inc, d->dict, o);

    guint n = inc->anomalies != NULL ? inc->anomalies->len : 0;
    if (n == 0)
        return;
    /* the most severe reasons first, so that the cap never hides them */
    g_autoptr(GPtrArray) reasons = g_ptr_array_sized_new(n);
    for (guint i = 0; i < n; i++) {
        KtAnomaly *a = (KtAnomaly *)find_anomaly(d->results,
                                                 g_array_index(inc->anomalies, guint64, i));
        if (a != NULL)
            g_ptr_array_add(reasons, a);
    }
    g_ptr_array_sort(reasons, anomaly_cmp);
    kt_report_text_wrap(s, "reasons:", 4, 6);
    for (guint i = 0; i < reasons->len && i < MAX_ANOMALIES; i++)
        render_reason(s, g_ptr_array_index(reasons, i), d->dict, o);
    if (n > MAX_ANOMALIES)
        g_string_append_printf(s, "      (and %u more anomalies)\n", n - MAX_ANOMALIES);
}

/* Most severe first, then by score, then by id (time). */
static gint
incident_cmp(gconstpointer pa, gconstpointer pb)
{
    const KtIncident *a = *(KtIncident *const *)pa;
    const KtIncident *b = *(KtIncident *const *)pb;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Returns the number of incidents shown. */
static guint
render_incidents(GString *s, const KtReportData *d, const KtReportOptions *o)
{
    const KtResults *r = d->results;
    guint n = r->incidents != NULL ? r->incidents->len : 0;
    g_autoptr(GPtrArray) order = g_ptr_array_sized_new(n);
    for (guint i = 0; i < n; i++) {
        KtIncident *inc = g_ptr_array_index(r->incidents, i);
        if (shown(inc->severity, o))
            g_ptr_array_add(order, inc);
    }
    g_ptr_array_sort(order, incident_cmp);
    for (guint i = 0; i < order->len && (o->limit == 0 || i < o->limit); i++) {
        if (i == 0)
            heading(s, o, "INCIDENTS");
        else
            g_string_append_c(s, '\n');
        render_incident(s, g_ptr_array_index(order, i), d, o);
    }
    more_line(s, order->len, o->limit, "incident", "incidents");
    return order->len;
}

/* --- summary and input -------------------------------------------------------------------- */

static void
render_summary(GString *s, const KtReportData *d, const KtReportOptions *o)
{
    const KtResults *r = d->results;
    guint counts[KT_SEV_CRITICAL + 1] = { 0 };
    guint n = r->incidents != NULL ? r->incidents->len : 0;
    for (guint i = 0; i < n; i++) {
        const KtIncident *inc = g_ptr_array_index(r->incidents, i);
        counts[CLAMP((int)inc->severity, 0, KT_SEV_CRITICAL)]++;
    }
    g_autoptr(GString) line = g_string_new("keytrail " KT_VERSION ": ");
    append_plural(line, r->keys != NULL ? r->keys->len : 0, "key", "keys");
    g_string_append(line, ", ");
    append_plural(line, r->events, "event", "events");
    g_string_append(line, ", ");
    append_plural(line, n, "incident", "incidents");
    gboolean first = TRUE;
    for (int sev = KT_SEV_CRITICAL; sev >= KT_SEV_NONE; sev--) {
        if (counts[sev] == 0)
            continue;
        g_string_append_printf(line, "%s%u ", first ? " (" : ", ", counts[sev]);
        append_sev(line, o, (KtSeverity)sev);
        first = FALSE;
    }
    if (!first)
        g_string_append_c(line, ')');
    kt_report_text_wrap(s, line->str, 0, 2);
    char a[32], b[32];
    if (r->events > 0 && kt_report_time_set(r->first_ms))
        g_string_printf(line, "window %s .. %s", kt_report_time(r->first_ms, a),
                        kt_report_time(r->last_ms, b));
    else
        g_string_assign(line, "window: no events");
    if (kt_report_time_set(o->leak_time_ms))
        g_string_append_printf(line, ", leak time %s", kt_report_time(o->leak_time_ms, a));
    kt_report_text_wrap(s, line->str, 0, 2);
}

/* Rejected lines by reason over all inputs, into @by; returns their sum. */
static guint64
rejects_by_reason(GPtrArray *stats, guint64 by[KT_REJECT_COUNT])
{
    guint64 sum = 0;
    memset(by, 0, sizeof(guint64) * KT_REJECT_COUNT);
    for (guint i = 0; stats != NULL && i < stats->len; i++) {
        const KtInputStats *st = g_ptr_array_index(stats, i);
        for (int r = 0; r < KT_REJECT_COUNT; r++) {
            by[r] += st->by_reason[r];
            sum += st->by_reason[r];
        }
    }
    return sum;
}

/* " (missing_key 9,999, malformed 1)": rejects by reason over all inputs */
static void
append_reasons(GString *s, GPtrArray *stats)
{
    guint64 by[KT_REJECT_COUNT];
    rejects_by_reason(stats, by);
    gboolean first = TRUE;
    for (int r = 0; r < KT_REJECT_COUNT; r++) {
        if (by[r] == 0)
            continue;
        g_string_append_printf(s, "%s%s ", first ? " (" : ", ", kt_reject_name((KtReject)r));
        append_count(s, by[r]);
        first = FALSE;
    }
    if (!first)
        g_string_append_c(s, ')');
}

static void
render_input(GString *s, const KtReportData *d, const KtReportOptions *o)
{
    guint64 events, rejected, lines;
    kt_report_totals(d->stats, &events, &rejected, &lines);
    guint files = d->stats != NULL ? d->stats->len : 0;
    heading(s, o, "INPUT");
    g_autoptr(GString) line = g_string_new(NULL);
    append_plural(line, files, "file", "files");
    gsize skip = kt_report_common_dir(d->stats);
    if (skip > 0) {
        const KtInputStats *st0 = g_ptr_array_index(d->stats, 0);
        g_autofree char *dir = g_strndup(st0->path, skip);
        g_string_append(line, " under ");
        kt_report_text_field(line, dir, 120);
    }
    g_string_append(line, ", ");
    append_plural(line, lines, "line", "lines");
    g_string_append(line, ", ");
    append_plural(line, events, "event", "events");
    g_string_append(line, ", ");
    append_count(line, rejected);
    g_string_append(line, " rejected");
    append_reasons(line, d->stats);
    kt_report_text_wrap(s, line->str, 2, 4);
    for (guint i = 0; i < files; i++) {
        const KtInputStats *st = g_ptr_array_index(d->stats, i);
        if (st->error == NULL)
            continue;
        g_string_assign(line, "not read: ");
        kt_report_text_field(line, st->path, 60);
        g_string_append(line, ": ");
        kt_report_text_field(line, st->error, 200);
        kt_report_text_wrap(s, line->str, 2, 4);
    }
    if (d->rejects != NULL && d->rejects->len > 0) {
        kt_report_text_wrap(s, "first rejected lines:", 2, 4);
        kt_report_text_rejects(d, o, KT_REPORT_REJECTS_SHOWN, "    ", s);
    }
}

/* The clear statement of a clean run (or of one whose findings are all below
 * o->min_severity). When no event was read and most lines had no key, it says how to
 * name the key's field: the likeliest cause is a layout keytrail cannot guess. */
static void
render_nothing(GString *s, const KtReportData *d, const KtReportOptions *o)
{
    const KtResults *r = d->results;
    guint keys = r->keys != NULL ? r->keys->len : 0;
    guint hidden = r->incidents != NULL ? r->incidents->len : 0;
    g_autoptr(GString) line = g_string_new(NULL);
    g_string_append_c(s, '\n');
    if (hidden > 0) {
        g_string_printf(line, "Nothing at or above %s: ", kt_severity_name(o->min_severity));
        append_plural(line, hidden, "incident", "incidents");
        g_string_append(line, " below it not shown.");
    } else if (r->events == 0) {
        g_string_assign(line, "Nothing found: no API key events were read.");
        guint64 by[KT_REJECT_COUNT];
        guint64 rejected = rejects_by_reason(d->stats, by), missing = by[KT_REJECT_NO_KEY];
        if (missing > 0 && missing * 2 >= rejected)
            g_string_append(line, " Most lines carry no key where keytrail looks for one: "
                                  "name its field with --field key=SOURCE (a CSV column, "
                                  "a JSON path, or in web logs user, query:NAME or "
                                  "header:NAME; key=host judges each client address "
                                  "instead). See docs/CLI.md.");
    } else if (keys == 0) {
        g_string_assign(line, "Nothing found in ");
        append_plural(line, r->events, "event.", "events.");
    } else {
        g_string_assign(line, "Nothing found: ");
        append_plural(line, keys, "key was", "keys were");
        g_string_append(line, " checked and none shows signs of use by someone else.");
    }
    kt_report_text_wrap(s, line->str, 0, 2);
}

void
kt_report_text_render(const KtReportData *d, const KtReportOptions *o, GString *s)
{
    static const KtResults empty = { 0 };
    KtReportData dd = *d;
    if (dd.results == NULL)
        dd.results = &empty;
    render_summary(s, &dd, o);
    guint keys = render_keys(s, &dd, o);
    guint incs = render_incidents(s, &dd, o);
    if (keys == 0 && incs == 0)
        render_nothing(s, &dd, o);
    render_hidden(s, dd.results, o);
    if (dd.results->anomalies_dropped > 0) {
        g_autoptr(GString) line = g_string_new("note: ");
        append_count(line, dd.results->anomalies_dropped);
        g_string_append(line, " more anomalies were counted but not kept (anomaly cap).");
        kt_report_text_wrap(s, line->str, 0, 2);
    }
    render_input(s, &dd, o);
}
