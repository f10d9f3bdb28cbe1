/*
 * test-cursor.c - watch cursors: each rotation case (append, rename rotation, rotation
 * with compression, copytruncate, new and removed files in a directory, a copy being
 * compressed) run through a line-counting reader with the state saved and loaded
 * between runs: every complete line is read exactly once, partial lines wait.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "keytrail/state.h"

typedef struct {
    char *dir;
    char *state;
    GHashTable *seen;   /* line -> times read */
    GPtrArray *written; /* every complete line written, char* */
    int next;           /* next line number */
} Fixture;

static void
fx_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    fx->dir = g_dir_make_tmp("kt-cursor-XXXXXX", &error);
    g_assert_no_error(error);
    fx->state = g_build_filename(fx->dir, "state.json", NULL);
    fx->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    fx->written = g_ptr_array_new_with_free_func(g_free);
}

static void
rm_rf(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            rm_rf(p);
        else
            g_unlink(p);
    }
    g_rmdir(dir);
}

static void
fx_teardown(Fixture *fx, gconstpointer data)
{
    rm_rf(fx->dir);
    g_free(fx->dir);
    g_free(fx->state);
    g_hash_table_unref(fx->seen);
    g_ptr_array_unref(fx->written);
}

static char *
in_dir(Fixture *fx, const char *name)
{
    return g_build_filename(fx->dir, name, NULL);
}

/* Appends @n numbered lines to @name, then @partial (nullable) without a newline. */
static void
append(Fixture *fx, const char *name, int n, const char *partial)
{
    g_autofree char *path = in_dir(fx, name);
    FILE *f = fopen(path, "a");
    g_assert_nonnull(f);
    for (int i = 0; i < n; i++) {
        char *line = g_strdup_printf("line %d of %s", fx->next++, name);
        fprintf(f, "%s\n", line);
        g_ptr_array_add(fx->written, line);
    }
    if (partial != NULL)
        fputs(partial, f);
    fclose(f);
}

/* Ends a partial line written by append(): counts it as written. */
static void
finish_partial(Fixture *fx, const char *name, const char *partial)
{
    g_autofree char *path = in_dir(fx, name);
    FILE *f = fopen(path, "a");
    g_assert_nonnull(f);
    fputs("\n", f);
    fclose(f);
    g_ptr_array_add(fx->written, g_strdup(partial));
}

static void
move(Fixture *fx, const char *from, const char *to)
{
    g_autofree char *a = in_dir(fx, from);
    g_autofree char *b = in_dir(fx, to);
    g_assert_cmpint(g_rename(a, b), ==, 0);
}

/* gzip @from into @to and remove @from (like logrotate's compress). */
static void
compress(Fixture *fx, const char *from, const char *to)
{
    g_autofree char *a = in_dir(fx, from);
    g_autofree char *b = in_dir(fx, to);
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(a, &data, &len, &error));
    g_autoptr(GZlibCompressor) comp = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
    g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable();
    g_autoptr(GOutputStream) conv = g_converter_output_stream_new(mem, G_CONVERTER(comp));
    g_assert_true(g_output_stream_write_all(conv, data, len, NULL, NULL, &error));
    g_assert_true(g_output_stream_close(conv, NULL, &error));
    GMemoryOutputStream *m = G_MEMORY_OUTPUT_STREAM(mem);
    g_assert_true(g_file_set_contents(b, g_memory_output_stream_get_data(m),
                                      (gssize)g_memory_output_stream_get_data_size(m), &error));
    g_assert_cmpint(g_unlink(a), ==, 0);
}

/* copytruncate: copy @from to @to, then truncate @from in place. */
static void
copytruncate(Fixture *fx, const char *from, const char *to)
{
    g_autofree char *a = in_dir(fx, from);
    g_autofree char *b = in_dir(fx, to);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(a, &data, &len, NULL));
    g_assert_true(g_file_set_contents(b, data, (gssize)len, NULL));
    g_assert_cmpint(truncate(a, 0), ==, 0);
}

/* Counts the complete lines of @data. */
static guint64
count_lines(Fixture *fx, const char *data, gsize len)
{
    gsize start = 0, end = 0;
    for (gsize i = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        char *line = g_strndup(data + start, i - start);
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(fx->seen, line));
        g_hash_table_replace(fx->seen, line, GUINT_TO_POINTER(n + 1));
        start = end = i + 1;
    }
    return end;
}

/* The reader: complete lines from @offset (whole gzip files), like ingest with
 * hold_partial. */
static gboolean
reader(gpointer ud, const char *path, guint64 offset, guint64 *end_offset, gint64 *last_ts,
       GError **error)
{
    Fixture *fx = ud;
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, error))
        return FALSE;
    if (len >= 2 && (guchar)data[0] == 0x1f && (guchar)data[1] == 0x8b) {
        g_assert_cmpuint(offset, ==, 0);
        g_autoptr(GZlibDecompressor) dec = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
        g_autoptr(GInputStream) mem = g_memory_input_stream_new_from_data(data, (gssize)len, NULL);
        g_autoptr(GInputStream) conv = g_converter_input_stream_new(mem, G_CONVERTER(dec));
        g_autoptr(GByteArray) out = g_byte_array_new();
        guint8 buf[4096];
        gssize n;
        while ((n = g_input_stream_read(conv, buf, sizeof buf, NULL, error)) > 0)
            g_byte_array_append(out, buf, (guint)n);
        g_assert_cmpint(n, ==, 0);
        *end_offset = count_lines(fx, (const char *)out->data, out->len);
        *last_ts = 1000;
        return TRUE;
    }
    g_assert_cmpuint(offset, <=, len);
    *end_offset = offset + count_lines(fx, data + offset, len - offset);
    *last_ts = 1000 + (gint64)*end_offset;
    return TRUE;
}

/* One watch run over @inputs (names in the fixture directory, NULL-terminated): load the
 * state, plan, read, save. Returns the number of dropped cursors. */
static guint
run(Fixture *fx, const char *const *inputs)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtState) st = kt_state_load(fx->state, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    for (gsize i = 0; inputs[i] != NULL; i++)
        g_ptr_array_add(paths, in_dir(fx, inputs[i]));
    g_ptr_array_add(paths, NULL);
    g_autoptr(KtCursorPlan) plan =
        kt_cursor_plan(kt_state_cursors(st), (const char *const *)paths->pdata, &error);
    g_assert_no_error(error);
    g_assert_true(kt_cursor_plan_run(plan, reader, fx, 1000, &error));
    g_assert_no_error(error);
    kt_state_set_cursors(st, plan->cursors);
    g_assert_true(kt_state_save(st, &error));
    return plan->dropped->len;
}

/* Every line written so far was read exactly once, and nothing else was read. */
static void
assert_exactly_once(Fixture *fx)
{
    for (guint i = 0; i < fx->written->len; i++) {
        const char *line = fx->written->pdata[i];
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(fx->seen, line));
        if (n != 1)
            g_test_message("'%s' read %u times", line, n);
        g_assert_cmpuint(n, ==, 1);
    }
    g_assert_cmpuint(g_hash_table_size(fx->seen), ==, fx->written->len);
}

static const char *const app_log[] = { "app.log", NULL };

static void
test_append(Fixture *fx, gconstpointer data)
{
    append(fx, "app.log", 10, NULL);
    run(fx, app_log);
    assert_exactly_once(fx);
    append(fx, "app.log", 5, "partial one");
    run(fx, app_log);
    assert_exactly_once(fx); /* the partial line waits */
    run(fx, app_log);
    assert_exactly_once(fx);
    finish_partial(fx, "app.log", "partial one");
    append(fx, "app.log", 2, NULL);
    run(fx, app_log);
    assert_exactly_once(fx);
    g_assert_cmpuint(fx->written->len, ==, 18);
}

/* app.log -> app.log.1 -> app.log.2.gz, with lines written to the old file before the
 * writer reopened, and the partial last line of a rotated file read once compressed. */
static void
test_rename_rotation(Fixture *fx, gconstpointer data)
{
    append(fx, "app.log", 10, NULL);
    run(fx, app_log);
    append(fx, "app.log", 3, NULL); /* unread when rotated */
    move(fx, "app.log", "app.log.1");
    append(fx, "app.log", 4, NULL);
    run(fx, app_log);
    assert_exactly_once(fx);

    append(fx, "app.log", 2, "last words");
    move(fx, "app.log.1", "app.log.2");
    compress(fx, "app.log.2", "app.log.2.gz");
    move(fx, "app.log", "app.log.1");
    append(fx, "app.log", 3, NULL);
    run(fx, app_log);
    assert_exactly_once(fx); /* "last words" still waits in app.log.1 */

    move(fx, "app.log.2.gz", "app.log.3.gz");
    move(fx, "app.log.1", "app.log.2");
    compress(fx, "app.log.2", "app.log.2.gz");
    g_ptr_array_add(fx->written, g_strdup("last words")); /* complete once compressed */
    move(fx, "app.log", "app.log.1");
    append(fx, "app.log", 1, NULL);
    run(fx, app_log);
    assert_exactly_once(fx);
    run(fx, app_log);
    assert_exactly_once(fx);
}

/* Rotated and compressed between two runs (no delaycompress): the unread tail is read
 * from inside the .gz, found by the fingerprint of its decompressed start. */
static void
test_rotated_compressed(Fixture *fx, gconstpointer data)
{
    append(fx, "app.log", 100, NULL);
    run(fx, app_log);
    append(fx, "app.log", 7, NULL);
    move(fx, "app.log", "app.log.1");
    compress(fx, "app.log.1", "app.log.1.gz");
    append(fx, "app.log", 5, NULL);
    run(fx, app_log);
    assert_exactly_once(fx);
    move(fx, "app.log.1.gz", "app.log.2.gz");
    run(fx, app_log);
    assert_exactly_once(fx);
}

/* copytruncate: the tail is finished from the copy, the truncated file is read from 0;
 * also when the file grew past the old offset again before the run. */
static void
test_copytruncate(Fixture *fx, gconstpointer data)
{
    append(fx, "app.log", 10, NULL);
    run(fx, app_log);
    append(fx, "app.log", 3, NULL);
    copytruncate(fx, "app.log", "app.log.1");
    append(fx, "app.log", 2, NULL);
    run(fx, app_log);
    assert_exactly_once(fx);
    run(fx, app_log);
    assert_exactly_once(fx);

    append(fx, "app.log", 1, NULL);
    run(fx, app_log);
    append(fx, "app.log", 4, NULL);
    move(fx, "app.log.1", "app.log.2");
    copytruncate(fx, "app.log", "app.log.1");
    append(fx, "app.log", 40, NULL); /* longer than before: only the fingerprint tells */
    run(fx, app_log);
    assert_exactly_once(fx);
}

/* CloudTrail-style directory: new hourly files (plain and gzip) are read once; removed
 * files drop their cursor. */
static void
test_directory(Fixture *fx, gconstpointer data)
{
    g_autofree char *sub = in_dir(fx, "trail");
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    const char *const trail[] = { "trail", NULL };
    append(fx, "trail/h01.json", 3, NULL);
    g_assert_cmpuint(run(fx, trail), ==, 0);
    assert_exactly_once(fx);
    append(fx, "trail/h02.json", 4, NULL);
    append(fx, "trail/h03.json", 5, NULL);
    compress(fx, "trail/h03.json", "trail/h03.json.gz");
    run(fx, trail);
    assert_exactly_once(fx);
    run(fx, trail);
    assert_exactly_once(fx);
    g_autofree char *h1 = in_dir(fx, "trail/h01.json");
    g_assert_cmpint(g_unlink(h1), ==, 0);
    g_assert_cmpuint(run(fx, trail), ==, 1);
    g_autoptr(KtState) st = kt_state_load(fx->state, NULL);
    g_assert_cmpuint(kt_state_cursors(st)->len, ==, 2);
    append(fx, "trail/h02.json", 1, NULL);
    run(fx, trail);
    assert_exactly_once(fx);
}

/* In a watched directory, a rotated file is compressed while the original still exists
 * (compression in progress): the copy is not read until the original is gone. */
static void
test_compress_in_progress(Fixture *fx, gconstpointer data)
{
    g_autofree char *sub = in_dir(fx, "logs");
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    const char *const logs[] = { "logs", NULL };
    append(fx, "logs/app.log", 20, NULL);
    run(fx, logs);
    move(fx, "logs/app.log", "logs/app.log.1");
    append(fx, "logs/app.log", 2, NULL);
    run(fx, logs);
    /* gzip -k: both exist for a moment */
    g_autofree char *plain = in_dir(fx, "logs/app.log.1");
    g_autofree char *keep = in_dir(fx, "logs/keep");
    g_assert_cmpint(link(plain, keep), ==, 0);
    compress(fx, "logs/app.log.1", "logs/app.log.1.gz");
    move(fx, "logs/keep", "logs/app.log.1");
    run(fx, logs);
    assert_exactly_once(fx);
    g_assert_cmpint(g_unlink(plain), ==, 0);
    g_assert_cmpuint(run(fx, logs), ==, 0);
    assert_exactly_once(fx);
}

/* A file deleted and recreated with other content under the same name is new. */
static void
test_recreated(Fixture *fx, gconstpointer data)
{
    append(fx, "app.log", 30, NULL);
    run(fx, app_log);
    g_autofree char *p = in_dir(fx, "app.log");
    g_assert_cmpint(g_unlink(p), ==, 0);
    append(fx, "app.log", 50, NULL);
    run(fx, app_log);
    assert_exactly_once(fx);
}

static void
add(const char *name, void (*fn)(Fixture *, gconstpointer))
{
    g_test_add(name, Fixture, NULL, fx_setup, fn, fx_teardown);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    add("/cursor/append", test_append);
    add("/cursor/rotate/rename", test_rename_rotation);
    add("/cursor/rotate/compressed", test_rotated_compressed);
    add("/cursor/rotate/copytruncate", test_copytruncate);
    add("/cursor/directory/new-and-removed", test_directory);
    add("/cursor/directory/compress-in-progress", test_compress_in_progress);
    add("/cursor/recreated", test_recreated);
    return g_test_run();
}
