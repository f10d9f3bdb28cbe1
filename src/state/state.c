/*
 * state.c - the watch state file: a versioned JSON document with a SHA-256 checksum of
 * its canonical body, loaded without trusting it and written atomically (O_EXCL temp
 * file, fsync, rename, fsync of the directory), plus the flock that keeps two runs
 * from working on one state.
 */
#include "keytrail/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAX_BYTES ((gsize)1 << 31) /* refuse to slurp absurd files */

struct _KtState {
    char *path;
    gboolean existed;   /* a file was loaded */
    GPtrArray *cursors; /* KtCursor* */
    cJSON *engine;      /* nullable */
    cJSON *alerted;     /* object */
    cJSON *accepted;    /* array */
    cJSON *outbox;      /* array of pending alerts {id, sev, alert}, oldest first */
    char *instance;     /* nullable: random hex naming this state in alert ids */
    guint64 next_alert; /* sequence number of the last alert id given out */
};

struct _KtStateLock {
    int fd;
};

static cJSON *
oom_check(cJSON *item)
{
    if (item == NULL)
        g_error("out of memory building the state document");
    return item;
}

KtState *
kt_state_new(const char *path)
{
    g_return_val_if_fail(path != NULL, NULL);
    KtState *st = g_new0(KtState, 1);
    st->path = g_strdup(path);
    st->cursors = g_ptr_array_new_with_free_func((GDestroyNotify)kt_cursor_free);
    st->alerted = oom_check(cJSON_CreateObject());
    st->accepted = oom_check(cJSON_CreateArray());
    st->outbox = oom_check(cJSON_CreateArray());
    return st;
}

void
kt_state_free(KtState *st)
{
    if (st == NULL)
        return;
    g_free(st->path);
    g_ptr_array_unref(st->cursors);
    cJSON_Delete(st->engine);
    cJSON_Delete(st->alerted);
    cJSON_Delete(st->accepted);
    cJSON_Delete(st->outbox);
    g_free(st->instance);
    g_free(st);
}

const char *
kt_state_path(const KtState *st)
{
    return st->path;
}

gboolean
kt_state_existed(const KtState *st)
{
    return st->existed;
}

GPtrArray *
kt_state_cursors(KtState *st)
{
    return st->cursors;
}

void
kt_state_set_cursors(KtState *st, GPtrArray *cursors)
{
    g_autoptr(GPtrArray) copy = g_ptr_array_new_with_free_func((GDestroyNotify)kt_cursor_free);
    for (guint i = 0; i < cursors->len; i++)
        g_ptr_array_add(copy, kt_cursor_copy(cursors->pdata[i]));
    g_ptr_array_unref(st->cursors);
    st->cursors = g_steal_pointer(&copy);
}

const cJSON *
kt_state_engine(const KtState *st)
{
    return st->engine;
}

void
kt_state_set_engine(KtState *st, cJSON *engine)
{
    cJSON_Delete(st->engine);
    st->engine = engine;
}

cJSON *
kt_state_alerted(KtState *st)
{
    return st->alerted;
}

cJSON *
kt_state_accepted(KtState *st)
{
    return st->accepted;
}

cJSON *
kt_state_outbox(KtState *st)
{
    return st->outbox;
}

const char *
kt_state_outbox_add(KtState *st, cJSON *alert, int severity)
{
    g_return_val_if_fail(cJSON_IsObject(alert), NULL);
    if (st->instance == NULL)
        st->instance = g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
    g_autofree char *id =
        g_strdup_printf("%s-%" G_GUINT64_FORMAT, st->instance, ++st->next_alert);
    cJSON_DeleteItemFromObjectCaseSensitive(alert, "alert_id");
    oom_check(cJSON_AddStringToObject(alert, "alert_id", id));
    cJSON *e = oom_check(cJSON_CreateObject());
    cJSON *idv = oom_check(cJSON_AddStringToObject(e, "id", id));
    oom_check(cJSON_AddNumberToObject(e, "sev", severity));
    cJSON_AddItemToObject(e, "alert", alert);
    cJSON_AddItemToArray(st->outbox, e);
    return idv->valuestring;
}

/* ---- serialization ------------------------------------------------------------------ */

/* (transfer full) Hex SHA-256 of @len bytes. */
static char *
sha256_hex(const char *data, gsize len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}

/* (transfer full) The document without its checksum, unformatted: the canonical body. */
static char *
body_print(KtState *st)
{
    g_autoptr(GString) out = g_string_new(NULL);
    cJSON *doc = oom_check(cJSON_CreateObject());
    cJSON_AddStringToObject(doc, "format", KT_STATE_FORMAT);
    cJSON_AddNumberToObject(doc, "version", KT_STATE_VERSION);
    cJSON_AddStringToObject(doc, "written_by", "keytrail " KT_VERSION);
    cJSON *cursors = oom_check(cJSON_AddArrayToObject(doc, "cursors"));
    for (guint i = 0; i < st->cursors->len; i++)
        cJSON_AddItemToArray(cursors, kt_cursor_to_json(st->cursors->pdata[i]));
    /* borrow the members for printing, then detach them again */
    cJSON *empty = oom_check(cJSON_CreateObject());
    cJSON_AddItemReferenceToObject(doc, "engine", st->engine ? st->engine : empty);
    cJSON_AddItemReferenceToObject(doc, "alerted", st->alerted);
    cJSON_AddItemReferenceToObject(doc, "accepted", st->accepted);
    cJSON *outbox = oom_check(cJSON_AddObjectToObject(doc, "outbox"));
    if (st->instance != NULL)
        cJSON_AddStringToObject(outbox, "instance", st->instance);
    cJSON_AddNumberToObject(outbox, "next", (double)st->next_alert);
    cJSON_AddItemReferenceToObject(outbox, "pending", st->outbox);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc); /* references: the members themselves stay */
    cJSON_Delete(empty);
    if (text == NULL)
        g_error("out of memory printing the state document");
    g_string_append(out, text);
    cJSON_free(text);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

char *
kt_state_serialize(KtState *st)
{
    g_autofree char *body = body_print(st);
    g_autofree char *sum = sha256_hex(body, strlen(body));
    gsize n = strlen(body);
    g_assert(n >= 2 && body[n - 1] == '}');
    body[n - 1] = '\0';
    return g_strdup_printf("%s,\"checksum\":\"%s\"}\n", body, sum);
}

/* ---- loading ------------------------------------------------------------------------ */

static gboolean
corrupt(GError **error, const char *path, const char *why)
{
    g_set_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT,
                "state file '%s' is damaged (%s); it was left unchanged. Move it away "
                "(mv '%s' '%s.corrupt') to start again with empty baselines, or restore a "
                "backup",
                path, why, path, path);
    return FALSE;
}

/* Reads the whole regular file behind @fd into *@out. */
static gboolean
read_all(int fd, const char *path, GString *out, GError **error)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot read state file '%s': %s", path,
                        g_strerror(errno));
            return FALSE;
        }
        if (n == 0)
            return TRUE;
        if (out->len + (gsize)n > STATE_MAX_BYTES)
            return corrupt(error, path, "larger than 2 GiB");
        g_string_append_len(out, buf, n);
    }
}

/* Opens @path for reading without following a symbolic link; -1 with errno ENOENT
 * when it does not exist, -1 and @error otherwise. */
static int
open_state(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP)
            g_set_error(error, KT_ERROR, KT_ERROR_IO,
                        "state file '%s' is a symbolic link; refusing to use it (point "
                        "--state at the real file)",
                        path);
        else if (err != ENOENT)
            g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot open state file '%s': %s", path,
                        g_strerror(err));
        errno = err;
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "state file '%s' is not a regular file",
                    path);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* Checks format, version and checksum of @doc; detaches the checksum. */
static gboolean
check_header(cJSON *doc, const char *path, GError **error)
{
    if (!cJSON_IsObject(doc))
        return corrupt(error, path, "not a JSON object");
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, KT_STATE_FORMAT) != 0)
        return corrupt(error, path, "not a keytrail state file");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble < 1 || ver->valuedouble > 1e6 ||
        ver->valuedouble != (double)(gint64)ver->valuedouble)
        return corrupt(error, path, "bad version");
    if (ver->valuedouble > KT_STATE_VERSION) {
        const cJSON *by = cJSON_GetObjectItemCaseSensitive(doc, "written_by");
        g_set_error(error, KT_ERROR, KT_ERROR_STATE_VERSION,
                    "state file '%s' has version %d (written by %s); this keytrail %s reads "
                    "version %d and left it unchanged. Upgrade keytrail, or move the file "
                    "away to start again with empty baselines",
                    path, (int)ver->valuedouble, cJSON_IsString(by) ? by->valuestring : "?",
                    KT_VERSION, KT_STATE_VERSION);
        return FALSE;
    }
    cJSON *sum = cJSON_DetachItemFromObjectCaseSensitive(doc, "checksum");
    gboolean ok = FALSE;
    if (cJSON_IsString(sum)) {
        char *body = cJSON_PrintUnformatted(doc);
        if (body == NULL)
            g_error("out of memory checking the state file");
        g_autofree char *want = sha256_hex(body, strlen(body));
        cJSON_free(body);
        ok = g_ascii_strcasecmp(want, sum->valuestring) == 0;
    }
    cJSON_Delete(sum);
    if (!ok)
        return corrupt(error, path, "checksum mismatch: edited or partly written");
    return TRUE;
}

/* Takes the outbox of @doc (absent in states written before it existed). */
static gboolean
take_outbox(KtState *st, cJSON *doc, GError **error)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, "outbox");
    if (o == NULL)
        return TRUE;
    const cJSON *inst = cJSON_GetObjectItemCaseSensitive(o, "instance");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(o, "next");
    cJSON *pending = cJSON_GetObjectItemCaseSensitive(o, "pending");
    if (!cJSON_IsObject(o) || !cJSON_IsNumber(next) || next->valuedouble < 0 ||
        next->valuedouble > 9007199254740992.0 || !cJSON_IsArray(pending) ||
        (inst != NULL && (!cJSON_IsString(inst) || strlen(inst->valuestring) > 64 ||
                          inst->valuestring[strspn(inst->valuestring, "0123456789abcdef")])))
        return corrupt(error, st->path, "bad outbox");
    const cJSON *e;
    cJSON_ArrayForEach(e, pending)
    {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "id")) ||
            !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "sev")) ||
            !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "alert")))
            return corrupt(error, st->path, "bad pending alert in the outbox");
    }
    st->instance = inst != NULL ? g_strdup(inst->valuestring) : NULL;
    st->next_alert = (guint64)next->valuedouble;
    cJSON_Delete(st->outbox);
    st->outbox = cJSON_DetachItemViaPointer(o, pending);
    return TRUE;
}

/* Moves the members of @doc into @st. */
static gboolean
take_members(KtState *st, cJSON *doc, GError **error)
{
    const cJSON *cursors = cJSON_GetObjectItemCaseSensitive(doc, "cursors");
    cJSON *alerted = cJSON_GetObjectItemCaseSensitive(doc, "alerted");
    cJSON *accepted = cJSON_GetObjectItemCaseSensitive(doc, "accepted");
    cJSON *engine = cJSON_GetObjectItemCaseSensitive(doc, "engine");
    if (!cJSON_IsArray(cursors) || !cJSON_IsObject(alerted) || !cJSON_IsArray(accepted) ||
        (engine != NULL && !cJSON_IsObject(engine)))
        return corrupt(error, st->path, "missing or mistyped members");
    const cJSON *c;
    cJSON_ArrayForEach(c, cursors)
    {
        g_autoptr(GError) local = NULL;
        KtCursor *cur = kt_cursor_from_json(c, &local);
        if (cur == NULL)
            return corrupt(error, st->path, local->message);
        g_ptr_array_add(st->cursors, cur);
    }
    cJSON_Delete(st->alerted);
    cJSON_Delete(st->accepted);
    st->alerted = cJSON_DetachItemViaPointer(doc, alerted);
    st->accepted = cJSON_DetachItemViaPointer(doc, accepted);
    if (engine != NULL && engine->child != NULL)
        st->engine = cJSON_DetachItemViaPointer(doc, engine);
    return TRUE;
}

KtState *
kt_state_load(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_autoptr(KtState) st = kt_state_new(path);
    GError *open_error = NULL;
    int fd = open_state(path, &open_error);
    if (fd < 0) {
        if (open_error == NULL)
            return g_steal_pointer(&st); /* no state yet */
        g_propagate_error(error, open_error);
        return NULL;
    }
    g_autoptr(GString) text = g_string_new(NULL);
    gboolean ok = read_all(fd, path, text, error);
    close(fd);
    if (!ok)
        return NULL;
    /* len + 1: the NUL GString keeps must follow the document (no trailing data) */
    cJSON *doc = cJSON_ParseWithLengthOpts(text->str, text->len + 1, NULL, TRUE);
    if (doc == NULL) {
        corrupt(error, path, text->len == 0 ? "empty" : "not valid JSON");
        return NULL;
    }
    ok = check_header(doc, path, error) && take_members(st, doc, error) &&
         take_outbox(st, doc, error);
    cJSON_Delete(doc);
    if (!ok)
        return NULL;
    st->existed = TRUE;
    return g_steal_pointer(&st);
}

/* ---- atomic write ------------------------------------------------------------------- */

static gboolean
io_fail(GError **error, const char *what, const char *path)
{
    int err = errno;
    g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot %s '%s': %s", what, path,
                g_strerror(err));
    return FALSE;
}

static gboolean
write_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* Refuses a state path that is a symbolic link or something else than a regular file. */
static gboolean
check_target(const char *path, GError **error)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? TRUE : io_fail(error, "inspect state file", path);
    if (S_ISLNK(sb.st_mode)) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO,
                    "state file '%s' is a symbolic link; refusing to write through it", path);
        return FALSE;
    }
    if (!S_ISREG(sb.st_mode)) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "state file '%s' is not a regular file",
                    path);
        return FALSE;
    }
    return TRUE;
}

static gboolean
fsync_dir(const char *dir, GError **error)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return io_fail(error, "open directory", dir);
    gboolean ok = fsync(dfd) == 0 || errno == EINVAL; /* some file systems cannot */
    if (!ok)
        io_fail(error, "sync directory", dir);
    close(dfd);
    return ok;
}

/* Removes temporary files of saves that were killed (the caller holds the lock, so no
 * other save is under way). */
static void
remove_stale_temps(const char *dir, const char *base)
{
    g_autofree char *prefix = g_strdup_printf(".%s.tmp-", base);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        if (g_str_has_prefix(name, prefix) && strlen(name) == strlen(prefix) + 6) {
            g_autofree char *p = g_build_filename(dir, name, NULL);
            unlink(p);
        }
    }
}

gboolean
kt_state_save(KtState *st, GError **error)
{
    if (!check_target(st->path, error))
        return FALSE;
    g_autofree char *text = kt_state_serialize(st);
    g_autofree char *dir = g_path_get_dirname(st->path);
    g_autofree char *base = g_path_get_basename(st->path);
    remove_stale_temps(dir, base);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.tmp-XXXXXX", dir, base);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return io_fail(error, "create temporary state file", tmp);
    gboolean ok = write_all(fd, text, strlen(text)) && fsync(fd) == 0;
    if (!ok)
        io_fail(error, "write temporary state file", tmp);
    if (close(fd) != 0 && ok)
        ok = io_fail(error, "write temporary state file", tmp);
    if (ok && rename(tmp, st->path) != 0)
        ok = io_fail(error, "replace state file", st->path);
    if (!ok) {
        unlink(tmp);
        return FALSE;
    }
    return fsync_dir(dir, error);
}

/* ---- lock --------------------------------------------------------------------------- */

/* The pid written in the lock file, 0 when unknown. */
static long
lock_holder(int fd)
{
    char buf[32] = { 0 };
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return pid > 0 ? pid : 0;
}

static gboolean
lock_wait(int fd, int wait_seconds)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)wait_seconds * G_USEC_PER_SEC;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return TRUE;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return FALSE;
        if (wait_seconds >= 0 && g_get_monotonic_time() >= deadline)
            return FALSE;
        g_usleep(50 * 1000);
    }
}

KtStateLock *
kt_state_lock(const char *state_path, int wait_seconds, GError **error)
{
    g_autofree char *path = g_strconcat(state_path, ".lock", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == ELOOP)
            g_set_error(error, KT_ERROR, KT_ERROR_IO,
                        "lock file '%s' is a symbolic link; refusing to use it", path);
        else
            io_fail(error, "open lock file", path);
        return NULL;
    }
    if (!lock_wait(fd, wait_seconds)) {
        long pid = lock_holder(fd);
        g_autofree char *who =
            pid > 0 ? g_strdup_printf("process %ld", pid) : g_strdup("another process");
        g_set_error(error, KT_ERROR, KT_ERROR_LOCKED,
                    "state '%s' is locked by %s (lock file '%s'): another watch run is still "
                    "working; try again later or use --wait[=SECONDS]",
                    state_path, who, path);
        close(fd);
        return NULL;
    }
    char pid[32];
    int n = g_snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        /* the lock itself holds; only the holder's pid could not be recorded */
    }
    KtStateLock *lock = g_new0(KtStateLock, 1);
    lock->fd = fd;
    return lock;
}

void
kt_state_unlock(KtStateLock *lock)
{
    if (lock == NULL)
        return;
    if (ftruncate(lock->fd, 0) != 0) {
        /* a stale pid in the lock file is harmless: the flock is what counts */
    }
    close(lock->fd);
    g_free(lock);
}
