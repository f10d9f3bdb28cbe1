/*
 * fmt_jsonl.c - the "jsonl" format (input stage): one JSON object per line, fields
 * addressed by dotted paths through a preset (preset.c). Lines come from the shared
 * line splitter, so a line is never copied unless it straddles two blocks.
 */
#include "preset.h"

typedef struct {
    const KtFormatOptions *opts; /* borrowed */
    const KtSink *sink;          /* borrowed */
    KtMapper *mapper;            /* owned */
    KtLineSplitter *ls;          /* owned */
} KtJsonlParser;

static const char utf8_bom[] = "\xEF\xBB\xBF";

static gboolean
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static void
jsonl_line(gpointer ud, const char *line, gsize len, guint64 lineno)
{
    KtJsonlParser *p = ud;
    if (lineno == 1 && len >= 3 && memcmp(line, utf8_bom, 3) == 0) {
        line += 3;
        len -= 3;
    }
    while (len > 0 && is_space(line[0])) {
        line++;
        len--;
    }
    while (len > 0 && is_space(line[len - 1]))
        len--;
    if (len == 0) {
        p->sink->skip(p->sink->ud, lineno);
        return;
    }
    if (kt_line_splitter_at_eof(p->ls) && line[0] == '{' && line[len - 1] != '}') {
        p->sink->reject(p->sink->ud, lineno, KT_REJECT_TRUNCATED, "last line cut off",
                        kt_sv_len(line, MIN(len, (gsize)80)));
        return;
    }
    kt_json_emit_record(p->mapper, p->sink, line, len, lineno, p->opts->max_json_depth);
}

static gpointer
jsonl_new(const KtFormatOptions *opts, const KtSink *sink, GError **error)
{
    KtMapper *m = kt_mapper_new(opts, "generic", error);
    if (m == NULL)
        return NULL;
    KtJsonlParser *p = g_new0(KtJsonlParser, 1);
    p->opts = opts;
    p->sink = sink;
    p->mapper = m;
    p->ls = kt_line_splitter_new(opts->max_line, jsonl_line, sink, p);
    return p;
}

static void
jsonl_feed(gpointer parser, const char *buf, gsize len)
{
    KtJsonlParser *p = parser;
    kt_line_splitter_feed(p->ls, buf, len);
}

static void
jsonl_finish(gpointer parser)
{
    KtJsonlParser *p = parser;
    kt_line_splitter_finish(p->ls);
}

static void
jsonl_free(gpointer parser)
{
    KtJsonlParser *p = parser;
    if (p == NULL)
        return;
    kt_line_splitter_free(p->ls);
    kt_mapper_free(p->mapper);
    g_free(p);
}

static const char *
jsonl_preset_name(gpointer parser)
{
    KtJsonlParser *p = parser;
    return kt_mapper_preset_name(p->mapper);
}

/* 80 for a first line that is a complete JSON object, 50 for one that starts like an
 * object but does not end within @buf, else 0. */
static int
jsonl_sniff(const char *buf, gsize len)
{
    gsize i = 0;
    if (len >= 3 && memcmp(buf, utf8_bom, 3) == 0)
        i = 3;
    while (i < len && is_space(buf[i]))
        i++;
    if (i >= len || buf[i] != '{')
        return 0;
    const char *nl = memchr(buf + i, '\n', len - i);
    if (nl == NULL)
        return len - i >= 512 ? 50 : 0;
    gsize n = (gsize)(nl - (buf + i));
    if (kt_json_too_deep(buf + i, n, KT_MAX_JSON_DEPTH_DEFAULT))
        return 50;
    cJSON *obj = cJSON_ParseWithLength(buf + i, n);
    int score = cJSON_IsObject(obj) ? 80 : 0;
    cJSON_Delete(obj);
    return score;
}

static void
jsonl_describe(GString *out)
{
    g_string_append(out, "  one JSON object per line; fields are dotted paths (a.b.c); depth "
                         "limit --max-json-depth\n");
    kt_preset_describe(out, FALSE);
}

const KtFormatOps kt_format_jsonl = {
    .name = "jsonl",
    .summary = "JSON lines: one object per line, nested fields by dotted path",
    .sniff = jsonl_sniff,
    .new = jsonl_new,
    .feed = jsonl_feed,
    .finish = jsonl_finish,
    .free = jsonl_free,
    .describe = jsonl_describe,
    .preset_name = jsonl_preset_name,
};
