/*
 * text.c - frames and the text primitives of the TUI model: fitting text into display
 * columns (wide characters, ellipsis, ASCII fallback), spans of attributes, number and
 * time formatting, sparkline and heatmap glyphs. Curses-free.
 */
#include <stdio.h>
#include <time.h>

#include "keytrail/sanitize.h"
#include "tui-private.h"

KtTuiFrame *
kt_tui_frame_new(void)
{
    return g_new0(KtTuiFrame, 1);
}

static void
frame_free_lines(KtTuiFrame *f)
{
    for (int y = 0; y < f->height; y++) {
        g_string_free(f->lines[y].text, TRUE);
        g_array_unref(f->lines[y].spans);
    }
    g_free(f->lines);
    f->lines = NULL;
    f->height = 0;
}

void
kt_tui_frame_free(KtTuiFrame *f)
{
    if (f == NULL)
        return;
    frame_free_lines(f);
    g_free(f);
}

void
kt_tui_frame_reset(KtTuiFrame *f, int width, int height, gboolean utf8)
{
    width = CLAMP(width, 1, KT_TUI_MAX_DIM);
    height = CLAMP(height, 1, KT_TUI_MAX_DIM);
    if (f->height != height) {
        frame_free_lines(f);
        f->lines = g_new0(KtTuiLine, height);
        for (int y = 0; y < height; y++) {
            f->lines[y].text = g_string_sized_new(width + 16);
            f->lines[y].spans = g_array_new(FALSE, FALSE, sizeof(KtTuiSpan));
        }
        f->height = height;
    }
    f->width = width;
    f->utf8 = utf8;
    for (int y = 0; y < height; y++) {
        g_string_truncate(f->lines[y].text, 0);
        g_array_set_size(f->lines[y].spans, 0);
    }
}

char *
kt_tui_frame_text(const KtTuiFrame *f)
{
    GString *out = g_string_new(NULL);
    for (int y = 0; y < f->height; y++) {
        const GString *t = f->lines[y].text;
        gsize n = t->len;
        while (n > 0 && t->str[n - 1] == ' ')
            n--;
        g_string_append_len(out, t->str, n);
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

/* Display columns of one character: 0 for combining marks, 2 for wide ones. */
static int
char_width(gunichar c)
{
    if (g_unichar_iszerowidth(c))
        return 0;
    if (g_unichar_iswide(c))
        return 2;
    return 1;
}

static gboolean
char_unsafe(gunichar c)
{
    return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

int
kt_tui_text_width(const char *s, gboolean utf8)
{
    int w = 0;
    for (const char *p = s; *p != '\0';) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            w++;
            p++;
            continue;
        }
        w += (!utf8 || c < 0x80 || char_unsafe(c)) ? 1 : char_width(c);
        p = g_utf8_next_char(p);
    }
    return w;
}

void
kt_tui_pen_start(KtTuiPen *p, KtTuiFrame *f, int y)
{
    p->frame = f;
    p->line = (y >= 0 && y < f->height) ? &f->lines[y] : NULL;
    p->col = 0;
    if (p->line != NULL) {
        g_string_truncate(p->line->text, 0);
        g_array_set_size(p->line->spans, 0);
    }
}

static void
add_span(KtTuiLine *l, gsize start, KtTuiAttr attr)
{
    if (attr == KT_TUI_ATTR_NORMAL || l->text->len <= start)
        return;
    KtTuiSpan s = { (guint32)start, (guint32)(l->text->len - start), (guint8)attr };
    if (l->spans->len > 0) {
        KtTuiSpan *last = &g_array_index(l->spans, KtTuiSpan, l->spans->len - 1);
        if (last->attr == s.attr && last->start + last->len == s.start) {
            last->len += s.len;
            return;
        }
    }
    g_array_append_val(l->spans, s);
}

/*
 * Appends @s to @out in at most @w columns; returns the columns used. Unsafe or invalid
 * bytes become '?', non-ASCII becomes '?' without @utf8; text that does not fit ends
 * in an ellipsis.
 */
static int
fit_text(GString *out, const char *s, int w, gboolean utf8)
{
    int total = kt_tui_text_width(s, utf8);
    int limit = total > w ? w - 1 : w;
    int used = 0;
    for (const char *p = s; *p != '\0' && limit > 0;) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        gboolean bad = c == (gunichar)-1 || c == (gunichar)-2;
        int cw = (bad || !utf8 || c < 0x80 || char_unsafe(c)) ? 1 : char_width(c);
        if (used + cw > limit)
            break;
        if (bad || char_unsafe(c) || (!utf8 && c >= 0x80))
            g_string_append_c(out, '?');
        else
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
        used += cw;
        p = bad ? p + 1 : g_utf8_next_char(p);
    }
    if (total > w && w > 0) {
        g_string_append(out, utf8 ? "\xe2\x80\xa6" : "~");
        used++;
    }
    return used;
}

void
kt_tui_put(KtTuiPen *p, const char *s, int w, KtTuiAttr attr, gboolean right)
{
    if (p->line == NULL)
        return;
    int room = p->frame->width - p->col;
    if (w < 0 || w > room)
        w = room;
    if (w <= 0)
        return;
    GString *t = p->line->text;
    gsize start = t->len;
    int pre = 0;
    if (right)
        pre = MAX(w - kt_tui_text_width(s, p->frame->utf8), 0);
    for (int i = 0; i < pre; i++)
        g_string_append_c(t, ' ');
    int used = fit_text(t, s, w - pre, p->frame->utf8);
    for (int i = pre + used; i < w; i++)
        g_string_append_c(t, ' ');
    add_span(p->line, start, attr);
    p->col += w;
}

void
kt_tui_put_safe(KtTuiPen *p, const char *s, int w, KtTuiAttr attr)
{
    g_autoptr(GString) clean = g_string_new(NULL);
    if (s != NULL)
        kt_sanitize_append(clean, s, strlen(s));
    kt_tui_put(p, clean->str, w, attr, FALSE);
}

void
kt_tui_put_log(KtTuiPen *p, const char *s, int w, KtTuiAttr attr)
{
    g_autoptr(GString) clean = g_string_new(NULL);
    if (s != NULL) {
        /* a key quoted in a URL or a user agent is masked like the key itself */
        g_autofree char *redacted = kt_redact_secrets(s, p->frame->reveal);
        kt_sanitize_append(clean, redacted, strlen(redacted));
    }
    kt_tui_put(p, clean->str, w, attr, FALSE);
}

void
kt_tui_putf(KtTuiPen *p, int w, KtTuiAttr attr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    kt_tui_put(p, s, w, attr, FALSE);
}

void
kt_tui_pen_fill(KtTuiPen *p, KtTuiAttr attr)
{
    kt_tui_put(p, "", -1, attr, FALSE);
}

void
kt_tui_line_set_attr(KtTuiFrame *f, int y, KtTuiAttr attr)
{
    if (y < 0 || y >= f->height)
        return;
    KtTuiLine *l = &f->lines[y];
    g_array_set_size(l->spans, 0);
    add_span(l, 0, attr);
}

char *
kt_tui_fmt_time(gint64 ms, gboolean seconds, char *buf)
{
    if (ms == G_MININT64 || ms == G_MAXINT64 || ms <= 0) {
        strcpy(buf, "-");
        return buf;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        strcpy(buf, "-");
        return buf;
    }
    strftime(buf, KT_TUI_TIME_MAX, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
    return buf;
}

char *
kt_tui_fmt_count(guint64 n, char *buf)
{
    if (n >= 100000000ULL) {
        g_snprintf(buf, KT_TUI_NUM_MAX, "%.1fM", (double)n / 1e6);
        return buf;
    }
    char digits[32];
    g_snprintf(digits, sizeof digits, "%" G_GUINT64_FORMAT, n);
    gsize len = strlen(digits), o = 0;
    for (gsize i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

char *
kt_tui_fmt_bytes(gint64 n, char *buf)
{
    if (n < 0)
        strcpy(buf, "-");
    else if (n < 1024)
        g_snprintf(buf, KT_TUI_NUM_MAX, "%" G_GINT64_FORMAT " B", n);
    else if (n < 1024 * 1024)
        g_snprintf(buf, KT_TUI_NUM_MAX, "%.1f KiB", (double)n / 1024);
    else if (n < G_GINT64_CONSTANT(1024) * 1024 * 1024)
        g_snprintf(buf, KT_TUI_NUM_MAX, "%.1f MiB", (double)n / (1024 * 1024));
    else
        g_snprintf(buf, KT_TUI_NUM_MAX, "%.1f GiB", (double)n / (1024 * 1024 * 1024));
    return buf;
}

static const char *const spark_utf8[] = { " ",
                                          "\xe2\x96\x81",
                                          "\xe2\x96\x82",
                                          "\xe2\x96\x83",
                                          "\xe2\x96\x84",
                                          "\xe2\x96\x85",
                                          "\xe2\x96\x86",
                                          "\xe2\x96\x87",
                                          "\xe2\x96\x88" };
static const char spark_ascii[] = " .:-=+*#@";

const char *
kt_tui_spark_glyph(guint level, gboolean utf8)
{
    static char ascii[9][2];
    level = MIN(level, 8u);
    if (utf8)
        return spark_utf8[level];
    ascii[level][0] = spark_ascii[level];
    return ascii[level];
}

static const char *const heat_utf8[] = { " ", "\xe2\x96\x91", "\xe2\x96\x92", "\xe2\x96\x93",
                                         "\xe2\x96\x88" };
static const char *const heat_ascii[] = { " ", ".", ":", "*", "#" };

const char *
kt_tui_heat_glyph(guint level, gboolean utf8)
{
    level = MIN(level, 4u);
    return utf8 ? heat_utf8[level] : heat_ascii[level];
}

guint
kt_tui_level(guint64 v, guint64 max, guint levels)
{
    if (v == 0 || max == 0)
        return 0;
    guint64 l = 1 + (v * (levels - 1)) / max;
    return (guint)MIN(l, (guint64)levels);
}

void
kt_tui_resample(const KtKeyDetail *d, gint64 t0, gint64 t1, guint64 *cols, int n)
{
    memset(cols, 0, sizeof(guint64) * (gsize)n);
    if (d == NULL || d->timeline == NULL || d->timeline->len == 0 || n <= 0)
        return;
    gint64 bucket = MAX(d->timeline_bucket_ms, 1);
    if (t1 <= t0) {
        t0 = d->timeline_start_ms;
        t1 = t0 + bucket * (gint64)d->timeline->len;
    }
    double span = (double)(t1 - t0);
    for (guint b = 0; b < d->timeline->len; b++) {
        guint64 v = g_array_index(d->timeline, guint64, b);
        if (v == 0)
            continue;
        gint64 tb = d->timeline_start_ms + bucket * (gint64)b;
        double pos = span > 0 ? (double)(tb - t0) / span * n : 0;
        int c = (int)CLAMP(pos, 0.0, (double)(n - 1));
        cols[c] += v;
    }
}

void
kt_tui_put_spark(KtTuiPen *p, const guint64 *cols, int n, KtTuiAttr attr)
{
    guint64 max = 0;
    for (int i = 0; i < n; i++)
        max = MAX(max, cols[i]);
    g_autoptr(GString) s = g_string_new(NULL);
    for (int i = 0; i < n; i++)
        g_string_append(s, kt_tui_spark_glyph(kt_tui_level(cols[i], max, 8), p->frame->utf8));
    kt_tui_put(p, s->str, n, attr, FALSE);
}
