/*
 * fuzz_gzip.c - libFuzzer target: gzip inputs, inflated whole (libdeflate) and a block at
 * a time (GIO's zlib converter, KT_GZ_WHOLE=0), must give the same result, error and
 * records. The first byte chooses what the rest becomes: the file itself (with the gzip
 * magic in front), one member of it, two members, one member cut short, or one member
 * with a byte changed; the rest is the log text compressed.
 */
#include <gio/gio.h>
#include <unistd.h>

#include "keytrail/ingest.h"

#include "../unit/gzip-bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
collect(gpointer ud, const KtRecord *r)
{
    g_array_append_val((GArray *)ud, *r);
}

typedef struct {
    gboolean ok;
    char *error;
    guint64 lines, events, rejected;
    GArray *recs;
} Result;

static Result
run(int fd, const char *whole)
{
    if (whole != NULL)
        g_setenv("KT_GZ_WHOLE", whole, TRUE);
    else
        g_unsetenv("KT_GZ_WHOLE");
    KtIngestOptions opts;
    kt_ingest_options_init(&opts);
    opts.quiet = TRUE;
    Result r = { .recs = g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    KtIngest *in = kt_ingest_new(&opts, NULL, collect, r.recs, NULL);
    lseek(fd, 0, SEEK_SET);
    GError *error = NULL;
    r.ok = kt_ingest_run_fd(in, fd, "f", &error);
    r.error = error != NULL ? g_strdup(error->message) : NULL;
    g_clear_error(&error);
    const KtInputStats *s = g_ptr_array_index(kt_ingest_stats(in), 0);
    r.lines = s->lines;
    r.events = s->events;
    r.rejected = s->rejected;
    kt_ingest_free(in);
    return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        char *path = NULL;
        fd = g_file_open_tmp("kt-fuzz-gz-XXXXXX", &path, NULL);
        if (fd < 0)
            abort();
        unlink(path);
        g_free(path);
    }
    if (size < 3)
        return 0;
    guint mode = data[0] % 5, at = data[1] | (guint)data[2] << 8;
    const guint8 *text = data + 3;
    gsize len = size - 3;
    GByteArray *file = g_byte_array_new();
    switch (mode) {
    case 0: /* the bytes as they are, after the magic */
        g_byte_array_append(file, (const guint8 *)"\x1f\x8b\x08\x00", 4);
        g_byte_array_append(file, text, (guint)len);
        break;
    case 1:
        gzip_append(file, text, len);
        break;
    case 2: /* two members, split at @at */
        gzip_append(file, text, MIN(at, len));
        gzip_append(file, text + MIN(at, len), len - MIN(at, len));
        break;
    case 3: /* cut short at @at */
        gzip_append(file, text, len);
        g_byte_array_set_size(file, MIN(file->len, MAX(at, 2u)));
        break;
    default: /* a byte changed at @at */
        gzip_append(file, text, len);
        file->data[at % file->len] ^= (guint8)(data[1] | 1);
        break;
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, file->data, file->len, 0) != (gssize)file->len)
        abort();
    g_byte_array_free(file, TRUE);
    Result a = run(fd, NULL), b = run(fd, "0");
    if (a.ok != b.ok || g_strcmp0(a.error, b.error) != 0 || a.lines != b.lines ||
        a.events != b.events || a.rejected != b.rejected || a.recs->len != b.recs->len ||
        (a.recs->len > 0 && memcmp(a.recs->data, b.recs->data, a.recs->len * sizeof(KtRecord)) != 0))
        abort();
    g_free(a.error);
    g_free(b.error);
    g_array_free(a.recs, TRUE);
    g_array_free(b.recs, TRUE);
    return 0;
}
