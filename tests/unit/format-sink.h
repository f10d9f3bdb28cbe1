/*
 * format-sink.h - the collecting sink the format unit tests share (test-csv.c,
 * test-jsonl.c, test-cloudtrail.c): one transcript line per callback, and a runner that
 * feeds a format its input in blocks of any size.
 */
#ifndef KT_TEST_FORMAT_SINK_H
#define KT_TEST_FORMAT_SINK_H

#include "keytrail/format.h"

static void
append_sv(GString *out, const char *name, KtStrView v)
{
    if (v.ptr != NULL)
        g_string_append_printf(out, " %s=%.*s", name, (int)v.len, v.ptr);
}

/* "E<line> key=... time=... ms=... ip=... op=... status=... bytes=... ua=... principal=...
 * [grpc] [temp]": only what the event carries. */
static void
col_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    GString *out = ud;
    g_string_append_printf(out, "E%" G_GUINT64_FORMAT, line);
    append_sv(out, "key", ev->key);
    append_sv(out, "time", ev->time_text);
    if (ev->flags & KT_EV_TIME_SET)
        g_string_append_printf(out, " ms=%" G_GINT64_FORMAT, ev->time_ms);
    append_sv(out, "ip", ev->source);
    append_sv(out, "op", ev->op);
    append_sv(out, "status", ev->status);
    if (ev->bytes >= 0)
        g_string_append_printf(out, " bytes=%" G_GINT64_FORMAT, ev->bytes);
    append_sv(out, "ua", ev->ua);
    append_sv(out, "principal", ev->principal);
    if (ev->status_grpc)
        g_string_append(out, " grpc");
    if (ev->flags & KT_EV_TEMP_KEY)
        g_string_append(out, " temp");
    g_string_append_c(out, '\n');
}

/* "R<line> <reason>"; excerpts are at most 80 bytes. */
static void
col_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    GString *out = ud;
    (void)detail;
    g_assert_true(excerpt.len <= 80);
    g_string_append_printf(out, "R%" G_GUINT64_FORMAT " %s\n", line, kt_reject_name(reason));
}

/* "S<line>" */
static void
col_skip(gpointer ud, guint64 line)
{
    GString *out = ud;
    g_string_append_printf(out, "S%" G_GUINT64_FORMAT "\n", line);
}

/* (transfer full) Runs @data through @fmt in blocks of @block bytes (0 = one block), each
 * block in its own exact-size allocation (so reads past a block are caught by ASan);
 * returns the sink transcript. */
static char *
run_format(const KtFormatOps *fmt, const KtFormatOptions *opts, const char *data, gsize len,
           gsize block)
{
    GString *out = g_string_new(NULL);
    KtSink sink = { col_event, col_reject, col_skip, out };
    g_autoptr(GError) error = NULL;
    gpointer p = fmt->new(opts, &sink, &error);
    g_assert_no_error(error);
    if (block == 0)
        block = MAX(len, 1);
    for (gsize off = 0; off < len; off += block) {
        gsize n = MIN(block, len - off);
        g_autofree char *copy = g_memdup2(data + off, n);
        fmt->feed(p, copy, n);
    }
    fmt->finish(p);
    fmt->free(p);
    return g_string_free(out, FALSE);
}

#endif
