/*
 * order-run.h - the spilled run files of the ordering stage (order.c): an unlinked
 * temporary file per run, written through a buffer of packed records (order-pack.h) and
 * read back in blocks by the merge. A run file is a sequence of segments, each a header
 * (KtSegHead: its records' count and layout) and its packed records, so that sorted
 * pieces of a run that follow each other can be appended to it as they come, each
 * packed in its own widths. Implemented in order-run.c; the per-record put is inline
 * because cascades call it for every record.
 *
 * Ownership rule: a KtRunWriter owns its buffer from kt_run_writer_start() to
 * kt_run_writer_close(); its file descriptor then passes to the caller's run.
 */
#ifndef KT_ORDER_RUN_H
#define KT_ORDER_RUN_H

#include "order-pack.h"

#define KT_IO_BUF (256 * 1024) /* bytes of encoded records per write */

/* A segment's header in a run file: how its records are packed. */
typedef struct {
    guint64 count;             /* records in the segment */
    guint64 time_min;          /* min[KT_F_TIME] of its pack */
    guint8 width[KT_F_COUNT];  /* widths of its pack */
    guint8 pad[16 - KT_F_COUNT];
} KtSegHead;

/* A run being written: packs records into a buffer and writes it out when full. */
typedef struct {
    int fd;
    guint8 *buf;       /* KT_IO_BUF + KT_PACK_SLACK bytes */
    gsize len;
    KtPack pack;       /* of the current segment */
    guint64 count;     /* records in the run */
} KtRunWriter;

/* Writes all @n bytes of @p to @fd (a run file); errors name the temporary directory. */
gboolean kt_run_write_all(int fd, const guint8 *p, gsize n, GError **error);

/* Reads exactly @want bytes of a run file into @buf. */
gboolean kt_run_read_full(int fd, guint8 *buf, gsize want, GError **error);

/* Opens a run file. */
gboolean kt_run_writer_start(KtRunWriter *w, GError **error);

/* Starts a segment of @count records packed as @pack (finished) in @w; exactly @count
 * records are to be put next. */
gboolean kt_run_writer_segment(KtRunWriter *w, const KtPack *pack, guint64 count,
                               GError **error);

/* The pack of the segment whose header is @h. */
void kt_run_seg_pack(KtPack *k, const KtSegHead *h);

/* Packs @n records into @w, as n calls of kt_run_writer_put() would: the room in the
 * buffer is checked once per buffer rather than per record. */
gboolean kt_run_writer_put_many(KtRunWriter *w, const KtRecord *r, gsize n, GError **error);

/* Flushes @w, rewinds its file for reading and frees its buffer; on failure the file is
 * closed. w->fd and w->count describe the finished run. */
gboolean kt_run_writer_close(KtRunWriter *w, GError **error);

static inline gboolean
kt_run_writer_put(KtRunWriter *w, const KtRecord *r, GError **error)
{
    if (w->len + w->pack.size > KT_IO_BUF) {
        if (!kt_run_write_all(w->fd, w->buf, w->len, error))
            return FALSE;
        w->len = 0;
    }
    pack_put(&w->pack, w->buf + w->len, r);
    w->len += w->pack.size;
    w->count++;
    return TRUE;
}

#endif /* KT_ORDER_RUN_H */
