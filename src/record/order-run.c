/*
 * order-run.c - spilled run files of the ordering stage: creating the unlinked temporary
 * file, writing packed records through a buffer, reading blocks back (see order-run.h).
 */
#include "order-run.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

gboolean
kt_run_write_all(int fd, const guint8 *p, gsize n, GError **error)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_IO,
                        "cannot write a temporary sort run in %s: %s (free space or set TMPDIR)",
                        g_get_tmp_dir(), g_strerror(w < 0 ? errno : ENOSPC));
            return FALSE;
        }
        p += w;
        n -= (gsize)w;
    }
    return TRUE;
}

gboolean
kt_run_read_full(int fd, guint8 *buf, gsize want, GError **error)
{
    gsize len = 0;
    while (len < want) {
        ssize_t n = read(fd, buf + len, want - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot read back a temporary sort run%s%s",
                        n < 0 ? ": " : " (truncated)", n < 0 ? g_strerror(errno) : "");
            return FALSE;
        }
        len += (gsize)n;
    }
    return TRUE;
}

static int
open_run(GError **error)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("keytrail-run-XXXXXX", &path, error);
    if (fd < 0) {
        g_prefix_error(error, "cannot create a temporary file for sorting (set TMPDIR): ");
        return -1;
    }
    g_unlink(path);
    return fd;
}

gboolean
kt_run_writer_start(KtRunWriter *w, GError **error)
{
    memset(w, 0, sizeof(*w));
    w->fd = open_run(error);
    if (w->fd < 0)
        return FALSE;
    w->buf = g_malloc(KT_IO_BUF + KT_PACK_SLACK);
    return TRUE;
}

gboolean
kt_run_writer_segment(KtRunWriter *w, const KtPack *pack, guint64 count, GError **error)
{
    KtSegHead h = { count, pack->min[KT_F_TIME], { 0 }, { 0 } };
    memcpy(h.width, pack->width, sizeof(h.width));
    if (w->len + sizeof(h) > KT_IO_BUF) {
        if (!kt_run_write_all(w->fd, w->buf, w->len, error))
            return FALSE;
        w->len = 0;
    }
    memcpy(w->buf + w->len, &h, sizeof(h));
    w->len += sizeof(h);
    w->pack = *pack;
    return TRUE;
}

void
kt_run_seg_pack(KtPack *k, const KtSegHead *h)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->width, h->width, sizeof(k->width));
    k->min[KT_F_TIME] = h->time_min;
    pack_layout(k);
}

gboolean
kt_run_writer_put_many(KtRunWriter *w, const KtRecord *r, gsize n, GError **error)
{
    const KtPack k = w->pack;
    while (n > 0) {
        gsize m = k.size > 0 ? MIN(n, (KT_IO_BUF - w->len) / k.size) : n;
        if (m == 0) {
            if (!kt_run_write_all(w->fd, w->buf, w->len, error))
                return FALSE;
            w->len = 0;
            continue;
        }
        kt_pack_many(&k, w->buf + w->len, r, m);
        w->len += m * k.size;
        w->count += m;
        r += m;
        n -= m;
    }
    return TRUE;
}

gboolean
kt_run_writer_close(KtRunWriter *w, GError **error)
{
    gboolean ok = kt_run_write_all(w->fd, w->buf, w->len, error);
    if (ok && lseek(w->fd, 0, SEEK_SET) != 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "temporary file: %s", g_strerror(errno));
        ok = FALSE;
    }
    g_free(w->buf);
    w->buf = NULL;
    if (!ok)
        close(w->fd);
    return ok;
}
