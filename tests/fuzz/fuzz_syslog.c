/*
 * fuzz_syslog.c - libFuzzer target: RFC 5424 lines through the conjur-audit preset (or
 * generic with SD overrides), fed in two blocks; no-op sink.
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
    static KtFieldOverride fo[] = {
        { (char *)"key", (char *)"a@1.k" },
        { (char *)"ua", (char *)"msg" },
        { (char *)"bytes", (char *)"a@1.b" },
    };
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.max_line = 4096;
    g_autoptr(GPtrArray) fields = g_ptr_array_new();
    for (gsize i = 0; i < G_N_ELEMENTS(fo); i++)
        g_ptr_array_add(fields, &fo[i]);
    if (size > 0 && (data[0] & 1)) {
        opts.fields = fields;
        opts.preset = "generic";
    }
    gpointer p = kt_format_syslog.new(&opts, &sink, NULL);
    gsize cut = size > 0 ? data[0] % (size + 1) : 0;
    kt_format_syslog.feed(p, (const char *)data, cut);
    kt_format_syslog.feed(p, (const char *)data + cut, size - cut);
    kt_format_syslog.finish(p);
    kt_format_syslog.free(p);
    kt_format_syslog.sniff((const char *)data, size);
    return 0;
}
