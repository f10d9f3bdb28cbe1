/*
 * outbox.c - delivering the alerts of the state's outbox: the --alerts file (opened
 * without following links, its tail read back so that an alert that reached it before
 * a crash is not appended twice) and the --exec hook (run in its own process group and
 * killed after a timeout, so a hung hook cannot block monitoring).
 */
#include "keytrail/state.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTBOX_WINDOW_MAX ((guint64)64 << 20) /* never read back more than this */

int
kt_outbox_open_file(const char *path, gboolean *created, GError **error)
{
    struct stat sb;
    *created = lstat(path, &sb) != 0 && errno == ENOENT;
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "--alerts '%s': %s", path,
                    e == ELOOP ? "is a symbolic link; refusing to write through it"
                               : g_strerror(e));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "--alerts '%s': not a regular file", path);
        return -1;
    }
    return fd;
}

/* Reads @len bytes at @offset of @fd into @buf; FALSE with errno on failure. */
static gboolean
read_at(int fd, char *buf, gsize len, guint64 offset)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* the file shrank under us */
            return FALSE;
        }
        buf += n;
        len -= (gsize)n;
        offset += (guint64)n;
    }
    return TRUE;
}

/* Adds the top-level "alert_id" of the JSON line [@p, @end) to @ids, if any. */
static void
note_id(GHashTable *ids, const char *p, const char *end)
{
    cJSON *o = cJSON_ParseWithLength(p, (size_t)(end - p));
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "alert_id");
    if (cJSON_IsString(id))
        g_hash_table_add(ids, g_strdup(id->valuestring));
    cJSON_Delete(o);
}

GHashTable *
kt_outbox_file_ids(int fd, guint64 window, gboolean *partial, GError **error)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot inspect the alerts file: %s",
                    g_strerror(errno));
        return NULL;
    }
    guint64 size = (guint64)sb.st_size;
    window = MIN(window, OUTBOX_WINDOW_MAX);
    guint64 start = size > window ? size - window : 0;
    gsize len = (gsize)(size - start);
    g_autofree char *buf = g_malloc(len + 1);
    if (!read_at(fd, buf, len, start)) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot read back the alerts file: %s",
                    g_strerror(errno));
        return NULL;
    }
    *partial = len > 0 && buf[len - 1] != '\n';
    GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const char *p = buf, *end = buf + len;
    if (start > 0) { /* the first line is cut by the window */
        const char *nl = memchr(p, '\n', len);
        p = nl != NULL ? nl + 1 : end;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break; /* a partial last line: torn by a crash, not an alert */
        note_id(ids, p, nl);
        p = nl + 1;
    }
    return ids;
}

/* ---- --exec --------------------------------------------------------------------------- */

static void
child_setup(gpointer data)
{
    (void)data;
    setpgid(0, 0); /* its own process group: a timeout kills what it started too */
}

/* Milliseconds left until @deadline (monotonic µs; G_MAXINT64 = none), at most @cap. */
static int
ms_left(gint64 deadline, int cap)
{
    if (deadline == G_MAXINT64)
        return cap;
    gint64 left = (deadline - g_get_monotonic_time() + 999) / 1000;
    return left <= 0 ? 0 : (int)MIN(left, (gint64)cap);
}

/* Writes @text to the pipe @fd before @deadline; FALSE when the reader went away or the
 * time ran out. */
static gboolean
feed(int fd, const char *text, gint64 deadline)
{
    gsize len = strlen(text);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        return FALSE;
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n > 0) {
            text += n;
            len -= (gsize)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return FALSE;
        struct pollfd pfd = { fd, POLLOUT, 0 };
        int wait = ms_left(deadline, 1000);
        if (wait == 0 || (poll(&pfd, 1, wait) < 0 && errno != EINTR))
            return FALSE;
    }
    return TRUE;
}

/* Waits for @pid until @deadline; TRUE with its *@status when it ended in time. */
static gboolean
wait_until(GPid pid, gint64 deadline, int *status)
{
    gulong nap = 1000;
    for (;;) {
        pid_t got = waitpid(pid, status, WNOHANG);
        if (got == pid)
            return TRUE;
        if (got < 0 && errno != EINTR) {
            *status = 0; /* reaped elsewhere: nothing more to learn */
            return TRUE;
        }
        int left = ms_left(deadline, 50);
        if (left == 0)
            return FALSE;
        g_usleep(MIN(nap, (gulong)left * 1000));
        nap = MIN(nap * 2, 50000);
    }
}

gboolean
kt_outbox_exec(char **argv, const char *text, guint timeout_s, GError **error)
{
    GPid pid = 0;
    int in = -1;
    if (!g_spawn_async_with_pipes(NULL, argv, NULL,
                                  G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, child_setup,
                                  NULL, &pid, &in, NULL, NULL, error))
        return FALSE;
    setpgid(pid, pid); /* also from here: no window where a kill misses the group */
    gint64 deadline = timeout_s == 0 ? G_MAXINT64
                                     : g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
    gboolean wrote = feed(in, text, deadline);
    close(in);
    int status = 0;
    gboolean ended = wait_until(pid, deadline, &status);
    if (!ended) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    g_spawn_close_pid(pid);
    if (!ended) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                    "'%s' still ran after %u s and was killed",
                    argv[0], timeout_s);
        return FALSE;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "'%s' failed (%s %d)", argv[0],
                    WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return FALSE;
    }
    if (!wrote) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "'%s' did not read the alert", argv[0]);
        return FALSE;
    }
    return TRUE;
}
