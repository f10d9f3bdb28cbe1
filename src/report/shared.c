/*
 * shared.c - helpers the reporters (text.c, json.c, stats.c) share: options, times,
 * key masking, totals over the input statistics, writing.
 */
#include "report-private.h"

#include <errno.h>

#include "keytrail/sanitize.h"
#include "keytrail/timeparse.h"

void
kt_report_options_init(KtReportOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->kind = KT_OUTPUT_TEXT;
    o->color = FALSE;
    o->reveal_keys = FALSE;
    o->pretty = FALSE;
    o->leak_time_ms = G_MININT64;
    o->entity = KT_ENTITY_AUTO;
    o->min_severity = KT_SEV_INFO;
}

gboolean
kt_report_time_set(gint64 ms)
{
    return ms != G_MININT64 && ms != G_MAXINT64;
}

/* Years 0000-9999 only: anything else is not a time a log could hold. */
#define KT_REPORT_TIME_MIN (-62167219200000LL) /* 0000-01-01T00:00:00Z */
#define KT_REPORT_TIME_MAX 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

char *
kt_report_time(gint64 ms, char *buf)
{
    if (!kt_report_time_set(ms) || ms < KT_REPORT_TIME_MIN || ms > KT_REPORT_TIME_MAX) {
        g_strlcpy(buf, "-", 32);
        return buf;
    }
    return kt_time_format(ms, buf);
}

char *
kt_report_key(const KtDict *dict, guint32 key, const KtReportOptions *o)
{
    if (key == 0)
        return g_strdup("");
    return kt_mask_key(kt_dict_str(dict, KT_SPACE_KEY, key), o->reveal_keys);
}

const char *
kt_report_principal(const KtDict *dict, guint32 entity, gboolean is_principal)
{
    if (!is_principal || entity == 0)
        return NULL;
    return kt_dict_str(dict, KT_SPACE_PRINCIPAL, entity);
}

void
kt_report_totals(GPtrArray *stats, guint64 *events, guint64 *rejected, guint64 *lines)
{
    guint64 ev = 0, rej = 0, ln = 0;
    for (guint i = 0; stats != NULL && i < stats->len; i++) {
        const KtInputStats *st = g_ptr_array_index(stats, i);
        ev += st->events;
        rej += st->rejected;
        ln += st->lines;
    }
    if (events != NULL)
        *events = ev;
    if (rejected != NULL)
        *rejected = rej;
    if (lines != NULL)
        *lines = ln;
}

void
kt_report_stats_range(GPtrArray *stats, gint64 *first, gint64 *last)
{
    *first = G_MAXINT64;
    *last = G_MININT64;
    for (guint i = 0; stats != NULL && i < stats->len; i++) {
        const KtInputStats *st = g_ptr_array_index(stats, i);
        if (kt_report_time_set(st->first_ms) && st->first_ms < *first)
            *first = st->first_ms;
        if (kt_report_time_set(st->last_ms) && st->last_ms > *last)
            *last = st->last_ms;
    }
}

gboolean
kt_report_write(FILE *out, const GString *s, GError **error)
{
    errno = 0;
    if (fwrite(s->str, 1, s->len, out) != s->len || fflush(out) != 0 || ferror(out)) {
        int err = errno != 0 ? errno : EIO;
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot write the report: %s",
                    g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

#define KT_REPORT_DET_NAME(e, s) s,
static const char *const detector_names[] = { KT_DETECTORS(KT_REPORT_DET_NAME) };
#undef KT_REPORT_DET_NAME

const char *
kt_report_kind_name(KtDetectorKind k)
{
    if ((unsigned)k >= KT_DET_COUNT)
        return "unknown";
    return detector_names[k];
}

char *
kt_report_redact(const char *text, gboolean reveal)
{
    return kt_redact_secrets(text, reveal);
}

char *
kt_report_redact_excerpt(const char *excerpt, gboolean reveal)
{
    if (excerpt == NULL || reveal)
        return kt_redact_secrets(excerpt, reveal);
    /* an excerpt cut at the limit may end inside a key: drop that partial token, which
     * could be too short to look like a secret but still be most of one */
    gsize len = strlen(excerpt);
    if (len >= KT_REPORT_EXCERPT_MAX) {
        while (len > 0 && (g_ascii_isalnum(excerpt[len - 1]) || excerpt[len - 1] == '_' ||
                           excerpt[len - 1] == '-' || excerpt[len - 1] == '+'))
            len--;
    }
    g_autofree char *cut = g_strndup(excerpt, len);
    return kt_redact_secrets(cut, FALSE);
}

/* @text with every occurrence of @full replaced by its masked form. */
static char *
mask_occurrences(const char *text, const char *full)
{
    gsize flen = strlen(full);
    if (flen == 0 || strstr(text, full) == NULL)
        return g_strdup(text);
    g_autofree char *masked = kt_mask_key(full, FALSE);
    GString *out = g_string_sized_new(strlen(text) + 1);
    const char *p = text;
    for (const char *hit = strstr(p, full); hit != NULL; hit = strstr(p, full)) {
        g_string_append_len(out, p, hit - p);
        g_string_append(out, masked);
        p = hit + flen;
    }
    g_string_append(out, p);
    return g_string_free(out, FALSE);
}

char *
kt_report_redact_key(const char *text, const KtDict *dict, guint32 key,
                     const KtReportOptions *o)
{
    if (text == NULL)
        return NULL;
    if (o->reveal_keys)
        return g_strdup(text);
    g_autofree char *exact = mask_occurrences(text, kt_dict_str(dict, KT_SPACE_KEY, key));
    return kt_report_redact(exact, FALSE);
}

char *
kt_report_log_str(const KtDict *dict, KtSpace space, guint32 id, const KtReportOptions *o)
{
    return kt_report_redact(kt_dict_str(dict, space, id), o->reveal_keys);
}
