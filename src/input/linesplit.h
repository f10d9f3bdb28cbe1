/*
 * linesplit.h - private to the line-based formats (input stage): what the line splitter
 * knows about the block a line came from, so that a format need not scan each line for
 * a byte the whole block lacks.
 */
#ifndef KEYTRAIL_LINESPLIT_H
#define KEYTRAIL_LINESPLIT_H

#include "keytrail/format.h"

#define KT_LS_FACTS 4 /* bytes whose absence from the current block is remembered */

/* The splitter; its fields are here for the inline kt_line_splitter_line_has(). */
struct _KtLineSplitter {
    gsize max_line;      /* longest accepted line, bytes */
    KtLineFn fn;         /* receives each line */
    const KtSink *sink;  /* for too-long rejects */
    gpointer ud;         /* passed to fn */
    GString *carry;      /* start of a line that continues in the next block */
    guint64 lineno;      /* lines completed so far */
    gboolean skipping;   /* inside an over-long line: drop until newline */
    gboolean at_eof;     /* the line being delivered has no newline */
    guintptr block, block_end; /* the block being split: [block, block_end) */
    guint n_facts;       /* bytes looked for in the whole block (at most KT_LS_FACTS) */
    guint64 known[4];    /* a bit per byte value: looked for in the block ... */
    guint64 absent[4];   /* ... and not found there */
};

/* kt_line_splitter_line_has() without its quick answer. */
gboolean kt_line_splitter_line_has_slow(KtLineSplitter *ls, const char *line, gsize len,
                                        char byte);

/* TRUE when the @len bytes at @line (a line passed to the splitter's callback) contain
 * @byte. Answers from one memchr over the block being split when the line lies inside
 * it and the block lacks @byte; scans the line otherwise (a line assembled from two
 * blocks, or a block that has the byte). Never reads outside the line or the block.
 * Inline for the question asked of every line once the block's fact is known. */
static inline gboolean
kt_line_splitter_line_has(KtLineSplitter *ls, const char *line, gsize len, char byte)
{
    guintptr at = (guintptr)line;
    guint b = (guint8)byte;
    if ((ls->absent[b / 64] >> (b % 64) & 1) != 0 && at >= ls->block && at <= ls->block_end &&
        len <= ls->block_end - at)
        return FALSE;
    return kt_line_splitter_line_has_slow(ls, line, len, byte);
}

#endif
