/*
 * format.c - the registry of log formats and format detection (input stage).
 */
#include "keytrail/format.h"

#define KT_REJECT_NAME(e, s) s,
static const char *const reject_names[] = { KT_REJECT_REASONS(KT_REJECT_NAME) };
#undef KT_REJECT_NAME

const char *
kt_reject_name(KtReject r)
{
    if ((unsigned)r >= KT_REJECT_COUNT)
        return "unknown";
    return reject_names[r];
}

void
kt_format_options_init(KtFormatOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->max_line = KT_MAX_LINE_DEFAULT;
    opts->max_fields = KT_MAX_FIELDS_DEFAULT;
    opts->max_json_depth = KT_MAX_JSON_DEPTH_DEFAULT;
    opts->label = "-";
}

static const KtFormatOps *const formats[] = {
    &kt_format_cloudtrail, &kt_format_jsonl, &kt_format_csv,
    &kt_format_clf,        &kt_format_syslog, NULL,
};

const KtFormatOps *const *
kt_format_all(void)
{
    return formats;
}

const KtFormatOps *
kt_format_find(const char *name)
{
    static const struct {
        const char *alias, *name;
    } aliases[] = {
        { "json", "jsonl" },     { "ndjson", "jsonl" },   { "combined", "clf" },
        { "common", "clf" },     { "web", "clf" },        { "apache", "clf" },
        { "nginx", "clf" },      { "rfc5424", "syslog" }, { "tsv", "csv" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(aliases); i++) {
        if (g_ascii_strcasecmp(name, aliases[i].alias) == 0)
            name = aliases[i].name;
    }
    for (gsize i = 0; formats[i] != NULL; i++) {
        if (g_ascii_strcasecmp(name, formats[i]->name) == 0)
            return formats[i];
    }
    return NULL;
}

const KtFormatOps *
kt_format_sniff(const char *buf, gsize len)
{
    const KtFormatOps *best = NULL;
    int best_score = 0;
    for (gsize i = 0; formats[i] != NULL; i++) {
        int s = formats[i]->sniff(buf, len);
        if (s > best_score) {
            best_score = s;
            best = formats[i];
        }
    }
    return best;
}
