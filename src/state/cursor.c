/*
 * cursor.c - per-input cursors for watch: which bytes of which files are new since the
 * last run. Files are identified by device+inode (renames), by a SHA-256 fingerprint of
 * their first bytes (truncation, inode reuse, compressed copies) and by their rotation
 * stem ("app.log.2.gz" -> "app.log"). Runs the resulting read plan through a reader.
 */
#include "keytrail/state.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor-private.h"

/* ---- KtCursor ----------------------------------------------------------------------- */

KtCursor *
kt_cursor_new(const char *path)
{
    KtCursor *c = g_new0(KtCursor, 1);
    c->path = g_strdup(path);
    c->last_ts = G_MININT64;
    return c;
}

KtCursor *
kt_cursor_copy(const KtCursor *c)
{
    KtCursor *n = g_new(KtCursor, 1);
    *n = *c;
    n->path = g_strdup(c->path);
    return n;
}

void
kt_cursor_free(KtCursor *c)
{
    if (c == NULL)
        return;
    g_free(c->path);
    g_free(c);
}

static void
add_u64_string(cJSON *o, const char *name, guint64 v)
{
    char buf[32];
    g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
    if (cJSON_AddStringToObject(o, name, buf) == NULL)
        g_error("out of memory building a cursor");
}

cJSON *
kt_cursor_to_json(const KtCursor *c)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || cJSON_AddStringToObject(o, "path", c->path) == NULL)
        g_error("out of memory building a cursor");
    add_u64_string(o, "dev", c->dev);
    add_u64_string(o, "inode", c->inode);
    cJSON_AddNumberToObject(o, "size", (double)c->size);
    cJSON_AddNumberToObject(o, "offset", (double)c->offset);
    cJSON_AddStringToObject(o, "fingerprint", c->fingerprint);
    cJSON_AddNumberToObject(o, "fp_len", c->fp_len);
    if (c->last_ts == G_MININT64)
        cJSON_AddNullToObject(o, "last_ts");
    else
        cJSON_AddNumberToObject(o, "last_ts", (double)c->last_ts);
    cJSON_AddBoolToObject(o, "gzip", c->gzip);
    if (c->lines != KT_CURSOR_LINES_UNKNOWN)
        cJSON_AddNumberToObject(o, "lines", (double)c->lines);
    cJSON_AddNumberToObject(o, "rejected", (double)c->rejected);
    return o;
}

/* A non-negative integer member below 2^53 (exact in a double). */
static gboolean
get_count(const cJSON *o, const char *name, guint64 max, guint64 *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > (double)max ||
        v->valuedouble != (double)(guint64)v->valuedouble)
        return FALSE;
    *out = (guint64)v->valuedouble;
    return TRUE;
}

static gboolean
get_u64_string(const cJSON *o, const char *name, guint64 *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v))
        return FALSE;
    return g_ascii_string_to_unsigned(v->valuestring, 10, 0, G_MAXUINT64, out, NULL);
}

static gboolean
get_fingerprint(const cJSON *o, KtCursor *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "fingerprint");
    if (!cJSON_IsString(v))
        return FALSE;
    gsize n = strlen(v->valuestring);
    if (n != 0 && n != 64)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isxdigit(v->valuestring[i]))
            return FALSE;
    memcpy(c->fingerprint, v->valuestring, n + 1);
    return (n == 0) == (c->fp_len == 0);
}

/* The optional "lines" and "rejected" (absent in states written before them): FALSE
 * when present but not a count. (A CloudTrail document can hold more rejected records
 * than lines.) */
static gboolean
get_line_counts(const cJSON *o, KtCursor *c)
{
    const guint64 exact = (guint64)1 << 53;
    c->lines = KT_CURSOR_LINES_UNKNOWN;
    c->rejected = 0;
    if (cJSON_HasObjectItem(o, "lines") && !get_count(o, "lines", exact, &c->lines))
        return FALSE;
    if (cJSON_HasObjectItem(o, "rejected") && !get_count(o, "rejected", exact, &c->rejected))
        return FALSE;
    return TRUE;
}

KtCursor *
kt_cursor_from_json(const cJSON *o, GError **error)
{
    const guint64 exact = (guint64)1 << 53;
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "last_ts");
    const cJSON *gz = cJSON_GetObjectItemCaseSensitive(o, "gzip");
    guint64 fp_len = 0;
    if (!cJSON_IsObject(o) || !cJSON_IsString(path) || path->valuestring[0] == '\0' ||
        !cJSON_IsBool(gz) || !(cJSON_IsNull(ts) || cJSON_IsNumber(ts))) {
        g_set_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT, "bad cursor");
        return NULL;
    }
    g_autoptr(KtCursor) c = kt_cursor_new(path->valuestring);
    c->gzip = cJSON_IsTrue(gz);
    if (!get_u64_string(o, "dev", &c->dev) || !get_u64_string(o, "inode", &c->inode) ||
        !get_count(o, "size", exact, &c->size) || !get_count(o, "offset", exact, &c->offset) ||
        !get_count(o, "fp_len", KT_CURSOR_FP_MAX, &fp_len)) {
        g_set_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT, "bad cursor for '%s'", c->path);
        return NULL;
    }
    c->fp_len = (guint32)fp_len;
    if (!get_line_counts(o, c)) {
        g_set_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT, "bad line counts for '%s'",
                    c->path);
        return NULL;
    }
    if (!get_fingerprint(o, c)) {
        g_set_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT, "bad fingerprint for '%s'",
                    c->path);
        return NULL;
    }
    if (cJSON_IsNumber(ts)) {
        if (!(ts->valuedouble > -9e15 && ts->valuedouble < 9e15)) {
            g_set_error(error, KT_ERROR, KT_ERROR_STATE_CORRUPT, "bad last_ts for '%s'",
                        c->path);
            return NULL;
        }
        c->last_ts = (gint64)ts->valuedouble;
    }
    return g_steal_pointer(&c);
}

/* ---- file heads: the first bytes, decompressed for gzip ---------------------------- */

gboolean
kt_cursor_is_gzip_fd(int fd)
{
    guchar magic[2];
    return pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}


/* Refills @in from @fd, keeping the @keep unconsumed bytes at its start. */
static gssize
gz_refill(int fd, guchar *in, gsize cap, gsize keep)
{
    for (;;) {
        ssize_t n = read(fd, in + keep, cap - keep);
        if (n < 0 && errno == EINTR)
            continue;
        return n;
    }
}

static gboolean
gz_error(GError **error, const char *path, const char *why)
{
    g_set_error(error, KT_ERROR, KT_ERROR_INPUT, "'%s': %s", path, why);
    return FALSE;
}

/*
 * Decompresses the gzip stream behind @fd (all members, from its start) into @sink,
 * stopping at @max_out output bytes (0 = unlimited: error KT_ERROR_INPUT beyond).
 */
gboolean
kt_cursor_gz_stream(int fd, const char *path, guint64 max_out, GzSinkFn sink, gpointer ud,
                    GError **error)
{
    g_autoptr(GZlibDecompressor) dec = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
    g_autofree guchar *in = g_malloc(65536);
    g_autofree guchar *out = g_malloc(65536);
    gsize in_len = 0, total = 0;
    gboolean eof = FALSE, member_done = FALSE;
    if (lseek(fd, 0, SEEK_SET) != 0)
        return gz_error(error, path, g_strerror(errno));
    for (;;) {
        if (!eof && in_len < 65536) {
            gssize n = gz_refill(fd, in, 65536, in_len);
            if (n < 0)
                return gz_error(error, path, g_strerror(errno));
            eof = n == 0;
            in_len += (gsize)n;
        }
        if (member_done) {
            /* another member follows only when it starts with the gzip magic */
            if (in_len < 2 || in[0] != 0x1f || in[1] != 0x8b)
                return TRUE;
            g_converter_reset(G_CONVERTER(dec));
            member_done = FALSE;
        }
        if (in_len == 0 && eof)
            return gz_error(error, path, "truncated gzip stream");
        gsize nread = 0, nwritten = 0;
        g_autoptr(GError) local = NULL;
        GConverterResult r =
            g_converter_convert(G_CONVERTER(dec), in, in_len, out, 65536,
                                eof ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS, &nread,
                                &nwritten, &local);
        if (r == G_CONVERTER_ERROR) {
            if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) && !eof)
                continue;
            return gz_error(error, path, local->message);
        }
        memmove(in, in + nread, in_len - nread);
        in_len -= nread;
        total += nwritten;
        if (max_out > 0 && total > max_out)
            return gz_error(error, path, "gzip stream expands beyond the ratio limit");
        if (nwritten > 0 && !sink(ud, out, nwritten, error))
            return error == NULL || *error == NULL;
        if (r == G_CONVERTER_FINISHED)
            member_done = TRUE;
    }
}

typedef struct {
    GByteArray *buf;
    gsize want;
} HeadSink;

static gboolean
head_sink(gpointer ud, const guchar *data, gsize len, GError **error)
{
    HeadSink *h = ud;
    gsize take = MIN(len, h->want - h->buf->len);
    g_byte_array_append(h->buf, data, (guint)take);
    return h->buf->len < h->want;
}

/* (transfer full) Up to KT_CURSOR_FP_MAX first bytes of the file behind @fd (decompressed
 * when @gzip); NULL and @error when it cannot be read. */
GByteArray *
kt_cursor_read_head(int fd, const char *path, gboolean gzip, GError **error)
{
    g_autoptr(GByteArray) buf = g_byte_array_sized_new(KT_CURSOR_FP_MAX);
    if (gzip) {
        HeadSink h = { buf, KT_CURSOR_FP_MAX };
        g_autoptr(GError) local = NULL;
        if (!kt_cursor_gz_stream(fd, path, 0, head_sink, &h, &local) && buf->len == 0) {
            g_propagate_error(error, g_steal_pointer(&local));
            return NULL;
        }
        return g_steal_pointer(&buf);
    }
    g_byte_array_set_size(buf, KT_CURSOR_FP_MAX);
    gsize got = 0;
    while (got < KT_CURSOR_FP_MAX) {
        ssize_t n = pread(fd, buf->data + got, KT_CURSOR_FP_MAX - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot read '%s': %s", path,
                        g_strerror(errno));
            return NULL;
        }
        if (n == 0)
            break;
        got += (gsize)n;
    }
    g_byte_array_set_size(buf, (guint)got);
    return g_steal_pointer(&buf);
}

/* Writes the hex SHA-256 of the first @len bytes of @head into @out (65 bytes). */
void
kt_cursor_fingerprint(const GByteArray *head, guint32 len, char *out)
{
    g_assert(len <= head->len);
    if (len == 0) {
        out[0] = '\0';
        return;
    }
    g_autofree char *hex =
        g_compute_checksum_for_data(G_CHECKSUM_SHA256, head->data, (gsize)len);
    memcpy(out, hex, 65);
}

/* TRUE when @head starts with the bytes @c fingerprinted. */
gboolean
kt_cursor_head_matches(const KtCursor *c, const GByteArray *head)
{
    if (head->len < c->fp_len)
        return FALSE;
    char fp[65];
    kt_cursor_fingerprint(head, c->fp_len, fp);
    return strcmp(fp, c->fingerprint) == 0;
}

/* ---- rotation stems ----------------------------------------------------------------- */

static gboolean
strip_suffix(char *s, const char *suffix)
{
    gsize n = strlen(s), m = strlen(suffix);
    if (n > m && strcmp(s + n - m, suffix) == 0) {
        s[n - m] = '\0';
        return TRUE;
    }
    return FALSE;
}

/* Strips ".<digits>" or "-<digits>" (numbered or dateext rotation). */
static gboolean
strip_number(char *s)
{
    gsize n = strlen(s), i = n;
    while (i > 0 && g_ascii_isdigit(s[i - 1]))
        i--;
    if (i == n || i < 2 || (s[i - 1] != '.' && s[i - 1] != '-'))
        return FALSE;
    s[i - 1] = '\0';
    return TRUE;
}

/* (transfer full) The name a rotated file was rotated from: "app.log.2.gz" -> "app.log",
 * "app.log-20240101.gz" -> "app.log"; other names are their own stem. */
char *
kt_cursor_stem(const char *basename)
{
    char *s = g_strdup(basename);
    gboolean again = TRUE;
    while (again)
        again = strip_suffix(s, ".gz") || strip_number(s);
    return s;
}
