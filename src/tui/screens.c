/*
 * screens.c - rendering of the TUI model into a frame: title bar, status bar, help
 * overlay, the overview (input summary, keys, newest incidents) and the incident list.
 * Detail screens are in detail.c. Curses-free: every log string goes through
 * kt_tui_put_log (kt_sanitize), keys through kt_mask_key unless revealed.
 */
#include <stdio.h>

#include "tui-private.h"

void
kt_tui_sep(KtTuiPen *p)
{
    kt_tui_put(p, " ", 1, KT_TUI_ATTR_NORMAL, FALSE);
}

void
kt_tui_render_list(KtTuiModel *m, KtTuiFrame *f, int y0, int rows, KtTuiListId id,
                   KtTuiRowFn fn, const char *empty)
{
    KtTuiList *l = &m->lists[id];
    guint n = kt_tui_list_rows(m, id);
    if (rows <= 0)
        return;
    l->page = (guint)rows;
    if (l->sel < l->top)
        l->top = l->sel;
    if (l->sel >= l->top + (guint)rows)
        l->top = l->sel - (guint)rows + 1;
    if (l->top + (guint)rows > n)
        l->top = n > (guint)rows ? n - (guint)rows : 0;
    if (n == 0 && empty != NULL) {
        KtTuiPen p;
        kt_tui_pen_start(&p, f, y0);
        kt_tui_put(&p, "  ", 2, KT_TUI_ATTR_NORMAL, FALSE);
        kt_tui_put(&p, empty, -1, KT_TUI_ATTR_DIM, FALSE);
        return;
    }
    gboolean focused = kt_tui_active_list(m) == id && !m->help;
    for (int i = 0; i < rows && l->top + (guint)i < n; i++) {
        guint row = l->top + (guint)i;
        int y = y0 + i;
        gboolean sel = row == l->sel && focused;
        KtTuiPen p;
        kt_tui_pen_start(&p, f, y);
        kt_tui_put(&p, sel ? ">" : " ", 2, KT_TUI_ATTR_NORMAL, FALSE);
        fn(m, &p, row);
        kt_tui_pen_fill(&p, KT_TUI_ATTR_NORMAL);
        if (sel)
            kt_tui_line_set_attr(f, y, KT_TUI_ATTR_SELECTED);
        if (y >= 0 && y < m->hits_len)
            m->hits[y] = (KtTuiHit){ (guint8)id, row };
    }
}

/* Writes "[Label]" or " Label " in the title bar. */
static void
title_tab(KtTuiPen *p, const char *label, gboolean active)
{
    g_autofree char *s = g_strdup_printf(active ? "[%s]" : " %s ", label);
    kt_tui_put(p, s, (int)strlen(s), active ? KT_TUI_ATTR_TAB : KT_TUI_ATTR_TITLE, FALSE);
    kt_tui_put(p, " ", 1, KT_TUI_ATTR_TITLE, FALSE);
}

static void
render_title(KtTuiModel *m, KtTuiFrame *f)
{
    static const char *const tabs[] = { "1 Overview", "2 Incidents", "3 Events" };
    KtTuiScreen s = kt_tui_model_screen(m);
    int active = s == KT_TUI_SCREEN_INCIDENTS || s == KT_TUI_SCREEN_INCIDENT ? 1
                 : s == KT_TUI_SCREEN_EVENTS                                  ? 2
                                                                              : 0;
    KtTuiPen p;
    kt_tui_pen_start(&p, f, 0);
    kt_tui_put(&p, " keytrail  ", 11, KT_TUI_ATTR_TITLE, FALSE);
    for (int i = 0; i < 3; i++) {
        m->tab_x[i] = p.col;
        title_tab(&p, tabs[i], i == active);
    }
    m->tab_x[3] = p.col;
    const char *right = m->reveal ? "KEYS REVEALED  ?:help  q:quit " : "?:help  q:quit ";
    int rest = f->width - p.col;
    kt_tui_put(&p, right, rest, KT_TUI_ATTR_TITLE, TRUE);
}

static const char *
hints(const KtTuiModel *m)
{
    switch (kt_tui_model_screen(m)) {
    case KT_TUI_SCREEN_OVERVIEW:
        return "Enter:open Tab:panel /:search s:sort f:filter r:reveal e:export ?:help q:quit";
    case KT_TUI_SCREEN_KEY: return "Tab/h/l:table Enter:events Esc:back r:reveal ?:help q:quit";
    case KT_TUI_SCREEN_INCIDENTS:
        return "Enter:open /:search s:sort f:filter e:export Esc:back ?:help q:quit";
    case KT_TUI_SCREEN_INCIDENT:
        return "Tab/h/l:panel Enter:events e:export Esc:back ?:help q:quit";
    default: return "Enter:details /:search s:order f:outcome Esc:back ?:help q:quit";
    }
}

static void
render_status(KtTuiModel *m, KtTuiFrame *f, int y)
{
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    if (m->prompt != KT_TUI_PROMPT_NONE) {
        const KtIncident *inc = kt_tui_model_selected_incident(m);
        g_autofree char *q = NULL;
        if (m->prompt == KT_TUI_PROMPT_SEARCH)
            q = g_strdup("/");
        else if (m->prompt == KT_TUI_PROMPT_EXPORT)
            q = g_strdup_printf("Export incident #%" G_GUINT64_FORMAT " to: ",
                                inc != NULL ? inc->id : 0);
        else
            q = g_strdup("Show full API keys on screen? (y/N) ");
        kt_tui_put(&p, q, kt_tui_text_width(q, FALSE), KT_TUI_ATTR_STATUS, FALSE);
        if (m->prompt != KT_TUI_PROMPT_REVEAL) {
            g_autofree char *in = g_strconcat(m->input->str, "_", NULL);
            kt_tui_put_safe(&p, in, -1, KT_TUI_ATTR_STATUS);
        }
        kt_tui_pen_fill(&p, KT_TUI_ATTR_STATUS);
        return;
    }
    if (m->message != NULL) {
        kt_tui_put(&p, " ", 1, KT_TUI_ATTR_NORMAL, FALSE);
        kt_tui_put_safe(&p, m->message, -1,
                        m->message_error ? KT_TUI_ATTR_ERROR : KT_TUI_ATTR_STATUS);
        return;
    }
    kt_tui_put(&p, " ", 1, KT_TUI_ATTR_STATUS, FALSE);
    kt_tui_put(&p, hints(m), -1, KT_TUI_ATTR_STATUS, FALSE);
}

static const char *const help_text[] = {
    "keytrail tui - keys",
    "",
    "Up/Down j/k    move the selection    PgUp/PgDn g/G  page, first, last",
    "Enter          open the selected row Esc Backspace  back",
    "Tab l Right    next panel or table   S-Tab h Left   previous one",
    "1 2 3          overview, incidents, events of the selection",
    "/              search the list (Enter applies it, empty clears it)",
    "s              sort order            f              severity filter",
    "                                     (events screen: outcome filter)",
    "r              reveal full keys (asks first; r again masks them)",
    "e              export the selected incident as JSON to a new file",
    "?              this help             q              quit",
    "",
    "Mouse: click a row to select it, click it again to open it.",
    "Press any key to close this help.",
};

static void
render_help(KtTuiModel *m, KtTuiFrame *f)
{
    int n = (int)G_N_ELEMENTS(help_text);
    int w = MIN(f->width - 2, 80);
    int y0 = MAX(1, (f->height - n - 2) / 2);
    int x0 = MAX(0, (f->width - w) / 2);
    for (int i = -1; i <= n && y0 + 1 + i < f->height - 1; i++) {
        int y = y0 + 1 + i;
        KtTuiFrame *fr = f;
        g_string_truncate(fr->lines[y].text, 0);
        g_array_set_size(fr->lines[y].spans, 0);
        KtTuiPen p;
        kt_tui_pen_start(&p, f, y);
        kt_tui_put(&p, "", x0, KT_TUI_ATTR_NORMAL, FALSE);
        if (i == -1 || i == n) {
            g_autofree char *bar = g_strnfill((gsize)MAX(w - 2, 0), '-');
            g_autofree char *s = g_strdup_printf("+%s+", bar);
            kt_tui_put(&p, s, w, KT_TUI_ATTR_HEADER, FALSE);
        } else {
            kt_tui_put(&p, "| ", 2, KT_TUI_ATTR_HEADER, FALSE);
            kt_tui_put(&p, help_text[i], w - 4, i == 0 ? KT_TUI_ATTR_HEADER : KT_TUI_ATTR_NORMAL,
                       FALSE);
            kt_tui_put(&p, " |", 2, KT_TUI_ATTR_HEADER, FALSE);
        }
        kt_tui_pen_fill(&p, KT_TUI_ATTR_NORMAL);
        if (y < m->hits_len)
            m->hits[y] = (KtTuiHit){ 0 };
    }
}

/* ---- overview ------------------------------------------------------------------------ */

enum { KEY_FIXED = 69, KEY_MIN = 11 };

static int
key_col_width(const KtTuiFrame *f)
{
    return MAX(f->width - KEY_FIXED, KEY_MIN);
}

static void
key_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    const KtKeySummary *k = kt_tui_key_at(m, row);
    char num[KT_TUI_NUM_MAX], t[KT_TUI_TIME_MAX];
    g_autofree char *label = kt_tui_entity_label(m, k->entity, k->entity_is_principal, k->key);
    kt_tui_put_log(p, label, key_col_width(p->frame), KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    kt_tui_put(p, kt_severity_name(k->severity), 8, kt_tui_sev_attr(k->severity), FALSE);
    kt_tui_sep(p);
    kt_tui_putf(p, 4, KT_TUI_ATTR_NORMAL, "%4d", k->risk);
    kt_tui_sep(p);
    const guint8 *levels = kt_tui_sparkline(m, k);
    GString *sp = g_string_new(NULL);
    for (int i = 0; i < KT_TUI_SPARK_COLS; i++)
        g_string_append(sp, kt_tui_spark_glyph(levels != NULL ? levels[i] : 0, m->utf8));
    kt_tui_put(p, sp->str, KT_TUI_SPARK_COLS, KT_TUI_ATTR_CHART, FALSE);
    g_string_free(sp, TRUE);
    kt_tui_sep(p);
    kt_tui_put(p, kt_tui_fmt_count(k->events, num), 9, KT_TUI_ATTR_NORMAL, TRUE);
    kt_tui_sep(p);
    kt_tui_putf(p, 4, KT_TUI_ATTR_NORMAL, "%4u", k->distinct_ips);
    kt_tui_sep(p);
    kt_tui_putf(p, 4, KT_TUI_ATTR_NORMAL, "%4u", k->incidents);
    kt_tui_sep(p);
    guint32 open = kt_tui_key_open(m, k);
    kt_tui_putf(p, 4, open > 0 ? KT_TUI_ATTR_SEV_HIGH : KT_TUI_ATTR_NORMAL, "%4u", open);
    kt_tui_sep(p);
    kt_tui_put(p, kt_tui_fmt_time(k->last_ms, FALSE, t), 16, KT_TUI_ATTR_NORMAL, FALSE);
}

static void
key_header(KtTuiFrame *f, int y)
{
    static const struct {
        const char *name;
        int w;
        gboolean right;
    } cols[] = { { "SEVERITY", 8, FALSE }, { "RISK", 4, TRUE }, { "VOLUME", 10, FALSE },
                 { "EVENTS", 9, TRUE },    { "IPS", 4, TRUE },  { "INC", 4, TRUE },
                 { "OPEN", 4, TRUE },      { "LAST SEEN", 16, FALSE } };
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    kt_tui_put(&p, "  ", 2, KT_TUI_ATTR_HEADER, FALSE);
    kt_tui_put(&p, "KEY", key_col_width(f), KT_TUI_ATTR_HEADER, FALSE);
    for (gsize i = 0; i < G_N_ELEMENTS(cols); i++) {
        kt_tui_put(&p, " ", 1, KT_TUI_ATTR_HEADER, FALSE);
        kt_tui_put(&p, cols[i].name, cols[i].w, KT_TUI_ATTR_HEADER, cols[i].right);
    }
    kt_tui_pen_fill(&p, KT_TUI_ATTR_HEADER);
}

static void
render_summary(KtTuiModel *m, KtTuiFrame *f, int y)
{
    const KtTuiSummary *s = &m->summary;
    char b[KT_TUI_NUM_MAX], c[KT_TUI_NUM_MAX];
    char t0[KT_TUI_TIME_MAX], t1[KT_TUI_TIME_MAX];
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    kt_tui_put(&p, " ", 1, KT_TUI_ATTR_NORMAL, FALSE);
    g_autofree char *text = g_strdup_printf(
        "%s  %s events (%s rejected)  %s .. %s%s", s->label != NULL ? s->label : "",
        kt_tui_fmt_count(s->events, b),
        kt_tui_fmt_count(s->rejected, c), kt_tui_fmt_time(s->first_ms, FALSE, t0),
        kt_tui_fmt_time(s->last_ms, FALSE, t1), s->follow ? "  [follow]" : "");
    kt_tui_put_log(&p, text, -1, KT_TUI_ATTR_NORMAL);
}

static void
section(KtTuiFrame *f, int y, const char *text, gboolean focused)
{
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    kt_tui_put(&p, focused ? "* " : "  ", 2, KT_TUI_ATTR_HEADER, FALSE);
    kt_tui_put_log(&p, text, -1, KT_TUI_ATTR_HEADER);
}

static char *
list_title(const KtTuiModel *m, const char *what, guint shown, guint total, KtTuiListId id,
           const char *search)
{
    return g_strdup_printf("%s (%u of %u)  sort: %s  severity: %s%s%s", what, shown, total,
                           kt_tui_sort_name(m, id),
                           m->min_sev == KT_SEV_NONE ? "all" : kt_severity_name(m->min_sev),
                           m->min_sev == KT_SEV_NONE ? "" : "+",
                           search != NULL ? "  search: " : "");
}

/* Incident columns: ID, SEV, [SCORE], KEY, SOURCE, TIME, EVENTS, REASONS. */
static void
incident_cells(KtTuiModel *m, KtTuiPen *p, const KtIncident *inc, gboolean wide)
{
    char num[KT_TUI_NUM_MAX], t[KT_TUI_TIME_MAX];
    kt_tui_putf(p, 6, KT_TUI_ATTR_NORMAL, "#%" G_GUINT64_FORMAT, inc->id);
    kt_tui_sep(p);
    kt_tui_put(p, kt_severity_name(inc->severity), 8, kt_tui_sev_attr(inc->severity), FALSE);
    kt_tui_sep(p);
    if (wide) {
        kt_tui_putf(p, 5, KT_TUI_ATTR_NORMAL, "%5d", inc->score);
        kt_tui_sep(p);
    }
    g_autofree char *label = kt_tui_entity_label(m, inc->entity, inc->entity_is_principal, inc->key);
    kt_tui_put_log(p, label, 12, KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    kt_tui_put_log(p, kt_dict_str(m->dict, KT_SPACE_SOURCE, inc->source), 15, KT_TUI_ATTR_NORMAL);
    kt_tui_sep(p);
    kt_tui_fmt_time(wide ? inc->first_ms : inc->last_ms, FALSE, t);
    kt_tui_put(p, strlen(t) > 5 ? t + 5 : t, 11, KT_TUI_ATTR_NORMAL, FALSE);
    kt_tui_sep(p);
    kt_tui_put(p, kt_tui_fmt_count(inc->events, num), 7, KT_TUI_ATTR_NORMAL, TRUE);
    kt_tui_sep(p);
    g_autoptr(GString) why = g_string_new(inc->open ? "open: " : "");
    for (int d = 0; d < KT_DET_COUNT; d++) {
        if (inc->reasons & (1u << d)) {
            if (why->len > 0 && why->str[why->len - 1] != ' ')
                g_string_append_c(why, ',');
            g_string_append(why, kt_detector_name((KtDetectorKind)d));
        }
    }
    kt_tui_put(p, why->str, -1, KT_TUI_ATTR_NORMAL, FALSE);
}

static void
incident_header(KtTuiFrame *f, int y, gboolean wide)
{
    KtTuiPen p;
    kt_tui_pen_start(&p, f, y);
    kt_tui_put(&p, "  ", 2, KT_TUI_ATTR_HEADER, FALSE);
    kt_tui_put(&p, "ID", 7, KT_TUI_ATTR_HEADER, FALSE);
    kt_tui_put(&p, "SEVERITY", 9, KT_TUI_ATTR_HEADER, FALSE);
    if (wide)
        kt_tui_put(&p, "SCORE ", 6, KT_TUI_ATTR_HEADER, TRUE);
    kt_tui_put(&p, "KEY", 13, KT_TUI_ATTR_HEADER, FALSE);
    kt_tui_put(&p, "SOURCE", 16, KT_TUI_ATTR_HEADER, FALSE);
    kt_tui_put(&p, wide ? "FIRST SEEN" : "LAST SEEN", 12, KT_TUI_ATTR_HEADER, FALSE);
    kt_tui_put(&p, "EVENTS ", 8, KT_TUI_ATTR_HEADER, TRUE);
    kt_tui_put(&p, "REASONS", -1, KT_TUI_ATTR_HEADER, FALSE);
}

static void
band_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    incident_cells(m, p, kt_tui_inc_at(m, KT_TUI_LIST_BAND, row), FALSE);
}

static void
inc_row(KtTuiModel *m, KtTuiPen *p, guint row)
{
    incident_cells(m, p, kt_tui_inc_at(m, KT_TUI_LIST_INCIDENTS, row), TRUE);
}

static void
render_overview(KtTuiModel *m, KtTuiFrame *f)
{
    int avail = f->height - 3;
    int band = f->height >= 24 ? 5 : MAX(1, avail / 4);
    int krows = avail - 4 - band;
    render_summary(m, f, 1);
    g_autofree char *kt = list_title(m, "Keys", m->key_rows->len, m->res ? m->res->keys->len : 0,
                                     KT_TUI_LIST_KEYS, m->key_search);
    g_autofree char *ktitle = g_strconcat(kt, m->key_search ? m->key_search : "", NULL);
    section(f, 2, ktitle, m->focus == 0);
    key_header(f, 3);
    kt_tui_render_list(m, f, 4, krows, KT_TUI_LIST_KEYS, key_row,
                       m->key_search ? "no key matches the search" : "no keys");
    int y = 4 + MAX(krows, 0);
    g_autofree char *bt = g_strdup_printf("Newest incidents (%u)", m->band_rows->len);
    section(f, y, bt, m->focus == 1);
    incident_header(f, y + 1, FALSE);
    kt_tui_render_list(m, f, y + 2, band, KT_TUI_LIST_BAND, band_row, "no incidents");
}

static void
render_incidents(KtTuiModel *m, KtTuiFrame *f)
{
    g_autofree char *it = list_title(m, "Incidents", m->inc_rows->len,
                                     m->res ? m->res->incidents->len : 0, KT_TUI_LIST_INCIDENTS,
                                     m->inc_search);
    g_autofree char *title = g_strconcat(it, m->inc_search ? m->inc_search : "", NULL);
    section(f, 1, title, TRUE);
    incident_header(f, 2, TRUE);
    kt_tui_render_list(m, f, 3, f->height - 4, KT_TUI_LIST_INCIDENTS, inc_row,
                       m->inc_search ? "no incident matches the search" : "no incidents");
}

void
kt_tui_render_screen(KtTuiModel *m, KtTuiFrame *f)
{
    render_title(m, f);
    if (f->height >= 3) {
        switch (kt_tui_model_screen(m)) {
        case KT_TUI_SCREEN_OVERVIEW: render_overview(m, f); break;
        case KT_TUI_SCREEN_INCIDENTS: render_incidents(m, f); break;
        case KT_TUI_SCREEN_KEY: kt_tui_render_key(m, f); break;
        case KT_TUI_SCREEN_INCIDENT: kt_tui_render_incident(m, f); break;
        default: kt_tui_render_events(m, f); break;
        }
    }
    if (f->height >= 2)
        render_status(m, f, f->height - 1);
    if (m->help)
        render_help(m, f);
    for (int y = 0; y < f->height; y++) {
        KtTuiPen p = { f, &f->lines[y], kt_tui_text_width(f->lines[y].text->str, f->utf8) };
        kt_tui_pen_fill(&p, y == 0 ? KT_TUI_ATTR_TITLE : KT_TUI_ATTR_NORMAL);
    }
}
