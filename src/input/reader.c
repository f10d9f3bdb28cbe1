/*
 * reader.c - reads one input for the ingest stage: block reads from a file
 * descriptor, gzip detected by its magic bytes and inflated (multi-member streams,
 * decompression-ratio limit), format detection from the first bytes, and feeding the
 * format's push parser.
 *
 * Inflating: a gzip regular file of at most KT_GZ_WHOLE_IN bytes that inflates to at
 * most KT_GZ_WHOLE_OUT (a CloudTrail file, as S3 delivers it) is inflated at once with
 * libdeflate, about twice as fast as zlib (docs/PERFORMANCE.md, round 9); any other, and
 * any stream libdeflate does not take whole (corrupt, truncated, past the ratio limit),
 * goes through GIO's zlib converter a block at a time, which says what is wrong and
 * delivers what came before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest-private.h"

typedef struct {
    int fd;                 /* input */
    const char *label;      /* name for messages */
    GConverter *gz;         /* nullable: inflater when gzip */
    guint8 *raw;            /* compressed bytes not yet inflated */
    gsize raw_len, raw_pos; /* fill and read position in raw */
    gboolean raw_eof;       /* fd at end of file */
    gboolean gz_done;       /* last gzip member finished and nothing follows */
    guint64 in_bytes;       /* bytes read from fd */
    guint64 out_bytes;      /* bytes produced (== in_bytes when not gzip) */
    guint64 gz_in;          /* compressed bytes the inflater consumed */
    guint max_ratio;        /* decompression ratio limit, 0 = none */
    KtIngest *in;           /* for progress reports */
    guint64 events_seen;    /* events already reported as progress */
    gboolean bounded;       /* a part of a file: read at most left more bytes */
    guint64 left;           /* with bounded */
    gboolean slurped;       /* raw holds the whole file (read_rest) */
    guint8 *whole;          /* nullable: the whole file inflated (inflate_whole) */
    gsize whole_len;        /* its length */
    gsize whole_pos;        /* and how much of it is read */
} KtSource;

#define KT_GZ_WHOLE_IN (16u << 20)  /* compressed bytes inflated at once at most */
#define KT_GZ_WHOLE_OUT (64u << 20) /* inflated bytes held at once at most */

static gssize
read_fd(KtSource *src, guint8 *buf, gsize cap, GError **error)
{
    if (src->bounded)
        cap = (gsize)MIN((guint64)cap, src->left);
    if (cap == 0)
        return 0;
    for (;;) {
        gssize n = read(src->fd, buf, cap);
        if (n >= 0) {
            if (src->bounded)
                src->left -= (guint64)n;
            src->in_bytes += (guint64)n;
            if (src->in != NULL && src->in->opts.progress != NULL) {
                guint64 ev = src->in->cur->events;
                src->in->opts.progress(src->in->opts.progress_ud, (guint64)n,
                                       ev - src->events_seen);
                src->events_seen = ev;
            }
            return n;
        }
        if (errno != EINTR) {
            int e = errno;
            g_set_error(error, KT_ERROR, KT_ERROR_IO, "%s: read failed: %s", src->label,
                        g_strerror(e));
            return -1;
        }
    }
}

static gboolean
refill_raw(KtSource *src, GError **error)
{
    if (src->raw_pos < src->raw_len || src->raw_eof)
        return TRUE;
    gssize n = read_fd(src, src->raw, KT_BLOCK, error);
    if (n < 0)
        return FALSE;
    src->raw_len = (gsize)n;
    src->raw_pos = 0;
    if (n == 0)
        src->raw_eof = TRUE;
    return TRUE;
}

/* Inflates into @buf; returns bytes written, 0 at the end, -1 on error. */
static gssize
read_gzip(KtSource *src, guint8 *buf, gsize cap, GError **error)
{
    while (!src->gz_done) {
        if (!refill_raw(src, error))
            return -1;
        /* A file held whole (inflate_whole() gave it back) goes to the inflater in the
         * blocks it would have been read in, so that it stops, on damage or at the ratio
         * limit, where it would have when read a block at a time. */
        gsize end = src->raw_len;
        if (src->slurped)
            end = MIN(end, (src->raw_pos / KT_BLOCK + 1) * KT_BLOCK);
        gsize avail = end - src->raw_pos;
        gboolean more = end < src->raw_len || !src->raw_eof;
        if (avail == 0 && !more) {
            g_set_error(error, KT_ERROR, KT_ERROR_INPUT,
                        "%s: gzip stream is truncated (file cut off or still being written)",
                        src->label);
            return -1;
        }
        gsize br = 0, bw = 0;
        GError *cerr = NULL;
        GConverterFlags flags = more ? G_CONVERTER_NO_FLAGS : G_CONVERTER_INPUT_AT_END;
        GConverterResult r = g_converter_convert(src->gz, src->raw + src->raw_pos, avail, buf,
                                                 cap, flags, &br, &bw, &cerr);
        if (r == G_CONVERTER_ERROR) {
            if (g_error_matches(cerr, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) && more) {
                g_clear_error(&cerr);
                src->gz_in += avail;
                src->raw_pos = end; /* all consumed into zlib's window: read more */
                continue;
            }
            g_set_error(error, KT_ERROR, KT_ERROR_INPUT, "%s: gzip stream is corrupt: %s",
                        src->label, cerr->message);
            g_error_free(cerr);
            return -1;
        }
        src->raw_pos += br;
        src->out_bytes += bw;
        src->gz_in += br;
        /* against what was inflated, not what was read: the whole file may be read */
        if (src->max_ratio > 0 && src->out_bytes > KT_GZIP_RATIO_MIN &&
            src->out_bytes / MAX(src->gz_in, (guint64)1) > src->max_ratio) {
            g_set_error(error, KT_ERROR, KT_ERROR_INPUT,
                        "%s: refused: decompresses more than %u times its size (a gzip bomb?); "
                        "use --max-gzip-ratio to raise the limit if the file is genuine",
                        src->label, src->max_ratio);
            return -1;
        }
        if (r == G_CONVERTER_FINISHED) {
            /* Another member may follow (concatenated .gz files). */
            if (!refill_raw(src, error))
                return -1;
            gsize left = src->raw_len - src->raw_pos;
            if (left >= 2 && src->raw[src->raw_pos] == 0x1f && src->raw[src->raw_pos + 1] == 0x8b)
                g_converter_reset(src->gz);
            else
                src->gz_done = TRUE;
        }
        if (bw > 0)
            return (gssize)bw;
    }
    return 0;
}

/* Reads the rest of a regular file of at most @max bytes into src->raw (whose
 * first block is read); FALSE, with what was read kept there, when it is larger or a
 * read fails (the stream then reads on from there, and meets the error again). */
static gboolean
read_rest(KtSource *src, gsize max)
{
    struct stat st;
    if (fstat(src->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)max)
        return FALSE;
    /* one byte more than the size, to meet the end in the last read; at least a block,
     * which refill_raw() reads into it if the file grew */
    gsize cap = MAX(MAX((gsize)st.st_size, src->raw_len) + 1, (gsize)KT_BLOCK);
    src->raw = g_realloc(src->raw, cap);
    while (!src->raw_eof && src->raw_len < cap) {
        gssize n = read_fd(src, src->raw + src->raw_len, cap - src->raw_len, NULL);
        if (n < 0)
            return FALSE;
        if (n == 0)
            src->raw_eof = TRUE;
        src->raw_len += (gsize)n;
    }
    return src->raw_eof;
}

/* Inflates the whole of a small gzip file (read_rest) into src->whole, every member;
 * nothing when libdeflate does not take it whole or the output would pass the ratio
 * limit or KT_GZ_WHOLE_OUT: read_gzip() then inflates it from src->raw, as any other.
 * Trailing bytes that start no member are ignored, as read_gzip() does. For tests,
 * KT_GZ_WHOLE sets the largest file inflated whole (bytes; 0: none). */
static void
inflate_whole(KtSource *src)
{
    const char *env = g_getenv("KT_GZ_WHOLE");
    gsize max = env != NULL ? (gsize)g_ascii_strtoull(env, NULL, 10) : KT_GZ_WHOLE_IN;
    if (max == 0 || src->bounded || !read_rest(src, max))
        return;
    src->slurped = TRUE;
    const guint8 *in = src->raw;
    gsize in_len = src->raw_len, limit = KT_GZ_WHOLE_OUT;
    if (src->max_ratio > 0) /* read_gzip() refuses past this */
        limit = MIN(limit, MAX((gsize)KT_GZIP_RATIO_MIN, (src->max_ratio + 1u) * in_len));
    /* the last member's size (mod 2^32) is in the last 4 bytes: exact for one member */
    gsize size = in_len >= 4 ? (gsize)in[in_len - 4] | (gsize)in[in_len - 3] << 8 |
                                   (gsize)in[in_len - 2] << 16 | (gsize)in[in_len - 1] << 24
                             : 0;
    if (size > limit)
        return; /* its last member alone is larger: a block at a time */
    gsize cap = CLAMP(size + 1, (gsize)65536, limit), len = 0, pos = 0;
    guint8 *out = g_malloc(cap);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    gboolean ok = d != NULL;
    while (ok) {
        size_t used = 0, got = 0;
        enum libdeflate_result r = libdeflate_gzip_decompress_ex(d, in + pos, in_len - pos,
                                                                 out + len, cap - len, &used, &got);
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE && cap < limit) {
            cap = MIN(cap * 2, limit);
            out = g_realloc(out, cap);
            continue;
        }
        if (r != LIBDEFLATE_SUCCESS) {
            ok = FALSE;
            break;
        }
        pos += used;
        len += got;
        if (in_len - pos < 2 || in[pos] != 0x1f || in[pos + 1] != 0x8b)
            break;
    }
    if (d != NULL)
        libdeflate_free_decompressor(d);
    if (!ok) {
        g_free(out);
        return;
    }
    src->whole = out;
    src->whole_len = len;
    src->whole_pos = 0;
    if (src->in != NULL)
        src->in->cur->gzip_whole = TRUE;
}

/* The next at most @cap bytes of a file inflated whole (src->whole), counted as read:
 * returns how many, and where they lie in *@at. */
static gsize
whole_next(KtSource *src, gsize cap, const guint8 **at)
{
    gsize n = MIN(cap, src->whole_len - src->whole_pos);
    *at = src->whole + src->whole_pos;
    src->whole_pos += n;
    src->out_bytes += n;
    return n;
}

/* Reads decompressed bytes; 0 at the end, -1 on error. */
static gssize
source_read(KtSource *src, guint8 *buf, gsize cap, GError **error)
{
    if (src->whole != NULL) {
        const guint8 *at;
        gsize n = whole_next(src, cap, &at);
        memcpy(buf, at, n);
        return (gssize)n;
    }
    if (src->gz != NULL)
        return read_gzip(src, buf, cap, error);
    if (src->raw_pos < src->raw_len) {
        gsize n = MIN(cap, src->raw_len - src->raw_pos);
        memcpy(buf, src->raw + src->raw_pos, n);
        src->raw_pos += n;
        src->out_bytes += n;
        return (gssize)n;
    }
    gssize n = read_fd(src, buf, cap, error);
    if (n > 0)
        src->out_bytes += (guint64)n;
    return n;
}

/* Feeds a parser, holding back a trailing partial line when asked (watch). */
typedef struct {
    const KtFormatOps *ops;
    gpointer parser;
    gboolean hold;          /* hold a trailing partial line */
    GByteArray *pending;    /* held bytes after the last newline */
    guint64 consumed;       /* bytes handed to the parser */
} KtFeeder;

static void
feeder_push(KtFeeder *f, const guint8 *buf, gsize len)
{
    if (!f->hold) {
        f->ops->feed(f->parser, (const char *)buf, len);
        f->consumed += len;
        return;
    }
    const guint8 *nl = NULL;
    for (gsize i = len; i > 0; i--) {
        if (buf[i - 1] == '\n') {
            nl = buf + i - 1;
            break;
        }
    }
    if (nl == NULL) {
        g_byte_array_append(f->pending, buf, (guint)len);
        return;
    }
    gsize upto = (gsize)(nl - buf) + 1;
    if (f->pending->len > 0) {
        f->ops->feed(f->parser, (const char *)f->pending->data, f->pending->len);
        f->consumed += f->pending->len;
        g_byte_array_set_size(f->pending, 0);
    }
    f->ops->feed(f->parser, (const char *)buf, upto);
    f->consumed += upto;
    g_byte_array_append(f->pending, buf + upto, (guint)(len - upto));
}

static const KtFormatOps *
choose_format(KtIngest *in, const guint8 *head, gsize len, GError **error)
{
    if (in->opts.format != NULL)
        return kt_format_find(in->opts.format);
    const KtFormatOps *ops = kt_format_sniff((const char *)head, len);
    if (ops == NULL)
        g_set_error(error, KT_ERROR, KT_ERROR_INPUT,
                    "%s: cannot tell the log format from its first bytes; name it with "
                    "--format (see 'keytrail formats')",
                    in->cur->path);
    return ops;
}

/* Reads the first bytes for format detection into @head; strips a UTF-8 BOM. */
static gboolean
read_head(KtSource *src, GByteArray *head, gboolean at_start, GError **error)
{
    guint8 *buf = g_malloc(KT_BLOCK);
    gboolean ok = TRUE;
    while (head->len < KT_SNIFF_BYTES) {
        gssize n = source_read(src, buf, KT_BLOCK, error);
        if (n < 0) {
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        g_byte_array_append(head, buf, (guint)n);
    }
    g_free(buf);
    if (ok && at_start && head->len >= 3 && memcmp(head->data, "\xef\xbb\xbf", 3) == 0)
        g_byte_array_remove_range(head, 0, 3);
    return ok;
}

/* The message for KtInputStats.error: without the "PATH: " prefix, which the reports
 * print themselves. */
static char *
stats_error(const char *msg, const char *path)
{
    gsize n = strlen(path);
    if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    return g_strdup(msg);
}

/* The first bytes of a plain file read at an offset (pread: the offset stays). */
static GByteArray *
read_file_start(KtSource *src)
{
    GByteArray *b = g_byte_array_sized_new(KT_SNIFF_BYTES);
    g_byte_array_set_size(b, KT_SNIFF_BYTES);
    gssize n;
    do
        n = pread(src->fd, b->data, KT_SNIFF_BYTES, 0);
    while (n < 0 && errno == EINTR);
    g_byte_array_set_size(b, n > 0 ? (guint)n : 0);
    if (b->len >= 3 && memcmp(b->data, "\xef\xbb\xbf", 3) == 0)
        g_byte_array_remove_range(b, 0, 3);
    return b;
}

static gboolean
run_source(KtIngest *in, KtSource *src, guint64 offset, guint64 *end_offset, GError **error)
{
    KtInputStats *s = in->cur;
    src->raw = g_malloc(KT_BLOCK);
    gboolean ok = FALSE;
    GByteArray *head = g_byte_array_new();
    KtFeeder f = { 0 };
    guint8 *buf = NULL;

    if (!refill_raw(src, error))
        goto out;
    if (src->raw_len >= 2 && src->raw[0] == 0x1f && src->raw[1] == 0x8b) {
        if (offset > 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_INPUT,
                        "%s: a gzip file cannot be resumed from an offset", s->path);
            goto out;
        }
        src->gz = G_CONVERTER(g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP));
        s->gzip = TRUE;
        inflate_whole(src);
    }
    if (!read_head(src, head, offset == 0, error))
        goto out;
    if (head->len == 0) {
        s->format = offset > 0 ? "unchanged" : "empty";
        ok = TRUE;
        goto out;
    }
    /* Resuming mid-file: detect the format (and let it read a CSV header) from the
     * file's start, not from the resume point. */
    GByteArray *start = offset > 0 ? read_file_start(src) : NULL;
    GByteArray *sniff = start != NULL ? start : head;
    f.ops = choose_format(in, sniff->data, sniff->len, error);
    KtFormatOptions fo = in->opts.fmt;
    fo.label = s->path;
    if (f.ops != NULL)
        f.parser = f.ops->new(&fo, &in->sink, error);
    if (f.parser != NULL && start != NULL && f.ops->resume != NULL)
        f.ops->resume(f.parser, (const char *)start->data, start->len);
    if (start != NULL)
        g_byte_array_free(start, TRUE);
    if (f.parser == NULL)
        goto out;
    s->format = f.ops->name;
    f.hold = in->opts.hold_partial && !s->gzip;
    f.pending = g_byte_array_new();
    feeder_push(&f, head->data, head->len);
    buf = g_malloc(KT_BLOCK);
    ok = TRUE;
    for (;;) {
        /* inflated whole: handed on from where it lies, not copied block by block */
        const guint8 *block = buf;
        gssize n = src->whole != NULL ? (gssize)whole_next(src, KT_BLOCK, &block)
                                      : source_read(src, buf, KT_BLOCK, error);
        if (n < 0) {
            ok = FALSE;
            break;
        }
        if (n == 0 || in->stop)
            break;
        feeder_push(&f, block, (gsize)n);
    }
    if (ok || !f.hold)
        f.ops->finish(f.parser);
    if (f.ops->preset_name != NULL)
        s->preset = f.ops->preset_name(f.parser);
    f.ops->free(f.parser);
out:
    if (end_offset != NULL)
        *end_offset = offset + (f.hold ? f.consumed : src->in_bytes);
    s->bytes = src->in_bytes;
    if (f.pending != NULL)
        g_byte_array_free(f.pending, TRUE);
    g_byte_array_free(head, TRUE);
    g_free(buf);
    g_free(src->raw);
    g_free(src->whole);
    if (src->gz != NULL)
        g_object_unref(src->gz);
    if (!ok && error != NULL && *error != NULL && s->error == NULL)
        s->error = stats_error((*error)->message, s->path);
    return ok;
}

static KtInputStats *
begin_input(KtIngest *in, const char *path)
{
    KtInputStats *s = g_new0(KtInputStats, 1);
    s->path = g_strdup(path);
    s->format = "unknown";
    s->first_ms = G_MAXINT64;
    s->last_ms = G_MININT64;
    s->keys = g_hash_table_new(g_direct_hash, g_direct_equal);
    in->cur_index = in->stats->len;
    g_ptr_array_add(in->stats, s);
    in->cur = s;
    in->cur_serial++;
    return s;
}

gboolean
kt_ingest_run_fd(KtIngest *in, int fd, const char *label, GError **error)
{
    begin_input(in, label);
    KtSource src = { .fd = fd, .label = label, .max_ratio = in->opts.max_gzip_ratio, .in = in };
    GError *local = NULL;
    gboolean ok = run_source(in, &src, 0, NULL, &local);
    if (!ok)
        g_propagate_error(error, local);
    return ok;
}

static gboolean run_path(KtIngest *in, const char *path, guint64 offset, guint64 *end_offset,
                         GError **error);

gboolean
kt_ingest_run_path(KtIngest *in, const char *path, guint64 offset, guint64 *end_offset,
                   GError **error)
{
    GError *local = NULL;
    gboolean ok = run_path(in, path, offset, end_offset, &local);
    if (!ok)
        g_propagate_error(error, local);
    return ok;
}

static gboolean
run_path(KtIngest *in, const char *path, guint64 offset, guint64 *end_offset, GError **error)
{
    KtInputStats *s = begin_input(in, path);
    if (end_offset != NULL)
        *end_offset = offset;
    if (strcmp(path, "-") == 0) {
        KtSource src = { .fd = 0, .label = "-", .max_ratio = in->opts.max_gzip_ratio, .in = in };
        return run_source(in, &src, 0, end_offset, error);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "%s: cannot open: %s%s", path, g_strerror(e),
                    e == EACCES ? " (check its permissions)"
                    : e == ENOENT ? " (check the path)" : "");
        s->error = stats_error((*error)->message, path);
        return FALSE;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "%s: is a directory", path);
        s->error = stats_error((*error)->message, path);
        close(fd);
        return FALSE;
    }
    if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        int e = errno;
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "%s: cannot seek to %" G_GUINT64_FORMAT ": %s",
                    path, offset, g_strerror(e));
        s->error = stats_error((*error)->message, path);
        close(fd);
        return FALSE;
    }
    KtSource src = { .fd = fd, .label = path, .max_ratio = in->opts.max_gzip_ratio, .in = in };
    gboolean ok = run_source(in, &src, offset, end_offset, error);
    close(fd);
    return ok;
}

/* ---- parallel parts ------------------------------------------------------------------ */

#define KT_CUT_SEARCH (1024 * 1024) /* bytes looked at after a cut's target for a place */

struct _KtSplitPlan {
    char *path;
    const KtFormatOps *ops;  /* chosen from the file's start */
    guint8 *warm;            /* the file's start (BOM stripped) through its first event */
    gsize warm_len;
    guint64 warm_lines;      /* newlines in warm */
    guint64 bom;             /* bytes of a UTF-8 BOM at the start (0 or 3) */
    guint n;                 /* parts */
    guint64 *start;          /* n + 1 offsets: part k is [start[k], start[k + 1]) */
    guint64 *newlines;       /* per part, once read */
    gboolean *clean;         /* per part, once read: one line callback per line */
};

void
kt_split_plan_free(KtSplitPlan *plan)
{
    if (plan == NULL)
        return;
    g_free(plan->path);
    g_free(plan->warm);
    g_free(plan->start);
    g_free(plan->newlines);
    g_free(plan->clean);
    g_free(plan);
}

guint
kt_split_plan_parts(const KtSplitPlan *plan)
{
    return plan->n;
}

static gboolean
pread_all(int fd, guint8 *buf, gsize len, guint64 at, gsize *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = pread(fd, buf + *got, len - *got, (off_t)(at + *got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return FALSE;
        if (n == 0)
            break;
        *got += (gsize)n;
    }
    return TRUE;
}

static gboolean
line_based(const KtFormatOps *ops)
{
    return ops == &kt_format_csv || ops == &kt_format_jsonl || ops == &kt_format_clf ||
           ops == &kt_format_syslog;
}

/* Feeds @head's lines one at a time to a parser of @ops in warm mode until one yields an
 * event; returns the bytes through that line (0: none in @head). */
static gsize
find_warmup(KtIngest *in, const KtFormatOps *ops, const guint8 *head, gsize len,
            const char *path)
{
    KtFormatOptions fo = in->opts.fmt;
    fo.label = path;
    gpointer parser = ops->new(&fo, &in->sink, NULL);
    if (parser == NULL)
        return 0;
    gsize at = 0, upto = 0;
    in->warm = TRUE;
    in->warm_events = 0;
    while (at < len) {
        const guint8 *nl = memchr(head + at, '\n', len - at);
        if (nl == NULL)
            break;
        gsize next = (gsize)(nl - head) + 1;
        ops->feed(parser, (const char *)head + at, next - at);
        at = next;
        if (in->warm_events > 0) {
            upto = at;
            break;
        }
    }
    in->warm = FALSE;
    ops->free(parser);
    return upto;
}

/* The offset of a cut at or after @target: just after a newline, and for CSV after a
 * whole line without a quote character (a quoted record spanning lines never ends
 * there). 0 when there is none within KT_CUT_SEARCH bytes. */
static guint64
find_cut(int fd, guint64 target, gboolean csv)
{
    guint8 *buf = g_malloc(KT_CUT_SEARCH);
    gsize got = 0;
    guint64 cut = 0;
    if (pread_all(fd, buf, KT_CUT_SEARCH, target - 1, &got)) {
        const guint8 *end = buf + got;
        const guint8 *p = memchr(buf, '\n', got);
        while (p != NULL) {
            const guint8 *line = p + 1;
            if (!csv) {
                cut = target - 1 + (guint64)(line - buf);
                break;
            }
            const guint8 *nl = memchr(line, '\n', (gsize)(end - line));
            if (nl == NULL)
                break;
            if (memchr(line, '"', (gsize)(nl - line)) == NULL) {
                cut = target - 1 + (guint64)(nl + 1 - buf);
                break;
            }
            p = nl;
        }
    }
    g_free(buf);
    return cut;
}

KtSplitPlan *
kt_ingest_split_plan(KtIngest *in, const char *path, guint parts, guint64 min_part)
{
    if (parts < 2 || in->opts.hold_partial || strcmp(path, "-") == 0)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    KtSplitPlan *plan = NULL;
    guint8 *head = g_malloc(KT_BLOCK);
    struct stat st;
    gsize len = 0;
    min_part = MAX(min_part, (guint64)4096);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (guint64)st.st_size < 2 * min_part ||
        !pread_all(fd, head, KT_BLOCK, 0, &len) || len < 2 || (head[0] == 0x1f && head[1] == 0x8b))
        goto out;
    guint64 size = (guint64)st.st_size;
    gsize bom = len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    const KtFormatOps *ops = in->opts.format != NULL
                                 ? kt_format_find(in->opts.format)
                                 : kt_format_sniff((const char *)head + bom, len - bom);
    if (ops == NULL || !line_based(ops))
        goto out;
    gsize warm = find_warmup(in, ops, head + bom, len - bom, path);
    if (warm == 0)
        goto out;
    parts = (guint)MIN((guint64)parts, size / min_part);
    GArray *cuts = g_array_new(FALSE, FALSE, sizeof(guint64));
    guint64 zero = 0, last = bom + warm;
    g_array_append_val(cuts, zero);
    for (guint k = 1; k < parts; k++) {
        guint64 target = size / parts * k;
        if (target <= last)
            continue;
        guint64 cut = find_cut(fd, target, ops == &kt_format_csv);
        if (cut > last && cut < size) {
            g_array_append_val(cuts, cut);
            last = cut;
        }
    }
    g_array_append_val(cuts, size);
    if (cuts->len < 3) {
        g_array_free(cuts, TRUE);
        goto out;
    }
    plan = g_new0(KtSplitPlan, 1);
    plan->path = g_strdup(path);
    plan->ops = ops;
    plan->warm = g_memdup2(head + bom, warm);
    plan->warm_len = warm;
    for (gsize i = 0; i < warm; i++)
        plan->warm_lines += plan->warm[i] == '\n';
    plan->bom = bom;
    plan->n = cuts->len - 1;
    plan->start = (guint64 *)g_array_free(cuts, FALSE);
    plan->newlines = g_new0(guint64, plan->n);
    plan->clean = g_new0(gboolean, plan->n);
out:
    g_free(head);
    close(fd);
    return plan;
}

static guint64
count_newlines(const guint8 *p, gsize n)
{
    guint64 c = 0;
    const guint8 *end = p + n;
    for (p = memchr(p, '\n', n); p != NULL; p = memchr(p + 1, '\n', (gsize)(end - p - 1)))
        c++;
    return c;
}

gboolean
kt_ingest_run_part(KtIngest *in, KtSplitPlan *plan, guint part, GError **error)
{
    g_return_val_if_fail(part < plan->n, FALSE);
    KtInputStats *s = begin_input(in, plan->path);
    s->format = plan->ops->name;
    plan->clean[part] = FALSE;
    guint64 from = part == 0 ? plan->bom : plan->start[part];
    int fd = open(plan->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 || lseek(fd, (off_t)from, SEEK_SET) < 0) {
        int e = errno;
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "%s: cannot read: %s", plan->path,
                    g_strerror(e));
        s->error = stats_error((*error)->message, plan->path);
        if (fd >= 0)
            close(fd);
        return FALSE;
    }
    KtFormatOptions fo = in->opts.fmt;
    fo.label = s->path;
    gpointer parser = plan->ops->new(&fo, &in->sink, error);
    if (parser == NULL) {
        s->error = stats_error((*error)->message, plan->path);
        close(fd);
        return FALSE;
    }
    if (part > 0) {
        in->warm = TRUE;
        plan->ops->feed(parser, (const char *)plan->warm, plan->warm_len);
        in->warm = FALSE;
    }
    KtSource src = { .fd = fd, .label = plan->path, .in = in, .bounded = TRUE,
                     .left = plan->start[part + 1] - from };
    guint8 *buf = g_malloc(KT_BLOCK);
    guint64 nl = 0;
    gboolean ok = TRUE;
    for (;;) {
        gssize n = read_fd(&src, buf, KT_BLOCK, error);
        if (n < 0) {
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        nl += count_newlines(buf, (gsize)n);
        plan->ops->feed(parser, (const char *)buf, (gsize)n);
    }
    if (ok && src.left > 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "%s: file shrank while reading", plan->path);
        ok = FALSE;
    }
    /* callbacks before the end: a part ending inside a record has fewer than lines */
    guint64 lines = s->lines;
    plan->ops->finish(parser);
    if (plan->ops->preset_name != NULL)
        s->preset = plan->ops->preset_name(parser);
    plan->ops->free(parser);
    g_free(buf);
    close(fd);
    s->bytes = src.in_bytes + (part == 0 ? plan->bom : 0);
    if (!ok) {
        s->error = stats_error((*error)->message, plan->path);
        return FALSE;
    }
    plan->newlines[part] = nl;
    /* one callback per line, and none more at the end (a record left open) */
    plan->clean[part] = part == plan->n - 1 || (lines == nl && s->lines == nl);
    return TRUE;
}

gboolean
kt_split_plan_line_offsets(const KtSplitPlan *plan, guint64 *offsets)
{
    guint64 before = 0;
    gboolean ok = TRUE;
    for (guint k = 0; k < plan->n; k++) {
        ok &= plan->clean[k];
        offsets[k] = k == 0 ? 0 : before - plan->warm_lines;
        before += plan->newlines[k];
    }
    return ok;
}
