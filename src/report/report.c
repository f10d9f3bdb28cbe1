/*
 * report.c - the reporters' public entry points (last pipeline stage): unpack a
 * KtReportInput into plain arrays and pick the output kind.
 */
#include "report-private.h"

static void
data_from_input(const KtReportInput *in, KtReportData *d)
{
    memset(d, 0, sizeof(*d));
    d->stats = kt_ingest_stats(in->ingest);
    d->rejects = kt_ingest_rejects(in->ingest);
    d->dict = kt_ingest_dict(in->ingest);
    d->results = in->results;
}

gboolean
kt_report_stats(const KtReportInput *in, const KtReportOptions *o, FILE *out, GError **error)
{
    g_return_val_if_fail(in != NULL && in->ingest != NULL && o != NULL && out != NULL, FALSE);
    KtReportData d;
    data_from_input(in, &d);
    if (o->kind != KT_OUTPUT_TEXT)
        return kt_report_json_stats(&d, o, out, error);
    g_autoptr(GString) s = g_string_sized_new(4096);
    kt_report_stats_render(&d, o, s);
    return kt_report_write(out, s, error);
}

gboolean
kt_report_findings(const KtReportInput *in, const KtReportOptions *o, FILE *out,
                   GError **error)
{
    g_return_val_if_fail(in != NULL && in->ingest != NULL && o != NULL && out != NULL, FALSE);
    KtReportData d;
    data_from_input(in, &d);
    if (o->kind != KT_OUTPUT_TEXT)
        return kt_report_json_findings(&d, o, out, error);
    g_autoptr(GString) s = g_string_sized_new(16384);
    kt_report_text_render(&d, o, s);
    return kt_report_write(out, s, error);
}
