/*
 * linesplit.c - splits a byte stream into lines for the line-based formats (input
 * stage). Complete lines inside a block are passed without copying; only a line that
 * straddles two blocks is assembled in a carry buffer. Lines over the limit are
 * rejected and their excess is dropped, never buffered.
 */
#include "linesplit.h"

KtLineSplitter *
kt_line_splitter_new(gsize max_line, KtLineFn fn, const KtSink *sink, gpointer ud)
{
    KtLineSplitter *ls = g_new0(KtLineSplitter, 1);
    ls->max_line = max_line ? max_line : KT_MAX_LINE_DEFAULT;
    ls->fn = fn;
    ls->sink = sink;
    ls->ud = ud;
    ls->carry = g_string_sized_new(4096);
    return ls;
}

void
kt_line_splitter_free(KtLineSplitter *ls)
{
    if (ls == NULL)
        return;
    g_string_free(ls->carry, TRUE);
    g_free(ls);
}

static void
deliver(KtLineSplitter *ls, const char *line, gsize len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    ls->fn(ls->ud, line, len, ls->lineno);
}

static void
reject_long(KtLineSplitter *ls, const char *start)
{
    ls->sink->reject(ls->sink->ud, ls->lineno, KT_REJECT_TOO_LONG, "line longer than --max-line",
                     kt_sv_len(start, MIN((gsize)80, ls->carry->len)));
}

/* Forgets what was looked for in the block before (a new block, or none). */
static void
forget_facts(KtLineSplitter *ls)
{
    ls->n_facts = 0;
    memset(ls->known, 0, sizeof(ls->known));
    memset(ls->absent, 0, sizeof(ls->absent));
}

/* The bytes [@p, @end) of a line that goes on in the next block: kept in the carry
 * buffer, or, past the limit, rejected and the rest of the line skipped. */
static void
keep_rest(KtLineSplitter *ls, const char *p, const char *end)
{
    if (ls->skipping)
        return;
    gsize add = (gsize)(end - p);
    if (ls->carry->len + add > ls->max_line) {
        ls->lineno++;
        g_string_append_len(ls->carry, p, (gssize)MIN(add, (gsize)80));
        reject_long(ls, ls->carry->str);
        g_string_truncate(ls->carry, 0);
        ls->skipping = TRUE;
    } else {
        g_string_append_len(ls->carry, p, (gssize)add);
    }
}

/* Ends the line the previous blocks began (carried or being skipped) at the first
 * newline from @p; returns the byte after it, NULL when the block has none. */
static const char *
end_pending(KtLineSplitter *ls, const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (gsize)(end - p));
    if (nl == NULL) {
        keep_rest(ls, p, end);
        return NULL;
    }
    gsize seg = (gsize)(nl - p);
    if (ls->skipping) {
        ls->skipping = FALSE; /* the over-long line ends here; already counted */
        return nl + 1;
    }
    ls->lineno++;
    if (ls->carry->len + seg > ls->max_line) {
        g_string_append_len(ls->carry, p, (gssize)MIN(seg, (gsize)80));
        reject_long(ls, ls->carry->str);
    } else {
        g_string_append_len(ls->carry, p, (gssize)seg);
        deliver(ls, ls->carry->str, ls->carry->len);
    }
    g_string_truncate(ls->carry, 0);
    return nl + 1;
}

void
kt_line_splitter_feed(KtLineSplitter *ls, const char *buf, gsize len)
{
    const char *p = buf, *end = buf + len, *nl;
    ls->block = (guintptr)buf;
    ls->block_end = (guintptr)end;
    forget_facts(ls);
    if ((ls->skipping || ls->carry->len > 0) && len > 0) {
        p = end_pending(ls, p, end);
        if (p == NULL)
            return;
    }
    /* the lines wholly inside the block, passed in place */
    while (p < end && (nl = memchr(p, '\n', (gsize)(end - p))) != NULL) {
        gsize seg = (gsize)(nl - p);
        ls->lineno++;
        if (seg > ls->max_line) {
            ls->sink->reject(ls->sink->ud, ls->lineno, KT_REJECT_TOO_LONG,
                             "line longer than --max-line", kt_sv_len(p, MIN(seg, (gsize)80)));
        } else {
            deliver(ls, p, seg);
        }
        p = nl + 1;
    }
    if (p < end)
        keep_rest(ls, p, end);
}

gboolean
kt_line_splitter_finish(KtLineSplitter *ls)
{
    if (ls->skipping) {
        ls->skipping = FALSE;
        return FALSE;
    }
    if (ls->carry->len == 0)
        return FALSE;
    ls->block = ls->block_end = 0; /* the last block may be gone: scan the line itself */
    forget_facts(ls);
    ls->lineno++;
    ls->at_eof = TRUE;
    deliver(ls, ls->carry->str, ls->carry->len);
    ls->at_eof = FALSE;
    g_string_truncate(ls->carry, 0);
    return TRUE;
}

gboolean
kt_line_splitter_line_has_slow(KtLineSplitter *ls, const char *line, gsize len, char byte)
{
    guintptr at = (guintptr)line;
    if (len == 0)
        return FALSE;
    if (at < ls->block || at > ls->block_end || len > ls->block_end - at)
        return memchr(line, byte, len) != NULL; /* assembled in the carry buffer */
    guint b = (guint8)byte;
    guint64 bit = G_GUINT64_CONSTANT(1) << (b % 64);
    if ((ls->known[b / 64] & bit) == 0) {
        if (ls->n_facts == KT_LS_FACTS)
            return memchr(line, byte, len) != NULL;
        ls->n_facts++;
        ls->known[b / 64] |= bit;
        if (memchr((const char *)ls->block, byte, ls->block_end - ls->block) == NULL)
            ls->absent[b / 64] |= bit;
    }
    return (ls->absent[b / 64] & bit) == 0 && memchr(line, byte, len) != NULL;
}

gboolean
kt_line_splitter_at_eof(const KtLineSplitter *ls)
{
    return ls->at_eof;
}
