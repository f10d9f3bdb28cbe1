/*
 * format-sink.h - the collecting sink the format unit tests share (test-csv.c,
 * test-jsonl.c, test-cloudtrail.c): one transcript line per callback, a runner that
 * feeds a format its input in blocks of any size, and a random-input check.
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

/* Seeded random bytes, rich in structure characters, through @fmt: no crash, no leak,
 * every callback well-formed (col_reject checks excerpt lengths), and the same transcript
 * whether fed whole or in small blocks. */
static void
check_random_input(const KtFormatOps *fmt)
{
    static const char alphabet[] = "\n\n\"\",,;{}[]:\\ \r\tabcAB01\xff\xc3\x80";
    GRand *r = g_rand_new_with_seed(7);
    for (int round = 0; round < 50; round++) {
        gsize len = (gsize)g_rand_int_range(r, 1, 4096);
        g_autofree char *buf = g_malloc(len);
        for (gsize i = 0; i < len; i++) {
            gint32 pick = g_rand_int_range(r, 0, sizeof(alphabet) - 1);
            buf[i] =
                g_rand_int_range(r, 0, 4) == 0 ? (char)g_rand_int_range(r, 0, 256) : alphabet[pick];
        }
        KtFormatOptions opts;
        kt_format_options_init(&opts);
        if (round % 2) {
            opts.max_line = 100;
            opts.max_json_depth = 3;
            opts.max_fields = 4;
        }
        g_autofree char *whole = run_format(fmt, &opts, buf, len, 0);
        gsize block = (gsize)g_rand_int_range(r, 1, 64);
        g_autofree char *split = run_format(fmt, &opts, buf, len, block);
        g_assert_cmpstr(whole, ==, split);
    }
    g_rand_free(r);
}

#endif
