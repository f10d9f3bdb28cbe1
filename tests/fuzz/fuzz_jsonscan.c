/*
 * fuzz_jsonscan.c - libFuzzer target for the single-pass JSON extractor: the input (after
 * one mode byte) is scanned with a few paths and a visitor that touches every key and
 * unescapes every string, then emitted as a record through the single-pass path and the
 * cJSON path; the two transcripts must be identical (abort otherwise).
 */
#include <stdio.h>

#include "../../src/input/jsonscan.h"
#include "../../src/input/preset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
put_sv(GString *out, KtStrView v)
{
    if (v.ptr != NULL)
        g_string_append_len(out, v.ptr, (gssize)v.len);
    g_string_append_c(out, '|');
}

static void
col_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    GString *out = ud;
    g_string_append(out, "E|");
    const KtStrView v[] = {ev->key, ev->principal, ev->time_text, ev->source,
                           ev->op,  ev->status,    ev->ua};
    for (gsize i = 0; i < G_N_ELEMENTS(v); i++)
        put_sv(out, v[i]);
    g_string_append_printf(out, "%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%d|%u\n",
                           (ev->flags & KT_EV_TIME_SET) ? ev->time_ms : 0, ev->bytes,
                           ev->status_grpc, ev->flags);
}

static void
col_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    GString *out = ud;
    g_string_append_printf(out, "R|%s|%s|", kt_reject_name(reason), detail ? detail : "");
    put_sv(out, excerpt);
    g_string_append_c(out, '\n');
}

static void
col_skip(gpointer ud, guint64 line)
{
    g_string_append((GString *)ud, "S\n");
}

static gboolean
visit(gpointer ud, guint depth, KtStrView key, const KtJsonValue *v)
{
    volatile unsigned char sum = 0;
    for (gsize i = 0; i < key.len; i++)
        sum ^= (unsigned char)key.ptr[i];
    if (v->type == KT_JSON_STRING) {
        char *out = g_malloc(v->raw.len + 1);
        gsize n = kt_json_unescape(v->raw.ptr, v->raw.len, out);
        if (n > v->raw.len || out[n] != '\0')
            abort();
        g_free(out);
    } else if (v->type == KT_JSON_NUMBER) {
        (void)kt_json_number(v->raw);
    }
    (void)sum;
    return depth < 3;
}

static void
scan_direct(const char *text, gsize len, guint max_depth)
{
    static const char *const paths[] = {"a", "a.b", "userIdentity.accessKeyId", "key.id"};
    KtJsonScan *js = kt_json_scan_new();
    guint ids[G_N_ELEMENTS(paths)];
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_auto(GStrv) segs = g_strsplit(paths[i], ".", -1);
        ids[i] = kt_json_scan_add_path(js, (const char *const *)segs, g_strv_length(segs), i & 1);
    }
    kt_json_scan_set_visitor(js, visit, NULL);
    if (kt_json_scan_run(js, text, len, max_depth) == KT_JSON_OK) {
        for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
            KtJsonValue v;
            if (kt_json_scan_get(js, ids[i], &v) == KT_JSON_PATH_FOUND &&
                (v.raw.ptr < text || v.raw.ptr + v.raw.len > text + len))
                abort();
        }
    }
    kt_json_scan_free(js);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const presets[] = {NULL,          "generic",     "cloudtrail",
                                          "gcp-audit",   "vault-audit", "github-audit"};
    if (size < 2)
        return 0; /* records are never empty (blank lines are skipped before) */
    guint8 mode = data[0];
    /* an exact-size copy, so that reading past the record is caught */
    char *text = g_memdup2(data + 1, size - 1);
    gsize len = size - 1;
    guint max_depth = (mode & 8) ? 1 + (mode >> 4) : KT_MAX_JSON_DEPTH_DEFAULT;
    scan_direct(text, len, max_depth);

    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.preset = presets[(mode & 7) % G_N_ELEMENTS(presets)];
    KtMapper *a = kt_mapper_new(&opts, "generic", NULL);
    KtMapper *b = kt_mapper_new(&opts, "generic", NULL);
    GString *out_a = g_string_new(NULL), *out_b = g_string_new(NULL);
    KtSink sa = {col_event, col_reject, col_skip, out_a};
    KtSink sb = {col_event, col_reject, col_skip, out_b};
    /* twice: the first record may choose the preset through cJSON */
    for (int i = 0; i < 2; i++) {
        kt_json_emit_record(a, &sa, text, len, 1, max_depth);
        kt_json_emit_record_cjson(b, &sb, text, len, 1, max_depth);
    }
    if (!g_string_equal(out_a, out_b)) {
        fprintf(stderr, "single-pass:\n%s\ncJSON:\n%s\n", out_a->str, out_b->str);
        abort();
    }
    g_string_free(out_a, TRUE);
    g_string_free(out_b, TRUE);
    kt_mapper_free(a);
    kt_mapper_free(b);
    g_free(text);
    return 0;
}
