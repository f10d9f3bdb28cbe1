/*
 * events.c - the bounded store of raw records behind the events screen and the
 * incident timeline. Raw events are not kept while a run is analysed (memory must not
 * grow with events); when a screen needs them, the command re-reads its inputs and
 * offers every record here. The store keeps only records of its scope and, of those,
 * at most `cap` - the newest by time, in a min-heap - and counts the rest.
 */
#include <stdlib.h>

#include "keytrail/tui.h"

struct _KtTuiEvents {
    KtTuiScope scope;
    guint cap;        /* records kept at most */
    GArray *recs;     /* KtRecord: a min-heap by time while offering, sorted after finish */
    guint64 matched;  /* records that matched the scope, kept or not */
};

KtTuiEvents *
kt_tui_events_new(guint cap)
{
    KtTuiEvents *ev = g_new0(KtTuiEvents, 1);
    ev->cap = cap > 0 ? cap : KT_TUI_EVENTS_CAP_DEFAULT;
    ev->recs = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    ev->scope = (KtTuiScope){ 0, FALSE, 0, G_MININT64, G_MAXINT64, 0 };
    return ev;
}

void
kt_tui_events_free(KtTuiEvents *ev)
{
    if (ev == NULL)
        return;
    g_array_unref(ev->recs);
    g_free(ev);
}

void
kt_tui_events_reset(KtTuiEvents *ev, const KtTuiScope *scope)
{
    ev->scope = *scope;
    g_array_set_size(ev->recs, 0);
    ev->matched = 0;
}

const KtTuiScope *
kt_tui_events_scope(const KtTuiEvents *ev)
{
    return &ev->scope;
}

gboolean
kt_tui_scope_match(const KtTuiScope *scope, const KtRecord *rec)
{
    guint32 who = scope->is_principal ? rec->principal : rec->key;
    if (who != scope->entity || scope->entity == 0)
        return FALSE;
    if (scope->source != 0 && rec->source != scope->source)
        return FALSE;
    return rec->time_ms >= scope->from_ms && rec->time_ms <= scope->to_ms;
}

/* Orders records by (time, tiebreak, input, line): older first. */
static int
rec_cmp(const KtRecord *a, const KtRecord *b)
{
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms ? -1 : 1;
    if (a->tiebreak != b->tiebreak)
        return a->tiebreak < b->tiebreak ? -1 : 1;
    if (a->input != b->input)
        return a->input < b->input ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static int
rec_qsort_cmp(const void *a, const void *b)
{
    return rec_cmp(a, b);
}

static void
sift_down(KtRecord *h, guint n, guint i)
{
    for (;;) {
        guint l = 2 * i + 1, r = l + 1, min = i;
        if (l < n && rec_cmp(&h[l], &h[min]) < 0)
            min = l;
        if (r < n && rec_cmp(&h[r], &h[min]) < 0)
            min = r;
        if (min == i)
            return;
        KtRecord t = h[i];
        h[i] = h[min];
        h[min] = t;
        i = min;
    }
}

static void
sift_up(KtRecord *h, guint i)
{
    while (i > 0) {
        guint parent = (i - 1) / 2;
        if (rec_cmp(&h[i], &h[parent]) >= 0)
            return;
        KtRecord t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

void
kt_tui_events_offer(KtTuiEvents *ev, const KtRecord *rec)
{
    if (!kt_tui_scope_match(&ev->scope, rec))
        return;
    ev->matched++;
    KtRecord *h = (KtRecord *)ev->recs->data;
    if (ev->recs->len < ev->cap) {
        g_array_append_val(ev->recs, *rec);
        sift_up((KtRecord *)ev->recs->data, ev->recs->len - 1);
    } else if (rec_cmp(rec, &h[0]) > 0) {
        h[0] = *rec;
        sift_down(h, ev->recs->len, 0);
    }
}

void
kt_tui_events_finish(KtTuiEvents *ev)
{
    qsort(ev->recs->data, ev->recs->len, sizeof(KtRecord), rec_qsort_cmp);
}

guint
kt_tui_events_len(const KtTuiEvents *ev)
{
    return ev->recs->len;
}

guint64
kt_tui_events_matched(const KtTuiEvents *ev)
{
    return ev->matched;
}

const KtRecord *
kt_tui_events_get(const KtTuiEvents *ev, guint i)
{
    g_return_val_if_fail(i < ev->recs->len, NULL);
    return &g_array_index(ev->recs, KtRecord, i);
}
