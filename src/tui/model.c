/*
 * model.c - the TUI model: engine results -> sorted, filtered, searchable lists with
 * selection and scrolling, a screen stack, prompts, and the actions that change them.
 * Rendering is in screens.c. Curses-free and I/O-free: data comes through KtTuiSourceOps.
 */
#include "keytrail/sanitize.h"
#include "tui-private.h"

static const char *const key_sorts[] = { "risk", "events", "last seen", "IPs", "incidents",
                                         "key" };
static const char *const inc_sorts[] = { "newest", "score", "events", "id" };

KtTuiModel *
kt_tui_model_new(const KtTuiSourceOps *ops, gpointer ud, const KtDict *dict, gboolean utf8)
{
    KtTuiModel *m = g_new0(KtTuiModel, 1);
    m->ops = ops;
    m->ud = ud;
    m->dict = dict;
    m->utf8 = utf8;
    m->stack[0] = KT_TUI_SCREEN_OVERVIEW;
    m->depth = 1;
    m->key_rows = g_array_new(FALSE, FALSE, sizeof(guint32));
    m->inc_rows = g_array_new(FALSE, FALSE, sizeof(guint32));
    m->band_rows = g_array_new(FALSE, FALSE, sizeof(guint32));
    m->ev_rows = g_array_new(FALSE, FALSE, sizeof(guint32));
    m->detail_anoms = g_array_new(FALSE, FALSE, sizeof(const KtAnomaly *));
    for (int i = 0; i < 2; i++) {
        m->key_index[i] = g_hash_table_new(g_direct_hash, g_direct_equal);
        m->spark[i] = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    }
    m->events = kt_tui_events_new(0);
    m->input = g_string_new(NULL);
    m->summary.first_ms = G_MAXINT64;
    m->summary.last_ms = G_MININT64;
    return m;
}

void
kt_tui_model_free(KtTuiModel *m)
{
    if (m == NULL)
        return;
    g_array_unref(m->key_rows);
    g_array_unref(m->inc_rows);
    g_array_unref(m->band_rows);
    g_array_unref(m->ev_rows);
    g_array_unref(m->detail_anoms);
    for (int i = 0; i < 2; i++) {
        g_hash_table_unref(m->key_index[i]);
        g_hash_table_unref(m->spark[i]);
    }
    kt_key_detail_free(m->detail);
    kt_tui_events_free(m->events);
    g_string_free(m->input, TRUE);
    g_free(m->key_open);
    g_free(m->label);
    g_free(m->key_search);
    g_free(m->inc_search);
    g_free(m->ev_search);
    g_free(m->events_error);
    g_free(m->message);
    g_free(m->hits);
    g_free(m);
}

/* ---- lookups ---------------------------------------------------------------------- */

static guint
n_keys(const KtTuiModel *m)
{
    return m->res != NULL && m->res->keys != NULL ? m->res->keys->len : 0;
}

static guint
n_incidents(const KtTuiModel *m)
{
    return m->res != NULL && m->res->incidents != NULL ? m->res->incidents->len : 0;
}

static const KtKeySummary *
key_by_entity(const KtTuiModel *m, guint32 entity, gboolean is_principal)
{
    gpointer v = g_hash_table_lookup(m->key_index[is_principal ? 1 : 0], GUINT_TO_POINTER(entity));
    if (v == NULL)
        return NULL;
    return g_ptr_array_index(m->res->keys, GPOINTER_TO_UINT(v) - 1);
}

const KtKeySummary *
kt_tui_key_at(const KtTuiModel *m, guint row)
{
    if (row >= m->key_rows->len)
        return NULL;
    return g_ptr_array_index(m->res->keys, g_array_index(m->key_rows, guint32, row));
}

const KtIncident *
kt_tui_inc_at(const KtTuiModel *m, KtTuiListId id, guint row)
{
    GArray *rows = id == KT_TUI_LIST_BAND ? m->band_rows : m->inc_rows;
    if (row >= rows->len)
        return NULL;
    return g_ptr_array_index(m->res->incidents, g_array_index(rows, guint32, row));
}

const KtKeySummary *
kt_tui_current_key(const KtTuiModel *m)
{
    if (!m->have_key || m->res == NULL)
        return NULL;
    return key_by_entity(m, m->key_entity, m->key_principal);
}

const KtIncident *
kt_tui_current_incident(const KtTuiModel *m)
{
    if (!m->have_inc)
        return NULL;
    for (guint i = 0; i < n_incidents(m); i++) {
        const KtIncident *inc = g_ptr_array_index(m->res->incidents, i);
        if (inc->entity == m->inc_entity && inc->source == m->inc_source &&
            inc->first_ms == m->inc_first)
            return inc;
    }
    return NULL;
}

const KtAnomaly *
kt_tui_anomaly(const KtTuiModel *m, guint64 id)
{
    if (m->res == NULL || m->res->anomalies == NULL)
        return NULL;
    guint lo = 0, hi = m->res->anomalies->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const KtAnomaly *a = g_ptr_array_index(m->res->anomalies, mid);
        if (a->id == id)
            return a;
        if (a->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

guint32
kt_tui_key_open(const KtTuiModel *m, const KtKeySummary *k)
{
    gpointer v = g_hash_table_lookup(m->key_index[k->entity_is_principal ? 1 : 0],
                                     GUINT_TO_POINTER(k->entity));
    return v != NULL && m->key_open != NULL ? m->key_open[GPOINTER_TO_UINT(v) - 1] : 0;
}

char *
kt_tui_entity_label(const KtTuiModel *m, guint32 entity, gboolean is_principal, guint32 key)
{
    if (is_principal)
        return g_strdup(kt_dict_str(m->dict, KT_SPACE_PRINCIPAL, entity));
    return kt_mask_key(kt_dict_str(m->dict, KT_SPACE_KEY, entity), m->reveal);
}

/* Volume levels of @k over the whole run, cached per entity; NULL without detail. */
const guint8 *
kt_tui_sparkline(KtTuiModel *m, const KtKeySummary *k)
{
    GHashTable *cache = m->spark[k->entity_is_principal ? 1 : 0];
    guint8 *levels = g_hash_table_lookup(cache, GUINT_TO_POINTER(k->entity));
    if (levels != NULL || m->ops == NULL || m->ops->key_detail == NULL)
        return levels;
    g_autoptr(KtKeyDetail) d = m->ops->key_detail(m->ud, k->entity, k->entity_is_principal);
    if (d == NULL)
        return NULL;
    guint64 cols[KT_TUI_SPARK_COLS], max = 0;
    gint64 t0 = m->res->first_ms, t1 = m->res->last_ms + 1;
    kt_tui_resample(d, t0, t1, cols, KT_TUI_SPARK_COLS);
    for (int i = 0; i < KT_TUI_SPARK_COLS; i++)
        max = MAX(max, cols[i]);
    if (g_hash_table_size(cache) >= KT_TUI_SPARK_CACHE_MAX)
        g_hash_table_remove_all(cache);
    levels = g_new(guint8, KT_TUI_SPARK_COLS);
    for (int i = 0; i < KT_TUI_SPARK_COLS; i++)
        levels[i] = (guint8)kt_tui_level(cols[i], max, 8);
    g_hash_table_insert(cache, GUINT_TO_POINTER(k->entity), levels);
    return levels;
}

/* ---- building the lists ----------------------------------------------------------- */

/* Case-insensitive (ASCII) substring test; @needle is already lower case. */
static gboolean
ci_contains(const char *hay, const char *needle)
{
    gsize n = strlen(needle);
    if (n == 0)
        return TRUE;
    for (const char *h = hay; *h != '\0'; h++) {
        gsize i = 0;
        while (i < n && h[i] != '\0' && g_ascii_tolower(h[i]) == needle[i])
            i++;
        if (i == n)
            return TRUE;
    }
    return FALSE;
}

typedef struct {
    gint64 a, b;      /* descending */
    const char *name; /* ascending, nullable */
    guint32 idx;      /* ascending: the engine's order */
} KtSortItem;

static int
sort_item_cmp(const void *pa, const void *pb)
{
    const KtSortItem *x = pa, *y = pb;
    if (x->a != y->a)
        return x->a > y->a ? -1 : 1;
    if (x->b != y->b)
        return x->b > y->b ? -1 : 1;
    if (x->name != NULL && y->name != NULL) {
        int c = strcmp(x->name, y->name);
        if (c != 0)
            return c;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void
sort_rows(GArray *rows, GArray *items)
{
    if (items->len > 1)
        qsort(items->data, items->len, sizeof(KtSortItem), sort_item_cmp);
    g_array_set_size(rows, items->len);
    for (guint i = 0; i < items->len; i++)
        g_array_index(rows, guint32, i) = g_array_index(items, KtSortItem, i).idx;
}

static gboolean
key_matches(const KtTuiModel *m, const KtKeySummary *k)
{
    if (m->min_sev > KT_SEV_NONE && k->severity < m->min_sev)
        return FALSE;
    if (m->key_search == NULL)
        return TRUE;
    KtSpace sp = k->entity_is_principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY;
    return ci_contains(kt_dict_str(m->dict, sp, k->entity), m->key_search) ||
           ci_contains(kt_dict_str(m->dict, KT_SPACE_KEY, k->key), m->key_search);
}

static void
rebuild_keys(KtTuiModel *m)
{
    g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(KtSortItem));
    for (guint i = 0; i < n_keys(m); i++) {
        const KtKeySummary *k = g_ptr_array_index(m->res->keys, i);
        if (!key_matches(m, k))
            continue;
        KtSortItem it = { 0, 0, NULL, i };
        switch (m->key_sort) {
        case 0: it.a = k->risk; break;
        case 1: it.a = (gint64)k->events; break;
        case 2: it.a = k->last_ms; break;
        case 3: it.a = k->distinct_ips; break;
        case 4: it.a = k->incidents; break;
        default:
            it.name = kt_dict_str(m->dict, k->entity_is_principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY,
                                  k->entity);
            break;
        }
        g_array_append_val(items, it);
    }
    sort_rows(m->key_rows, items);
}

static gboolean
incident_matches(const KtTuiModel *m, const KtIncident *inc, const char *search)
{
    if (m->min_sev > KT_SEV_NONE && inc->severity < m->min_sev)
        return FALSE;
    if (search == NULL)
        return TRUE;
    KtSpace sp = inc->entity_is_principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY;
    if (ci_contains(kt_dict_str(m->dict, sp, inc->entity), search) ||
        ci_contains(kt_dict_str(m->dict, KT_SPACE_KEY, inc->key), search) ||
        ci_contains(kt_dict_str(m->dict, KT_SPACE_SOURCE, inc->source), search) ||
        ci_contains(inc->network, search))
        return TRUE;
    for (int d = 0; d < KT_DET_COUNT; d++) {
        if ((inc->reasons & (1u << d)) && ci_contains(kt_detector_name((KtDetectorKind)d), search))
            return TRUE;
    }
    return FALSE;
}

static void
rebuild_incidents(KtTuiModel *m)
{
    g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(KtSortItem));
    g_autoptr(GArray) band = g_array_new(FALSE, FALSE, sizeof(KtSortItem));
    for (guint i = 0; i < n_incidents(m); i++) {
        const KtIncident *inc = g_ptr_array_index(m->res->incidents, i);
        KtSortItem it = { inc->last_ms, (gint64)inc->id, NULL, i };
        if (incident_matches(m, inc, NULL))
            g_array_append_val(band, it);
        if (!incident_matches(m, inc, m->inc_search))
            continue;
        switch (m->inc_sort) {
        case 0: it.a = inc->first_ms; break;
        case 1: it.a = inc->score; it.b = inc->last_ms; break;
        case 2: it.a = (gint64)inc->events; break;
        default: it.a = 0; it.b = -(gint64)inc->id; break;
        }
        g_array_append_val(items, it);
    }
    sort_rows(m->inc_rows, items);
    sort_rows(m->band_rows, band);
}

static gboolean
event_matches(const KtTuiModel *m, const KtRecord *r)
{
    if (m->ev_outcome == 1 && r->outcome != KT_OUTCOME_DENIED)
        return FALSE;
    if (m->ev_outcome == 2 && r->outcome != KT_OUTCOME_ERROR)
        return FALSE;
    if (m->ev_outcome == 3 && r->outcome == KT_OUTCOME_OK)
        return FALSE;
    if (m->ev_search == NULL)
        return TRUE;
    return ci_contains(kt_dict_str(m->dict, KT_SPACE_SOURCE, r->source), m->ev_search) ||
           ci_contains(kt_dict_str(m->dict, KT_SPACE_OP, r->op), m->ev_search) ||
           ci_contains(kt_dict_str(m->dict, KT_SPACE_UA, r->ua), m->ev_search);
}

static void
rebuild_events(KtTuiModel *m)
{
    g_array_set_size(m->ev_rows, 0);
    guint n = m->events_loaded ? kt_tui_events_len(m->events) : 0;
    for (guint i = 0; i < n; i++) {
        guint32 idx = m->ev_desc ? n - 1 - i : i;
        if (event_matches(m, kt_tui_events_get(m->events, idx)))
            g_array_append_val(m->ev_rows, idx);
    }
}

static void
index_keys(KtTuiModel *m)
{
    for (int i = 0; i < 2; i++) {
        g_hash_table_remove_all(m->key_index[i]);
        g_hash_table_remove_all(m->spark[i]);
    }
    g_free(m->key_open);
    m->key_open = g_new0(guint32, MAX(n_keys(m), 1));
    for (guint i = 0; i < n_keys(m); i++) {
        const KtKeySummary *k = g_ptr_array_index(m->res->keys, i);
        g_hash_table_insert(m->key_index[k->entity_is_principal ? 1 : 0],
                            GUINT_TO_POINTER(k->entity), GUINT_TO_POINTER(i + 1));
    }
    for (guint i = 0; i < n_incidents(m); i++) {
        const KtIncident *inc = g_ptr_array_index(m->res->incidents, i);
        gpointer v = g_hash_table_lookup(m->key_index[inc->entity_is_principal ? 1 : 0],
                                         GUINT_TO_POINTER(inc->entity));
        if (v != NULL && inc->open)
            m->key_open[GPOINTER_TO_UINT(v) - 1]++;
    }
}

static void
load_detail(KtTuiModel *m)
{
    kt_key_detail_free(m->detail);
    m->detail = NULL;
    g_array_set_size(m->detail_anoms, 0);
    if (!m->have_key || m->ops == NULL || m->ops->key_detail == NULL)
        return;
    m->detail = m->ops->key_detail(m->ud, m->key_entity, m->key_principal);
    for (guint i = 0; m->res->anomalies != NULL && i < m->res->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(m->res->anomalies, i);
        if (a->entity == m->key_entity && !a->entity_is_principal == !m->key_principal)
            g_array_append_val(m->detail_anoms, a);
    }
}

/* ---- selection that survives new results ------------------------------------------- */


static KtTuiIdentity
identity_of_row(const KtTuiModel *m, KtTuiListId id)
{
    KtTuiIdentity idn = { 0 };
    guint sel = m->lists[id].sel;
    if (id == KT_TUI_LIST_KEYS) {
        const KtKeySummary *k = kt_tui_key_at(m, sel);
        if (k != NULL)
            idn = (KtTuiIdentity){ TRUE, k->entity, 0, k->entity_is_principal, 0 };
    } else {
        const KtIncident *inc = kt_tui_inc_at(m, id, sel);
        if (inc != NULL)
            idn = (KtTuiIdentity){ TRUE, inc->entity, inc->source, inc->entity_is_principal,
                                   inc->first_ms };
    }
    return idn;
}

static void
restore_row(KtTuiModel *m, KtTuiListId id, const KtTuiIdentity *idn)
{
    if (!idn->valid)
        return;
    guint n = kt_tui_list_rows(m, id);
    for (guint i = 0; i < n; i++) {
        KtTuiIdentity cur;
        KtTuiList *l = &m->lists[id];
        guint save = l->sel;
        l->sel = i;
        cur = identity_of_row(m, id);
        l->sel = save;
        if (cur.entity == idn->entity && !cur.principal == !idn->principal &&
            cur.source == idn->source && cur.first_ms == idn->first_ms) {
            l->sel = i;
            return;
        }
    }
}

/* Remembers the identities of the selected rows after every change, so that new
 * results (which invalidate the old ones) can be searched for them. */
void
kt_tui_remember(KtTuiModel *m)
{
    m->sel_id[KT_TUI_LIST_KEYS] = identity_of_row(m, KT_TUI_LIST_KEYS);
    m->sel_id[KT_TUI_LIST_BAND] = identity_of_row(m, KT_TUI_LIST_BAND);
    m->sel_id[KT_TUI_LIST_INCIDENTS] = identity_of_row(m, KT_TUI_LIST_INCIDENTS);
}

/* Rebuilds the key and incident lists keeping the selected rows. */
void
kt_tui_rebuild(KtTuiModel *m)
{
    kt_tui_rebuild_some(m, TRUE, TRUE);
}

void
kt_tui_rebuild_some(KtTuiModel *m, gboolean keys, gboolean incidents)
{
    if (keys) {
        rebuild_keys(m);
        restore_row(m, KT_TUI_LIST_KEYS, &m->sel_id[KT_TUI_LIST_KEYS]);
    }
    if (incidents) {
        rebuild_incidents(m);
        restore_row(m, KT_TUI_LIST_BAND, &m->sel_id[KT_TUI_LIST_BAND]);
        restore_row(m, KT_TUI_LIST_INCIDENTS, &m->sel_id[KT_TUI_LIST_INCIDENTS]);
    }
    kt_tui_clamp_lists(m);
    kt_tui_remember(m);
}

void
kt_tui_rebuild_events(KtTuiModel *m)
{
    rebuild_events(m);
    kt_tui_clamp_lists(m);
}

void
kt_tui_model_set_results(KtTuiModel *m, const KtResults *r, const KtTuiSummary *s)
{
    m->res = r;
    if (s != NULL) {
        g_free(m->label);
        m->label = g_strdup(s->label != NULL ? s->label : "");
        m->summary = *s;
        m->summary.label = m->label;
    }
    index_keys(m);
    kt_tui_rebuild(m);
    load_detail(m);
    gboolean want = m->events_loaded;
    m->events_loaded = FALSE;
    if (want) {
        KtTuiScope scope = *kt_tui_events_scope(m->events);
        kt_tui_ensure_events(m, &scope);
    } else {
        rebuild_events(m);
    }
}

void
kt_tui_open_key(KtTuiModel *m, const KtKeySummary *k)
{
    m->have_key = TRUE;
    m->key_entity = k->entity;
    m->key_principal = k->entity_is_principal;
    m->dtab = KT_TUI_DTAB_IPS;
    m->lists[KT_TUI_LIST_DETAIL] = (KtTuiList){ 0 };
    load_detail(m);
}

guint
kt_tui_list_rows(const KtTuiModel *m, KtTuiListId id)
{
    const KtIncident *inc;
    switch (id) {
    case KT_TUI_LIST_KEYS: return m->key_rows->len;
    case KT_TUI_LIST_BAND: return m->band_rows->len;
    case KT_TUI_LIST_INCIDENTS: return m->inc_rows->len;
    case KT_TUI_LIST_EVENTS: return m->ev_rows->len;
    case KT_TUI_LIST_DETAIL:
        return kt_tui_detail_rows(m);
    case KT_TUI_LIST_INCIDENT:
        inc = kt_tui_current_incident(m);
        if (inc == NULL)
            return 0;
        switch (m->itab) {
        case KT_TUI_ITAB_EVIDENCE: return inc->anomalies != NULL ? inc->anomalies->len : 0;
        case KT_TUI_ITAB_TIMELINE: return m->ev_rows->len;
        case KT_TUI_ITAB_OPS: return inc->ops != NULL ? inc->ops->len : 0;
        default: return inc->uas != NULL ? inc->uas->len : 0;
        }
    default: return 0;
    }
}

guint
kt_tui_detail_rows(const KtTuiModel *m)
{
    const KtKeyDetail *d = m->detail;
    const KtKeySummary *k;
    switch (m->dtab) {
    case KT_TUI_DTAB_IPS: return d != NULL && d->ips != NULL ? d->ips->len : 0;
    case KT_TUI_DTAB_NETS: return d != NULL && d->networks != NULL ? d->networks->len : 0;
    case KT_TUI_DTAB_OPS: return d != NULL && d->ops != NULL ? d->ops->len : 0;
    case KT_TUI_DTAB_UAS: return d != NULL && d->uas != NULL ? d->uas->len : 0;
    default:
        k = kt_tui_current_key(m);
        return k != NULL && k->consumers != NULL ? k->consumers->len : 0;
    }
}

void
kt_tui_clamp_lists(KtTuiModel *m)
{
    for (int id = KT_TUI_LIST_KEYS; id < KT_TUI_LIST_COUNT; id++) {
        guint n = kt_tui_list_rows(m, (KtTuiListId)id);
        KtTuiList *l = &m->lists[id];
        if (n == 0)
            l->sel = 0;
        else if (l->sel >= n)
            l->sel = n - 1;
    }
}

static gboolean
scope_equal(const KtTuiScope *a, const KtTuiScope *b)
{
    return a->entity == b->entity && !a->is_principal == !b->is_principal &&
           a->source == b->source && a->from_ms == b->from_ms && a->to_ms == b->to_ms &&
           a->incident == b->incident;
}

void
kt_tui_ensure_events(KtTuiModel *m, const KtTuiScope *scope)
{
    if (m->events_loaded && scope_equal(scope, kt_tui_events_scope(m->events)))
        return;
    g_clear_pointer(&m->events_error, g_free);
    kt_tui_events_reset(m->events, scope);
    m->lists[KT_TUI_LIST_EVENTS] = (KtTuiList){ 0 };
    g_autoptr(GError) error = NULL;
    if (m->ops == NULL || m->ops->load_events == NULL)
        m->events_error = g_strdup("raw events are not available for this source");
    else if (!m->ops->load_events(m->ud, m->events, &error))
        m->events_error = g_strdup(error->message);
    m->events_loaded = TRUE;
    rebuild_events(m);
}

gboolean
kt_tui_scope_for_key(const KtKeySummary *k, KtTuiScope *out)
{
    *out = (KtTuiScope){ k->entity, k->entity_is_principal, 0, G_MININT64, G_MAXINT64, 0 };
    return TRUE;
}

gboolean
kt_tui_scope_for_incident(const KtIncident *inc, KtTuiScope *out)
{
    *out = (KtTuiScope){ inc->entity, inc->entity_is_principal, inc->source, inc->first_ms,
                         inc->last_ms, inc->id };
    return TRUE;
}

const char *
kt_tui_sort_name(const KtTuiModel *m, KtTuiListId id)
{
    switch (id) {
    case KT_TUI_LIST_KEYS: return key_sorts[m->key_sort];
    case KT_TUI_LIST_BAND: return "newest";
    case KT_TUI_LIST_INCIDENTS: return inc_sorts[m->inc_sort];
    case KT_TUI_LIST_EVENTS: return m->ev_desc ? "newest first" : "oldest first";
    default: return "count";
    }
}

void
kt_tui_cycle_sort(KtTuiModel *m, KtTuiListId id)
{
    if (id == KT_TUI_LIST_KEYS)
        m->key_sort = (m->key_sort + 1) % (int)G_N_ELEMENTS(key_sorts);
    else if (id == KT_TUI_LIST_INCIDENTS)
        m->inc_sort = (m->inc_sort + 1) % (int)G_N_ELEMENTS(inc_sorts);
}

KtTuiListId
kt_tui_active_list(const KtTuiModel *m)
{
    switch (m->stack[m->depth - 1]) {
    case KT_TUI_SCREEN_OVERVIEW: return m->focus ? KT_TUI_LIST_BAND : KT_TUI_LIST_KEYS;
    case KT_TUI_SCREEN_INCIDENTS: return KT_TUI_LIST_INCIDENTS;
    case KT_TUI_SCREEN_KEY: return KT_TUI_LIST_DETAIL;
    case KT_TUI_SCREEN_INCIDENT: return KT_TUI_LIST_INCIDENT;
    default: return KT_TUI_LIST_EVENTS;
    }
}

/* ---- public getters ---------------------------------------------------------------- */

KtTuiScreen
kt_tui_model_screen(const KtTuiModel *m)
{
    return m->stack[m->depth - 1];
}

const KtKeySummary *
kt_tui_model_selected_key(const KtTuiModel *m)
{
    if (kt_tui_model_screen(m) == KT_TUI_SCREEN_KEY)
        return kt_tui_current_key(m);
    return kt_tui_key_at(m, m->lists[KT_TUI_LIST_KEYS].sel);
}

const KtIncident *
kt_tui_model_selected_incident(const KtTuiModel *m)
{
    switch (kt_tui_model_screen(m)) {
    case KT_TUI_SCREEN_INCIDENT: return kt_tui_current_incident(m);
    case KT_TUI_SCREEN_INCIDENTS:
        return kt_tui_inc_at(m, KT_TUI_LIST_INCIDENTS, m->lists[KT_TUI_LIST_INCIDENTS].sel);
    case KT_TUI_SCREEN_OVERVIEW:
        if (m->focus == 1)
            return kt_tui_inc_at(m, KT_TUI_LIST_BAND, m->lists[KT_TUI_LIST_BAND].sel);
        return NULL;
    default: return NULL;
    }
}

guint
kt_tui_model_key_rows(const KtTuiModel *m)
{
    return m->key_rows->len;
}

guint
kt_tui_model_incident_rows(const KtTuiModel *m)
{
    return m->inc_rows->len;
}

guint
kt_tui_model_event_rows(const KtTuiModel *m)
{
    return m->ev_rows->len;
}

void
kt_tui_model_set_reveal(KtTuiModel *m, gboolean reveal)
{
    m->reveal = reveal;
}

gboolean
kt_tui_model_in_prompt(const KtTuiModel *m)
{
    return m->prompt != KT_TUI_PROMPT_NONE;
}

void
kt_tui_model_set_message(KtTuiModel *m, const char *msg, gboolean error)
{
    g_free(m->message);
    m->message = g_strdup(msg);
    m->message_error = error;
}

void
kt_tui_model_render(KtTuiModel *m, int width, int height, KtTuiFrame *f)
{
    kt_tui_frame_reset(f, width, height, m->utf8);
    f->reveal = m->reveal;
    g_free(m->hits);
    m->hits = g_new0(KtTuiHit, f->height);
    m->hits_len = f->height;
    kt_tui_render_screen(m, f);
}
