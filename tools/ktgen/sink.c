/*
 * sink.c - ktgen's output end: a 1 MiB append buffer flushed with fwrite, optionally
 * through GIO's gzip compressor, plus allocation-free appenders for numbers, IPs,
 * timestamps (day prefix cached) and ids. Then the writer that picks a line format.
 */
#include <errno.h>

#include "ktgen.h"

#define KG_SINK_CAP (1u << 20)

KgSink *
kg_sink_open(const char *path, gboolean gzip, GError **error)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!fp) {
        int err = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot write %s: %s",
                    path, g_strerror(err));
        return NULL;
    }
    KgSink *s = g_new0(KgSink, 1);
    s->fp = fp;
    s->path = g_strdup(path);
    s->cap = KG_SINK_CAP;
    s->buf = g_malloc(s->cap);
    s->day_cache = s->clf_cache = G_MININT64;
    if (gzip) {
        s->gz = G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 3));
        s->zcap = 256 * 1024;
        s->zbuf = g_malloc(s->zcap);
    }
    return s;
}

static void
sink_write(KgSink *s, const char *p, gsize n)
{
    if (n && !s->failed && fwrite(p, 1, n, s->fp) != n)
        s->failed = TRUE;
}

void
kg_sink_flush(KgSink *s, gboolean finish)
{
    if (!s->gz) {
        sink_write(s, s->buf, s->len);
        s->len = 0;
        return;
    }
    const char *in = s->buf;
    gsize left = s->len;
    for (;;) {
        gsize rd = 0, wr = 0;
        g_autoptr(GError) err = NULL;
        GConverterResult res =
            g_converter_convert(s->gz, in, left, s->zbuf, s->zcap,
                                finish ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS, &rd,
                                &wr, &err);
        if (res == G_CONVERTER_ERROR) {
            s->failed = TRUE;
            break;
        }
        sink_write(s, s->zbuf, wr);
        in += rd;
        left -= rd;
        if (res == G_CONVERTER_FINISHED || (!finish && left == 0))
            break;
    }
    s->len = 0;
}

void
kg_sink_reserve(KgSink *s, gsize n)
{
    if (s->len + n > s->cap)
        kg_sink_flush(s, FALSE);
    g_assert(n <= s->cap);
}

gboolean
kg_sink_close(KgSink *s, GError **error)
{
    if (!s)
        return TRUE;
    kg_sink_flush(s, TRUE);
    if (s->fp != stdout) {
        if (fclose(s->fp) != 0)
            s->failed = TRUE;
    } else if (fflush(s->fp) != 0) {
        s->failed = TRUE;
    }
    gboolean ok = !s->failed;
    if (!ok)
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "write error on %s", s->path);
    g_clear_object(&s->gz);
    g_free(s->zbuf);
    g_free(s->buf);
    g_free(s->path);
    g_free(s);
    return ok;
}

void
kg_put_u64(KgSink *s, guint64 v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        s->buf[s->len++] = tmp[--n];
}

void
kg_put_ip(KgSink *s, guint32 ip)
{
    for (int i = 3; i >= 0; i--) {
        kg_put_u64(s, (ip >> (8 * i)) & 255);
        if (i)
            kg_put_c(s, '.');
    }
}

static void
put2(KgSink *s, int v)
{
    kg_put_c(s, (char)('0' + v / 10));
    kg_put_c(s, (char)('0' + v % 10));
}

void
kg_put_time(KgSink *s, gint64 ms, int frac_digits)
{
    gint64 day = ms / KG_DAY_MS;
    if (day != s->day_cache) {
        int y, m, d;
        kg_civil_from_days(day, &y, &m, &d);
        g_snprintf(s->day_text, sizeof s->day_text, "%04d-%02d-%02dT", y, m, d);
        s->day_cache = day;
    }
    kg_put_n(s, s->day_text, 11);
    gint64 rem = ms - day * KG_DAY_MS;
    put2(s, (int)(rem / KG_HOUR_MS));
    kg_put_c(s, ':');
    put2(s, (int)(rem / 60000 % 60));
    kg_put_c(s, ':');
    put2(s, (int)(rem / 1000 % 60));
    if (frac_digits > 0) {
        int milli = (int)(rem % 1000);
        kg_put_c(s, '.');
        kg_put_c(s, (char)('0' + milli / 100));
        put2(s, milli % 100);
        if (frac_digits > 3)
            kg_put_n(s, "000", 3);
    }
    kg_put_c(s, 'Z');
}

void
kg_put_clf_time(KgSink *s, gint64 ms)
{
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    int off = kg_zone_offset(KG_ZONE_BERLIN, ms);
    gint64 local = ms + (gint64)off * 1000, day = local / KG_DAY_MS;
    if (day != s->clf_cache) {
        int y, m, d;
        kg_civil_from_days(day, &y, &m, &d);
        g_snprintf(s->clf_text, sizeof s->clf_text, "%02d/%s/%04d:", d, mon[m - 1], y);
        s->clf_cache = day;
    }
    kg_put_c(s, '[');
    kg_put(s, s->clf_text);
    gint64 rem = local - day * KG_DAY_MS;
    put2(s, (int)(rem / KG_HOUR_MS));
    kg_put_c(s, ':');
    put2(s, (int)(rem / 60000 % 60));
    kg_put_c(s, ':');
    put2(s, (int)(rem / 1000 % 60));
    kg_put_n(s, off == 7200 ? " +0200]" : " +0100]", 7);
}

void
kg_put_json_str(KgSink *s, const char *str)
{
    gsize plain = strcspn(str, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
                                  "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
                                  "\x1e\x1f");
    kg_put_n(s, str, plain);
    for (const char *p = str + plain; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            kg_put_c(s, '\\');
            kg_put_c(s, (char)c);
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            kg_put_n(s, "\\u00", 4);
            kg_put_c(s, hex[c >> 4]);
            kg_put_c(s, hex[c & 15]);
        } else {
            kg_put_c(s, (char)c);
        }
    }
}

void
kg_put_hex(KgSink *s, guint64 h, guint n)
{
    static const char hex[] = "0123456789abcdef";
    h = (h ^ (h >> 33)) * G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
    h ^= h >> 29;
    for (guint i = 0; i < n; i++) {
        if (i && i % 16 == 0)
            h = (h ^ (h >> 31)) * G_GUINT64_CONSTANT(0x94d049bb133111eb) + i;
        kg_put_c(s, hex[(h >> ((i % 16) * 4)) & 15]);
    }
}

void
kg_put_uuid(KgSink *s, guint64 a, guint64 b)
{
    kg_put_hex(s, a, 8);
    kg_put_c(s, '-');
    kg_put_hex(s, a + 1, 4);
    kg_put_c(s, '-');
    kg_put_c(s, '4');
    kg_put_hex(s, a + 2, 3);
    kg_put_c(s, '-');
    kg_put_c(s, "89ab"[b & 3]);
    kg_put_hex(s, b + 3, 3);
    kg_put_c(s, '-');
    kg_put_hex(s, b + 4, 12);
}

/* ---- the writer ------------------------------------------------------------------------- */

KgWriter *
kg_writer_new(KgFormat f, const KgModel *m, const char *out, gboolean gzip, GError **error)
{
    KgWriter *w = g_new0(KgWriter, 1);
    w->format = f;
    w->model = m;
    w->out = g_strdup(out);
    w->gzip = gzip;
    w->first = TRUE;
    w->out_is_dir = f == KG_FMT_CLOUDTRAIL &&
                    (g_file_test(out, G_FILE_TEST_IS_DIR) || g_str_has_suffix(out, "/"));
    if (w->out_is_dir)
        return w;
    w->sink = kg_sink_open(out, gzip, error);
    if (!w->sink) {
        kg_writer_free(w);
        return NULL;
    }
    w->files = 1;
    kg_sink_reserve(w->sink, 256);
    if (f == KG_FMT_CSV)
        kg_fmt_csv_header(w->sink);
    else if (f == KG_FMT_CLOUDTRAIL)
        kg_put(w->sink, "{\"Records\":[");
    return w;
}

/* Shuffles @ev in place by a stream keyed by @hour: CloudTrail files are not sorted. */
static void
shuffle(const KgModel *m, gint64 hour, KgEvent *ev, gsize n)
{
    KgRng r;
    kg_rng_init(&r, m->p.seed, 0x73687566ULL, (guint64)hour);
    for (gsize i = n; i > 1; i--) {
        gsize j = kg_rng_below(&r, (guint32)i);
        KgEvent t = ev[i - 1];
        ev[i - 1] = ev[j];
        ev[j] = t;
    }
}

gboolean
kg_writer_hour(KgWriter *w, gint64 hour_ms, KgEvent *ev, gsize n, GError **error)
{
    if (w->out_is_dir)
        return kg_cloudtrail_hour_dir(w, hour_ms, ev, n, error);
    KgSink *s = w->sink;
    if (w->format == KG_FMT_CLOUDTRAIL)
        shuffle(w->model, hour_ms, ev, n);
    for (gsize i = 0; i < n; i++) {
        const KgEvent *e = &ev[i];
        kg_sink_reserve(s, 16384);
        switch (w->format) {
        case KG_FMT_CSV: kg_fmt_csv(s, w->model, e); break;
        case KG_FMT_JSONL: kg_fmt_jsonl(s, w->model, e, FALSE); break;
        case KG_FMT_JSONL_FLAT: kg_fmt_jsonl(s, w->model, e, TRUE); break;
        case KG_FMT_COMBINED: kg_fmt_combined(s, w->model, e, FALSE); break;
        case KG_FMT_COMBINED_USER: kg_fmt_combined(s, w->model, e, TRUE); break;
        case KG_FMT_VAULT: kg_fmt_vault(s, w->model, e); break;
        case KG_FMT_CONJUR: kg_fmt_conjur(s, w->model, e); break;
        case KG_FMT_GITHUB: kg_fmt_github(s, w->model, e); break;
        case KG_FMT_GCP: kg_fmt_gcp(s, w->model, e); break;
        case KG_FMT_CLOUDTRAIL:
            if (!w->first)
                kg_put_c(s, ',');
            w->first = FALSE;
            kg_put_c(s, '\n');
            kg_fmt_cloudtrail_record(s, w->model, e);
            break;
        case KG_FMT_N: g_assert_not_reached();
        }
        w->written++;
    }
    if (s->failed) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "write error on %s", s->path);
        return FALSE;
    }
    return TRUE;
}

gboolean
kg_writer_finish(KgWriter *w, GError **error)
{
    if (!w->sink)
        return TRUE;
    if (w->format == KG_FMT_CLOUDTRAIL) {
        kg_sink_reserve(w->sink, 8);
        kg_put(w->sink, "\n]}\n");
    }
    KgSink *s = g_steal_pointer(&w->sink);
    return kg_sink_close(s, error);
}

void
kg_writer_free(KgWriter *w)
{
    if (!w)
        return;
    if (w->sink)
        kg_sink_close(w->sink, NULL);
    g_free(w->out);
    g_free(w);
}
