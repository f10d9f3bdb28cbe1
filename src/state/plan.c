/*
 * plan.c - matches the cursors of the last run to the files present now and turns the
 * result into a read plan: new bytes of known files, the unread tails of rotated (and
 * compressed) ones, and unknown files from their start. Then runs the plan through a
 * reader and advances the cursors. See keytrail/state.h for the contract.
 */
#include "keytrail/state.h"
#include "keytrail/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor-private.h"

#define WALK_MAX_DEPTH 32

/* A regular file found this run. */
typedef struct {
    char *path;
    char *dir, *stem;   /* rotation family: same directory and stem */
    guint64 dev, inode, size;
    gboolean gzip;
    gboolean input;     /* read from 0 when no cursor claims it */
    gboolean used;      /* claimed by a cursor this run */
    GByteArray *head;   /* nullable until loaded */
    gboolean head_failed;
} FileInfo;

typedef struct {
    GPtrArray *files;   /* FileInfo*, owned */
    GHashTable *by_id;  /* "dev:inode" -> FileInfo* (borrowed) */
    GPtrArray *warnings;
} Scan;

static void
file_info_free(FileInfo *f)
{
    g_free(f->path);
    g_free(f->dir);
    g_free(f->stem);
    if (f->head != NULL)
        g_byte_array_unref(f->head);
    g_free(f);
}

static char *
id_key(guint64 dev, guint64 inode)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, dev, inode);
}

static char *
family_of(const char *path, char **dir_out)
{
    g_autofree char *base = g_path_get_basename(path);
    *dir_out = g_path_get_dirname(path);
    return kt_cursor_stem(base);
}

/* Adds the regular file @path (symbolic links followed for named inputs only). */
static void
scan_add(Scan *s, const char *path, gboolean input)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return;
    g_autofree char *id = id_key((guint64)sb.st_dev, (guint64)sb.st_ino);
    FileInfo *known = g_hash_table_lookup(s->by_id, id);
    if (known != NULL) {
        known->input |= input; /* a hard link or a file named twice: read once */
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    FileInfo *f = g_new0(FileInfo, 1);
    f->path = g_strdup(path);
    f->stem = family_of(path, &f->dir);
    f->dev = (guint64)sb.st_dev;
    f->inode = (guint64)sb.st_ino;
    f->size = (guint64)sb.st_size;
    f->gzip = kt_cursor_is_gzip_fd(fd);
    f->input = input;
    close(fd);
    g_ptr_array_add(s->files, f);
    g_hash_table_insert(s->by_id, g_steal_pointer(&id), f);
}

static int
cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* (transfer full) The entry names of @dir, sorted; NULL when it cannot be listed. */
static GPtrArray *
list_dir(const char *dir, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, error);
    if (d == NULL)
        return NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, cmp_str_ptr);
    return names;
}

/* Adds every regular file under @dir (symbolic links are not followed). */
static gboolean
scan_walk(Scan *s, const char *dir, int depth, GError **error)
{
    g_autoptr(GPtrArray) names = list_dir(dir, error);
    if (names == NULL)
        return FALSE;
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
        struct stat sb;
        if (lstat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode) && depth < WALK_MAX_DEPTH) {
            g_autoptr(GError) local = NULL;
            if (!scan_walk(s, path, depth + 1, &local))
                g_ptr_array_add(s->warnings, g_strdup(local->message));
        } else if (S_ISREG(sb.st_mode)) {
            scan_add(s, path, TRUE);
        }
    }
    return TRUE;
}

/* Adds the rotated siblings of the named file @path: same directory, same stem. */
static void
scan_siblings(Scan *s, const char *path)
{
    g_autofree char *dir = NULL;
    g_autofree char *stem = family_of(path, &dir);
    g_autofree char *base = g_path_get_basename(path);
    g_autoptr(GPtrArray) names = list_dir(dir, NULL);
    for (guint i = 0; names != NULL && i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *other = kt_cursor_stem(name);
        if (strcmp(other, stem) != 0 || strcmp(name, base) == 0)
            continue;
        g_autofree char *sib =
            strcmp(dir, ".") == 0 ? g_strdup(name) : g_build_filename(dir, name, NULL);
        struct stat sb;
        if (lstat(sib, &sb) == 0 && S_ISREG(sb.st_mode))
            scan_add(s, sib, FALSE);
    }
}

static gboolean
scan_inputs(Scan *s, const char *const *inputs, GError **error)
{
    for (gsize i = 0; inputs[i] != NULL; i++) {
        struct stat sb;
        if (stat(inputs[i], &sb) != 0) {
            /* between a rename and the creation of the new file: not fatal for cron */
            g_ptr_array_add(s->warnings, g_strdup_printf("'%s': %s", inputs[i],
                                                         g_strerror(errno)));
            scan_siblings(s, inputs[i]);
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            if (!scan_walk(s, inputs[i], 0, error))
                return FALSE;
            continue;
        }
        scan_add(s, inputs[i], TRUE);
        scan_siblings(s, inputs[i]);
    }
    return TRUE;
}

/* Loads the head of @f; FALSE when it cannot be read or the file was replaced. */
static gboolean
ensure_head(FileInfo *f)
{
    if (f->head != NULL || f->head_failed)
        return f->head != NULL;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && (guint64)sb.st_ino == f->inode &&
        (guint64)sb.st_dev == f->dev)
        f->head = kt_cursor_read_head(fd, f->path, f->gzip, NULL);
    if (fd >= 0)
        close(fd);
    f->head_failed = f->head == NULL;
    return f->head != NULL;
}

/* ---- the plan ----------------------------------------------------------------------- */

static void
step_free(KtReadStep *st)
{
    g_free(st->path);
    g_free(st);
}

void
kt_cursor_plan_free(KtCursorPlan *plan)
{
    if (plan == NULL)
        return;
    g_ptr_array_unref(plan->steps);
    g_ptr_array_unref(plan->cursors);
    g_ptr_array_unref(plan->dropped);
    g_ptr_array_unref(plan->warnings);
    g_free(plan);
}

static KtCursor *
cursor_for(KtCursorPlan *plan, const FileInfo *f, const KtCursor *from)
{
    KtCursor *c = from ? kt_cursor_copy(from) : kt_cursor_new(f->path);
    g_free(c->path);
    c->path = g_strdup(f->path);
    c->dev = f->dev;
    c->inode = f->inode;
    g_ptr_array_add(plan->cursors, c);
    return c;
}

static void
add_step(KtCursorPlan *plan, const FileInfo *f, KtReadKind kind, guint64 offset,
         const char *why, KtCursor *c)
{
    KtReadStep *st = g_new0(KtReadStep, 1);
    st->kind = kind;
    st->path = g_strdup(f->path);
    st->offset = offset;
    st->dev = f->dev;
    st->inode = f->inode;
    st->why = why;
    st->cursor = c;
    g_ptr_array_add(plan->steps, st);
}

/* Restarts @c for a file read again from its start. */
static void
cursor_restart(KtCursor *c)
{
    c->offset = 0;
    c->fp_len = 0;
    c->fingerprint[0] = '\0';
    c->gzip = FALSE;
    c->lines = 0;
    c->rejected = 0;
}

/* Pass 1: a cursor whose file is still there under some name. FALSE = look further. */
static gboolean
match_by_inode(KtCursorPlan *plan, Scan *s, const KtCursor *old, GPtrArray *pending)
{
    g_autofree char *id = id_key(old->dev, old->inode);
    FileInfo *f = g_hash_table_lookup(s->by_id, id);
    if (f == NULL || f->used || !ensure_head(f))
        return FALSE;
    gboolean same = kt_cursor_head_matches(old, f->head) && old->gzip == f->gzip;
    if (!same && strcmp(f->path, old->path) != 0)
        return FALSE; /* inode reused by another file: the old one is gone */
    f->used = TRUE;
    KtCursor *c = cursor_for(plan, f, old);
    if (old->gzip && same)
        return TRUE; /* read whole once */
    if (!same || f->size < old->offset) {
        /* rewritten or truncated in place (copytruncate): its copy may hold a tail */
        g_ptr_array_add(pending, (gpointer)old);
        cursor_restart(c);
        add_step(plan, f, f->gzip ? KT_READ_GZIP_WHOLE : KT_READ_PLAIN, 0, "truncated", c);
        return TRUE;
    }
    if (f->size > old->offset)
        add_step(plan, f, KT_READ_PLAIN, old->offset,
                 strcmp(f->path, old->path) == 0 ? "append" : "rotated", c);
    return TRUE;
}

/* An unclaimed file of @old's rotation family that starts with @old's bytes: plain
 * copies holding at least old->offset bytes first, then compressed ones. */
static FileInfo *
find_copy(Scan *s, const KtCursor *old)
{
    g_autofree char *dir = NULL;
    g_autofree char *stem = family_of(old->path, &dir);
    FileInfo *gz = NULL;
    if (old->fp_len == 0)
        return NULL;
    for (guint i = 0; i < s->files->len; i++) {
        FileInfo *f = s->files->pdata[i];
        if (f->used || strcmp(f->stem, stem) != 0 || strcmp(f->dir, dir) != 0)
            continue;
        if ((old->gzip && !f->gzip) || !ensure_head(f) || !kt_cursor_head_matches(old, f->head))
            continue;
        if (!f->gzip && f->size >= old->offset)
            return f;
        if (f->gzip && gz == NULL)
            gz = f;
    }
    return gz;
}

/* Pass 2: a cursor whose file is gone or was truncated: finish it from its copy. */
static void
match_copy(KtCursorPlan *plan, Scan *s, const KtCursor *old)
{
    FileInfo *f = find_copy(s, old);
    if (f == NULL) {
        g_ptr_array_add(plan->dropped, kt_cursor_copy(old));
        return;
    }
    f->used = TRUE;
    KtCursor *c = cursor_for(plan, f, old);
    if (old->gzip)
        return; /* a renamed copy of a file already read whole */
    if (!f->gzip) {
        if (f->size > old->offset)
            add_step(plan, f, KT_READ_PLAIN, old->offset, "rotated", c);
        return;
    }
    c->gzip = TRUE;
    add_step(plan, f, KT_READ_GZIP_TAIL, old->offset, "compressed", c);
}

/* TRUE when @f is a copy of a file that is still read under another name (a rotated
 * file being compressed, say): reading it too would judge lines twice. */
static gboolean
is_copy_of_live(KtCursorPlan *plan, FileInfo *f)
{
    for (guint i = 0; i < plan->cursors->len; i++) {
        const KtCursor *c = plan->cursors->pdata[i];
        if (c->fp_len == 0 || c->inode == f->inode)
            continue;
        g_autofree char *dir = NULL;
        g_autofree char *stem = family_of(c->path, &dir);
        if (strcmp(stem, f->stem) == 0 && strcmp(dir, f->dir) == 0 && ensure_head(f) &&
            kt_cursor_head_matches(c, f->head))
            return TRUE;
    }
    return FALSE;
}

KtCursorPlan *
kt_cursor_plan(GPtrArray *old, const char *const *inputs, GError **error)
{
    Scan s = { g_ptr_array_new_with_free_func((GDestroyNotify)file_info_free),
               g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
               g_ptr_array_new_with_free_func(g_free) };
    KtCursorPlan *plan = g_new0(KtCursorPlan, 1);
    plan->steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_free);
    plan->cursors = g_ptr_array_new_with_free_func((GDestroyNotify)kt_cursor_free);
    plan->dropped = g_ptr_array_new_with_free_func((GDestroyNotify)kt_cursor_free);
    plan->warnings = s.warnings;
    gboolean ok = scan_inputs(&s, inputs, error);
    if (ok) {
        g_autoptr(GPtrArray) pending = g_ptr_array_new();
        for (guint i = 0; i < old->len; i++)
            if (!match_by_inode(plan, &s, old->pdata[i], pending))
                g_ptr_array_add(pending, old->pdata[i]);
        for (guint i = 0; i < pending->len; i++)
            match_copy(plan, &s, pending->pdata[i]);
        for (guint i = 0; i < s.files->len; i++) {
            FileInfo *f = s.files->pdata[i];
            if (f->used || !f->input || is_copy_of_live(plan, f))
                continue;
            f->used = TRUE;
            KtCursor *c = cursor_for(plan, f, NULL);
            add_step(plan, f, f->gzip ? KT_READ_GZIP_WHOLE : KT_READ_PLAIN, 0, "new", c);
        }
    }
    g_ptr_array_unref(s.files);
    g_hash_table_unref(s.by_id);
    if (!ok) {
        kt_cursor_plan_free(plan);
        return NULL;
    }
    return plan;
}

/* ---- running the plan --------------------------------------------------------------- */

static gboolean
replaced(GError **error, const char *path)
{
    g_set_error(error, KT_ERROR, KT_ERROR_IO,
                "'%s' was replaced while this run read it (log rotation?); nothing was "
                "saved, run again",
                path);
    return FALSE;
}

/* Opens @st's file and checks that it is still the file that was planned. */
static int
open_checked(const KtReadStep *st, GError **error)
{
    int fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            replaced(error, st->path);
        else
            g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot open '%s': %s", st->path,
                        g_strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (guint64)sb.st_dev != st->dev || (guint64)sb.st_ino != st->inode) {
        close(fd);
        replaced(error, st->path);
        return -1;
    }
    return fd;
}

/*
 * The unread tail of a rotated, compressed file is read from a temporary copy at the same
 * offset as in the original: the copy holds the file's first KT_INGEST_HEAD_BYTES and
 * everything from the offset on at their places, with a hole (no disk used) in between.
 * The reader then resumes in it exactly as in a plain file, detecting the format and
 * reading a CSV header from the file's real start rather than from the tail's first line.
 */
typedef struct {
    int out;          /* temporary file */
    guint64 pos;      /* decompressed bytes seen so far */
    guint64 offset;   /* where the unread tail starts */
    gboolean any;     /* wrote something of the tail */
    gboolean newline; /* the last byte written was '\n' */
} TailSink;

static gboolean
write_at(int out, const guchar *data, gsize len, guint64 at, GError **error)
{
    while (len > 0) {
        ssize_t n = pwrite(out, data, len, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot write a temporary file: %s",
                        g_strerror(errno));
            return FALSE;
        }
        data += n;
        len -= (gsize)n;
        at += (guint64)n;
    }
    return TRUE;
}

static gboolean
tail_sink(gpointer ud, const guchar *data, gsize len, GError **error)
{
    TailSink *t = ud;
    guint64 pos = t->pos;
    t->pos += len;
    if (pos < KT_INGEST_HEAD_BYTES && pos < t->offset) { /* the head */
        gsize n = (gsize)MIN((guint64)len, MIN((guint64)KT_INGEST_HEAD_BYTES, t->offset) - pos);
        if (!write_at(t->out, data, n, pos, error))
            return FALSE;
    }
    if (pos + len <= t->offset)
        return TRUE;
    gsize skip = pos < t->offset ? (gsize)(t->offset - pos) : 0;
    if (!write_at(t->out, data + skip, len - skip, pos + skip, error))
        return FALSE;
    t->any = TRUE;
    t->newline = data[len - 1] == '\n';
    return TRUE;
}

/* Decompresses @st's file into a temporary copy (above) and reads it from @st->offset.
 * A last line without newline is complete here: a compressed file never grows. */
static gboolean
run_gzip_tail(const KtReadStep *st, int fd, guint64 max_out, KtCursorReadFn fn, gpointer ud,
              guint64 *end, gint64 *last_ts, GError **error)
{
    g_autofree char *tmp = NULL;
    int out = g_file_open_tmp("keytrail-rotated-XXXXXX", &tmp, error);
    if (out < 0)
        return FALSE;
    TailSink t = { out, 0, st->offset, FALSE, TRUE };
    gboolean ok = kt_cursor_gz_stream(fd, st->path, max_out, tail_sink, &t, error);
    if (ok && t.any && !t.newline)
        ok = write_at(out, (const guchar *)"\n", 1, t.pos, error);
    if (close(out) != 0 && ok) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot write '%s'", tmp);
        ok = FALSE;
    }
    *end = st->offset;
    if (ok && t.any)
        ok = fn(ud, tmp, st->offset, end, last_ts, error);
    unlink(tmp);
    return ok;
}

/* Records in @c where @st's file stands now that it was read up to @end. */
static gboolean
cursor_finish(KtCursor *c, const KtReadStep *st, int fd, guint64 end, gint64 last_ts,
              GError **error)
{
    struct stat sb;
    gboolean gz = st->kind != KT_READ_PLAIN;
    g_autoptr(GByteArray) head = kt_cursor_read_head(fd, st->path, gz, error);
    if (head == NULL || fstat(fd, &sb) != 0)
        return head == NULL ? FALSE : replaced(error, st->path);
    c->gzip = gz;
    c->offset = end;
    c->size = (guint64)sb.st_size;
    c->fp_len = (guint32)(gz ? head->len : MIN((guint64)head->len, end));
    kt_cursor_fingerprint(head, c->fp_len, c->fingerprint);
    if (last_ts != G_MININT64 && (c->last_ts == G_MININT64 || last_ts > c->last_ts))
        c->last_ts = last_ts;
    return TRUE;
}

static gboolean
run_step(const KtReadStep *st, KtCursorReadFn fn, gpointer ud, guint max_ratio, GError **error)
{
    int fd = open_checked(st, error);
    if (fd < 0)
        return FALSE;
    guint64 end = st->offset;
    gint64 last_ts = G_MININT64;
    gboolean ok;
    if (st->kind == KT_READ_GZIP_TAIL) {
        struct stat sb;
        guint64 max_out = 0;
        if (max_ratio > 0 && fstat(fd, &sb) == 0)
            max_out = MAX((guint64)sb.st_size, 1024) * max_ratio;
        ok = run_gzip_tail(st, fd, max_out, fn, ud, &end, &last_ts, error);
    } else {
        ok = fn(ud, st->path, st->offset, &end, &last_ts, error);
    }
    struct stat now;
    if (ok && (stat(st->path, &now) != 0 || (guint64)now.st_dev != st->dev ||
               (guint64)now.st_ino != st->inode))
        ok = replaced(error, st->path);
    if (ok)
        ok = cursor_finish(st->cursor, st, fd, end, last_ts, error);
    close(fd);
    return ok;
}

gboolean
kt_cursor_plan_run(KtCursorPlan *plan, KtCursorReadFn fn, gpointer ud, guint max_gzip_ratio,
                   GError **error)
{
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < plan->steps->len; i++) {
        plan->current = plan->steps->pdata[i];
        ok = run_step(plan->current, fn, ud, max_gzip_ratio, error);
    }
    plan->current = NULL;
    return ok;
}
