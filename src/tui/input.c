/*
 * input.c - keys to actions for the TUI (htop HandlerResult style: the model applies
 * the action and answers with flags), and the KT_TUI_KEYS replay syntax used by tests
 * and the headless mode. Curses-free: view.c turns curses key codes into KtTuiKey.
 */
#include <stdio.h>
#include <stdlib.h>

#include "keytrail/tui.h"

static KtTuiActionKind
char_action(gunichar c)
{
    switch (c) {
    case 'k': return KT_TUI_ACT_UP;
    case 'j': return KT_TUI_ACT_DOWN;
    case 'h': return KT_TUI_ACT_PREV_PANEL;
    case 'l': return KT_TUI_ACT_NEXT_PANEL;
    case 'g': return KT_TUI_ACT_HOME;
    case 'G': return KT_TUI_ACT_END;
    case ' ': return KT_TUI_ACT_PAGE_DOWN;
    case '/': return KT_TUI_ACT_SEARCH;
    case 's': return KT_TUI_ACT_SORT;
    case 'f': return KT_TUI_ACT_FILTER;
    case 'r': return KT_TUI_ACT_REVEAL;
    case 'e': return KT_TUI_ACT_EXPORT;
    case '?': return KT_TUI_ACT_HELP;
    case 'q': return KT_TUI_ACT_QUIT;
    case '1': return KT_TUI_ACT_OVERVIEW;
    case '2':
    case 'i': return KT_TUI_ACT_INCIDENTS;
    case '3':
    case 'v': return KT_TUI_ACT_EVENTS;
    default: return KT_TUI_ACT_NONE;
    }
}

static KtTuiActionKind
prompt_action(const KtTuiKey *key)
{
    switch (key->code) {
    case KT_TUI_KEY_CHAR: return KT_TUI_ACT_TEXT_CHAR;
    case KT_TUI_KEY_BACKSPACE: return KT_TUI_ACT_TEXT_DELETE;
    case KT_TUI_KEY_ENTER: return KT_TUI_ACT_TEXT_ACCEPT;
    case KT_TUI_KEY_ESC: return KT_TUI_ACT_TEXT_CANCEL;
    case KT_TUI_KEY_RESIZE: return KT_TUI_ACT_RESIZE;
    default: return KT_TUI_ACT_NONE;
    }
}

static KtTuiActionKind
key_action(const KtTuiKey *key)
{
    switch (key->code) {
    case KT_TUI_KEY_CHAR: return char_action(key->ch);
    case KT_TUI_KEY_ENTER: return KT_TUI_ACT_OPEN;
    case KT_TUI_KEY_ESC:
    case KT_TUI_KEY_BACKSPACE: return KT_TUI_ACT_BACK;
    case KT_TUI_KEY_TAB:
    case KT_TUI_KEY_RIGHT: return KT_TUI_ACT_NEXT_PANEL;
    case KT_TUI_KEY_BTAB:
    case KT_TUI_KEY_LEFT: return KT_TUI_ACT_PREV_PANEL;
    case KT_TUI_KEY_UP: return KT_TUI_ACT_UP;
    case KT_TUI_KEY_DOWN: return KT_TUI_ACT_DOWN;
    case KT_TUI_KEY_PGUP: return KT_TUI_ACT_PAGE_UP;
    case KT_TUI_KEY_PGDN: return KT_TUI_ACT_PAGE_DOWN;
    case KT_TUI_KEY_HOME: return KT_TUI_ACT_HOME;
    case KT_TUI_KEY_END: return KT_TUI_ACT_END;
    case KT_TUI_KEY_CLICK: return KT_TUI_ACT_CLICK;
    case KT_TUI_KEY_RESIZE: return KT_TUI_ACT_RESIZE;
    default: return KT_TUI_ACT_NONE;
    }
}

KtTuiAction
kt_tui_input_action(const KtTuiKey *key, gboolean prompt)
{
    KtTuiAction a = { KT_TUI_ACT_NONE, 0, key->x, key->y };
    a.kind = prompt ? prompt_action(key) : key_action(key);
    if (a.kind == KT_TUI_ACT_TEXT_CHAR)
        a.ch = key->ch;
    return a;
}

/* ---- replay scripts ----------------------------------------------------------------- */

static const struct {
    const char *name;
    KtTuiKeyCode code;
} named_keys[] = {
    { "Enter", KT_TUI_KEY_ENTER }, { "Esc", KT_TUI_KEY_ESC },     { "Tab", KT_TUI_KEY_TAB },
    { "BTab", KT_TUI_KEY_BTAB },   { "Up", KT_TUI_KEY_UP },       { "Down", KT_TUI_KEY_DOWN },
    { "Left", KT_TUI_KEY_LEFT },   { "Right", KT_TUI_KEY_RIGHT }, { "PgUp", KT_TUI_KEY_PGUP },
    { "PgDn", KT_TUI_KEY_PGDN },   { "Home", KT_TUI_KEY_HOME },   { "End", KT_TUI_KEY_END },
    { "BS", KT_TUI_KEY_BACKSPACE },
};

/* Parses "<int><sep><int>" exactly; both in 0..9999. */
static gboolean
parse_pair(const char *s, char sep, int *a, int *b)
{
    char *end = NULL;
    long x = strtol(s, &end, 10);
    if (end == s || *end != sep || x < 0 || x > 9999)
        return FALSE;
    const char *t = end + 1;
    long y = strtol(t, &end, 10);
    if (end == t || *end != '\0' || y < 0 || y > 9999)
        return FALSE;
    *a = (int)x;
    *b = (int)y;
    return TRUE;
}

static gboolean
parse_named(const char *name, KtTuiKey *k)
{
    *k = (KtTuiKey){ 0 };
    if (strcmp(name, "lt") == 0) {
        k->code = KT_TUI_KEY_CHAR;
        k->ch = '<';
        return TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(named_keys); i++) {
        if (strcmp(name, named_keys[i].name) == 0) {
            k->code = named_keys[i].code;
            return TRUE;
        }
    }
    if (g_str_has_prefix(name, "Click:")) {
        k->code = KT_TUI_KEY_CLICK;
        return parse_pair(name + 6, ',', &k->x, &k->y);
    }
    if (g_str_has_prefix(name, "Resize:")) {
        k->code = KT_TUI_KEY_RESIZE;
        return parse_pair(name + 7, 'x', &k->width, &k->height) && k->width > 0 &&
               k->height > 0;
    }
    return FALSE;
}

gboolean
kt_tui_keys_parse(const char *script, GArray *out, GError **error)
{
    if (!g_utf8_validate(script, -1, NULL)) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "KT_TUI_KEYS is not valid UTF-8");
        return FALSE;
    }
    for (const char *p = script; *p != '\0';) {
        KtTuiKey k = { 0 };
        if (*p == '<') {
            const char *close = strchr(p, '>');
            g_autofree char *name = close != NULL ? g_strndup(p + 1, close - p - 1) : NULL;
            if (name == NULL || strlen(name) > 32 || !parse_named(name, &k)) {
                g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                            "KT_TUI_KEYS: unknown key name at '%.20s' (write < as <lt>)", p);
                return FALSE;
            }
            p = close + 1;
        } else {
            gunichar c = g_utf8_get_char(p);
            p = g_utf8_next_char(p);
            k.code = c == '\n' || c == '\r' ? KT_TUI_KEY_ENTER
                     : c == '\t'             ? KT_TUI_KEY_TAB
                     : c == 0x1b              ? KT_TUI_KEY_ESC
                     : c < 0x20 || c == 0x7f  ? KT_TUI_KEY_NONE
                                              : KT_TUI_KEY_CHAR;
            k.ch = k.code == KT_TUI_KEY_CHAR ? c : 0;
            if (k.code == KT_TUI_KEY_NONE)
                continue;
        }
        g_array_append_val(out, k);
    }
    return TRUE;
}
