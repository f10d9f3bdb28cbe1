/*
 * actions.c - what each action does to the TUI model: moving the selection, opening and
 * leaving screens, panels, prompts (search, export path, reveal question), sorting and
 * filtering. Returns htop-style KT_TUI_* flags. Curses-free.
 */
#include <stdio.h>

#include "tui-private.h"

#include "keytrail/sanitize.h"

#define KT_TUI_INPUT_MAX 256 /* bytes in a prompt */

static void
push(KtTuiModel *m, KtTuiScreen s)
{
    if (m->stack[m->depth - 1] == s)
        return;
    if (m->depth < KT_TUI_STACK_MAX)
        m->depth++;
    m->stack[m->depth - 1] = s;
}

static void
move(KtTuiModel *m, gint64 delta, gboolean absolute)
{
    KtTuiListId id = kt_tui_active_list(m);
    guint n = kt_tui_list_rows(m, id);
    KtTuiList *l = &m->lists[id];
    if (n == 0)
        return;
    gint64 sel = absolute ? delta : (gint64)l->sel + delta;
    l->sel = (guint)CLAMP(sel, 0, (gint64)n - 1);
}

static gint64
page(const KtTuiModel *m)
{
    return MAX(m->lists[kt_tui_active_list(m)].page, 1u);
}

static void
open_events(KtTuiModel *m, const KtTuiScope *scope)
{
    kt_tui_ensure_events(m, scope);
    push(m, KT_TUI_SCREEN_EVENTS);
}

static void
open_incident(KtTuiModel *m, const KtIncident *inc)
{
    m->have_inc = TRUE;
    m->inc_entity = inc->entity;
    m->inc_source = inc->source;
    m->inc_first = inc->first_ms;
    m->itab = KT_TUI_ITAB_EVIDENCE;
    m->lists[KT_TUI_LIST_INCIDENT] = (KtTuiList){ 0 };
    push(m, KT_TUI_SCREEN_INCIDENT);
}

static void
show_event(KtTuiModel *m)
{
    guint row = m->lists[KT_TUI_LIST_EVENTS].sel;
    if (row >= m->ev_rows->len)
        return;
    const KtRecord *r = kt_tui_events_get(m->events, g_array_index(m->ev_rows, guint32, row));
    /* log text: a key quoted in it is masked unless keys are revealed */
    g_autofree char *op = kt_redact_secrets(kt_dict_str(m->dict, KT_SPACE_OP, r->op), m->reveal);
    g_autofree char *src =
        kt_redact_secrets(kt_dict_str(m->dict, KT_SPACE_SOURCE, r->source), m->reveal);
    g_autofree char *ua = kt_redact_secrets(kt_dict_str(m->dict, KT_SPACE_UA, r->ua), m->reveal);
    g_autofree char *msg =
        g_strdup_printf("line %" G_GUINT64_FORMAT ": %s from %s, status %u (%s), ua %s", r->line,
                        op, src, r->status, kt_outcome_name((KtOutcome)r->outcome), ua);
    kt_tui_model_set_message(m, msg, FALSE);
}

static void
open_detail_row(KtTuiModel *m)
{
    const KtKeySummary *k = kt_tui_current_key(m);
    KtTuiScope scope;
    if (k == NULL)
        return;
    kt_tui_scope_for_key(k, &scope);
    guint row = m->lists[KT_TUI_LIST_DETAIL].sel;
    if (m->dtab == KT_TUI_DTAB_IPS && m->detail != NULL && row < m->detail->ips->len) {
        const KtValueStat *v = g_ptr_array_index(m->detail->ips, row);
        scope.source = v->id;
    }
    open_events(m, &scope);
}

static void
act_open(KtTuiModel *m)
{
    KtTuiListId id = kt_tui_active_list(m);
    KtTuiScope scope;
    const KtKeySummary *k;
    const KtIncident *inc;
    switch (id) {
    case KT_TUI_LIST_KEYS:
        k = kt_tui_key_at(m, m->lists[id].sel);
        if (k != NULL) {
            kt_tui_open_key(m, k);
            push(m, KT_TUI_SCREEN_KEY);
        }
        break;
    case KT_TUI_LIST_BAND:
    case KT_TUI_LIST_INCIDENTS:
        inc = kt_tui_inc_at(m, id, m->lists[id].sel);
        if (inc != NULL)
            open_incident(m, inc);
        break;
    case KT_TUI_LIST_DETAIL: open_detail_row(m); break;
    case KT_TUI_LIST_INCIDENT:
        inc = kt_tui_current_incident(m);
        if (inc != NULL && kt_tui_scope_for_incident(inc, &scope))
            open_events(m, &scope);
        break;
    default: show_event(m); break;
    }
}

/* The scope of the events screen from what is selected or shown. */
static gboolean
current_scope(KtTuiModel *m, KtTuiScope *out)
{
    const KtIncident *inc = kt_tui_model_selected_incident(m);
    const KtKeySummary *k = kt_tui_model_selected_key(m);
    switch (kt_tui_model_screen(m)) {
    case KT_TUI_SCREEN_EVENTS: return FALSE;
    case KT_TUI_SCREEN_KEY:
        return k != NULL && kt_tui_scope_for_key(k, out);
    case KT_TUI_SCREEN_INCIDENT:
    case KT_TUI_SCREEN_INCIDENTS:
        return inc != NULL && kt_tui_scope_for_incident(inc, out);
    default:
        if (m->focus == 1)
            return inc != NULL && kt_tui_scope_for_incident(inc, out);
        return k != NULL && kt_tui_scope_for_key(k, out);
    }
}

static void
act_back(KtTuiModel *m)
{
    if (m->depth > 1) {
        m->depth--;
        return;
    }
    if (m->key_search != NULL) {
        g_clear_pointer(&m->key_search, g_free);
        kt_tui_rebuild(m);
    }
}

static void
act_panel(KtTuiModel *m, int dir)
{
    switch (kt_tui_model_screen(m)) {
    case KT_TUI_SCREEN_OVERVIEW: m->focus = !m->focus; break;
    case KT_TUI_SCREEN_KEY:
        m->dtab = (m->dtab + KT_TUI_DTAB_COUNT + dir) % KT_TUI_DTAB_COUNT;
        m->lists[KT_TUI_LIST_DETAIL] = (KtTuiList){ 0 };
        break;
    case KT_TUI_SCREEN_INCIDENT:
        m->itab = (m->itab + KT_TUI_ITAB_COUNT + dir) % KT_TUI_ITAB_COUNT;
        m->lists[KT_TUI_LIST_INCIDENT] = (KtTuiList){ 0 };
        if (m->itab == KT_TUI_ITAB_TIMELINE) {
            const KtIncident *inc = kt_tui_current_incident(m);
            KtTuiScope scope;
            if (inc != NULL && kt_tui_scope_for_incident(inc, &scope))
                kt_tui_ensure_events(m, &scope);
        }
        break;
    default: break;
    }
}

static gboolean
events_list_shown(const KtTuiModel *m)
{
    KtTuiScreen s = kt_tui_model_screen(m);
    return s == KT_TUI_SCREEN_EVENTS ||
           (s == KT_TUI_SCREEN_INCIDENT && m->itab == KT_TUI_ITAB_TIMELINE);
}

static void
act_sort(KtTuiModel *m)
{
    KtTuiListId id = kt_tui_active_list(m);
    if (events_list_shown(m)) {
        m->ev_desc = !m->ev_desc;
        kt_tui_rebuild_events(m);
        id = KT_TUI_LIST_EVENTS;
    } else if (id == KT_TUI_LIST_KEYS || id == KT_TUI_LIST_INCIDENTS) {
        kt_tui_cycle_sort(m, id);
        kt_tui_rebuild_some(m, id == KT_TUI_LIST_KEYS, id == KT_TUI_LIST_INCIDENTS);
    } else {
        kt_tui_model_set_message(m, "this list is sorted by count", FALSE);
        return;
    }
    g_autofree char *msg = g_strdup_printf("sorted by %s", kt_tui_sort_name(m, id));
    kt_tui_model_set_message(m, msg, FALSE);
}

static const char *const outcome_filters[] = { "all outcomes", "denied only", "errors only",
                                               "denied and errors" };

static void
act_filter(KtTuiModel *m)
{
    g_autofree char *msg = NULL;
    if (events_list_shown(m)) {
        m->ev_outcome = (m->ev_outcome + 1) % 4;
        kt_tui_rebuild_events(m);
        msg = g_strdup_printf("showing %s", outcome_filters[m->ev_outcome]);
    } else {
        m->min_sev = m->min_sev == KT_SEV_NONE       ? KT_SEV_LOW
                     : m->min_sev >= KT_SEV_CRITICAL ? KT_SEV_NONE
                                                     : m->min_sev + 1;
        kt_tui_rebuild(m);
        msg = m->min_sev == KT_SEV_NONE
                  ? g_strdup("showing all severities")
                  : g_strdup_printf("showing severity %s and above", kt_severity_name(m->min_sev));
    }
    kt_tui_model_set_message(m, msg, FALSE);
}

static void
open_prompt(KtTuiModel *m, KtTuiPrompt p, const char *initial)
{
    m->prompt = p;
    g_string_assign(m->input, initial != NULL ? initial : "");
}

static void
act_search(KtTuiModel *m)
{
    KtTuiListId id = kt_tui_active_list(m);
    if (events_list_shown(m))
        id = KT_TUI_LIST_EVENTS;
    const char *cur = id == KT_TUI_LIST_KEYS        ? m->key_search
                      : id == KT_TUI_LIST_INCIDENTS ? m->inc_search
                      : id == KT_TUI_LIST_EVENTS    ? m->ev_search
                                                    : NULL;
    if (id != KT_TUI_LIST_KEYS && id != KT_TUI_LIST_INCIDENTS && id != KT_TUI_LIST_EVENTS) {
        kt_tui_model_set_message(m, "search works on the key, incident and event lists", FALSE);
        return;
    }
    m->search_target = id;
    open_prompt(m, KT_TUI_PROMPT_SEARCH, cur);
}

static void
act_export(KtTuiModel *m)
{
    const KtIncident *inc = kt_tui_model_selected_incident(m);
    if (inc == NULL) {
        kt_tui_model_set_message(m, "select an incident to export (Tab to the band, or 2)", TRUE);
        return;
    }
    g_autofree char *path = g_strdup_printf("keytrail-incident-%" G_GUINT64_FORMAT ".json", inc->id);
    open_prompt(m, KT_TUI_PROMPT_EXPORT, path);
}

static void
act_reveal(KtTuiModel *m)
{
    if (m->reveal) {
        m->reveal = FALSE;
        kt_tui_model_set_message(m, "keys are masked again", FALSE);
        return;
    }
    open_prompt(m, KT_TUI_PROMPT_REVEAL, NULL);
}

static void
accept_search(KtTuiModel *m)
{
    char *s = m->input->len > 0 ? g_ascii_strdown(m->input->str, -1) : NULL;
    if (m->search_target == KT_TUI_LIST_KEYS) {
        g_free(m->key_search);
        m->key_search = s;
        m->lists[KT_TUI_LIST_KEYS].sel = 0;
        kt_tui_rebuild_some(m, TRUE, FALSE);
        m->lists[KT_TUI_LIST_KEYS].sel = 0;
    } else if (m->search_target == KT_TUI_LIST_INCIDENTS) {
        g_free(m->inc_search);
        m->inc_search = s;
        kt_tui_rebuild_some(m, FALSE, TRUE);
        m->lists[KT_TUI_LIST_INCIDENTS].sel = 0;
    } else {
        g_free(m->ev_search);
        m->ev_search = s;
        kt_tui_rebuild_events(m);
        m->lists[KT_TUI_LIST_EVENTS].sel = 0;
        m->lists[KT_TUI_LIST_INCIDENT].sel = 0;
    }
}

static void
accept_export(KtTuiModel *m)
{
    const KtIncident *inc = kt_tui_model_selected_incident(m);
    g_autoptr(GError) error = NULL;
    if (inc == NULL || m->input->len == 0)
        return;
    if (m->ops == NULL || m->ops->export_incident == NULL) {
        kt_tui_model_set_message(m, "export is not available for this source", TRUE);
    } else if (!m->ops->export_incident(m->ud, inc, m->input->str, &error)) {
        kt_tui_model_set_message(m, error->message, TRUE);
    } else {
        g_autofree char *msg = g_strdup_printf("exported incident #%" G_GUINT64_FORMAT " to %s",
                                               inc->id, m->input->str);
        kt_tui_model_set_message(m, msg, FALSE);
    }
}

static guint
apply_prompt(KtTuiModel *m, const KtTuiAction *a)
{
    KtTuiPrompt p = m->prompt;
    switch (a->kind) {
    case KT_TUI_ACT_TEXT_CHAR:
        if (p == KT_TUI_PROMPT_REVEAL) {
            m->prompt = KT_TUI_PROMPT_NONE;
            m->reveal = a->ch == 'y' || a->ch == 'Y';
            kt_tui_model_set_message(m, m->reveal ? "full keys are shown (r masks them)"
                                                  : "keys stay masked", FALSE);
        } else if (m->input->len + 6 < KT_TUI_INPUT_MAX) {
            g_string_append_unichar(m->input, a->ch);
        }
        break;
    case KT_TUI_ACT_TEXT_DELETE:
        if (m->input->len > 0) {
            const char *prev = g_utf8_find_prev_char(m->input->str, m->input->str + m->input->len);
            g_string_truncate(m->input, prev != NULL ? (gsize)(prev - m->input->str) : 0);
        }
        break;
    case KT_TUI_ACT_TEXT_ACCEPT:
        m->prompt = KT_TUI_PROMPT_NONE;
        if (p == KT_TUI_PROMPT_SEARCH)
            accept_search(m);
        else if (p == KT_TUI_PROMPT_EXPORT)
            accept_export(m);
        else
            kt_tui_model_set_message(m, "keys stay masked", FALSE);
        break;
    case KT_TUI_ACT_TEXT_CANCEL: m->prompt = KT_TUI_PROMPT_NONE; break;
    default: return 0;
    }
    return KT_TUI_HANDLED | KT_TUI_REDRAW;
}

static void
act_click(KtTuiModel *m, int x, int y)
{
    if (y == 0) {
        KtTuiActionKind tabs[3] = { KT_TUI_ACT_OVERVIEW, KT_TUI_ACT_INCIDENTS, KT_TUI_ACT_EVENTS };
        for (int i = 0; i < 3; i++) {
            if (x >= m->tab_x[i] && x < m->tab_x[i + 1]) {
                KtTuiAction a = { tabs[i], 0, 0, 0 };
                kt_tui_model_apply(m, &a);
            }
        }
        return;
    }
    if (y < 0 || y >= m->hits_len || m->hits[y].list == KT_TUI_LIST_NONE)
        return;
    KtTuiListId id = (KtTuiListId)m->hits[y].list;
    if (id == KT_TUI_LIST_KEYS || id == KT_TUI_LIST_BAND)
        m->focus = id == KT_TUI_LIST_BAND;
    if (m->lists[id].sel == m->hits[y].row && kt_tui_active_list(m) == id)
        act_open(m);
    else
        m->lists[id].sel = m->hits[y].row;
}

static void
act_screen(KtTuiModel *m, KtTuiActionKind kind)
{
    KtTuiScope scope;
    if (kind == KT_TUI_ACT_EVENTS) {
        if (current_scope(m, &scope))
            open_events(m, &scope);
        else if (kt_tui_model_screen(m) != KT_TUI_SCREEN_EVENTS)
            kt_tui_model_set_message(m, "select a key or an incident first", TRUE);
        return;
    }
    m->depth = 1;
    if (kind == KT_TUI_ACT_INCIDENTS)
        push(m, KT_TUI_SCREEN_INCIDENTS);
}

static void
apply_normal(KtTuiModel *m, const KtTuiAction *a)
{
    switch (a->kind) {
    case KT_TUI_ACT_UP: move(m, -1, FALSE); break;
    case KT_TUI_ACT_DOWN: move(m, 1, FALSE); break;
    case KT_TUI_ACT_PAGE_UP: move(m, -page(m), FALSE); break;
    case KT_TUI_ACT_PAGE_DOWN: move(m, page(m), FALSE); break;
    case KT_TUI_ACT_HOME: move(m, 0, TRUE); break;
    case KT_TUI_ACT_END: move(m, G_MAXINT32, TRUE); break;
    case KT_TUI_ACT_NEXT_PANEL: act_panel(m, 1); break;
    case KT_TUI_ACT_PREV_PANEL: act_panel(m, -1); break;
    case KT_TUI_ACT_OPEN: act_open(m); break;
    case KT_TUI_ACT_BACK: act_back(m); break;
    case KT_TUI_ACT_SEARCH: act_search(m); break;
    case KT_TUI_ACT_SORT: act_sort(m); break;
    case KT_TUI_ACT_FILTER: act_filter(m); break;
    case KT_TUI_ACT_REVEAL: act_reveal(m); break;
    case KT_TUI_ACT_EXPORT: act_export(m); break;
    case KT_TUI_ACT_HELP: m->help = TRUE; break;
    case KT_TUI_ACT_OVERVIEW:
    case KT_TUI_ACT_INCIDENTS:
    case KT_TUI_ACT_EVENTS: act_screen(m, a->kind); break;
    case KT_TUI_ACT_CLICK: act_click(m, a->x, a->y); break;
    default: break;
    }
}

guint
kt_tui_model_apply(KtTuiModel *m, const KtTuiAction *a)
{
    if (a->kind == KT_TUI_ACT_NONE)
        return 0;
    if (a->kind == KT_TUI_ACT_RESIZE)
        return KT_TUI_HANDLED | KT_TUI_REDRAW;
    g_clear_pointer(&m->message, g_free);
    if (m->help) {
        m->help = FALSE;
        return KT_TUI_HANDLED | KT_TUI_REDRAW;
    }
    if (m->prompt != KT_TUI_PROMPT_NONE) {
        guint r = apply_prompt(m, a);
        kt_tui_remember(m);
        return r;
    }
    if (a->kind == KT_TUI_ACT_QUIT)
        return KT_TUI_HANDLED | KT_TUI_QUIT;
    apply_normal(m, a);
    kt_tui_clamp_lists(m);
    kt_tui_remember(m);
    return KT_TUI_HANDLED | KT_TUI_REDRAW;
}

guint
kt_tui_model_key(KtTuiModel *m, const KtTuiKey *key)
{
    KtTuiAction a = kt_tui_input_action(key, kt_tui_model_in_prompt(m));
    if (m->help && a.kind == KT_TUI_ACT_NONE && key->code != KT_TUI_KEY_NONE &&
        key->code != KT_TUI_KEY_TIMEOUT) {
        m->help = FALSE; /* any key closes the help */
        return KT_TUI_HANDLED | KT_TUI_REDRAW;
    }
    return kt_tui_model_apply(m, &a);
}
