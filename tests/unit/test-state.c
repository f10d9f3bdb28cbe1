/*
 * test-state.c - the watch state file: round trip, atomic write and mode 0600, checksum,
 * corrupt and newer files refused and left unchanged, symbolic links refused, lock
 * contention, saves killed with SIGKILL at random moments, and the alert outbox (ids,
 * old states, the alerts file's tail, --exec hooks and their timeout).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "keytrail/state.h"

typedef struct {
    char *dir;
    char *path;
} Fixture;

static void
fx_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    fx->dir = g_dir_make_tmp("kt-state-XXXXXX", &error);
    g_assert_no_error(error);
    fx->path = g_build_filename(fx->dir, "watch.state", NULL);
}

static void
rm_rf(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

static void
fx_teardown(Fixture *fx, gconstpointer data)
{
    rm_rf(fx->dir);
    g_free(fx->dir);
    g_free(fx->path);
}

/* A state with one cursor, an engine object and one alerted entry marked @tag. */
static KtState *
sample_state(const char *path, int tag)
{
    KtState *st = kt_state_new(path);
    g_autoptr(GPtrArray) cursors = g_ptr_array_new_with_free_func((GDestroyNotify)kt_cursor_free);
    KtCursor *c = kt_cursor_new("/var/log/app.log");
    c->dev = 2049;
    c->inode = G_GUINT64_CONSTANT(18446744073709551557); /* beyond 2^53: kept exactly */
    c->size = 1234;
    c->offset = 1200;
    c->fp_len = 5;
    memset(c->fingerprint, 'a', 64);
    c->last_ts = G_GINT64_CONSTANT(1722429412000);
    g_ptr_array_add(cursors, c);
    kt_state_set_cursors(st, cursors);
    cJSON *engine = cJSON_CreateObject();
    cJSON_AddNumberToObject(engine, "tag", tag);
    cJSON_AddStringToObject(engine, "ua", "caf\xc3\xa9 \x01 \"quoted\"");
    kt_state_set_engine(st, engine);
    cJSON_AddNumberToObject(kt_state_alerted(st), "abc", 1.5);
    return st;
}

static char *
read_text(const char *path)
{
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void
write_text(const char *path, const char *text)
{
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, text, -1, &error);
    g_assert_no_error(error);
}

static void
test_roundtrip(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtState) st = sample_state(fx->path, 7);
    g_assert_true(kt_state_save(st, &error));
    g_assert_no_error(error);

    struct stat sb;
    g_assert_cmpint(stat(fx->path, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);

    g_autoptr(KtState) back = kt_state_load(fx->path, &error);
    g_assert_no_error(error);
    g_assert_true(kt_state_existed(back));
    GPtrArray *cursors = kt_state_cursors(back);
    g_assert_cmpuint(cursors->len, ==, 1);
    const KtCursor *c = cursors->pdata[0];
    g_assert_cmpstr(c->path, ==, "/var/log/app.log");
    g_assert_cmpuint(c->inode, ==, G_GUINT64_CONSTANT(18446744073709551557));
    g_assert_cmpuint(c->dev, ==, 2049);
    g_assert_cmpuint(c->offset, ==, 1200);
    g_assert_cmpuint(c->fp_len, ==, 5);
    g_assert_cmpint(c->last_ts, ==, G_GINT64_CONSTANT(1722429412000));
    const cJSON *engine = kt_state_engine(back);
    g_assert_nonnull(engine);
    g_assert_cmpint(cJSON_GetObjectItem(engine, "tag")->valueint, ==, 7);
    g_assert_cmpstr(cJSON_GetObjectItem(engine, "ua")->valuestring, ==,
                    "caf\xc3\xa9 \x01 \"quoted\"");
    g_assert_nonnull(cJSON_GetObjectItem(kt_state_alerted(back), "abc"));

    /* saving what was loaded gives the same bytes: the canonical body is stable */
    g_autofree char *first = read_text(fx->path);
    g_assert_true(kt_state_save(back, &error));
    g_autofree char *second = read_text(fx->path);
    g_assert_cmpstr(first, ==, second);
}

static void
test_missing(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtState) st = kt_state_load(fx->path, &error);
    g_assert_no_error(error);
    g_assert_false(kt_state_existed(st));
    g_assert_cmpuint(kt_state_cursors(st)->len, ==, 0);
    g_assert_null(kt_state_engine(st));
}

/* No temporary files are left next to the state, and an existing file is replaced. */
static void
test_atomic(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    write_text(fx->path, "old");
    g_assert_cmpint(chmod(fx->path, 0644), ==, 0);
    g_autoptr(KtState) st = sample_state(fx->path, 1);
    g_assert_true(kt_state_save(st, &error));
    g_assert_no_error(error);
    g_autoptr(GDir) d = g_dir_open(fx->dir, 0, NULL);
    const char *name;
    int n = 0;
    while ((name = g_dir_read_name(d)) != NULL) {
        g_assert_cmpstr(name, ==, "watch.state");
        n++;
    }
    g_assert_cmpint(n, ==, 1);
    struct stat sb;
    g_assert_cmpint(stat(fx->path, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
    g_autofree char *text = read_text(fx->path);
    g_assert_true(g_str_has_prefix(text, "{\"format\":\"keytrail-state\",\"version\":1,"));
    g_assert_nonnull(strstr(text, "\"checksum\":\""));
}

/* Loads @fx->path expecting @code, and checks the file was not touched. */
static void
expect_refused(Fixture *fx, int code, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = read_text(fx->path);
    g_autoptr(KtState) st = kt_state_load(fx->path, &error);
    g_assert_null(st);
    g_assert_error(error, KT_ERROR, code);
    g_assert_nonnull(strstr(error->message, fx->path));
    g_assert_nonnull(strstr(error->message, needle));
    g_autofree char *after = read_text(fx->path);
    g_assert_cmpstr(before, ==, after);
}

static void
test_corrupt_json(Fixture *fx, gconstpointer data)
{
    write_text(fx->path, "{\"format\":\"keytrail-state\",\"version\":1,\"curs");
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "Move it away");
    write_text(fx->path, "");
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "empty");
    g_autoptr(KtState) st = sample_state(fx->path, 1);
    g_assert_true(kt_state_save(st, NULL));
    g_autofree char *good = read_text(fx->path);
    g_autofree char *trailer = g_strconcat(good, "garbage", NULL);
    write_text(fx->path, trailer);
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "not valid JSON");
    write_text(fx->path, "[1,2]");
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "not a JSON object");
    write_text(fx->path, "{\"format\":\"other\",\"version\":1}");
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "not a keytrail state");
}

static void
test_checksum(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtState) st = sample_state(fx->path, 3);
    g_assert_true(kt_state_save(st, &error));
    g_autofree char *text = read_text(fx->path);
    char *at = strstr(text, "\"offset\":1200");
    g_assert_nonnull(at);
    at[10] = '3'; /* 1200 -> 1300: one edited digit */
    write_text(fx->path, text);
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "checksum mismatch");

    /* a missing checksum is damage too */
    char *sum = strstr(text, ",\"checksum\"");
    g_assert_nonnull(sum);
    strcpy(sum, "}");
    write_text(fx->path, text);
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "checksum");
}

/* A well-formed, correctly checksummed state of version 2 (from a future keytrail). */
static void
test_newer(Fixture *fx, gconstpointer data)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "format", KT_STATE_FORMAT);
    cJSON_AddNumberToObject(doc, "version", 2);
    cJSON_AddStringToObject(doc, "written_by", "keytrail 9.0.0");
    cJSON_AddArrayToObject(doc, "cursors");
    char *body = cJSON_PrintUnformatted(doc);
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, body, -1);
    cJSON_AddStringToObject(doc, "checksum", sum);
    char *text = cJSON_PrintUnformatted(doc);
    write_text(fx->path, text);
    cJSON_free(body);
    cJSON_free(text);
    cJSON_Delete(doc);
    expect_refused(fx, KT_ERROR_STATE_VERSION, "keytrail 9.0.0");
}

static void
test_symlink(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *target = g_build_filename(fx->dir, "victim", NULL);
    write_text(target, "precious");
    g_assert_cmpint(symlink(target, fx->path), ==, 0);

    g_autoptr(KtState) loaded = kt_state_load(fx->path, &error);
    g_assert_null(loaded);
    g_assert_error(error, KT_ERROR, KT_ERROR_IO);
    g_assert_nonnull(strstr(error->message, "symbolic link"));
    g_clear_error(&error);

    g_autoptr(KtState) st = sample_state(fx->path, 1);
    g_assert_false(kt_state_save(st, &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_IO);
    g_autofree char *after = read_text(target);
    g_assert_cmpstr(after, ==, "precious");
    struct stat sb;
    g_assert_cmpint(lstat(fx->path, &sb), ==, 0);
    g_assert_true(S_ISLNK(sb.st_mode));
    g_clear_error(&error);

    /* a planted lock symlink is refused as well */
    g_autofree char *lock = g_strconcat(fx->path, ".lock", NULL);
    g_assert_cmpint(symlink(target, lock), ==, 0);
    KtStateLock *l = kt_state_lock(fx->path, 0, &error);
    g_assert_null(l);
    g_assert_error(error, KT_ERROR, KT_ERROR_IO);
    g_autofree char *again = read_text(target);
    g_assert_cmpstr(again, ==, "precious");
}

/* A child process holds the lock; the parent is refused with the child's pid, waits in
 * vain for a bounded time, and gets the lock once the child is gone. */
static void
test_lock(Fixture *fx, gconstpointer data)
{
    int ready[2], release[2];
    g_assert_cmpint(pipe(ready), ==, 0);
    g_assert_cmpint(pipe(release), ==, 0);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        KtStateLock *l = kt_state_lock(fx->path, 0, NULL);
        char c = l != NULL ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || read(release[0], &c, 1) < 0)
            _exit(2);
        kt_state_unlock(l);
        _exit(0);
    }
    char c = 0;
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    g_assert_cmpint(c, ==, 'y');

    g_autoptr(GError) error = NULL;
    KtStateLock *l = kt_state_lock(fx->path, 0, &error);
    g_assert_null(l);
    g_assert_error(error, KT_ERROR, KT_ERROR_LOCKED);
    g_autofree char *who = g_strdup_printf("process %ld", (long)pid);
    g_assert_nonnull(strstr(error->message, who));
    g_clear_error(&error);
    l = kt_state_lock(fx->path, 1, &error); /* waits about a second, still held */
    g_assert_null(l);
    g_assert_error(error, KT_ERROR, KT_ERROR_LOCKED);
    g_clear_error(&error);

    g_assert_cmpint(write(release[1], "x", 1), ==, 1);
    l = kt_state_lock(fx->path, -1, &error); /* waits until the child lets go */
    g_assert_no_error(error);
    g_assert_nonnull(l);
    int status = 0;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct stat sb;
    g_autofree char *lock = g_strconcat(fx->path, ".lock", NULL);
    g_assert_cmpint(stat(lock, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
    kt_state_unlock(l);
    for (int i = 0; i < 2; i++) {
        close(ready[i]);
        close(release[i]);
    }
}

/* Children save two different states in a loop and are killed at random moments: the
 * file is always one complete state or the other, never a mix. */
static void
test_kill(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtState) first = sample_state(fx->path, 0);
    g_assert_true(kt_state_save(first, &error));
    int rounds = g_test_slow() ? 200 : 40;
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
            for (int n = 0;; n++) {
                KtState *st = sample_state(fx->path, 1 + n % 2);
                if (!kt_state_save(st, NULL))
                    _exit(3);
                kt_state_free(st);
            }
        }
        g_usleep((gulong)g_test_rand_int_range(0, 20000));
        kill(pid, SIGKILL);
        int status = 0;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFSIGNALED(status));
        g_autoptr(KtState) st = kt_state_load(fx->path, &error);
        g_assert_no_error(error);
        int tag = cJSON_GetObjectItem(kt_state_engine(st), "tag")->valueint;
        g_assert_true(tag >= 0 && tag <= 2);
        g_assert_cmpuint(kt_state_cursors(st)->len, ==, 1);
    }
    /* killed saves may leave temporary files behind; the next save removes them */
    g_assert_true(kt_state_save(first, &error));
    g_autoptr(GDir) d = g_dir_open(fx->dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL)
        g_assert_cmpstr(name, ==, "watch.state");
}

static void
test_cursor_json(void)
{
    g_autoptr(GError) error = NULL;
    cJSON *o = cJSON_Parse("{\"path\":\"a\",\"dev\":\"1\",\"inode\":\"2\",\"size\":3,"
                           "\"offset\":-1,\"fingerprint\":\"\",\"fp_len\":0,\"last_ts\":null,"
                           "\"gzip\":false}");
    g_assert_nonnull(o);
    KtCursor *c = kt_cursor_from_json(o, &error);
    g_assert_null(c);
    g_assert_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT);
    g_clear_error(&error);
    cJSON_ReplaceItemInObject(o, "offset", cJSON_CreateNumber(3));
    cJSON_ReplaceItemInObject(o, "fp_len", cJSON_CreateNumber(4097));
    g_assert_null(kt_cursor_from_json(o, &error));
    g_clear_error(&error);
    cJSON_ReplaceItemInObject(o, "fp_len", cJSON_CreateNumber(0));
    c = kt_cursor_from_json(o, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(c->offset, ==, 3);
    g_assert_cmpint(c->last_ts, ==, G_MININT64);
    kt_cursor_free(c);
    cJSON_ReplaceItemInObject(o, "fp_len", cJSON_CreateNumber(2));
    g_assert_null(kt_cursor_from_json(o, &error)); /* fp_len without fingerprint */
    g_clear_error(&error);
    cJSON_Delete(o);
}

/* "lines" and "rejected" survive a round trip; a cursor of an older state (neither
 * member) reads as lines unknown, 0 rejected, and is written back without "lines";
 * present but not a count, they are damage. */
static void
test_cursor_json_counts(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtCursor) c = kt_cursor_new("/var/log/a.log");
    g_assert_cmpuint(c->lines, ==, 0);
    g_assert_cmpuint(c->rejected, ==, 0);
    c->offset = 700;
    c->lines = 9;
    c->rejected = 2;
    cJSON *o = kt_cursor_to_json(c);
    g_assert_cmpfloat(cJSON_GetObjectItem(o, "lines")->valuedouble, ==, 9);
    g_assert_cmpfloat(cJSON_GetObjectItem(o, "rejected")->valuedouble, ==, 2);
    g_autoptr(KtCursor) back = kt_cursor_from_json(o, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(back->lines, ==, 9);
    g_assert_cmpuint(back->rejected, ==, 2);
    g_assert_cmpuint(back->offset, ==, 700);

    cJSON_DeleteItemFromObject(o, "lines");
    cJSON_DeleteItemFromObject(o, "rejected");
    g_autoptr(KtCursor) old = kt_cursor_from_json(o, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(old->lines, ==, KT_CURSOR_LINES_UNKNOWN);
    g_assert_cmpuint(old->rejected, ==, 0);
    cJSON *again = kt_cursor_to_json(old);
    g_assert_false(cJSON_HasObjectItem(again, "lines"));
    g_assert_cmpfloat(cJSON_GetObjectItem(again, "rejected")->valuedouble, ==, 0);
    cJSON_Delete(again);

    const char *bad[] = { "-1", "1.5", "\"3\"", "null", "1e300" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        for (int m = 0; m < 2; m++) {
            const char *name = m == 0 ? "lines" : "rejected";
            cJSON_DeleteItemFromObject(o, name);
            cJSON_AddItemToObject(o, name, cJSON_Parse(bad[i]));
            g_assert_null(kt_cursor_from_json(o, &error));
            g_assert_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT);
            g_clear_error(&error);
            cJSON_DeleteItemFromObject(o, name);
        }
    }
    cJSON_Delete(o);
}

/* The counts go through a whole state file too. */
static void
test_cursor_counts_saved(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtState) st = kt_state_new(fx->path);
    g_autoptr(GPtrArray) cursors = g_ptr_array_new_with_free_func((GDestroyNotify)kt_cursor_free);
    KtCursor *a = kt_cursor_new("a.log"), *b = kt_cursor_new("b.log");
    a->lines = 12345;
    a->rejected = 7;
    b->lines = KT_CURSOR_LINES_UNKNOWN;
    b->rejected = 1;
    g_ptr_array_add(cursors, a);
    g_ptr_array_add(cursors, b);
    kt_state_set_cursors(st, cursors);
    g_assert_true(kt_state_save(st, &error));
    g_assert_no_error(error);
    g_autoptr(KtState) back = kt_state_load(fx->path, &error);
    g_assert_no_error(error);
    GPtrArray *got = kt_state_cursors(back);
    g_assert_cmpuint(got->len, ==, 2);
    const KtCursor *ga = got->pdata[0], *gb = got->pdata[1];
    g_assert_cmpuint(ga->lines, ==, 12345);
    g_assert_cmpuint(ga->rejected, ==, 7);
    g_assert_cmpuint(gb->lines, ==, KT_CURSOR_LINES_UNKNOWN);
    g_assert_cmpuint(gb->rejected, ==, 1);
}

/* ---- the outbox ----------------------------------------------------------------------- */

static cJSON *
alert_obj(const char *kind)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "type", "anomaly");
    cJSON_AddStringToObject(a, "kind", kind);
    cJSON_AddStringToObject(a, "alert", "new");
    return a;
}

/* Ids are "<instance>-<n>", added last to the alert, and survive a save and load; the
 * sequence goes on after a load; another state has another instance. */
static void
test_outbox_roundtrip(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtState) st = sample_state(fx->path, 1);
    g_autofree char *id1 = g_strdup(kt_state_outbox_add(st, alert_obj("new_ip"), 2));
    g_autofree char *id2 = g_strdup(kt_state_outbox_add(st, alert_obj("new_op"), 1));
    g_assert_true(g_str_has_suffix(id1, "-1"));
    g_assert_true(g_str_has_suffix(id2, "-2"));
    g_assert_cmpuint(strlen(id1), ==, 18);
    g_assert_cmpint(strncmp(id1, id2, 17), ==, 0);
    cJSON *first = cJSON_GetArrayItem(kt_state_outbox(st), 0);
    cJSON *alert = cJSON_GetObjectItem(first, "alert");
    cJSON *last = cJSON_GetArrayItem(alert, cJSON_GetArraySize(alert) - 1);
    g_assert_cmpstr(last->string, ==, "alert_id");
    g_assert_cmpstr(last->valuestring, ==, id1);
    g_assert_true(kt_state_save(st, &error));

    g_autoptr(KtState) back = kt_state_load(fx->path, &error);
    g_assert_no_error(error);
    cJSON *outbox = kt_state_outbox(back);
    g_assert_cmpint(cJSON_GetArraySize(outbox), ==, 2);
    cJSON *e = cJSON_GetArrayItem(outbox, 1);
    g_assert_cmpstr(cJSON_GetObjectItem(e, "id")->valuestring, ==, id2);
    g_assert_cmpint(cJSON_GetObjectItem(e, "sev")->valueint, ==, 1);
    g_assert_cmpstr(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "alert"), "kind")->valuestring,
                    ==, "new_op");
    const char *id3 = kt_state_outbox_add(back, alert_obj("new_ua"), 0);
    g_assert_cmpint(strncmp(id3, id1, 17), ==, 0);
    g_assert_true(g_str_has_suffix(id3, "-3"));

    g_autoptr(KtState) other = kt_state_new(fx->path);
    const char *oid = kt_state_outbox_add(other, alert_obj("new_ip"), 2);
    g_assert_true(g_str_has_suffix(oid, "-1"));
    g_assert_cmpstr(oid, !=, id1); /* 2^-64 chance of a collision */
}

/* (transfer full) @doc with a correct checksum, as text. */
static char *
checksummed(cJSON *doc)
{
    char *body = cJSON_PrintUnformatted(doc);
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, body, -1);
    cJSON_free(body);
    cJSON_AddStringToObject(doc, "checksum", sum);
    char *text = cJSON_PrintUnformatted(doc);
    char *out = g_strdup(text);
    cJSON_free(text);
    return out;
}

/* A state written before the outbox existed loads with an empty one; a damaged outbox
 * is refused like any damage. */
static void
test_outbox_old_and_bad(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "format", KT_STATE_FORMAT);
    cJSON_AddNumberToObject(doc, "version", 1);
    cJSON_AddArrayToObject(doc, "cursors");
    cJSON_AddObjectToObject(doc, "alerted");
    cJSON_AddArrayToObject(doc, "accepted");
    g_autofree char *old = checksummed(doc);
    write_text(fx->path, old);
    g_autoptr(KtState) st = kt_state_load(fx->path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(cJSON_GetArraySize(kt_state_outbox(st)), ==, 0);
    g_assert_true(g_str_has_suffix(kt_state_outbox_add(st, alert_obj("x"), 0), "-1"));

    cJSON_DeleteItemFromObject(doc, "checksum");
    cJSON *outbox = cJSON_AddObjectToObject(doc, "outbox");
    cJSON_AddNumberToObject(outbox, "next", 3);
    cJSON *pending = cJSON_AddArrayToObject(outbox, "pending");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", "ab-3");
    cJSON_AddItemToArray(pending, e); /* no "sev", no "alert" */
    g_autofree char *bad = checksummed(doc);
    write_text(fx->path, bad);
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "outbox");

    cJSON_DeleteItemFromObject(doc, "checksum");
    cJSON_DeleteItemFromArray(pending, 0);
    cJSON_AddStringToObject(outbox, "instance", "../../etc");
    g_autofree char *bad_inst = checksummed(doc);
    write_text(fx->path, bad_inst);
    expect_refused(fx, KT_ERROR_STATE_CORRUPT, "outbox");
    cJSON_Delete(doc);
}

/* The ids of complete lines in the file's tail: a line cut by the window, a line that
 * is not JSON, one without an id and a torn last line are not ids. */
static void
test_outbox_file_ids(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(fx->dir, "alerts.jsonl", NULL);
    const char *text = "{\"alert_id\":\"cut-1\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n"
                       "{\"a\":1,\"alert_id\":\"a-2\"}\n"
                       "not json \"alert_id\":\"fake-3\"\n"
                       "{\"nested\":{\"alert_id\":\"deep-4\"}}\n"
                       "{\"alert_id\":\"a-5\"}\n"
                       "{\"alert_id\":\"torn-6\"";
    write_text(path, text);
    gboolean created = TRUE, partial = FALSE;
    int fd = kt_outbox_open_file(path, &created, &error);
    g_assert_no_error(error);
    g_assert_cmpint(fd, >=, 0);
    g_assert_false(created);
    /* a window that starts inside the first line */
    guint64 window = strlen(text) - 10;
    GHashTable *ids = kt_outbox_file_ids(fd, window, &partial, &error);
    g_assert_no_error(error);
    g_assert_true(partial);
    g_assert_cmpuint(g_hash_table_size(ids), ==, 2);
    g_assert_true(g_hash_table_contains(ids, "a-2"));
    g_assert_true(g_hash_table_contains(ids, "a-5"));
    g_hash_table_unref(ids);
    ids = kt_outbox_file_ids(fd, 1 << 20, &partial, &error);
    g_assert_true(g_hash_table_contains(ids, "cut-1"));
    g_assert_cmpuint(g_hash_table_size(ids), ==, 3);
    g_hash_table_unref(ids);
    close(fd);

    g_autofree char *fresh = g_build_filename(fx->dir, "new.jsonl", NULL);
    fd = kt_outbox_open_file(fresh, &created, &error);
    g_assert_no_error(error);
    g_assert_true(created);
    ids = kt_outbox_file_ids(fd, 1 << 20, &partial, &error);
    g_assert_false(partial);
    g_assert_cmpuint(g_hash_table_size(ids), ==, 0);
    g_hash_table_unref(ids);
    close(fd);
    struct stat sb;
    g_assert_cmpint(stat(fresh, &sb), ==, 0);
    g_assert_cmpint(sb.st_mode & 0777, ==, 0600);

    g_autofree char *link = g_build_filename(fx->dir, "link.jsonl", NULL);
    g_assert_cmpint(symlink(path, link), ==, 0);
    g_assert_cmpint(kt_outbox_open_file(link, &created, &error), ==, -1);
    g_assert_error(error, KT_ERROR, KT_ERROR_IO);
    g_assert_nonnull(strstr(error->message, "symbolic link"));
    g_unlink(link);
    g_unlink(fresh);
    g_unlink(path);
}

/* A hook that reads its input succeeds; one that fails or hangs is reported, the hanging
 * one as a timeout after it was killed. */
static void
test_outbox_exec(void)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) cat = g_strsplit("sh|-c|cat > /dev/null", "|", -1);
    g_assert_true(kt_outbox_exec(cat, "{\"a\":1}\n", 10, &error));
    g_assert_no_error(error);
    g_auto(GStrv) fail = g_strsplit("sh|-c|cat > /dev/null; exit 7", "|", -1);
    g_assert_false(kt_outbox_exec(fail, "{}\n", 10, &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_IO);
    g_assert_nonnull(strstr(error->message, "exit status 7"));
    g_clear_error(&error);
    g_auto(GStrv) hang = g_strsplit("sh|-c|sleep 600; :", "|", -1);
    g_assert_false(kt_outbox_exec(hang, "{}\n", 1, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    g_clear_error(&error);
    g_auto(GStrv) missing = g_strsplit("/nonexistent/kt-hook", "|", -1);
    g_assert_false(kt_outbox_exec(missing, "{}\n", 1, &error));
    g_assert_nonnull(error);
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
    add("/state/save/roundtrip", test_roundtrip);
    add("/state/load/missing", test_missing);
    add("/state/save/atomic-0600", test_atomic);
    add("/state/load/corrupt", test_corrupt_json);
    add("/state/load/checksum", test_checksum);
    add("/state/load/newer-version", test_newer);
    add("/state/symlink-refused", test_symlink);
    add("/state/lock/contention", test_lock);
    add("/state/save/kill-9", test_kill);
    g_test_add_func("/state/cursor/json", test_cursor_json);
    g_test_add_func("/state/cursor/json-counts", test_cursor_json_counts);
    add("/state/cursor/counts-saved", test_cursor_counts_saved);
    add("/state/outbox/roundtrip", test_outbox_roundtrip);
    add("/state/outbox/old-and-damaged", test_outbox_old_and_bad);
    add("/state/outbox/file-ids", test_outbox_file_ids);
    g_test_add_func("/state/outbox/exec", test_outbox_exec);
    return g_test_run();
}
