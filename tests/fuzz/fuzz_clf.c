/*
 * fuzz_clf.c - libFuzzer target: web access log lines (combined preset, key from a
 * query parameter) fed in two blocks split at a data-dependent offset; no-op sink.
 */
#include "keytrail/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ev(gpointer ud, const KtEventView *e, guint64 line)
{
    /* touch every view so ASan sees out-of-bounds ones */
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
    static KtFieldOverride key = { (char *)"key", (char *)"query:api_key" };
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.max_line = 4096;
    g_autoptr(GPtrArray) fields = g_ptr_array_new();
    g_ptr_array_add(fields, &key);
    opts.fields = size > 0 && (data[0] & 1) ? fields : NULL;
    gpointer p = kt_format_clf.new(&opts, &sink, NULL);
    gsize cut = size > 0 ? data[0] % (size + 1) : 0;
    kt_format_clf.feed(p, (const char *)data, cut);
    kt_format_clf.feed(p, (const char *)data + cut, size - cut);
    kt_format_clf.finish(p);
    kt_format_clf.free(p);
    kt_format_clf.sniff((const char *)data, size);
    return 0;
}
