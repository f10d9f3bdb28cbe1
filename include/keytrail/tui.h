/*
 * tui.h - the interactive dashboard (`keytrail tui`), in four curses-free parts and one
 * curses part:
 *   model  (src/tui/model.c, screens.c, text.c): engine results -> screens of rows of
 *          text+attribute; sorting, filtering, search, selection, scrolling;
 *   input  (src/tui/input.c): key events -> actions; the KT_TUI_KEYS replay syntax;
 *   events (src/tui/events.c): a bounded store of raw records for the events screen;
 *   synth  (src/tui/synth.c): generated results for tests and the redraw benchmark;
 *   view   (src/tui/view.c): the only file that includes curses; draws a KtTuiFrame.
 *
 * Ownership rule: the model borrows the KtResults and KtDict it is given until the next
 * kt_tui_model_set_results() (or its free) and owns everything else it holds (key
 * detail, event store, frames' strings). Frames are owned by the caller and rewritten
 * by each render.
 */
#ifndef KEYTRAIL_TUI_H
#define KEYTRAIL_TUI_H

#include "keytrail/dict.h"
#include "keytrail/engine.h"

/* ---- frames: what the model renders and the view draws ------------------------------ */

/* Display attributes; the view maps them to colours, or to bold/reverse without colour. */
typedef enum {
    KT_TUI_ATTR_NORMAL = 0,
    KT_TUI_ATTR_TITLE,      /* title bar */
    KT_TUI_ATTR_TAB,        /* active tab in the title bar or a panel tab bar */
    KT_TUI_ATTR_HEADER,     /* section and column headers */
    KT_TUI_ATTR_SELECTED,   /* selected row of the focused panel */
    KT_TUI_ATTR_DIM,        /* secondary text, selected row of an unfocused panel */
    KT_TUI_ATTR_STATUS,     /* status bar */
    KT_TUI_ATTR_ERROR,      /* error message */
    KT_TUI_ATTR_NEW,        /* "new" marker (IPs first seen after learning) */
    KT_TUI_ATTR_CHART,      /* sparklines and the heatmap */
    KT_TUI_ATTR_SEV_INFO,   /* severities: KT_TUI_ATTR_SEV_INFO + (sev - KT_SEV_INFO) */
    KT_TUI_ATTR_SEV_LOW,
    KT_TUI_ATTR_SEV_MEDIUM,
    KT_TUI_ATTR_SEV_HIGH,
    KT_TUI_ATTR_SEV_CRITICAL,
    KT_TUI_ATTR_COUNT,
} KtTuiAttr;

/* A run of bytes of a line drawn with one attribute. */
typedef struct {
    guint32 start; /* byte offset in the line's text */
    guint32 len;   /* bytes */
    guint8 attr;   /* KtTuiAttr */
} KtTuiSpan;

/* One screen line: text of exactly the frame's width in display columns. */
typedef struct {
    GString *text; /* printable UTF-8 (ASCII only when the frame is not utf8) */
    GArray *spans; /* KtTuiSpan, in order, not overlapping; bytes outside spans: NORMAL */
} KtTuiLine;

typedef struct {
    int width, height; /* display columns and lines */
    gboolean utf8;     /* text may contain non-ASCII characters */
    KtTuiLine *lines;  /* @height lines */
    gboolean reveal;   /* log text drawn unredacted (keys revealed); else secret-looking
                          tokens in it are masked (kt_redact_secrets) */
} KtTuiFrame;

/* (transfer full) An empty frame; kt_tui_model_render() sizes it. Cannot fail. */
KtTuiFrame *kt_tui_frame_new(void);
void kt_tui_frame_free(KtTuiFrame *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtTuiFrame, kt_tui_frame_free)

/* (transfer full) The frame as text: one line per row, trailing blanks stripped. */
char *kt_tui_frame_text(const KtTuiFrame *f);

/* ---- key events and actions (src/tui/input.c) --------------------------------------- */

typedef enum {
    KT_TUI_KEY_NONE = 0,
    KT_TUI_KEY_CHAR, /* a printable character in ch */
    KT_TUI_KEY_ENTER,
    KT_TUI_KEY_ESC,
    KT_TUI_KEY_TAB,
    KT_TUI_KEY_BTAB, /* shift-tab */
    KT_TUI_KEY_UP,
    KT_TUI_KEY_DOWN,
    KT_TUI_KEY_LEFT,
    KT_TUI_KEY_RIGHT,
    KT_TUI_KEY_PGUP,
    KT_TUI_KEY_PGDN,
    KT_TUI_KEY_HOME,
    KT_TUI_KEY_END,
    KT_TUI_KEY_BACKSPACE,
    KT_TUI_KEY_CLICK,   /* mouse button 1 at (x, y) */
    KT_TUI_KEY_RESIZE,  /* terminal resized (to width x height when given, else 0) */
    KT_TUI_KEY_TIMEOUT, /* no key within the poll interval (follow mode) */
} KtTuiKeyCode;

typedef struct {
    KtTuiKeyCode code;
    gunichar ch;       /* KT_TUI_KEY_CHAR */
    int x, y;          /* KT_TUI_KEY_CLICK: column and line, 0-based */
    int width, height; /* KT_TUI_KEY_RESIZE in replays */
} KtTuiKey;

typedef enum {
    KT_TUI_ACT_NONE = 0,
    KT_TUI_ACT_UP,
    KT_TUI_ACT_DOWN,
    KT_TUI_ACT_PAGE_UP,
    KT_TUI_ACT_PAGE_DOWN,
    KT_TUI_ACT_HOME,
    KT_TUI_ACT_END,
    KT_TUI_ACT_NEXT_PANEL, /* Tab, l, Right */
    KT_TUI_ACT_PREV_PANEL, /* shift-Tab, h, Left */
    KT_TUI_ACT_OPEN,       /* Enter */
    KT_TUI_ACT_BACK,       /* Esc, Backspace */
    KT_TUI_ACT_SEARCH,     /* / */
    KT_TUI_ACT_SORT,       /* s */
    KT_TUI_ACT_FILTER,     /* f */
    KT_TUI_ACT_REVEAL,     /* r */
    KT_TUI_ACT_EXPORT,     /* e */
    KT_TUI_ACT_HELP,       /* ? */
    KT_TUI_ACT_QUIT,       /* q */
    KT_TUI_ACT_OVERVIEW,   /* 1 */
    KT_TUI_ACT_INCIDENTS,  /* 2, i */
    KT_TUI_ACT_EVENTS,     /* 3, v */
    KT_TUI_ACT_CLICK,      /* select the row under (x, y) */
    KT_TUI_ACT_RESIZE,
    KT_TUI_ACT_TEXT_CHAR,  /* prompt: append ch */
    KT_TUI_ACT_TEXT_DELETE,
    KT_TUI_ACT_TEXT_ACCEPT,
    KT_TUI_ACT_TEXT_CANCEL,
} KtTuiActionKind;

typedef struct {
    KtTuiActionKind kind;
    gunichar ch; /* TEXT_CHAR */
    int x, y;    /* CLICK */
} KtTuiAction;

/* Maps one key to an action; @prompt is TRUE while a text prompt is open (printable keys
 * then edit the prompt). Cannot fail; unknown keys map to KT_TUI_ACT_NONE. */
KtTuiAction kt_tui_input_action(const KtTuiKey *key, gboolean prompt);

/*
 * Parses a KT_TUI_KEYS replay script into KtTuiKey values appended to @out. Printable
 * characters stand for themselves; named keys are written <Enter> <Esc> <Tab> <BTab>
 * <Up> <Down> <Left> <Right> <PgUp> <PgDn> <Home> <End> <BS>, a literal '<' is <lt>, a
 * click is <Click:X,Y> and a resize <Resize:WxH>. Returns FALSE and sets @error
 * (KT_ERROR_USAGE) for an unknown or malformed <...> name or invalid UTF-8.
 */
gboolean kt_tui_keys_parse(const char *script, GArray *out, GError **error);

/* ---- the raw event store (src/tui/events.c) ---------------------------------------- */

/*
 * What raw events to keep: an entity (key, or principal), optionally one source and a
 * time window. The store never holds more than its cap: when more records match, it
 * keeps the newest by time and counts the rest, so memory does not grow with events.
 */
typedef struct {
    guint32 entity;
    gboolean is_principal;
    guint32 source;       /* 0 = any source */
    gint64 from_ms, to_ms; /* inclusive window; G_MININT64 / G_MAXINT64 = open */
    guint64 incident;     /* incident id the scope came from, 0 for a key (display only) */
} KtTuiScope;

#define KT_TUI_EVENTS_CAP_DEFAULT 10000

typedef struct _KtTuiEvents KtTuiEvents;

/* Creates an empty store keeping at most @cap records (0 = default). Cannot fail. */
KtTuiEvents *kt_tui_events_new(guint cap);
void kt_tui_events_free(KtTuiEvents *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtTuiEvents, kt_tui_events_free)

/* Empties the store and sets the scope later kt_tui_events_offer() calls match. */
void kt_tui_events_reset(KtTuiEvents *ev, const KtTuiScope *scope);
/* (transfer none) The current scope. */
const KtTuiScope *kt_tui_events_scope(const KtTuiEvents *ev);
/* TRUE when @rec belongs to @scope. */
gboolean kt_tui_scope_match(const KtTuiScope *scope, const KtRecord *rec);
/* Keeps @rec (copied) when it matches the scope and is among the newest @cap. */
void kt_tui_events_offer(KtTuiEvents *ev, const KtRecord *rec);
/* Sorts the kept records by time (call once after the last offer). */
void kt_tui_events_finish(KtTuiEvents *ev);
/* Number of records kept, and number that matched (kept + dropped). */
guint kt_tui_events_len(const KtTuiEvents *ev);
guint64 kt_tui_events_matched(const KtTuiEvents *ev);
/* (transfer none) Record @i (0 = oldest) after kt_tui_events_finish(). */
const KtRecord *kt_tui_events_get(const KtTuiEvents *ev, guint i);

/* ---- the model (src/tui/model.c) --------------------------------------------------- */

/* What the data source behind the dashboard provides; a const ops table. */
typedef struct {
    /* (transfer full, nullable) Detail of one entity, or NULL when unknown. */
    KtKeyDetail *(*key_detail)(gpointer ud, guint32 entity, gboolean is_principal);
    /* Fills @out (already reset to the scope) with the raw events of its scope and
     * finishes it. Returns FALSE and sets @error when they cannot be read (stdin, a
     * state file). Nullable member: no raw events. */
    gboolean (*load_events)(gpointer ud, KtTuiEvents *out, GError **error);
    /* Writes @inc as JSON to a new file @path (never through a symlink). Returns FALSE
     * and sets @error when the file exists or cannot be written. */
    gboolean (*export_incident)(gpointer ud, const KtIncident *inc, const char *path,
                                GError **error);
} KtTuiSourceOps;

/* The input summary shown on the overview; strings are copied by the model. */
typedef struct {
    const char *label;  /* "3 files", "state /var/lib/keytrail.state" */
    guint64 lines, events, rejected;
    gint64 first_ms, last_ms; /* G_MAXINT64 / G_MININT64 when empty */
    gboolean follow;    /* shows a [follow] marker */
} KtTuiSummary;

/* Result flags of kt_tui_model_apply() (htop HandlerResult style). */
enum {
    KT_TUI_HANDLED = 1 << 0, /* the action did something */
    KT_TUI_REDRAW = 1 << 1,  /* the frame changed */
    KT_TUI_QUIT = 1 << 2,    /* leave the dashboard */
};

typedef struct _KtTuiModel KtTuiModel;

/* Creates a model reading through @ops/@ud (borrowed, must outlive it) and resolving ids
 * with @dict (borrowed). @utf8 selects Unicode glyphs, else an ASCII fallback. */
KtTuiModel *kt_tui_model_new(const KtTuiSourceOps *ops, gpointer ud, const KtDict *dict,
                             gboolean utf8);
void kt_tui_model_free(KtTuiModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtTuiModel, kt_tui_model_free)

/* Gives the model new results (borrowed until the next call): lists are rebuilt, the
 * selection follows the selected key and incident by identity, cached detail is dropped
 * and fetched again. */
void kt_tui_model_set_results(KtTuiModel *m, const KtResults *r, const KtTuiSummary *s);

/* Renders the current screen into @f at @width x @height (resizing it). Cannot fail. */
void kt_tui_model_render(KtTuiModel *m, int width, int height, KtTuiFrame *f);

/* Applies one action; returns KT_TUI_* flags. */
guint kt_tui_model_apply(KtTuiModel *m, const KtTuiAction *a);
/* Maps @key through kt_tui_input_action() in the model's prompt state and applies it. */
guint kt_tui_model_key(KtTuiModel *m, const KtTuiKey *key);

/* Shows full keys (TRUE, --reveal-keys) or masked keys. */
void kt_tui_model_set_reveal(KtTuiModel *m, gboolean reveal);
/* TRUE while a text prompt (search, export path, reveal question) is open. */
gboolean kt_tui_model_in_prompt(const KtTuiModel *m);
/* Shows @msg (copied) in the status bar until the next key. */
void kt_tui_model_set_message(KtTuiModel *m, const char *msg, gboolean error);

/* Sort orders and selection, for tests and the command. */
typedef enum {
    KT_TUI_SCREEN_OVERVIEW = 0,
    KT_TUI_SCREEN_KEY,
    KT_TUI_SCREEN_INCIDENTS,
    KT_TUI_SCREEN_INCIDENT,
    KT_TUI_SCREEN_EVENTS,
} KtTuiScreen;

KtTuiScreen kt_tui_model_screen(const KtTuiModel *m);
/* (transfer none, nullable) The selected key summary / incident of the current list. */
const KtKeySummary *kt_tui_model_selected_key(const KtTuiModel *m);
const KtIncident *kt_tui_model_selected_incident(const KtTuiModel *m);
/* Number of rows of the visible key list / incident list after filter and search. */
guint kt_tui_model_key_rows(const KtTuiModel *m);
guint kt_tui_model_incident_rows(const KtTuiModel *m);
guint kt_tui_model_event_rows(const KtTuiModel *m);

/* ---- generated data (src/tui/synth.c) ----------------------------------------------- */

typedef struct _KtTuiSynth KtTuiSynth;

/* Generates deterministic results with @keys keys and @events events (spread over the
 * keys, a few with incidents) into @dict (borrowed). Events are not stored: the events
 * source regenerates them. Cannot fail. */
KtTuiSynth *kt_tui_synth_new(KtDict *dict, guint keys, guint64 events);
void kt_tui_synth_free(KtTuiSynth *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtTuiSynth, kt_tui_synth_free)
/* (transfer none) The generated results and input summary. */
const KtResults *kt_tui_synth_results(KtTuiSynth *s);
void kt_tui_synth_summary(KtTuiSynth *s, KtTuiSummary *out);
/* (transfer full, nullable) The generated detail of one key. */
KtKeyDetail *kt_tui_synth_key_detail(KtTuiSynth *s, guint32 entity, gboolean is_principal);
/* Offers the regenerated records of @ev's scope to @ev and finishes it. Cannot fail. */
gboolean kt_tui_synth_load_events(KtTuiSynth *s, KtTuiEvents *ev, GError **error);
/* (transfer none) Ops for kt_tui_model_new() with @s as user data (export unsupported). */
const KtTuiSourceOps *kt_tui_synth_ops(void);

/* ---- the view (src/tui/view.c, the only curses user) -------------------------------- */

typedef struct _KtTuiView KtTuiView;

/* Starts curses on the terminal, or on /dev/null when @headless (size from LINES and
 * COLUMNS). @color FALSE disables colour. Returns NULL and sets @error (KT_ERROR_IO)
 * when no terminal can be set up. */
KtTuiView *kt_tui_view_new(gboolean headless, gboolean color, GError **error);
/* Ends curses and restores the terminal; NULL is a no-op. */
void kt_tui_view_free(KtTuiView *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtTuiView, kt_tui_view_free)

/* TRUE when the terminal's locale is UTF-8 (Unicode glyphs may be drawn). */
gboolean kt_tui_view_utf8(const KtTuiView *v);
/* Current size in columns and lines. */
void kt_tui_view_size(KtTuiView *v, int *width, int *height);
/* Applies a replayed resize (headless). */
void kt_tui_view_resize(KtTuiView *v, int width, int height);
/* Draws @f as one whole frame (wnoutrefresh + doupdate). */
void kt_tui_view_draw(KtTuiView *v, const KtTuiFrame *f);
/* Waits up to @timeout_ms (-1 = forever) for a key; TIMEOUT when none came. */
KtTuiKey kt_tui_view_read_key(KtTuiView *v, int timeout_ms);
/* Writes what the screen shows as text (trailing blanks stripped) to @path. Returns
 * FALSE and sets @error (KT_ERROR_IO) on a write error. */
gboolean kt_tui_view_dump(KtTuiView *v, const char *path, GError **error);

#endif
