/*
 * detail.c - rendering of the detail screens of the TUI model: key detail (volume over
 * time with anomalies marked, 7x24 hour-of-week heatmap, top operations, tables of IPs,
 * networks, operations, user agents and consumers), incident detail (evidence observed
 * vs baseline, timeline of the source's operations) and the raw events screen.
 */
#include <stdio.h>

#include "tui-private.h"

static void
line_text(KtTuiFrame *f, int y, const char *text, KtTuiAttr attr)
{
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    kt_tui_put(&p, " ", 1, attr, FALSE);
    kt_tui_put_log(&p, text, -1, attr);
    if (attr != KT_TUI_ATTR_NORMAL)
        kt_tui_pen_fill(&p, attr);
}

static void
tab_bar(KtTuiFrame *f, int y, const char *const *names, int n, int active)
{
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    kt_tui_put(&p, " ", 1, KT_TUI_ATTR_NORMAL, FALSE);
    for (int i = 0; i < n; i++) {
        g_autofree char *s = g_strdup_printf(i == active ? "[%s]" : " %s ", names[i]);
        kt_tui_put(&p, s, (int)strlen(s), i == active ? KT_TUI_ATTR_TAB : KT_TUI_ATTR_HEADER,
                   FALSE);
        kt_tui_put(&p, " ", 1, KT_TUI_ATTR_NORMAL, FALSE);
    }
}

/* Column header: names and widths (-1 = the rest); a negative name width aligns right. */
static void
col_header(KtTuiFrame *f, int y, const char *const *names, const int *w, int n)
{
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    kt_tui_put(&p, "  ", 2, KT_TUI_ATTR_HEADER, FALSE);
    for (int i = 0; i < n; i++) {
        kt_tui_put(&p, names[i], w[i] == -1 ? -1 : ABS(w[i]), KT_TUI_ATTR_HEADER, w[i] < -1);
        if (i + 1 < n)
            kt_tui_put(&p, " ", 1, KT_TUI_ATTR_HEADER, FALSE);
    }
    kt_tui_pen_fill(&p, KT_TUI_ATTR_HEADER);
}

static char *
fmt_span(gint64 ms)
{
    if (ms >= 86400000 && ms % 86400000 == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT "d", ms / 86400000);
    if (ms >= 3600000 && ms % 3600000 == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT "h", ms / 3600000);
    if (ms >= 60000 && ms % 60000 == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT "m", ms / 60000);
    return g_strdup_printf("%" G_GINT64_FORMAT "s", ms / 1000);
}

/* ---- key detail --------------------------------------------------------------------- */

static const char *
value_text(const KtTuiModel *m, KtSpace space, const KtValueStat *v)
{
    return v->label != NULL ? v->label : kt_dict_str(m->dict, space, v->id);
}

static const KtValueStat *
detail_value(const KtTuiModel *m, guint row, KtSpace *space)
{
    const KtKeyDetail *d = m->detail;
    GPtrArray *a = m->dtab == KT_TUI_DTAB_IPS    ? d->ips
                   : m->dtab == KT_TUI_DTAB_NETS ? d->networks
                   : m->dtab == KT_TUI_DTAB_OPS  ? d->ops
                                                 : d->uas;
    *space = m->dtab == KT_TUI_DTAB_OPS   ? KT_SPACE_OP
             : m->dtab == KT_TUI_DTAB_UAS ? KT_SPACE_UA
                                          : KT_SPACE_SOURCE;
    return g_ptr_array_index(a, row);
}

static int
value_col(const KtTuiFrame *f)
{
    return MAX(f->width - 2 - 4 - 10 - 17 - 17, 12);
}

static void
value_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    char num[KT_TUI_NUM_MAX], t[KT_TUI_TIME_MAX];
    KtSpace space;
    const KtValueStat *v = detail_value(m, row, &space);
    kt_tui_put_log(p, value_text(m, space, v), value_col(p->frame), KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    kt_tui_put(p, v->is_new ? "new" : "", 3, KT_TUI_ATTR_NEW, FALSE);
    kt_tui_sep(p);
    kt_tui_put(p, kt_tui_fmt_count(v->count, num), 9, KT_TUI_ATTR_NORMAL, TRUE);
    kt_tui_sep(p);
    kt_tui_put(p, kt_tui_fmt_time(v->first_ms, FALSE, t), 16, KT_TUI_ATTR_NORMAL, FALSE);
    kt_tui_sep(p);
    kt_tui_put(p, kt_tui_fmt_time(v->last_ms, FALSE, t), 16, KT_TUI_ATTR_NORMAL, FALSE);
}

static void
consumer_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    const KtKeySummary *k = kt_tui_current_key(m);
    const KtConsumer *c = g_ptr_array_index(k->consumers, row);
    char num[KT_TUI_NUM_MAX], t[KT_TUI_TIME_MAX];
    kt_tui_put_log(p, c->network, 19, KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    kt_tui_put_log(p, c->ua_family, 15, KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    kt_tui_put(p, kt_tui_fmt_count(c->events, num), 9, KT_TUI_ATTR_NORMAL, TRUE);
    kt_tui_sep(p);
    kt_tui_put(p, kt_tui_fmt_time(c->last_ms, FALSE, t), 16, KT_TUI_ATTR_NORMAL, FALSE);
    kt_tui_sep(p);
    g_autoptr(GString) ops = g_string_new(NULL);
    for (guint i = 0; c->ops != NULL && i < c->ops->len && i < 5; i++) {
        const KtCount *oc = &g_array_index(c->ops, KtCount, i);
        g_string_append_printf(ops, "%s%s", i ? ", " : "",
                               kt_dict_str(m->dict, KT_SPACE_OP, oc->id));
    }
    kt_tui_put_log(p, ops->str, -1, KT_TUI_ATTR_NORMAL);
}

static void
key_header_lines(KtTuiModel *m, KtTuiFrame *f, const KtKeySummary *k)
{
    char a[KT_TUI_NUM_MAX], b[KT_TUI_NUM_MAX], c[KT_TUI_NUM_MAX];
    char t0[KT_TUI_TIME_MAX], t1[KT_TUI_TIME_MAX];
    g_autofree char *label = kt_tui_entity_label(m, k->entity, k->entity_is_principal, k->key);
    g_autofree char *key = kt_tui_entity_label(m, k->key, FALSE, k->key);
    g_autofree char *l1 = g_strdup_printf(
        "%s %s%s%s  severity %s  risk %d  incidents %u (%u open)",
        k->entity_is_principal ? "Principal" : "Key", label, k->entity_is_principal ? "  key " : "",
        k->entity_is_principal ? key : "", kt_severity_name(k->severity), k->risk, k->incidents,
        kt_tui_key_open(m, k));
    line_text(f, 1, l1, KT_TUI_ATTR_HEADER);
    g_autofree char *l2 = g_strdup_printf(
        "events %s  denied %s  errors %s  IPs %u  networks %u  first %s  last %s",
        kt_tui_fmt_count(k->events, a), kt_tui_fmt_count(k->denied, b),
        kt_tui_fmt_count(k->errors, c), k->distinct_ips, k->distinct_networks,
        kt_tui_fmt_time(k->first_ms, FALSE, t0), kt_tui_fmt_time(k->last_ms, FALSE, t1));
    line_text(f, 2, l2, KT_TUI_ATTR_NORMAL);
}

static void
render_volume(KtTuiModel *m, KtTuiFrame *f, int y)
{
    const KtKeyDetail *d = m->detail;
    int n = MAX(f->width - 4, 1);
    guint len = d != NULL && d->timeline != NULL ? d->timeline->len : 0;
    if (len == 0) {
        line_text(f, y, "Volume: no timeline", KT_TUI_ATTR_HEADER);
        return;
    }
    gint64 t0 = d->timeline_start_ms, bucket = MAX(d->timeline_bucket_ms, 1);
    gint64 t1 = t0 + bucket * (gint64)len;
    g_autofree guint64 *cols = g_new0(guint64, n);
    kt_tui_resample(d, t0, t1, cols, n);
    guint64 max = 0;
    for (int i = 0; i < n; i++)
        max = MAX(max, cols[i]);
    char a[KT_TUI_TIME_MAX], b[KT_TUI_TIME_MAX], num[KT_TUI_NUM_MAX];
    g_autofree char *span = fmt_span((t1 - t0) / n > 0 ? (t1 - t0) / n : bucket);
    g_autofree char *title =
        g_strdup_printf("Volume %s .. %s  (%s per column, max %s)  %s anomaly",
                        kt_tui_fmt_time(t0, FALSE, a), kt_tui_fmt_time(t1, FALSE, b), span,
                        kt_tui_fmt_count(max, num), m->utf8 ? "\xe2\x96\xb2" : "^");
    line_text(f, y, title, KT_TUI_ATTR_HEADER);
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y + 1);
    kt_tui_put(&p, "  ", 2, KT_TUI_ATTR_NORMAL, FALSE);
    kt_tui_put_spark(&p, cols, n, KT_TUI_ATTR_CHART);
    /* anomaly markers: the worst severity per column */
    g_autofree guint8 *sev = g_new0(guint8, n);
    for (guint i = 0; i < m->detail_anoms->len; i++) {
        const KtAnomaly *an = g_array_index(m->detail_anoms, const KtAnomaly *, i);
        double pos = (double)(an->time_ms - t0) / (double)(t1 - t0) * n;
        int c = (int)CLAMP(pos, 0.0, (double)(n - 1));
        sev[c] = (guint8)MAX(sev[c], (guint8)MAX(an->severity, KT_SEV_INFO));
    }
    kt_tui_pen_start(&p, f, y + 2);
    kt_tui_put(&p, "  ", 2, KT_TUI_ATTR_NORMAL, FALSE);
    for (int i = 0; i < n; i++)
        kt_tui_put(&p, sev[i] ? (m->utf8 ? "\xe2\x96\xb2" : "^") : " ", 1,
                   sev[i] ? kt_tui_sev_attr((KtSeverity)sev[i]) : KT_TUI_ATTR_NORMAL, FALSE);
}

static void
render_heatmap(KtTuiModel *m, KtTuiFrame *f, int y)
{
    static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
    const KtKeyDetail *d = m->detail;
    guint64 max = 0;
    for (int i = 0; d != NULL && i < 168; i++)
        max = MAX(max, d->hour_of_week[i]);
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    kt_tui_put(&p, " Hour", 6, KT_TUI_ATTR_HEADER, FALSE);
    kt_tui_put(&p, "0     3     6     9     12    15    18    21    ", 49, KT_TUI_ATTR_HEADER,
               FALSE);
    kt_tui_put(&p, " Top operations", -1, KT_TUI_ATTR_HEADER, FALSE);
    for (int day = 0; day < 7; day++) {
        kt_tui_pen_start(&p, f, y + 1 + day);
        kt_tui_putf(&p, 6, KT_TUI_ATTR_NORMAL, " %s", days[day]);
        GString *row = g_string_new(NULL);
        for (int h = 0; h < 24; h++) {
            guint64 v = d != NULL ? d->hour_of_week[day * 24 + h] : 0;
            const char *g = kt_tui_heat_glyph(kt_tui_level(v, max, 4), m->utf8);
            g_string_append(row, g);
            g_string_append(row, g);
        }
        kt_tui_put(&p, row->str, 48, KT_TUI_ATTR_CHART, FALSE);
        g_string_free(row, TRUE);
        kt_tui_put(&p, "  ", 2, KT_TUI_ATTR_NORMAL, FALSE);
        if (d != NULL && d->ops != NULL && (guint)day < d->ops->len) {
            const KtValueStat *v = g_ptr_array_index(d->ops, day);
            char num[KT_TUI_NUM_MAX];
            kt_tui_put(&p, kt_tui_fmt_count(v->count, num), 8, KT_TUI_ATTR_NORMAL, TRUE);
            kt_tui_sep(&p);
            kt_tui_put_log(&p, value_text(m, KT_SPACE_OP, v), -1, KT_TUI_ATTR_NORMAL);
        }
    }
}

void
kt_tui_render_key(KtTuiModel *m, KtTuiFrame *f)
{
    static const char *const tabs[] = { "IPs", "Networks", "Operations", "User agents",
                                        "Consumers" };
    const KtKeySummary *k = kt_tui_current_key(m);
    if (k == NULL) {
        line_text(f, 1, "This key is no longer in the results (Esc: back)", KT_TUI_ATTR_ERROR);
        return;
    }
    key_header_lines(m, f, k);
    render_volume(m, f, 3);
    int y = 6;
    if (f->height >= 21) {
        render_heatmap(m, f, y);
        y += 8;
    }
    tab_bar(f, y, tabs, KT_TUI_DTAB_COUNT, m->dtab);
    if (m->dtab == KT_TUI_DTAB_CONSUMERS) {
        static const char *const names[] = { "NETWORK", "UA FAMILY", "EVENTS", "LAST SEEN",
                                             "TOP OPERATIONS" };
        static const int w[] = { 19, 15, -9, 16, -1 };
        col_header(f, y + 1, names, w, 5);
        kt_tui_render_list(m, f, y + 2, f->height - y - 3, KT_TUI_LIST_DETAIL, consumer_row,
                           "no consumers");
        return;
    }
    const char *what = m->dtab == KT_TUI_DTAB_IPS    ? "ADDRESS"
                       : m->dtab == KT_TUI_DTAB_NETS ? "NETWORK"
                       : m->dtab == KT_TUI_DTAB_OPS  ? "OPERATION"
                                                     : "USER AGENT";
    const char *names[] = { what, "", "COUNT", "FIRST SEEN", "LAST SEEN" };
    int w[] = { value_col(f), 3, -9, 16, 16 };
    col_header(f, y + 1, names, w, 5);
    kt_tui_render_list(m, f, y + 2, f->height - y - 3, KT_TUI_LIST_DETAIL, value_row,
                       m->detail == NULL ? "no detail for this key" : "none");
}

/* ---- incident detail ---------------------------------------------------------------- */

static const KtAnomaly *
evidence_at(const KtTuiModel *m, guint row)
{
    const KtIncident *inc = kt_tui_current_incident(m);
    if (inc == NULL || inc->anomalies == NULL || row >= inc->anomalies->len)
        return NULL;
    return kt_tui_anomaly(m, g_array_index(inc->anomalies, guint64, row));
}

static void
evidence_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    const KtAnomaly *a = evidence_at(m, row);
    char t[KT_TUI_TIME_MAX];
    if (a == NULL) {
        kt_tui_put(p, "(anomaly not kept: over the anomaly cap)", -1, KT_TUI_ATTR_DIM, FALSE);
        return;
    }
    int rest = MAX(p->frame->width - 2 - 17 - 15 - 9, 20);
    kt_tui_put(p, kt_tui_fmt_time(a->time_ms, FALSE, t), 16, KT_TUI_ATTR_NORMAL, FALSE);
    kt_tui_sep(p);
    kt_tui_put(p, kt_detector_name(a->kind), 14, KT_TUI_ATTR_NORMAL, FALSE);
    kt_tui_sep(p);
    kt_tui_put(p, kt_severity_name(a->severity), 8, kt_tui_sev_attr(a->severity), FALSE);
    kt_tui_sep(p);
    kt_tui_put_log(p, a->observed, rest / 2 - 1, KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    kt_tui_put_log(p, a->baseline, -1, KT_TUI_ATTR_DIM);
}

static void
timeline_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    const KtRecord *r = kt_tui_events_get(m->events, g_array_index(m->ev_rows, guint32, row));
    char t[KT_TUI_TIME_MAX];
    int rest = MAX(p->frame->width - p->col - 32, 20);
    kt_tui_put(p, kt_tui_fmt_time(r->time_ms, TRUE, t), 19, KT_TUI_ATTR_NORMAL, FALSE);
    kt_tui_sep(p);
    KtTuiAttr oa = r->outcome == KT_OUTCOME_DENIED  ? KT_TUI_ATTR_SEV_HIGH
                   : r->outcome == KT_OUTCOME_ERROR ? KT_TUI_ATTR_SEV_MEDIUM
                                                    : KT_TUI_ATTR_NORMAL;
    kt_tui_put(p, kt_outcome_name((KtOutcome)r->outcome), 6, oa, FALSE);
    kt_tui_sep(p);
    if (r->status > 0)
        kt_tui_putf(p, 3, KT_TUI_ATTR_NORMAL, "%3u", r->status);
    else
        kt_tui_put(p, "", 3, KT_TUI_ATTR_NORMAL, FALSE);
    kt_tui_sep(p);
    kt_tui_put_log(p, kt_dict_str(m->dict, KT_SPACE_OP, r->op), rest / 2, KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    kt_tui_put_log(p, kt_dict_str(m->dict, KT_SPACE_UA, r->ua), -1, KT_TUI_ATTR_DIM);
}

static void
count_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    const KtIncident *inc = kt_tui_current_incident(m);
    gboolean ops = m->itab == KT_TUI_ITAB_OPS;
    const KtCount *c = &g_array_index(ops ? inc->ops : inc->uas, KtCount, row);
    char num[KT_TUI_NUM_MAX];
    kt_tui_put(p, kt_tui_fmt_count(c->count, num), 9, KT_TUI_ATTR_NORMAL, TRUE);
    kt_tui_sep(p);
    kt_tui_put_log(p, kt_dict_str(m->dict, ops ? KT_SPACE_OP : KT_SPACE_UA, c->id), -1,
                   KT_TUI_ATTR_NORMAL);
}

static void
incident_header_lines(KtTuiModel *m, KtTuiFrame *f, const KtIncident *inc)
{
    char a[KT_TUI_NUM_MAX], b[KT_TUI_NUM_MAX], c[KT_TUI_NUM_MAX], by[KT_TUI_NUM_MAX];
    char t0[KT_TUI_TIME_MAX], t1[KT_TUI_TIME_MAX];
    g_autofree char *label = kt_tui_entity_label(m, inc->entity, inc->entity_is_principal, inc->key);
    g_autofree char *l1 = g_strdup_printf(
        "Incident #%" G_GUINT64_FORMAT "  %s  score %d  %s  %s %s", inc->id,
        kt_severity_name(inc->severity), inc->score, inc->open ? "open" : "closed",
        inc->entity_is_principal ? "principal" : "key", label);
    line_text(f, 1, l1, KT_TUI_ATTR_HEADER);
    g_autofree char *l2 = g_strdup_printf(
        "from %s%s%s%s  %s .. %s", kt_dict_str(m->dict, KT_SPACE_SOURCE, inc->source),
        inc->network[0] ? " (" : "", inc->network, inc->network[0] ? ")" : "",
        kt_tui_fmt_time(inc->first_ms, FALSE, t0), kt_tui_fmt_time(inc->last_ms, FALSE, t1));
    line_text(f, 2, l2, KT_TUI_ATTR_NORMAL);
    g_autoptr(GString) l3 = g_string_new(NULL);
    g_string_printf(l3, "events %s  denied %s  errors %s  bytes %s  reasons:",
                    kt_tui_fmt_count(inc->events, a), kt_tui_fmt_count(inc->denied, b),
                    kt_tui_fmt_count(inc->errors, c), kt_tui_fmt_bytes(inc->bytes, by));
    for (int d = 0; d < KT_DET_COUNT; d++) {
        if (inc->reasons & (1u << d))
            g_string_append_printf(l3, " %s", kt_detector_name((KtDetectorKind)d));
    }
    line_text(f, 3, l3->str, KT_TUI_ATTR_NORMAL);
}

void
kt_tui_render_incident(KtTuiModel *m, KtTuiFrame *f)
{
    static const char *const tabs[] = { "Evidence", "Timeline", "Operations", "User agents" };
    const KtIncident *inc = kt_tui_current_incident(m);
    if (inc == NULL) {
        line_text(f, 1, "This incident is no longer in the results (Esc: back)",
                  KT_TUI_ATTR_ERROR);
        return;
    }
    incident_header_lines(m, f, inc);
    tab_bar(f, 4, tabs, KT_TUI_ITAB_COUNT, m->itab);
    int rows = f->height - 8;
    int rest = MAX(f->width - 2 - 17 - 15 - 9, 20);
    if (m->itab == KT_TUI_ITAB_EVIDENCE) {
        static const char *const names[] = { "TIME", "DETECTOR", "SEVERITY", "OBSERVED",
                                             "BASELINE" };
        int w[] = { 16, 14, 8, rest / 2 - 1, -1 };
        col_header(f, 5, names, w, 5);
        kt_tui_render_list(m, f, 6, rows, KT_TUI_LIST_INCIDENT, evidence_row, "no anomalies");
        const KtAnomaly *a = evidence_at(m, m->lists[KT_TUI_LIST_INCIDENT].sel);
        if (a != NULL && a->message != NULL)
            line_text(f, f->height - 2, a->message, KT_TUI_ATTR_DIM);
    } else if (m->itab == KT_TUI_ITAB_TIMELINE) {
        static const char *const names[] = { "TIME", "RESULT", "   ", "OPERATION", "USER AGENT" };
        int w[] = { 19, 6, 3, MAX(f->width - 34, 20) / 2, -1 };
        col_header(f, 5, names, w, 5);
        kt_tui_render_list(m, f, 6, rows, KT_TUI_LIST_INCIDENT, timeline_row,
                           m->events_error != NULL ? m->events_error : "no events");
        g_autofree char *note = g_strdup_printf(
            "%u of %" G_GUINT64_FORMAT " events of this source in the incident window",
            m->ev_rows->len, kt_tui_events_matched(m->events));
        line_text(f, f->height - 2, note, KT_TUI_ATTR_DIM);
    } else {
        static const char *const names[] = { "COUNT", "VALUE" };
        static const int w[] = { -9, -1 };
        col_header(f, 5, names, w, 2);
        kt_tui_render_list(m, f, 6, rows + 1, KT_TUI_LIST_INCIDENT, count_row, "none");
    }
}

/* ---- events ----------------------------------------------------------------------------- */

static void
event_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    const KtRecord *r = kt_tui_events_get(m->events, g_array_index(m->ev_rows, guint32, row));
    kt_tui_put_log(p, kt_dict_str(m->dict, KT_SPACE_SOURCE, r->source), 15, KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    timeline_row(m, p, row);
}

void
kt_tui_render_events(KtTuiModel *m, KtTuiFrame *f)
{
    static const char *const outcomes[] = { "all", "denied", "errors", "denied+errors" };
    const KtTuiScope *s = kt_tui_events_scope(m->events);
    g_autofree char *label = kt_tui_entity_label(m, s->entity, s->is_principal, s->entity);
    g_autoptr(GString) t = g_string_new(NULL);
    g_string_printf(t, "Events of %s %s", s->is_principal ? "principal" : "key", label);
    if (s->incident != 0)
        g_string_append_printf(t, " in incident #%" G_GUINT64_FORMAT, s->incident);
    if (s->source != 0)
        g_string_append_printf(t, " from %s", kt_dict_str(m->dict, KT_SPACE_SOURCE, s->source));
    line_text(f, 1, t->str, KT_TUI_ATTR_HEADER);
    g_string_printf(t, "%u shown, %u kept of %" G_GUINT64_FORMAT " matched (newest %u kept)"
                       "  order: %s  outcome: %s%s%s",
                    m->ev_rows->len, kt_tui_events_len(m->events),
                    kt_tui_events_matched(m->events), (guint)KT_TUI_EVENTS_CAP_DEFAULT,
                    kt_tui_sort_name(m, KT_TUI_LIST_EVENTS), outcomes[m->ev_outcome],
                    m->ev_search != NULL ? "  search: " : "", m->ev_search ? m->ev_search : "");
    line_text(f, 2, t->str, KT_TUI_ATTR_NORMAL);
    static const char *const names[] = { "SOURCE", "TIME", "RESULT", "   ", "OPERATION",
                                         "USER AGENT" };
    int w[] = { 15, 19, 6, 3, MAX(f->width - 50, 20) / 2, -1 };
    col_header(f, 3, names, w, 6);
    kt_tui_render_list(m, f, 4, f->height - 5, KT_TUI_LIST_EVENTS, event_row,
                       m->events_error != NULL ? m->events_error : "no events match");
}
