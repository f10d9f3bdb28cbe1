/*
 * fuzz_cloudtrail.c - libFuzzer target for the cloudtrail format (tests/fuzz/format-harness.h),
 * and a differential check of its splitter: the same input split with the 64-byte element
 * skip and byte by byte (kt_json_splitter_set_simd) must give the same records and rejects.
 */
#include "format-harness.h"

#include "../../src/input/preset.h"

static void
log_rec(gpointer ud, const char *text, gsize len, guint64 index)
{
    g_string_append_printf(ud, "E%" G_GUINT64_FORMAT " %zu:", index, len);
    g_string_append_len(ud, text, (gssize)len);
}

static void
log_rej(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    g_string_append_printf(ud, "R%" G_GUINT64_FORMAT " %d %zu:", line, (int)reason, excerpt.len);
    g_string_append_len(ud, excerpt.ptr, (gssize)excerpt.len);
}

/* (transfer full) The splitter's transcript of @data fed in two blocks cut at @cut. */
static GString *
split(const uint8_t *data, size_t size, size_t cut, guint max_depth, gboolean simd)
{
    GString *out = g_string_new(NULL);
    KtSink sink = { NULL, log_rej, noop_skip, out };
    kt_json_splitter_set_simd(simd);
    KtJsonSplitter *js = kt_json_splitter_new(0, max_depth, log_rec, &sink, out);
    kt_json_splitter_feed(js, (const char *)data, cut);
    kt_json_splitter_feed(js, (const char *)data + cut, size - cut);
    kt_json_splitter_finish(js);
    kt_json_splitter_free(js);
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kt_fuzz_format(&kt_format_cloudtrail, data, size);
    size_t cut = size > 0 ? (data[0] * 131u) % (size + 1) : 0;
    guint max_depth = size > 1 && data[1] % 4 == 0 ? 4 : 0;
    GString *a = split(data, size, cut, max_depth, TRUE);
    GString *b = split(data, size, cut, max_depth, FALSE);
    if (!g_string_equal(a, b))
        abort();
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
    kt_json_splitter_set_simd(TRUE);
    return 0;
}
