/*
 * sanitize.c - making attacker-controlled log fields and secrets safe to show (used by
 * the reporters, error messages and the TUI): terminal-safe escaping, valid UTF-8 for
 * JSON, key masking.
 */
#include "keytrail/sanitize.h"

/*
 * Decodes one strict UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF) from @p of @n bytes. Returns its length and sets *@cp, or 0 when
 * the bytes at @p do not start a valid sequence. Never reads past @n.
 */
static gsize
utf8_decode(const guchar *p, gsize n, gunichar *cp)
{
    guchar b = p[0];
    gsize len;
    gunichar c, min;

    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xc2 && b <= 0xdf) {
        len = 2, c = b & 0x1f, min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3, c = b & 0x0f, min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4, c = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (gsize i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* TRUE for invisible code points that GLib does not class as format characters but
 * that render as nothing (fillers, grapheme joiner, supplementary variation selectors
 * used to smuggle data). */
static gboolean
is_invisible_extra(gunichar c)
{
    return c == 0x034f || c == 0x115f || c == 0x1160 || c == 0x3164 || c == 0xffa0 ||
           c == 0x180e || (c >= 0x180b && c <= 0x180f) || (c >= 0xe0000 && c <= 0xe0fff) ||
           c == 0xfffe || c == 0xffff;
}

/* TRUE for a code point that must not reach a terminal as is. */
gboolean
kt_sanitize_needs_escape(gunichar c)
{
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
        return TRUE;
    if (c < 0xa0)
        return FALSE;
    /* bidi overrides/isolates and marks, zero-width characters, separators */
    if ((c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
        (c >= 0x2060 && c <= 0x206f) || c == 0x061c || c == 0xfeff)
        return TRUE;
    if (is_invisible_extra(c))
        return TRUE;
    switch (g_unichar_type(c)) {
    case G_UNICODE_FORMAT:
    case G_UNICODE_CONTROL:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_SURROGATE:
        return TRUE;
    default:
        return FALSE;
    }
}

static void
append_escape(GString *out, gunichar c)
{
    switch (c) {
    case '\n':
        g_string_append(out, "\\n");
        return;
    case '\r':
        g_string_append(out, "\\r");
        return;
    case '\t':
        g_string_append(out, "\\t");
        return;
    default:
        break;
    }
    if (c < 0x80)
        g_string_append_printf(out, "\\x%02x", (unsigned)c);
    else if (c <= 0xffff)
        g_string_append_printf(out, "\\u%04x", (unsigned)c);
    else
        g_string_append_printf(out, "\\U%08x", (unsigned)c);
}

void
kt_sanitize_append(GString *out, const char *s, gsize len)
{
    g_return_if_fail(out != NULL);
    if (s == NULL)
        return;
    const guchar *p = (const guchar *)s;
    gsize i = 0;
    while (i < len) {
        /* fast path: a run of printable ASCII */
        gsize j = i;
        while (j < len && p[j] >= 0x20 && p[j] < 0x7f)
            j++;
        if (j > i) {
            g_string_append_len(out, s + i, (gssize)(j - i));
            i = j;
            continue;
        }
        gunichar c;
        gsize n = utf8_decode(p + i, len - i, &c);
        if (n == 0) {
            g_string_append_printf(out, "\\x%02x", (unsigned)p[i]);
            i++;
        } else if (kt_sanitize_needs_escape(c)) {
            append_escape(out, c);
            i += n;
        } else {
            g_string_append_len(out, s + i, (gssize)n);
            i += n;
        }
    }
}

char *
kt_sanitize(const char *s)
{
    if (s == NULL)
        return g_strdup("");
    gsize len = strlen(s);
    GString *out = g_string_sized_new(len + 1);
    kt_sanitize_append(out, s, len);
    return g_string_free(out, FALSE);
}

char *
kt_utf8_valid(const char *s, gsize len)
{
    if (s == NULL)
        return g_strdup("");
    const guchar *p = (const guchar *)s;
    GString *out = g_string_sized_new(len + 1);
    gsize i = 0;
    while (i < len) {
        gunichar c;
        gsize n = utf8_decode(p + i, len - i, &c);
        /* a NUL cannot live in a C string: it becomes U+FFFD like an invalid byte */
        if (n == 0 || c == 0) {
            g_string_append(out, "\xef\xbf\xbd");
            i++;
        } else {
            g_string_append_len(out, s + i, (gssize)n);
            i += n;
        }
    }
    return g_string_free(out, FALSE);
}

/* Number of characters in @s (valid UTF-8 sequences count once, invalid bytes once
 * each) and, in @offs (nullable, n + 1 entries), the byte offset of each. */
static gsize
char_offsets(const char *s, gsize len, GArray *offs)
{
    const guchar *p = (const guchar *)s;
    gsize i = 0, count = 0;
    while (i < len) {
        gunichar c;
        gsize n = utf8_decode(p + i, len - i, &c);
        if (offs != NULL)
            g_array_append_val(offs, i);
        i += n == 0 ? 1 : n;
        count++;
    }
    if (offs != NULL)
        g_array_append_val(offs, i);
    return count;
}

char *
kt_mask_key(const char *key, gboolean reveal)
{
    if (key == NULL)
        return g_strdup("");
    if (reveal)
        return g_strdup(key);
    gsize len = strlen(key);
    g_autoptr(GArray) offs = g_array_new(FALSE, FALSE, sizeof(gsize));
    gsize chars = char_offsets(key, len, offs);
    if (chars <= 12)
        return g_strdup("****");
    gsize head = g_array_index(offs, gsize, 4);
    gsize tail = g_array_index(offs, gsize, chars - 4);
    GString *out = g_string_sized_new(head + 3 + (len - tail) + 1);
    g_string_append_len(out, key, (gssize)head);
    g_string_append(out, "...");
    g_string_append_len(out, key + tail, (gssize)(len - tail));
    return g_string_free(out, FALSE);
}

static gboolean
is_token_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '+';
}

/* Appends @tok (@len bytes) masked when it looks like a secret: at least 16 token
 * characters with both letters and digits. */
static void
append_token(GString *out, const char *tok, gsize len)
{
    gboolean alpha = FALSE, digit = FALSE;
    for (gsize i = 0; i < len; i++) {
        alpha = alpha || g_ascii_isalpha(tok[i]);
        digit = digit || g_ascii_isdigit(tok[i]);
    }
    if (len < 16 || !alpha || !digit) {
        g_string_append_len(out, tok, (gssize)len);
        return;
    }
    g_autofree char *copy = g_strndup(tok, len);
    g_autofree char *masked = kt_mask_key(copy, FALSE);
    g_string_append(out, masked);
}

char *
kt_redact_secrets(const char *text, gboolean reveal)
{
    if (text == NULL)
        return g_strdup("");
    if (reveal)
        return g_strdup(text);
    GString *out = g_string_sized_new(strlen(text) + 1);
    const char *p = text;
    while (*p) {
        const char *start = p;
        while (*p && is_token_char(*p))
            p++;
        if (p > start) {
            append_token(out, start, (gsize)(p - start));
            continue;
        }
        g_string_append_c(out, *p);
        p++;
    }
    return g_string_free(out, FALSE);
}
