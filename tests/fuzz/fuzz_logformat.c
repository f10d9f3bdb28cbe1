/*
 * fuzz_logformat.c - libFuzzer target: the web log format-string compiler. The input up
 * to the first newline is the --log-format; the rest is fed as log lines.
 */
#include "keytrail/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ev(gpointer ud, const KtEventView *e, guint64 line)
{
    volatile char sink = 0;
    const KtStrView v[] = { e->key, e->principal, e->time_text, e->source, e->op, e->status, e->ua };
    for (gsize i = 0; i < G_N_ELEMENTS(v); i++) {
        if (v[i].len > 0)
            sink ^= v[i].ptr[0] ^ v[i].ptr[v[i].len - 1];
    }
    (void)sink;
}

static void
rj(gpointer ud, guint64 line, KtReject r, const char *detail, KtStrView excerpt)
{
}

static void
sk(gpointer ud, guint64 line)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const KtSink sink = { ev, rj, sk, NULL };
    static const char sample[] =
        "203.0.113.9 - k [10/Oct/2000:13:55:36 -0700] \"GET /a/1?api_key=x HTTP/1.1\" 200 5 "
        "\"-\" \"ua\"\n2024-07-31T12:36:52Z 192.0.2.1 GET /v1/keys/12345 200 99 svc\n";
    const char *nl = memchr(data, '\n', size);
    gsize flen = nl != NULL ? (gsize)(nl - (const char *)data) : size;
    g_autofree char *fmt = g_strndup((const char *)data, flen);
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.log_format = fmt;
    opts.max_line = 4096;
    GError *error = NULL;
    gpointer p = kt_format_clf.new(&opts, &sink, &error);
    if (p == NULL) {
        g_clear_error(&error);
        return 0;
    }
    kt_format_clf.feed(p, sample, sizeof(sample) - 1);
    if (nl != NULL)
        kt_format_clf.feed(p, nl + 1, size - flen - 1);
    kt_format_clf.finish(p);
    kt_format_clf.free(p);
    return 0;
}
