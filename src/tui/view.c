/*
 * view.c - the only file of keytrail that includes curses. Sets up the terminal (or a
 * headless screen on /dev/null for tests), draws a KtTuiFrame as one whole frame
 * (wnoutrefresh + doupdate), turns curses keys and mouse events into KtTuiKey, and
 * dumps the screen as text (read back from curses, like tig's save-display).
 */
#include <fcntl.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NCURSES_WIDECHAR 1
#include <ncurses.h>

#include "keytrail/tui.h"

struct _KtTuiView {
    SCREEN *screen;
    FILE *out, *in;    /* owned in headless mode (/dev/null) */
    gboolean headless;
    gboolean utf8;
    int saved_stderr;  /* -1, or stderr while curses owns the terminal */
    attr_t attrs[KT_TUI_ATTR_COUNT];
};

/* Attributes without colour: readable on any terminal. */
static const attr_t mono[KT_TUI_ATTR_COUNT] = {
    [KT_TUI_ATTR_TITLE] = A_REVERSE,
    [KT_TUI_ATTR_TAB] = A_REVERSE | A_BOLD | A_UNDERLINE,
    [KT_TUI_ATTR_HEADER] = A_BOLD,
    [KT_TUI_ATTR_SELECTED] = A_REVERSE,
    [KT_TUI_ATTR_DIM] = A_DIM,
    [KT_TUI_ATTR_STATUS] = A_REVERSE,
    [KT_TUI_ATTR_ERROR] = A_BOLD | A_REVERSE,
    [KT_TUI_ATTR_NEW] = A_BOLD,
    [KT_TUI_ATTR_SEV_HIGH] = A_BOLD,
    [KT_TUI_ATTR_SEV_CRITICAL] = A_BOLD | A_UNDERLINE,
};

/* Colour pairs: foreground, background (-1 = terminal default). */
static const struct {
    short fg, bg;
    attr_t extra;
} palette[KT_TUI_ATTR_COUNT] = {
    [KT_TUI_ATTR_NORMAL] = { -1, -1, 0 },
    [KT_TUI_ATTR_TITLE] = { COLOR_BLACK, COLOR_CYAN, 0 },
    [KT_TUI_ATTR_TAB] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD },
    [KT_TUI_ATTR_HEADER] = { COLOR_CYAN, -1, A_BOLD },
    [KT_TUI_ATTR_SELECTED] = { COLOR_BLACK, COLOR_WHITE, 0 },
    [KT_TUI_ATTR_DIM] = { -1, -1, A_DIM },
    [KT_TUI_ATTR_STATUS] = { COLOR_WHITE, COLOR_BLUE, 0 },
    [KT_TUI_ATTR_ERROR] = { COLOR_WHITE, COLOR_RED, A_BOLD },
    [KT_TUI_ATTR_NEW] = { COLOR_YELLOW, -1, A_BOLD },
    [KT_TUI_ATTR_CHART] = { COLOR_GREEN, -1, 0 },
    [KT_TUI_ATTR_SEV_INFO] = { COLOR_BLUE, -1, 0 },
    [KT_TUI_ATTR_SEV_LOW] = { COLOR_CYAN, -1, 0 },
    [KT_TUI_ATTR_SEV_MEDIUM] = { COLOR_YELLOW, -1, 0 },
    [KT_TUI_ATTR_SEV_HIGH] = { COLOR_RED, -1, A_BOLD },
    [KT_TUI_ATTR_SEV_CRITICAL] = { COLOR_WHITE, COLOR_RED, A_BOLD },
};

static void
setup_attrs(KtTuiView *v, gboolean color)
{
    memcpy(v->attrs, mono, sizeof mono);
    if (!color || !has_colors() || start_color() == ERR)
        return;
    use_default_colors();
    for (int a = 1; a < KT_TUI_ATTR_COUNT && a < COLOR_PAIRS; a++) {
        init_pair((short)a, palette[a].fg, palette[a].bg);
        v->attrs[a] = COLOR_PAIR(a) | palette[a].extra;
    }
}

static SCREEN *
open_headless(KtTuiView *v)
{
    v->out = fopen("/dev/null", "w");
    v->in = fopen("/dev/null", "r");
    if (v->out == NULL || v->in == NULL)
        return NULL;
    const char *term = getenv("TERM");
    SCREEN *s = NULL;
    if (term != NULL && *term != '\0' && strcmp(term, "dumb") != 0)
        s = newterm(term, v->out, v->in);
    if (s == NULL)
        s = newterm("xterm", v->out, v->in);
    if (s == NULL)
        s = newterm("vt100", v->out, v->in);
    return s;
}

KtTuiView *
kt_tui_view_new(gboolean headless, gboolean color, GError **error)
{
    g_autofree KtTuiView *v = g_new0(KtTuiView, 1);
    v->headless = headless;
    v->saved_stderr = -1;
    const char *cs = nl_langinfo(CODESET);
    v->utf8 = cs != NULL && (g_ascii_strcasecmp(cs, "UTF-8") == 0 || g_ascii_strcasecmp(cs, "utf8") == 0);
    if (headless) {
        v->screen = open_headless(v);
    } else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
        v->screen = newterm(NULL, stdout, stdin);
    } else {
        g_set_error(error, KT_ERROR, KT_ERROR_IO,
                    "tui needs a terminal on stdin and stdout (use scan for reports)");
        return NULL;
    }
    if (v->screen == NULL) {
        if (v->out != NULL)
            fclose(v->out);
        if (v->in != NULL)
            fclose(v->in);
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot set up the terminal (TERM=%s)",
                    getenv("TERM") ? getenv("TERM") : "");
        return NULL;
    }
    set_term(v->screen);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (!headless)
        mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
    setup_attrs(v, color);
    /* stderr would scribble over the screen: keep it aside while curses runs */
    if (!headless && isatty(STDERR_FILENO)) {
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        v->saved_stderr = dup(STDERR_FILENO);
        if (null >= 0 && v->saved_stderr >= 0)
            dup2(null, STDERR_FILENO);
        if (null >= 0)
            close(null);
    }
    return g_steal_pointer(&v);
}

void
kt_tui_view_free(KtTuiView *v)
{
    if (v == NULL)
        return;
    endwin();
    delscreen(v->screen);
    if (v->saved_stderr >= 0) {
        dup2(v->saved_stderr, STDERR_FILENO);
        close(v->saved_stderr);
    }
    if (v->out != NULL)
        fclose(v->out);
    if (v->in != NULL)
        fclose(v->in);
    g_free(v);
}

gboolean
kt_tui_view_utf8(const KtTuiView *v)
{
    return v->utf8;
}

void
kt_tui_view_size(KtTuiView *v, int *width, int *height)
{
    int h, w;
    getmaxyx(stdscr, h, w);
    *width = w;
    *height = h;
}

void
kt_tui_view_resize(KtTuiView *v, int width, int height)
{
    resizeterm(height, width);
}

static void
draw_line(KtTuiView *v, int y, const KtTuiLine *l)
{
    const char *s = l->text->str;
    guint32 pos = 0;
    wmove(stdscr, y, 0);
    for (guint i = 0; i <= l->spans->len; i++) {
        const KtTuiSpan *sp = i < l->spans->len ? &g_array_index(l->spans, KtTuiSpan, i) : NULL;
        guint32 start = sp != NULL ? MIN(sp->start, (guint32)l->text->len) : (guint32)l->text->len;
        if (start > pos) {
            wattrset(stdscr, v->attrs[KT_TUI_ATTR_NORMAL]);
            waddnstr(stdscr, s + pos, (int)(start - pos));
        }
        if (sp == NULL)
            break;
        guint32 end = MIN(sp->start + sp->len, (guint32)l->text->len);
        wattrset(stdscr, v->attrs[sp->attr < KT_TUI_ATTR_COUNT ? sp->attr : 0]);
        if (end > start)
            waddnstr(stdscr, s + start, (int)(end - start));
        pos = MAX(pos, end);
    }
    wattrset(stdscr, A_NORMAL);
    wclrtoeol(stdscr);
}

void
kt_tui_view_draw(KtTuiView *v, const KtTuiFrame *f)
{
    int h, w;
    getmaxyx(stdscr, h, w);
    (void)w;
    for (int y = 0; y < h; y++) {
        if (y < f->height) {
            draw_line(v, y, &f->lines[y]);
        } else {
            wmove(stdscr, y, 0);
            wclrtoeol(stdscr);
        }
    }
    wnoutrefresh(stdscr);
    doupdate();
}

static KtTuiKey
function_key(wint_t c)
{
    KtTuiKey k = { 0 };
    MEVENT ev;
    switch (c) {
    case KEY_UP: k.code = KT_TUI_KEY_UP; break;
    case KEY_DOWN: k.code = KT_TUI_KEY_DOWN; break;
    case KEY_LEFT: k.code = KT_TUI_KEY_LEFT; break;
    case KEY_RIGHT: k.code = KT_TUI_KEY_RIGHT; break;
    case KEY_PPAGE: k.code = KT_TUI_KEY_PGUP; break;
    case KEY_NPAGE: k.code = KT_TUI_KEY_PGDN; break;
    case KEY_HOME: k.code = KT_TUI_KEY_HOME; break;
    case KEY_END: k.code = KT_TUI_KEY_END; break;
    case KEY_BTAB: k.code = KT_TUI_KEY_BTAB; break;
    case KEY_BACKSPACE: k.code = KT_TUI_KEY_BACKSPACE; break;
    case KEY_ENTER: k.code = KT_TUI_KEY_ENTER; break;
    case KEY_RESIZE: k.code = KT_TUI_KEY_RESIZE; break;
    case KEY_MOUSE:
        if (getmouse(&ev) == OK && (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))) {
            k.code = KT_TUI_KEY_CLICK;
            k.x = ev.x;
            k.y = ev.y;
        }
        break;
    default: break;
    }
    return k;
}

KtTuiKey
kt_tui_view_read_key(KtTuiView *v, int timeout_ms)
{
    KtTuiKey k = { 0 };
    wint_t c = 0;
    wtimeout(stdscr, timeout_ms);
    int r = wget_wch(stdscr, &c);
    if (r == ERR) {
        k.code = KT_TUI_KEY_TIMEOUT;
        return k;
    }
    if (r == KEY_CODE_YES)
        return function_key(c);
    switch (c) {
    case '\n':
    case '\r': k.code = KT_TUI_KEY_ENTER; break;
    case 27: k.code = KT_TUI_KEY_ESC; break;
    case '\t': k.code = KT_TUI_KEY_TAB; break;
    case 8:
    case 127: k.code = KT_TUI_KEY_BACKSPACE; break;
    default:
        if (c >= 32 && g_unichar_validate((gunichar)c) && !g_unichar_iscntrl((gunichar)c)) {
            k.code = KT_TUI_KEY_CHAR;
            k.ch = (gunichar)c;
        }
        break;
    }
    return k;
}

/* Appends screen line @y as UTF-8, trailing blanks stripped. */
static void
dump_line(GString *out, int y, int w)
{
    gsize start = out->len;
    for (int x = 0; x < w; x++) {
        cchar_t cc;
        wchar_t wch[CCHARW_MAX + 1] = { 0 };
        attr_t attrs;
        short pair;
        if (mvwin_wch(stdscr, y, x, &cc) == ERR || getcchar(&cc, wch, &attrs, &pair, NULL) == ERR) {
            g_string_append_c(out, ' ');
            continue;
        }
        gunichar c = wch[0] != 0 ? (gunichar)wch[0] : ' ';
        if (c < 32 || c == 127)
            c = '?';
        g_string_append_unichar(out, c);
        if (g_unichar_iswide(c))
            x++;
    }
    while (out->len > start && out->str[out->len - 1] == ' ')
        g_string_truncate(out, out->len - 1);
    g_string_append_c(out, '\n');
}

gboolean
kt_tui_view_dump(KtTuiView *v, const char *path, GError **error)
{
    int h, w;
    getmaxyx(stdscr, h, w);
    g_autoptr(GString) out = g_string_new(NULL);
    for (int y = 0; y < h; y++)
        dump_line(out, y, w);
    GError *e = NULL;
    if (!g_file_set_contents(path, out->str, (gssize)out->len, &e)) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot write the screen dump: %s", e->message);
        g_error_free(e);
        return FALSE;
    }
    return TRUE;
}
