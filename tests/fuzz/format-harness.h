/*
 * format-harness.h - the shared body of the format fuzz targets (fuzz_csv.c,
 * fuzz_jsonl.c, fuzz_cloudtrail.c): the input goes through a format's parser in 1..3
 * blocks (split points taken from the first bytes) with a sink that touches every view;
 * the first byte also picks small limits now and then, to reach the reject paths.
 */
#ifndef KEYTRAIL_FUZZ_FORMAT_HARNESS_H
#define KEYTRAIL_FUZZ_FORMAT_HARNESS_H

#include "keytrail/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
noop_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    /* touch every view so that a bad pointer or length shows up under ASan */
    const KtStrView v[] = {ev->key, ev->principal, ev->time_text, ev->source,
                           ev->op,  ev->status,    ev->ua};
    volatile unsigned char sum = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(v); i++) {
        for (gsize j = 0; v[i].ptr != NULL && j < v[i].len; j++)
            sum ^= (unsigned char)v[i].ptr[j];
    }
    (void)sum;
}

static void
noop_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    volatile unsigned char sum = 0;
    for (gsize j = 0; j < excerpt.len; j++)
        sum ^= (unsigned char)excerpt.ptr[j];
    (void)sum;
}

static void
noop_skip(gpointer ud, guint64 line)
{
}

/* Runs @data through @ops (see the file comment). */
static int
kt_fuzz_format(const KtFormatOps *ops, const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    (void)ops->sniff((const char *)data, size);
    guint8 mode = data[0];
    gsize cut1 = data[1], cut2 = data[2];
    data += 3;
    size -= 3;
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    if (mode & 1) {
        /* not below 80: linesplit.c excerpts 80 bytes of an over-long line */
        opts.max_line = 80 + (mode >> 1);
        opts.max_fields = 1 + (mode >> 4);
        opts.max_json_depth = 1 + (mode >> 5);
    }
    if (mode & 2)
        opts.preset = (mode & 4) ? "vault-audit" : "github-audit";
    KtSink sink = {noop_event, noop_reject, noop_skip, NULL};
    gpointer p = ops->new(&opts, &sink, NULL);
    if (p == NULL)
        abort();
    gsize a = MIN(cut1 * size / 256, size), b = MIN(a + cut2 * (size - a) / 256, size);
    const gsize cuts[] = {0, a, b, size};
    for (gsize i = 0; i < 3; i++) {
        gsize n = cuts[i + 1] - cuts[i];
        if (n == 0)
            continue;
        /* an exact-size copy, so that reading past a block is caught */
        char *block = g_memdup2(data + cuts[i], n);
        ops->feed(p, block, n);
        g_free(block);
    }
    ops->finish(p);
    ops->free(p);
    return 0;
}

#endif
