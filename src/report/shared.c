/*
 * shared.c - helpers the reporters (text.c, json.c, stats.c) share: options, times,
 * key masking, totals over the input statistics, writing.
 */
#include "report-private.h"

#include <errno.h>
#include <time.h>

#include "keytrail/sanitize.h"

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

/*
 * RFC 3339 UTC with seconds, milliseconds only when non-zero: the same text as
 * kt_time_format() (src/util/timeparse.c), kept here so that the reporters do not
 * depend on the timestamp parser.
 */
char *
kt_report_time(gint64 ms, char *buf)
{
    if (!kt_report_time_set(ms)) {
        g_strlcpy(buf, "-", 32);
        return buf;
    }
    gint64 secs = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        secs--;
        frac += 1000;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0 ||
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        g_strlcpy(buf, "-", 32);
        return buf;
    }
    gsize n = strlen(buf);
    if (frac != 0)
        g_snprintf(buf + n, 32 - n, ".%03dZ", (int)frac);
    else
        g_strlcpy(buf + n, "Z", 32 - n);
    return buf;
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
