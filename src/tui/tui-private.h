/*
 * tui-private.h - the model's private structure and the text primitives shared by
 * model.c (state and actions), screens.c (rendering) and text.c (frames, fitting).
 * Curses-free.
 */
#ifndef KEYTRAIL_TUI_PRIVATE_H
#define KEYTRAIL_TUI_PRIVATE_H

#include "keytrail/tui.h"

#define KT_TUI_MAX_DIM 1000 /* frames are clamped to 1000 x 1000 */
#define KT_TUI_TIME_MAX 32  /* buffer for kt_tui_fmt_time */
#define KT_TUI_NUM_MAX 32   /* buffer for kt_tui_fmt_count / kt_tui_fmt_bytes */
#define KT_TUI_STACK_MAX 8  /* depth of the screen stack */
#define KT_TUI_SPARK_COLS 10
#define KT_TUI_SPARK_CACHE_MAX 4096

/* Which list a row belongs to (selection, scrolling, mouse hits). */
typedef enum {
    KT_TUI_LIST_NONE = 0,
    KT_TUI_LIST_KEYS,      /* overview: keys */
    KT_TUI_LIST_BAND,      /* overview: newest incidents */
    KT_TUI_LIST_INCIDENTS, /* incidents screen */
    KT_TUI_LIST_DETAIL,    /* key detail: the table of the active tab */
    KT_TUI_LIST_INCIDENT,  /* incident detail: the table of the active tab */
    KT_TUI_LIST_EVENTS,    /* events screen */
    KT_TUI_LIST_COUNT,
} KtTuiListId;

/* Selection and scroll position of one list. */
typedef struct {
    guint sel;  /* selected row */
    guint top;  /* first visible row */
    guint page; /* visible rows at the last render */
} KtTuiList;

/* Key detail tabs and incident detail tabs. */
enum { KT_TUI_DTAB_IPS, KT_TUI_DTAB_NETS, KT_TUI_DTAB_OPS, KT_TUI_DTAB_UAS, KT_TUI_DTAB_CONSUMERS,
       KT_TUI_DTAB_COUNT };
enum { KT_TUI_ITAB_EVIDENCE, KT_TUI_ITAB_TIMELINE, KT_TUI_ITAB_OPS, KT_TUI_ITAB_UAS,
       KT_TUI_ITAB_COUNT };

typedef enum {
    KT_TUI_PROMPT_NONE = 0,
    KT_TUI_PROMPT_SEARCH,
    KT_TUI_PROMPT_EXPORT,
    KT_TUI_PROMPT_REVEAL,
} KtTuiPrompt;

/* One mouse target per frame line. */
typedef struct {
    guint8 list; /* KtTuiListId */
    guint row;   /* row index in that list */
} KtTuiHit;

/* What a selected row shows, independent of any results' pointers. */
typedef struct {
    gboolean valid;
    guint32 entity, source;
    gboolean principal;
    gint64 first_ms;
} KtTuiIdentity;

struct _KtTuiModel {
    const KtTuiSourceOps *ops; /* borrowed */
    gpointer ud;               /* borrowed */
    const KtDict *dict;        /* borrowed */
    const KtResults *res;      /* borrowed until the next set_results */
    char *label;               /* summary label */
    KtTuiSummary summary;      /* label points at ->label */
    gboolean utf8, reveal, help;

    KtTuiScreen stack[KT_TUI_STACK_MAX]; /* screen stack; stack[depth - 1] is shown */
    guint depth;
    int focus;                 /* overview: 0 keys, 1 incident band */
    KtTuiList lists[KT_TUI_LIST_COUNT];
    KtTuiIdentity sel_id[KT_TUI_LIST_COUNT]; /* remembered selection of keys, band, incidents */

    /* key list and incident lists: indexes into res->keys / res->incidents */
    GArray *key_rows;          /* guint32, sorted and filtered */
    GArray *inc_rows;          /* guint32, sorted and filtered (incidents screen) */
    GArray *band_rows;         /* guint32, newest first, severity-filtered */
    guint32 *key_open;         /* per res->keys index: open incidents */
    GHashTable *key_index[2];  /* [is_principal]: entity id -> res->keys index + 1 */
    int key_sort, inc_sort;
    KtSeverity min_sev;
    char *key_search, *inc_search, *ev_search; /* nullable */
    GHashTable *spark[2];      /* [is_principal]: entity id -> guint8 levels[SPARK_COLS] */

    /* key detail */
    gboolean have_key;
    guint32 key_entity;
    gboolean key_principal;
    KtKeyDetail *detail;       /* owned, nullable */
    GArray *detail_anoms;      /* KtAnomaly* of the entity (borrowed from res) */
    int dtab;

    /* incident detail: identity survives new results */
    gboolean have_inc;
    guint32 inc_entity, inc_source;
    gint64 inc_first;
    int itab;

    /* events */
    KtTuiEvents *events;       /* owned */
    gboolean events_loaded;
    char *events_error;        /* nullable */
    GArray *ev_rows;           /* guint32 indexes into events, filtered */
    int ev_outcome;            /* 0 all, 1 denied, 2 errors, 3 denied + errors */
    gboolean ev_desc;          /* newest first */

    /* prompt and status */
    KtTuiPrompt prompt;
    KtTuiListId search_target;
    GString *input;
    char *message;
    gboolean message_error;

    /* mouse targets of the last render */
    KtTuiHit *hits;
    int hits_len;
    int tab_x[4];              /* title bar: start columns of the three tabs and the end */
};

/* ---- model.c internals used by screens.c ---- */
guint kt_tui_list_rows(const KtTuiModel *m, KtTuiListId id);
const KtKeySummary *kt_tui_key_at(const KtTuiModel *m, guint row);
const KtIncident *kt_tui_inc_at(const KtTuiModel *m, KtTuiListId id, guint row);
const KtKeySummary *kt_tui_current_key(const KtTuiModel *m);
const KtIncident *kt_tui_current_incident(const KtTuiModel *m);
const KtAnomaly *kt_tui_anomaly(const KtTuiModel *m, guint64 id);
const guint8 *kt_tui_sparkline(KtTuiModel *m, const KtKeySummary *k);
guint32 kt_tui_key_open(const KtTuiModel *m, const KtKeySummary *k);
void kt_tui_ensure_events(KtTuiModel *m, const KtTuiScope *scope);
gboolean kt_tui_scope_for_key(const KtKeySummary *k, KtTuiScope *out);
gboolean kt_tui_scope_for_incident(const KtIncident *inc, KtTuiScope *out);
void kt_tui_rebuild(KtTuiModel *m);
/* Rebuilds the key list and/or the incident lists, keeping their selection. */
void kt_tui_rebuild_some(KtTuiModel *m, gboolean keys, gboolean incidents);
void kt_tui_rebuild_events(KtTuiModel *m);
void kt_tui_remember(KtTuiModel *m);
void kt_tui_clamp_lists(KtTuiModel *m);
void kt_tui_open_key(KtTuiModel *m, const KtKeySummary *k);
guint kt_tui_detail_rows(const KtTuiModel *m);
void kt_tui_cycle_sort(KtTuiModel *m, KtTuiListId id);
const char *kt_tui_sort_name(const KtTuiModel *m, KtTuiListId id);
char *kt_tui_entity_label(const KtTuiModel *m, guint32 entity, gboolean is_principal,
                          guint32 key);
KtTuiListId kt_tui_active_list(const KtTuiModel *m);

/* ---- screens.c, detail.c ---- */
typedef struct _KtTuiPen KtTuiPen;
/* Draws row @row of a list after its two-column selection marker. */
typedef void (*KtTuiRowFn)(KtTuiModel *m, KtTuiPen *p, guint row);
void kt_tui_render_screen(KtTuiModel *m, KtTuiFrame *f);
/* Draws @rows rows of list @id from line @y0, scrolled to show the selection; records
 * mouse targets; @empty (nullable) is shown for an empty list. */
void kt_tui_render_list(KtTuiModel *m, KtTuiFrame *f, int y0, int rows, KtTuiListId id,
                        KtTuiRowFn fn, const char *empty);
void kt_tui_sep(KtTuiPen *p);
void kt_tui_render_key(KtTuiModel *m, KtTuiFrame *f);
void kt_tui_render_incident(KtTuiModel *m, KtTuiFrame *f);
void kt_tui_render_events(KtTuiModel *m, KtTuiFrame *f);

/* ---- text.c ---- */

/* A write position on one frame line. */
struct _KtTuiPen {
    KtTuiFrame *frame;
    KtTuiLine *line; /* NULL when off-frame: writes are dropped */
    int col;
};

/* Sizes @f and clears every line. */
void kt_tui_frame_reset(KtTuiFrame *f, int width, int height, gboolean utf8);
/* Display columns of @s (non-ASCII counts 1 without @utf8). */
int kt_tui_text_width(const char *s, gboolean utf8);
/* Starts writing line @y of @f from column 0, clearing what it held. */
void kt_tui_pen_start(KtTuiPen *p, KtTuiFrame *f, int y);
/* Writes @s (trusted text) in exactly @w columns (-1: the rest of the line), clipped,
 * padded, or ending in an ellipsis; @right aligns right. Unsafe characters become '?'. */
void kt_tui_put(KtTuiPen *p, const char *s, int w, KtTuiAttr attr, gboolean right);
/* Same for text that came from a log: secret-looking tokens masked unless the frame
 * reveals keys (kt_redact_secrets), then sanitized (kt_sanitize_append). */
void kt_tui_put_log(KtTuiPen *p, const char *s, int w, KtTuiAttr attr);
/* Sanitized only, not redacted: what the user typed, and status messages (whose log
 * parts were redacted when the message was made). */
void kt_tui_put_safe(KtTuiPen *p, const char *s, int w, KtTuiAttr attr);
void kt_tui_putf(KtTuiPen *p, int w, KtTuiAttr attr, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
void kt_tui_pen_fill(KtTuiPen *p, KtTuiAttr attr);
/* Gives the whole of line @y one attribute (selected rows, bars). */
void kt_tui_line_set_attr(KtTuiFrame *f, int y, KtTuiAttr attr);
char *kt_tui_fmt_time(gint64 ms, gboolean seconds, char *buf);
char *kt_tui_fmt_count(guint64 n, char *buf);
char *kt_tui_fmt_bytes(gint64 n, char *buf);
const char *kt_tui_spark_glyph(guint level, gboolean utf8);
const char *kt_tui_heat_glyph(guint level, gboolean utf8);
/* Level 0..@levels of @v against @max (0 only for 0). */
guint kt_tui_level(guint64 v, guint64 max, guint levels);
/* Sums the timeline of @d into @n columns over [@t0, @t1) (whole timeline when t1 <= t0). */
void kt_tui_resample(const KtKeyDetail *d, gint64 t0, gint64 t1, guint64 *cols, int n);
void kt_tui_put_spark(KtTuiPen *p, const guint64 *cols, int n, KtTuiAttr attr);

static inline KtTuiAttr
kt_tui_sev_attr(KtSeverity s)
{
    if (s < KT_SEV_INFO)
        return KT_TUI_ATTR_NORMAL;
    return (KtTuiAttr)(KT_TUI_ATTR_SEV_INFO + (s - KT_SEV_INFO));
}

#endif
