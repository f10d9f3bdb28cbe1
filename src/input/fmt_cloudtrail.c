/*
 * fmt_cloudtrail.c - the "cloudtrail" format (input stage): CloudTrail documents as
 * delivered to S3 ({"Records":[...]}), bare JSON arrays, `aws cloudtrail lookup-events`
 * output ({"Events":[{"CloudTrailEvent":"<json>"}]}) and concatenated objects. The
 * streaming splitter (jsonsplit.c) hands over one record at a time; line = record index.
 */
#include "preset.h"

typedef struct {
    const KtFormatOptions *opts; /* borrowed */
    const KtSink *sink;          /* borrowed */
    KtMapper *mapper;            /* owned */
    KtJsonSplitter *js;          /* owned */
} KtCloudTrailParser;

static void
ct_record(gpointer ud, const char *text, gsize len, guint64 index)
{
    KtCloudTrailParser *p = ud;
    kt_json_emit_record(p->mapper, p->sink, text, len, index, p->opts->max_json_depth);
}

static gpointer
ct_new(const KtFormatOptions *opts, const KtSink *sink, GError **error)
{
    KtMapper *m = kt_mapper_new(opts, "cloudtrail", error);
    if (m == NULL)
        return NULL;
    KtCloudTrailParser *p = g_new0(KtCloudTrailParser, 1);
    p->opts = opts;
    p->sink = sink;
    p->mapper = m;
    p->js = kt_json_splitter_new(opts->max_line, opts->max_json_depth, ct_record, sink, p);
    return p;
}

static void
ct_feed(gpointer parser, const char *buf, gsize len)
{
    KtCloudTrailParser *p = parser;
    kt_json_splitter_feed(p->js, buf, len);
}

static void
ct_finish(gpointer parser)
{
    KtCloudTrailParser *p = parser;
    kt_json_splitter_finish(p->js);
}

static void
ct_free(gpointer parser)
{
    KtCloudTrailParser *p = parser;
    if (p == NULL)
        return;
    kt_json_splitter_free(p->js);
    kt_mapper_free(p->mapper);
    g_free(p);
}

static const char *
ct_preset_name(gpointer parser)
{
    KtCloudTrailParser *p = parser;
    return kt_mapper_preset_name(p->mapper);
}

static gsize
skip_ws(const char *buf, gsize len, gsize i)
{
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    return i;
}

/* 95 for {"Records" / {"Events", 90 for [ {, 60 for an empty array, 30 for an object
 * whose first line does not close it (pretty-printed), 10 for other objects, else 0. */
static int
ct_sniff(const char *buf, gsize len)
{
    gsize i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    i = skip_ws(buf, len, i);
    if (i >= len)
        return 0;
    if (buf[i] == '[') {
        i = skip_ws(buf, len, i + 1);
        if (i < len && buf[i] == '{')
            return 90;
        return i < len && buf[i] == ']' ? 60 : 0;
    }
    if (buf[i] != '{')
        return 0;
    gsize j = skip_ws(buf, len, i + 1);
    if ((len - j >= 9 && memcmp(buf + j, "\"Records\"", 9) == 0) ||
        (len - j >= 8 && memcmp(buf + j, "\"Events\"", 8) == 0))
        return 95;
    /* a first line that does not close the object: pretty-printed record(s) */
    const char *nl = memchr(buf + i, '\n', len - i);
    gsize end = nl != NULL ? (gsize)(nl - buf) : len;
    while (end > i + 1 && (buf[end - 1] == ' ' || buf[end - 1] == '\t' || buf[end - 1] == '\r'))
        end--;
    return buf[end - 1] != '}' ? 30 : 10;
}

static void
ct_describe(GString *out)
{
    g_string_append(out, "  {\"Records\":[...]} (S3 delivery, usually .json.gz), bare arrays, "
                         "lookup-events {\"Events\":[...]}\n  (CloudTrailEvent strings are "
                         "unwrapped), concatenated objects; line = record index\n");
    kt_preset_describe(out, FALSE);
}

const KtFormatOps kt_format_cloudtrail = {
    .name = "cloudtrail",
    .summary = "AWS CloudTrail JSON documents, arrays and lookup-events output",
    .sniff = ct_sniff,
    .new = ct_new,
    .feed = ct_feed,
    .finish = ct_finish,
    .free = ct_free,
    .describe = ct_describe,
    .preset_name = ct_preset_name,
};
