/*
 * gzip-bytes.h - gzip members made in memory (GIO's zlib compressor), for the tests of
 * reading gzip (test-ingest.c) and its fuzz target (tests/fuzz/fuzz_gzip.c).
 */
#ifndef KT_TEST_GZIP_BYTES_H
#define KT_TEST_GZIP_BYTES_H

#include <gio/gio.h>

/* Appends @text (@len bytes) to @out as one gzip member. */
static inline void
gzip_append(GByteArray *out, const void *text, gsize len)
{
    GZlibCompressor *z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
    guint8 buf[16384];
    gsize at = 0;
    for (;;) {
        gsize r = 0, w = 0;
        GConverterResult res =
            g_converter_convert(G_CONVERTER(z), (const guint8 *)text + at, len - at, buf,
                                sizeof buf, G_CONVERTER_INPUT_AT_END, &r, &w, NULL);
        at += r;
        g_byte_array_append(out, buf, (guint)w);
        if (res == G_CONVERTER_FINISHED || res == G_CONVERTER_ERROR)
            break;
    }
    g_object_unref(z);
}

#endif
