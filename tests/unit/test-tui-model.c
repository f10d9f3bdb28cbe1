/*
 * test-tui-model.c - the curses-free TUI model: layout at 80x24, sorting, filtering,
 * search, selection and scrolling, mouse hits, reveal and export prompts, the events
 * screen, sanitization of hostile log strings; the bounded event store and the
 * KT_TUI_KEYS replay syntax. Fixtures are hand-built results (no engine).
 */
#include <stdio.h>

#include "keytrail/tui.h"

#define T0 G_GINT64_CONSTANT(1719792000000) /* 2024-07-01T00:00:00Z */
#define HOUR G_GINT64_CONSTANT(3600000)

/* ---- fixture ------------------------------------------------------------------------- */

typedef struct {
    KtDict *dict;
    KtResults res;
    KtTuiModel *m;
    KtTuiFrame *f;
    guint details;          /* key_detail calls */
    guint loads;            /* load_events calls */
    char *export_path;      /* last export */
    guint64 export_id;
    gboolean export_fail;
} Fx;

static const char *const hostile_ua = "evil\x1b[2J\x1b]0;title\x07\r\n\xe2\x80\xae"
                                      "gpj.exe\xff";

static void
summary_free(gpointer p)
{
    KtKeySummary *k = p;
    if (k->consumers != NULL)
        g_ptr_array_unref(k->consumers);
    g_free(k);
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
value_free(gpointer p)
{
    KtValueStat *v = p;
    g_free(v->label);
    g_free(v);
}

static KtKeySummary *
add_key(Fx *fx, const char *key, int risk, guint64 events, guint32 ips)
{
    KtKeySummary *k = g_new0(KtKeySummary, 1);
    k->entity = k->key = kt_dict_intern(fx->dict, KT_SPACE_KEY, kt_sv(key));
    k->risk = risk;
    k->severity = kt_severity_from_score(risk);
    k->events = events;
    k->distinct_ips = ips;
    k->first_ms = T0;
    k->last_ms = T0 + (gint64)events * HOUR;
    k->consumers = g_ptr_array_new();
    g_ptr_array_add(fx->res.keys, k);
    return k;
}

static KtIncident *
add_incident(Fx *fx, KtKeySummary *k, const char *src, int score, gint64 first)
{
    k->incidents++;
    KtIncident *inc = g_new0(KtIncident, 1);
    inc->id = fx->res.incidents->len + 1;
    inc->entity = inc->key = k->entity;
    inc->source = kt_dict_intern_source(fx->dict, kt_sv(src), NULL);
    g_strlcpy(inc->network, "203.0.113.0/24", sizeof inc->network);
    inc->first_ms = first;
    inc->last_ms = first + HOUR;
    inc->events = 42;
    inc->score = score;
    inc->severity = kt_severity_from_score(score);
    inc->reasons = 1u << KT_DET_NEW_IP;
    inc->open = TRUE;
    inc->ops = g_array_new(FALSE, FALSE, sizeof(KtCount));
    inc->uas = g_array_new(FALSE, FALSE, sizeof(KtCount));
    inc->anomalies = g_array_new(FALSE, FALSE, sizeof(guint64));
    KtAnomaly *a = g_new0(KtAnomaly, 1);
    a->id = fx->res.anomalies->len + 1;
    a->kind = KT_DET_NEW_IP;
    a->entity = inc->entity;
    a->time_ms = first;
    a->severity = inc->severity;
    a->observed = g_strdup("new source \x1b[31mred");
    a->baseline = g_strdup("3 known IPs");
    a->message = g_strdup("first use from a new IP");
    a->incident = inc->id;
    g_ptr_array_add(fx->res.anomalies, a);
    g_array_append_val(inc->anomalies, a->id);
    g_ptr_array_add(fx->res.incidents, inc);
    return inc;
}

static KtKeyDetail *
fx_detail(gpointer ud, guint32 entity, gboolean is_principal)
{
    Fx *fx = ud;
    fx->details++;
    KtKeyDetail *d = g_new0(KtKeyDetail, 1);
    d->entity = entity;
    d->ips = g_ptr_array_new_with_free_func(value_free);
    d->networks = g_ptr_array_new_with_free_func(value_free);
    d->ops = g_ptr_array_new_with_free_func(value_free);
    d->uas = g_ptr_array_new_with_free_func(value_free);
    KtValueStat *v = g_new0(KtValueStat, 1);
    v->id = kt_dict_intern_source(fx->dict, kt_sv("198.51.100.7"), NULL);
    v->count = 9;
    v->is_new = TRUE;
    g_ptr_array_add(d->ips, v);
    KtValueStat *u = g_new0(KtValueStat, 1);
    u->id = kt_dict_intern(fx->dict, KT_SPACE_UA, kt_sv(hostile_ua));
    u->count = 3;
    g_ptr_array_add(d->uas, u);
    d->timeline = g_array_new(FALSE, TRUE, sizeof(guint64));
    for (guint64 i = 0; i < 48; i++)
        g_array_append_val(d->timeline, i);
    d->timeline_start_ms = T0;
    d->timeline_bucket_ms = HOUR;
    d->hour_of_week[10] = 5;
    return d;
}

static gboolean
fx_load(gpointer ud, KtTuiEvents *ev, GError **error)
{
    Fx *fx = ud;
    fx->loads++;
    const KtTuiScope *s = kt_tui_events_scope(ev);
    for (guint i = 0; i < 30; i++) {
        KtRecord r = { 0 };
        r.time_ms = T0 + (gint64)i * 60000;
        r.line = i + 1;
        r.key = s->entity;
        r.source = kt_dict_intern_source(fx->dict, kt_sv(i % 2 ? "198.51.100.7" : "10.0.0.1"), NULL);
        r.op = kt_dict_intern(fx->dict, KT_SPACE_OP, kt_sv(i % 3 ? "s3.GetObject" : "iam.CreateUser"));
        r.ua = kt_dict_intern(fx->dict, KT_SPACE_UA, kt_sv(hostile_ua));
        r.outcome = i % 5 == 0 ? KT_OUTCOME_DENIED : KT_OUTCOME_OK;
        r.status = i % 5 == 0 ? 403 : 200;
        kt_tui_events_offer(ev, &r);
    }
    kt_tui_events_finish(ev);
    return TRUE;
}

static gboolean
fx_export(gpointer ud, const KtIncident *inc, const char *path, GError **error)
{
    Fx *fx = ud;
    if (fx->export_fail) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot create %s: File exists", path);
        return FALSE;
    }
    g_free(fx->export_path);
    fx->export_path = g_strdup(path);
    fx->export_id = inc->id;
    return TRUE;
}

static const KtTuiSourceOps fx_ops = { fx_detail, fx_load, fx_export };

static void
fx_setup(Fx *fx, gconstpointer data)
{
    memset(fx, 0, sizeof *fx);
    fx->dict = kt_dict_new();
    fx->res.keys = g_ptr_array_new_with_free_func(summary_free);
    fx->res.incidents = g_ptr_array_new_with_free_func(incident_free);
    fx->res.anomalies = g_ptr_array_new_with_free_func(anomaly_free);
    fx->res.first_ms = T0;
    fx->res.last_ms = T0 + 48 * HOUR;
    /* already in the engine's order: risk desc, then key */
    KtKeySummary *a = add_key(fx, "AKIAIOSFODNN7EXAMPLE", 92, 40, 3);
    add_key(fx, "AKIAZZZZBBBBCCCCDDDD", 55, 900, 1);
    add_key(fx, "AKIA0000111122223333", 10, 5, 7);
    add_key(fx, "sk_live_\x1b[31mRED\x1b[0m_0123456789", 0, 12, 1);
    add_incident(fx, a, "203.0.113.9", 92, T0 + 30 * HOUR);
    add_incident(fx, a, "203.0.113.10", 45, T0 + 20 * HOUR);
    fx->res.events = 957;
    fx->m = kt_tui_model_new(&fx_ops, fx, fx->dict, data != NULL);
    KtTuiSummary s = { "fixture.log", 1000, 957, 43, T0, T0 + 48 * HOUR, FALSE };
    kt_tui_model_set_results(fx->m, &fx->res, &s);
    fx->f = kt_tui_frame_new();
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
    kt_tui_model_free(fx->m);
    kt_tui_frame_free(fx->f);
    g_ptr_array_unref(fx->res.keys);
    g_ptr_array_unref(fx->res.incidents);
    g_ptr_array_unref(fx->res.anomalies);
    kt_dict_free(fx->dict);
    g_free(fx->export_path);
}

/* Replays @script and renders at @w x @h; returns the frame text (transfer full). */
static char *
play(Fx *fx, const char *script, int w, int h)
{
    g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(KtTuiKey));
    g_autoptr(GError) error = NULL;
    g_assert_true(kt_tui_keys_parse(script, keys, &error));
    g_assert_no_error(error);
    for (guint i = 0; i < keys->len; i++) {
        kt_tui_model_render(fx->m, w, h, fx->f); /* as the loop does: hits, page sizes */
        kt_tui_model_key(fx->m, &g_array_index(keys, KtTuiKey, i));
    }
    kt_tui_model_render(fx->m, w, h, fx->f);
    char *text = kt_tui_frame_text(fx->f);
    if (g_test_verbose())
        g_printerr("---- %s\n%s", script, text);
    return text;
}

/* Line @n (0-based) of @text, without the newline (transfer full). */
static char *
line_of(const char *text, int n)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_assert_cmpint(n, <, (int)g_strv_length(lines));
    return g_strdup(lines[n]);
}

/* Every line of the frame is exactly @w columns, printable, spans inside the text. */
static void
assert_frame_sane(const KtTuiFrame *f, int w, int h)
{
    g_assert_cmpint(f->height, ==, h);
    g_assert_cmpint(f->width, ==, w);
    for (int y = 0; y < f->height; y++) {
        const GString *t = f->lines[y].text;
        g_assert_true(g_utf8_validate(t->str, (gssize)t->len, NULL));
        int cols = 0;
        for (const char *p = t->str; *p; p = g_utf8_next_char(p)) {
            gunichar c = g_utf8_get_char(p);
            g_assert_true(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0));
            g_assert_true(c != 0x202e && c != 0x2066 && c != 0x200b);
            if (!f->utf8)
                g_assert_cmpuint(c, <, 0x80);
            cols += g_unichar_iswide(c) ? 2 : g_unichar_iszerowidth(c) ? 0 : 1;
        }
        g_assert_cmpint(cols, ==, w);
        guint32 end = 0;
        for (guint i = 0; i < f->lines[y].spans->len; i++) {
            const KtTuiSpan *s = &g_array_index(f->lines[y].spans, KtTuiSpan, i);
            g_assert_cmpuint(s->start, >=, end);
            end = s->start + s->len;
            g_assert_cmpuint(end, <=, t->len);
            g_assert_cmpuint(s->attr, <, KT_TUI_ATTR_COUNT);
        }
    }
}

/* ---- tests --------------------------------------------------------------------------- */

static void
test_overview_layout(Fx *fx, gconstpointer data)
{
    g_autofree char *text = play(fx, "", 80, 24);
    assert_frame_sane(fx->f, 80, 24);
    g_autofree char *title = line_of(text, 0);
    g_assert_true(g_str_has_prefix(title, " keytrail  [1 Overview]  2 Incidents   3 Events"));
    g_assert_true(g_str_has_suffix(title, "?:help  q:quit"));
    g_autofree char *sum = line_of(text, 1);
    g_assert_cmpstr(sum, ==, " fixture.log  957 events (43 rejected)  2024-07-01 00:00 .. "
                             "2024-07-03 00:00");
    g_autofree char *hdr = line_of(text, 3);
    g_assert_cmpstr(hdr, ==, "  KEY         SEVERITY RISK VOLUME        EVENTS  IPS  INC OPEN "
                             "LAST SEEN");
    g_autofree char *r0 = line_of(text, 4);
    g_assert_true(g_str_has_prefix(r0, "> AKIA...MPLE critical   92 "));
    g_assert_true(g_str_has_suffix(r0, "       40    3    2    2 2024-07-02 16:00"));
    g_autofree char *r1 = line_of(text, 5);
    g_assert_true(g_str_has_prefix(r1, "  AKIA...DDDD medium     55 "));
    /* 12 key rows, then the band of newest incidents: #1 (later) before #2 */
    g_autofree char *band = line_of(text, 16);
    g_assert_cmpstr(band, ==, "  Newest incidents (2)");
    g_autofree char *b0 = line_of(text, 18);
    g_assert_true(g_str_has_prefix(b0, "  #1     critical AKIA...MPLE  203.0.113.9     07-02 07:00"));
    g_autofree char *st = line_of(text, 23);
    g_assert_true(g_str_has_prefix(st, " Enter:open Tab:panel /:search"));
    g_assert_cmpuint(fx->details, >=, 4); /* sparklines */
}

static void
test_sort(Fx *fx, gconstpointer data)
{
    g_autofree char *t1 = play(fx, "s", 80, 24); /* events */
    g_assert_cmpstr(kt_dict_str(fx->dict, KT_SPACE_KEY, kt_tui_model_selected_key(fx->m)->entity),
                    ==, "AKIAIOSFODNN7EXAMPLE"); /* selection follows the key */
    g_autofree char *l1 = line_of(t1, 4);
    g_assert_true(g_str_has_prefix(l1, "  AKIA...DDDD")); /* 900 events first */
    g_assert_nonnull(strstr(t1, "sort: events"));
    g_autofree char *t2 = play(fx, "ssss", 80, 24); /* key name */
    g_assert_nonnull(strstr(t2, "sort: key"));
    g_autofree char *l2 = line_of(t2, 4);
    g_assert_true(g_str_has_prefix(l2, "  AKIA...3333"));
    g_autofree char *t3 = play(fx, "s", 80, 24); /* back to risk */
    g_assert_nonnull(strstr(t3, "sort: risk"));
}

static void
test_filter(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "f", 80, 24);
    g_assert_cmpuint(kt_tui_model_key_rows(fx->m), ==, 2); /* low drops info and none */
    g_assert_nonnull(strstr(t, "severity: low+"));
    g_autofree char *t2 = play(fx, "fff", 80, 24);
    g_assert_cmpuint(kt_tui_model_key_rows(fx->m), ==, 1);
    g_assert_cmpuint(kt_tui_model_incident_rows(fx->m), ==, 1);
    g_assert_nonnull(strstr(t2, "Newest incidents (1)"));
    g_autofree char *t3 = play(fx, "f", 80, 24);
    g_assert_cmpuint(kt_tui_model_key_rows(fx->m), ==, 4);
}

static void
test_search(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "/dddd", 80, 24);
    g_assert_true(kt_tui_model_in_prompt(fx->m));
    g_autofree char *st = line_of(t, 23);
    g_assert_cmpstr(st, ==, "/dddd_");
    g_autofree char *t2 = play(fx, "<Enter>", 80, 24);
    g_assert_false(kt_tui_model_in_prompt(fx->m));
    g_assert_cmpuint(kt_tui_model_key_rows(fx->m), ==, 1);
    g_assert_nonnull(strstr(t2, "Keys (1 of 4)"));
    g_autofree char *t3 = play(fx, "/nomatch<Enter>", 80, 24); /* edits "dddd" */
    g_assert_cmpuint(kt_tui_model_key_rows(fx->m), ==, 0);
    g_assert_nonnull(strstr(t3, "no key matches the search"));
    g_autofree char *t4 = play(fx, "/<BS><BS><BS><BS><BS><BS><BS><BS><BS><BS><BS><Enter>", 80, 24);
    g_assert_cmpuint(kt_tui_model_key_rows(fx->m), ==, 4);
    /* incidents: search by source; Esc cancels a prompt without applying it */
    g_autofree char *t5 = play(fx, "2/113.10<Enter>", 80, 24);
    g_assert_cmpuint(kt_tui_model_incident_rows(fx->m), ==, 1);
    g_assert_cmpuint(kt_tui_model_selected_incident(fx->m)->id, ==, 2);
    g_autofree char *t6 = play(fx, "/x<Esc>", 80, 24);
    g_assert_cmpuint(kt_tui_model_incident_rows(fx->m), ==, 1);
}

static void
test_selection_scroll(Fx *fx, gconstpointer data)
{
    for (int i = 0; i < 60; i++) {
        g_autofree char *k = g_strdup_printf("AKIAFILL%012d", i);
        add_key(fx, k, 1, 1, 1);
    }
    kt_tui_model_set_results(fx->m, &fx->res, NULL);
    g_autofree char *t = play(fx, "kkk", 80, 24);
    g_assert_cmpuint(kt_tui_model_selected_key(fx->m)->risk, ==, 92); /* clamped at the top */
    g_autofree char *t2 = play(fx, "G", 80, 24);
    g_autofree char *last = line_of(t2, 15); /* 12 rows from line 4 */
    g_assert_true(g_str_has_prefix(last, "> sk_l...6789")); /* risk 0 sorts last */
    g_autofree char *t3 = play(fx, "<PgUp>", 80, 24);
    g_assert_true(g_str_has_prefix(kt_dict_str(fx->dict, KT_SPACE_KEY,
                                               kt_tui_model_selected_key(fx->m)->entity),
                                   "AKIAFILL000000000048"));
    g_autofree char *t4 = play(fx, "gj", 80, 24);
    g_autofree char *row = line_of(t4, 5);
    g_assert_true(g_str_has_prefix(row, "> AKIA...DDDD"));
}

static void
test_screens(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "<Enter>", 80, 24);
    g_assert_cmpint(kt_tui_model_screen(fx->m), ==, KT_TUI_SCREEN_KEY);
    assert_frame_sane(fx->f, 80, 24);
    g_assert_nonnull(strstr(t, "Key AKIA...MPLE  severity critical  risk 92  incidents 2 (2 open)"));
    g_assert_nonnull(strstr(t, "> 198.51.100.7"));
    g_assert_nonnull(strstr(t, " Mon "));
    g_autofree char *t2 = play(fx, "lll", 80, 24); /* user agents tab */
    g_assert_nonnull(strstr(t2, "[User agents]"));
    g_assert_nonnull(strstr(t2, "evil\\x1b[2J"));
    g_autofree char *t3 = play(fx, "<Esc>2<Enter>", 80, 24);
    g_assert_cmpint(kt_tui_model_screen(fx->m), ==, KT_TUI_SCREEN_INCIDENT);
    assert_frame_sane(fx->f, 80, 24);
    g_assert_nonnull(strstr(t3, "Incident #1  critical  score 92  open  key AKIA...MPLE"));
    g_assert_nonnull(strstr(t3, "new source \\x1b[31m"));
    g_assert_nonnull(strstr(t3, "first use from a new IP"));
    g_autofree char *t4 = play(fx, "<Tab>", 80, 24); /* timeline loads raw events */
    g_assert_cmpuint(fx->loads, ==, 1);
    g_assert_nonnull(strstr(t4, "[Timeline]"));
    g_autofree char *t5 = play(fx, "?", 80, 24);
    g_assert_nonnull(strstr(t5, "keytrail tui - keys"));
    g_autofree char *t6 = play(fx, "x", 80, 24);
    g_assert_null(strstr(t6, "keytrail tui - keys"));
    g_assert_cmpint(kt_tui_model_screen(fx->m), ==, KT_TUI_SCREEN_INCIDENT);
}

static void
test_events(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "3", 100, 30); /* events of the selected key */
    g_assert_cmpint(kt_tui_model_screen(fx->m), ==, KT_TUI_SCREEN_EVENTS);
    assert_frame_sane(fx->f, 100, 30);
    g_assert_cmpuint(kt_tui_model_event_rows(fx->m), ==, 30);
    g_assert_nonnull(strstr(t, "30 shown, 30 kept of 30 matched"));
    g_autofree char *t2 = play(fx, "f", 100, 30);
    g_assert_cmpuint(kt_tui_model_event_rows(fx->m), ==, 6);
    g_autofree char *t3 = play(fx, "f/createuser<Enter>", 100, 30); /* errors only: none */
    g_assert_cmpuint(kt_tui_model_event_rows(fx->m), ==, 0);
    g_autofree char *t4 = play(fx, "ff", 100, 30); /* all outcomes, op search */
    g_assert_cmpuint(kt_tui_model_event_rows(fx->m), ==, 10);
    g_autofree char *t5 = play(fx, "s<Enter>", 100, 30); /* newest first, details */
    g_assert_nonnull(strstr(t5, "line 28: iam.CreateUser from 198.51.100.7, status 200 (ok), ua evil\\x1b[2J"));
    g_assert_cmpuint(fx->loads, ==, 1); /* loaded once for one scope */
    /* from key detail, Enter on an IP scopes the events to that source */
    g_autofree char *t6 = play(fx, "1<Enter><Enter>", 100, 30);
    g_assert_nonnull(strstr(t6, "from 198.51.100.7"));
    g_assert_cmpuint(fx->loads, ==, 2);
}

static void
test_reveal(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "r", 80, 24);
    g_assert_true(kt_tui_model_in_prompt(fx->m));
    g_assert_nonnull(strstr(t, "Show full API keys on screen? (y/N)"));
    g_autofree char *t2 = play(fx, "n", 80, 24);
    g_assert_null(strstr(t2, "AKIAIOSFODNN7EXAMPLE"));
    g_assert_nonnull(strstr(t2, "keys stay masked"));
    g_autofree char *t3 = play(fx, "ry", 100, 30);
    g_assert_nonnull(strstr(t3, "AKIAIOSFODNN7EXAMPLE"));
    g_assert_nonnull(strstr(t3, "KEYS REVEALED"));
    g_assert_nonnull(strstr(t3, "sk_live_\\x1b[31mRED"));
    g_autofree char *t4 = play(fx, "r", 100, 30);
    g_assert_null(strstr(t4, "AKIAIOSFODNN7EXAMPLE"));
}

static void
test_export(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "e", 80, 24); /* no incident selected on the key list */
    g_assert_nonnull(strstr(t, "select an incident to export"));
    g_autofree char *t2 = play(fx, "<Tab>je", 80, 24);
    g_assert_nonnull(strstr(t2, "Export incident #2 to: keytrail-incident-2.json_"));
    g_autofree char *t3 = play(fx, "<BS><BS><BS><BS><BS>x.json<Enter>", 80, 24);
    g_assert_cmpstr(fx->export_path, ==, "keytrail-incident-2x.json");
    g_assert_cmpuint(fx->export_id, ==, 2);
    g_assert_nonnull(strstr(t3, "exported incident #2 to keytrail-incident-2x.json"));
    fx->export_fail = TRUE;
    g_autofree char *t4 = play(fx, "e<Enter>", 80, 24);
    g_assert_nonnull(strstr(t4, "File exists"));
}

static void
test_click(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "<Click:10,6>", 80, 24);
    g_autofree char *row = line_of(t, 6);
    g_assert_true(g_str_has_prefix(row, "> AKIA...3333"));
    g_autofree char *t2 = play(fx, "<Click:10,6>", 80, 24); /* again: open */
    g_assert_cmpint(kt_tui_model_screen(fx->m), ==, KT_TUI_SCREEN_KEY);
    g_autofree char *t3 = play(fx, "<Click:30,0>", 80, 24); /* title tab "2 Incidents" */
    g_assert_cmpint(kt_tui_model_screen(fx->m), ==, KT_TUI_SCREEN_INCIDENTS);
    g_autofree char *t4 = play(fx, "1<Click:10,19>", 80, 24); /* band row #2 */
    g_assert_cmpuint(kt_tui_model_selected_incident(fx->m)->id, ==, 2);
}

static void
test_new_results(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "jj", 80, 24); /* AKIA...3333 */
    /* new results: a key with higher risk arrives first; the selection follows */
    KtKeySummary *k = add_key(fx, "AKIANEWNEWNEWNEWNEW1", 99, 1, 1);
    g_ptr_array_steal_index(fx->res.keys, fx->res.keys->len - 1);
    g_ptr_array_insert(fx->res.keys, 0, k);
    kt_tui_model_set_results(fx->m, &fx->res, NULL);
    g_autofree char *t2 = play(fx, "", 80, 24);
    g_autofree char *row = line_of(t2, 7);
    g_assert_true(g_str_has_prefix(row, "> AKIA...3333"));
}

static void
test_sizes(Fx *fx, gconstpointer data)
{
    static const int sizes[][2] = { { 80, 24 }, { 100, 30 }, { 20, 5 }, { 1, 1 }, { 300, 80 } };
    static const char *const scripts[] = { "", "<Enter>", "<Enter>llll", "2<Enter>",
                                           "2<Enter><Tab>", "3", "?" };
    for (gsize s = 0; s < G_N_ELEMENTS(sizes); s++) {
        for (gsize i = 0; i < G_N_ELEMENTS(scripts); i++) {
            g_free(play(fx, scripts[i], sizes[s][0], sizes[s][1]));
            assert_frame_sane(fx->f, sizes[s][0], sizes[s][1]);
            g_free(play(fx, "1", sizes[s][0], sizes[s][1]));
        }
    }
}

static void
test_utf8(Fx *fx, gconstpointer data)
{
    g_autofree char *t = play(fx, "<Enter>lll", 100, 30);
    assert_frame_sane(fx->f, 100, 30);
    g_assert_nonnull(strstr(t, "\xe2\x96\x88")); /* full block in the volume chart */
    g_assert_nonnull(strstr(t, "\\u202e"));      /* the bidi override, escaped */
}

/* ---- the event store and the replay syntax ------------------------------------------- */

static void
test_events_bounded(void)
{
    g_autoptr(KtTuiEvents) ev = kt_tui_events_new(5);
    KtTuiScope scope = { 7, FALSE, 0, G_MININT64, G_MAXINT64, 0 };
    kt_tui_events_reset(ev, &scope);
    for (guint i = 0; i < 100; i++) {
        KtRecord r = { 0 };
        r.time_ms = (gint64)((i * 37) % 100); /* every time once, shuffled */
        r.key = i % 10 == 0 ? 8 : 7;          /* 10 of another key */
        kt_tui_events_offer(ev, &r);
    }
    kt_tui_events_finish(ev);
    g_assert_cmpuint(kt_tui_events_matched(ev), ==, 90);
    g_assert_cmpuint(kt_tui_events_len(ev), ==, 5);
    gint64 want[] = { 94, 95, 96, 97, 98 }; /* the newest five of key 7 (99 is key 8's? no) */
    guint n = 0;
    for (gint64 t = 99; t >= 0 && n < 5; t--) {
        guint i = 0;
        while (i < 100 && (gint64)((i * 37) % 100) != t)
            i++;
        if (i % 10 != 0)
            want[4 - n++] = t;
    }
    for (guint i = 0; i < 5; i++)
        g_assert_cmpint(kt_tui_events_get(ev, i)->time_ms, ==, want[i]);
    KtTuiScope narrow = { 7, FALSE, 3, 10, 20, 0 };
    KtRecord r = { 0 };
    r.key = 7;
    r.source = 3;
    r.time_ms = 15;
    g_assert_true(kt_tui_scope_match(&narrow, &r));
    r.source = 4;
    g_assert_false(kt_tui_scope_match(&narrow, &r));
    r.source = 3;
    r.time_ms = 21;
    g_assert_false(kt_tui_scope_match(&narrow, &r));
}

static void
test_keys_parse(void)
{
    g_autoptr(GArray) k = g_array_new(FALSE, FALSE, sizeof(KtTuiKey));
    g_autoptr(GError) error = NULL;
    g_assert_true(kt_tui_keys_parse("j<Enter><lt>\xc3\xa9<Click:3,4><Resize:80x24><BTab>", k, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(k->len, ==, 7);
    g_assert_cmpint(g_array_index(k, KtTuiKey, 0).code, ==, KT_TUI_KEY_CHAR);
    g_assert_cmpuint(g_array_index(k, KtTuiKey, 0).ch, ==, 'j');
    g_assert_cmpint(g_array_index(k, KtTuiKey, 1).code, ==, KT_TUI_KEY_ENTER);
    g_assert_cmpuint(g_array_index(k, KtTuiKey, 2).ch, ==, '<');
    g_assert_cmpuint(g_array_index(k, KtTuiKey, 3).ch, ==, 0xe9);
    g_assert_cmpint(g_array_index(k, KtTuiKey, 4).x, ==, 3);
    g_assert_cmpint(g_array_index(k, KtTuiKey, 4).y, ==, 4);
    g_assert_cmpint(g_array_index(k, KtTuiKey, 5).width, ==, 80);
    g_assert_cmpint(g_array_index(k, KtTuiKey, 6).code, ==, KT_TUI_KEY_BTAB);
    static const char *const bad[] = { "<Bogus>", "<Enter", "<Click:1>", "<Resize:0x5>",
                                       "<Click:-1,2>", "\xff" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&error);
        g_assert_false(kt_tui_keys_parse(bad[i], k, &error));
        g_assert_error(error, KT_ERROR, KT_ERROR_USAGE);
    }
    /* in a prompt, letters are text; outside they are commands */
    KtTuiKey q = { KT_TUI_KEY_CHAR, 'q', 0, 0, 0, 0 };
    g_assert_cmpint(kt_tui_input_action(&q, FALSE).kind, ==, KT_TUI_ACT_QUIT);
    g_assert_cmpint(kt_tui_input_action(&q, TRUE).kind, ==, KT_TUI_ACT_TEXT_CHAR);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add("/tui/model/overview-80x24", Fx, NULL, fx_setup, test_overview_layout, fx_teardown);
    g_test_add("/tui/model/sort", Fx, NULL, fx_setup, test_sort, fx_teardown);
    g_test_add("/tui/model/filter", Fx, NULL, fx_setup, test_filter, fx_teardown);
    g_test_add("/tui/model/search", Fx, NULL, fx_setup, test_search, fx_teardown);
    g_test_add("/tui/model/selection-scroll", Fx, NULL, fx_setup, test_selection_scroll,
               fx_teardown);
    g_test_add("/tui/model/screens", Fx, NULL, fx_setup, test_screens, fx_teardown);
    g_test_add("/tui/model/events", Fx, NULL, fx_setup, test_events, fx_teardown);
    g_test_add("/tui/model/reveal", Fx, NULL, fx_setup, test_reveal, fx_teardown);
    g_test_add("/tui/model/export", Fx, NULL, fx_setup, test_export, fx_teardown);
    g_test_add("/tui/model/click", Fx, NULL, fx_setup, test_click, fx_teardown);
    g_test_add("/tui/model/new-results", Fx, NULL, fx_setup, test_new_results, fx_teardown);
    g_test_add("/tui/model/sizes", Fx, NULL, fx_setup, test_sizes, fx_teardown);
    g_test_add("/tui/model/utf8", Fx, "utf8", fx_setup, test_utf8, fx_teardown);
    g_test_add_func("/tui/events/bounded", test_events_bounded);
    g_test_add_func("/tui/input/keys-parse", test_keys_parse);
    return g_test_run();
}
