/*
 * fmt_csv.c - the "csv" format (input stage): a header row, then records; delimiter
 * ',' ';' or TAB detected from the header. Lines without a quote character take a fast
 * path (memchr split, no copy), and so do quoted lines of the common shape (see
 * split_quoted); other records with quotes go through libcsv, which handles embedded
 * newlines, doubled quotes and bad quoting. Fields map through a preset.
 */
#include <csv.h>

#include "linesplit.h"
#include "preset.h"

/* Bytes of a record kept for a reject excerpt. */
#define HEAD_LEN 80

typedef struct {
    const KtFormatOptions *opts; /* borrowed */
    const KtSink *sink;          /* borrowed */
    KtSink inner;                /* the line splitter's sink (see csv_split_reject) */
    KtMapper *mapper;            /* owned */
    KtLineSplitter *ls;          /* owned */
    struct csv_parser csv;       /* libcsv state for quoted records */
    char delim;                  /* 0 until the header line is seen */
    gboolean have_header;        /* the header row has been bound */
    guint ncols;                 /* header width */
    KtStrView *fv;               /* field views of the current record */
    guint fv_cap;                /* allocated entries of fv */
    /* a quoted record read through libcsv, possibly over several lines */
    gboolean in_record;   /* libcsv holds a record that continues */
    gboolean record_done; /* libcsv reported its end */
    guint64 rec_line;     /* physical line where it started */
    gsize rec_bytes;      /* its bytes so far */
    guint quotes;         /* quote characters in it so far */
    guint nfields;        /* fields so far (counted beyond max_fields too) */
    GString *rowbuf;      /* their bytes */
    GString *qbuf;        /* split_quoted(): fields with "" unescaped, for one line */
    gsize qbuf_used;      /* its bytes used by the current line */
    GArray *offs;         /* gsize start, len pairs into rowbuf */
    char head[HEAD_LEN];  /* start of the record, for excerpts */
    gsize head_len;
    gboolean skip_quoted; /* dropping the rest of an over-long quoted record */
} KtCsvParser;

static const char utf8_bom[] = "\xEF\xBB\xBF";

/* ---- fields ------------------------------------------------------------------------- */

static gboolean
is_trim(const KtCsvParser *p, char c)
{
    return (c == ' ' || c == '\t') && c != p->delim;
}

/* Makes room for @n field views; FALSE when @n exceeds the --max-fields limit. */
static gboolean
fv_reserve(KtCsvParser *p, guint n)
{
    if (n > p->opts->max_fields)
        return FALSE;
    if (n > p->fv_cap) {
        p->fv_cap = MAX(n, MIN(p->fv_cap * 2 + 16, p->opts->max_fields));
        p->fv = g_renew(KtStrView, p->fv, p->fv_cap);
    }
    return TRUE;
}

/* The unquoted field starting at @s, up to the next delimiter or @end, without the spaces
 * and tabs around it (as libcsv trims them), into *@f; returns where it ends (the
 * delimiter, or @end). */
static inline const char *
unquoted_field(const KtCsvParser *p, const char *s, const char *end, KtStrView *f)
{
    g_assert(s <= end);
    const char *d = memchr(s, p->delim, (gsize)(end - s));
    const char *fe = d != NULL ? d : end;
    while (s < fe && is_trim(p, *s))
        s++;
    while (fe > s && is_trim(p, fe[-1]))
        fe--;
    *f = kt_sv_len(s, (gsize)(fe - s));
    return d != NULL ? d : end;
}

/* Splits a line without quotes at the delimiter into p->fv; returns the number of
 * fields, or G_MAXUINT when there are more than --max-fields. */
static guint
split_fast(KtCsvParser *p, const char *line, gsize len)
{
    const char *s = line, *end = line + len;
    guint n = 0;
    for (;;) {
        KtStrView f;
        const char *next = unquoted_field(p, s, end, &f);
        /* fv_cap never exceeds --max-fields, so within it no check is needed */
        if (n + 1 > p->fv_cap && !fv_reserve(p, n + 1))
            return G_MAXUINT;
        p->fv[n++] = f;
        if (next == end)
            return n;
        s = next + 1;
    }
}

/* split_quoted()'s answer for a line it leaves to libcsv. */
#define KT_CSV_SLOW (G_MAXUINT - 1)

/* Whether split_quoted() is tried (FALSE: every quoted line goes through libcsv; the
 * unit tests compare the two). */
static gboolean quoted_fast = TRUE;

void
kt_csv_set_quoted_fast(gboolean on)
{
    quoted_fast = on;
}

/* The body [@s, @e) of a quoted field with each "" made one quote, in p->qbuf, which is
 * sized for the whole line (@line_len) on the line's first use (qbuf_used 0), so the views
 * of earlier fields stay valid. */
static KtStrView
unescape_quotes(KtCsvParser *p, const char *s, const char *e, gsize line_len)
{
    if (p->qbuf_used == 0 && p->qbuf->len < line_len)
        g_string_set_size(p->qbuf, line_len);
    char *out = p->qbuf->str + p->qbuf_used, *o = out;
    while (s < e) {
        const char *q = memchr(s, '"', (gsize)(e - s));
        const char *stop = q != NULL ? q + 1 : e; /* keep the first quote of a pair */
        memcpy(o, s, (gsize)(stop - s));
        o += stop - s;
        s = q != NULL ? q + 2 : e;
    }
    p->qbuf_used += (gsize)(o - out);
    return kt_sv_len(out, (gsize)(o - out));
}

/*
 * Splits a line holding quotes into p->fv as libcsv (CSV_STRICT, '\n' the only
 * terminator) would, for the common shape: every quoted field closes on this line ("" in
 * it standing for a quote) and is followed by nothing but spaces up to the delimiter or
 * the end; no unquoted field holds a quote; at most --max-fields fields. Anything else
 * returns KT_CSV_SLOW before a field is used, and libcsv reads the line (and its
 * continuation), so its verdicts on odd quoting stay the only ones. What it reproduces:
 * spaces and tabs (other than the delimiter) before a field are skipped; an unquoted
 * field loses trailing ones; a quoted field is its bytes between the quotes, spaces
 * after the closing quote dropped. Why: exports that quote every field (Athena,
 * spreadsheets, csv.QUOTE_ALL) or carry JSON columns otherwise go through libcsv's
 * per-byte state machine, 3.5-4.5 times slower than this split.
 */
static guint
split_quoted(KtCsvParser *p, const char *line, gsize len)
{
    const char *s = line, *end = line + len;
    guint n = 0;
    p->qbuf_used = 0;
    for (;;) {
        while (s < end && is_trim(p, *s))
            s++;
        KtStrView f;
        const char *next;
        if (s < end && *s == '"') {
            const char *fs = s + 1, *fe;
            gboolean doubled = FALSE;
            for (const char *q = fs;; q = fe + 2) {
                fe = memchr(q, '"', (gsize)(end - q));
                if (fe == NULL)
                    return KT_CSV_SLOW; /* continues on the next line, or is malformed */
                if (fe + 1 == end || fe[1] != '"')
                    break;
                doubled = TRUE; /* "" stands for one quote */
            }
            next = fe + 1;
            while (next < end && is_trim(p, *next))
                next++;
            if (next < end && *next != p->delim)
                return KT_CSV_SLOW; /* bytes after the closing quote: libcsv rejects */
            f = doubled ? unescape_quotes(p, fs, fe, len) : kt_sv_len(fs, (gsize)(fe - fs));
        } else {
            next = unquoted_field(p, s, end, &f);
            if (memchr(s, '"', (gsize)(next - s)) != NULL)
                return KT_CSV_SLOW; /* a quote inside an unquoted field: libcsv rejects */
        }
        if (n + 1 > p->fv_cap && !fv_reserve(p, n + 1))
            return KT_CSV_SLOW; /* too many fields: libcsv counts them all */
        p->fv[n++] = f;
        if (next == end)
            return n;
        s = next + 1;
    }
}

/* ---- records ------------------------------------------------------------------------ */

static void
reject(KtCsvParser *p, guint64 line, KtReject r, const char *detail, const char *ex, gsize len)
{
    p->sink->reject(p->sink->ud, line, r, detail, kt_sv_len(ex, MIN(len, (gsize)HEAD_LEN)));
}

/* One complete record of @n fields (G_MAXUINT = too many) in p->fv. */
static void
csv_record(KtCsvParser *p, guint n, guint64 line, const char *ex, gsize exlen)
{
    if (n == G_MAXUINT) {
        reject(p, line, KT_REJECT_TOO_MANY_FIELDS, "more fields than --max-fields", ex, exlen);
        return;
    }
    if (!p->have_header) {
        kt_mapper_csv_header(p->mapper, p->fv, n);
        p->have_header = TRUE;
        p->ncols = n;
        p->sink->skip(p->sink->ud, line);
        return;
    }
    if (n != p->ncols) {
        char detail[64];
        g_snprintf(detail, sizeof(detail), "%u fields, header has %u", n, p->ncols);
        reject(p, line, KT_REJECT_BAD_FIELD_COUNT, detail, ex, exlen);
        return;
    }
    KtEventView ev;
    KtReject reason = KT_REJECT_MALFORMED;
    switch (kt_mapper_csv_row(p->mapper, p->fv, n, &ev, &reason)) {
    case KT_MAP_EVENT:
        p->sink->event(p->sink->ud, &ev, line);
        break;
    case KT_MAP_SKIP:
        p->sink->skip(p->sink->ud, line);
        break;
    case KT_MAP_REJECT:
        reject(p, line, reason, NULL, ex, exlen);
        break;
    }
}

/* ---- quoted records through libcsv -------------------------------------------------- */

static int
csv_is_term(unsigned char c)
{
    return c == '\n';
}

static void
csv_reset(KtCsvParser *p)
{
    csv_free(&p->csv);
    if (csv_init(&p->csv, CSV_STRICT) != 0)
        g_error("csv_init: out of memory");
    csv_set_delim(&p->csv, (unsigned char)(p->delim ? p->delim : ','));
    csv_set_term_func(&p->csv, csv_is_term);
    p->in_record = p->record_done = FALSE;
}

static void
csv_cb_field(void *s, size_t len, void *data)
{
    KtCsvParser *p = data;
    if (++p->nfields > p->opts->max_fields)
        return;
    gsize pos[2] = {p->rowbuf->len, len};
    g_array_append_vals(p->offs, pos, 2);
    if (len > 0)
        g_string_append_len(p->rowbuf, s, (gssize)len);
}

static void
csv_cb_row(int c, void *data)
{
    KtCsvParser *p = data;
    p->record_done = TRUE;
}

static void
slow_begin(KtCsvParser *p, const char *line, gsize len, guint64 lineno)
{
    p->in_record = TRUE;
    p->record_done = FALSE;
    p->rec_line = lineno;
    p->rec_bytes = 0;
    p->quotes = 0;
    p->nfields = 0;
    g_string_truncate(p->rowbuf, 0);
    g_array_set_size(p->offs, 0);
    p->head_len = MIN(len, (gsize)HEAD_LEN);
    memcpy(p->head, line, p->head_len);
}

/* The record libcsv completed: its fields as views into rowbuf. */
static void
slow_end(KtCsvParser *p)
{
    p->in_record = FALSE;
    guint n = p->nfields;
    if (n <= p->opts->max_fields && fv_reserve(p, n)) {
        for (guint i = 0; i < n; i++) {
            gsize start = g_array_index(p->offs, gsize, 2 * i);
            gsize flen = g_array_index(p->offs, gsize, 2 * i + 1);
            p->fv[i] = kt_sv_len(p->rowbuf->str + start, flen);
        }
    } else {
        n = G_MAXUINT;
    }
    csv_record(p, n, p->rec_line, p->head, p->head_len);
}

static guint
count_quotes(const char *s, gsize len)
{
    guint n = 0;
    for (const char *q = memchr(s, '"', len); q != NULL;
         q = memchr(q + 1, '"', len - (gsize)(q + 1 - s)))
        n++;
    return n;
}

/* Feeds one physical line of a quoted record to libcsv. */
static void
slow_line(KtCsvParser *p, const char *line, gsize len, guint64 lineno)
{
    if (!p->in_record)
        slow_begin(p, line, len, lineno);
    p->rec_bytes += len + 1;
    p->quotes += count_quotes(line, len);
    if (p->rec_bytes > p->opts->max_line) {
        reject(p, p->rec_line, KT_REJECT_TOO_LONG, "record longer than --max-line", p->head,
               p->head_len);
        p->skip_quoted = (p->quotes & 1) != 0;
        csv_reset(p);
        return;
    }
    size_t done = csv_parse(&p->csv, line, len, csv_cb_field, csv_cb_row, p);
    if (done == len)
        done += csv_parse(&p->csv, "\n", 1, csv_cb_field, csv_cb_row, p);
    if (done != len + 1) {
        int err = csv_error(&p->csv);
        if (err == CSV_ENOMEM || err == CSV_ETOOBIG)
            g_error("libcsv: %s", csv_strerror(err));
        reject(p, p->rec_line, KT_REJECT_MALFORMED, "bad quoting", p->head, p->head_len);
        csv_reset(p);
        return;
    }
    if (p->record_done)
        slow_end(p);
}

/* ---- lines -------------------------------------------------------------------------- */

/* The delimiter of a header line: the most frequent of , TAB ; outside quotes. */
static char
detect_delim(const char *line, gsize len)
{
    guint comma = 0, tab = 0, semi = 0;
    gboolean q = FALSE;
    for (gsize i = 0; i < len; i++) {
        char c = line[i];
        if (c == '"')
            q = !q;
        else if (!q && c == ',')
            comma++;
        else if (!q && c == '\t')
            tab++;
        else if (!q && c == ';')
            semi++;
    }
    if (tab > comma && tab >= semi)
        return '\t';
    if (semi > comma && semi > tab)
        return ';';
    return ',';
}

static gboolean
is_blank(const char *line, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            return FALSE;
    }
    return TRUE;
}

static void
csv_line(gpointer ud, const char *line, gsize len, guint64 lineno)
{
    KtCsvParser *p = ud;
    if (lineno == 1 && len >= 3 && memcmp(line, utf8_bom, 3) == 0) {
        line += 3;
        len -= 3;
    }
    if (p->skip_quoted) {
        if (count_quotes(line, len) & 1)
            p->skip_quoted = FALSE; /* the over-long record ends on this line */
        return;
    }
    if (p->in_record) {
        slow_line(p, line, len, lineno);
        return;
    }
    if (is_blank(line, len)) {
        p->sink->skip(p->sink->ud, lineno);
        return;
    }
    if (kt_line_splitter_line_has(p->ls, line, len, '\0')) {
        reject(p, lineno, KT_REJECT_BINARY, "NUL byte", line, len);
        return;
    }
    if (p->delim == 0) {
        p->delim = p->opts->csv_delimiter ? p->opts->csv_delimiter : detect_delim(line, len);
        csv_set_delim(&p->csv, (unsigned char)p->delim);
    }
    if (!kt_line_splitter_line_has(p->ls, line, len, '"')) {
        csv_record(p, split_fast(p, line, len), lineno, line, len);
        return;
    }
    /* libcsv rejects a record of --max-line bytes with its newline (slow_line) */
    guint n = quoted_fast && len < p->opts->max_line ? split_quoted(p, line, len) : KT_CSV_SLOW;
    if (n != KT_CSV_SLOW)
        csv_record(p, n, lineno, line, len);
    else
        slow_line(p, line, len, lineno);
}

/* A physical line over --max-line: rejected by the splitter; a quoted record it was
 * part of ends with it. */
static void
csv_split_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    KtCsvParser *p = ud;
    if (p->in_record)
        csv_reset(p);
    p->skip_quoted = FALSE;
    p->sink->reject(p->sink->ud, line, reason, detail, excerpt);
}

static void
csv_split_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    KtCsvParser *p = ud;
    p->sink->event(p->sink->ud, ev, line);
}

static void
csv_split_skip(gpointer ud, guint64 line)
{
    KtCsvParser *p = ud;
    p->sink->skip(p->sink->ud, line);
}

/* ---- ops ---------------------------------------------------------------------------- */

static gpointer
csv_new(const KtFormatOptions *opts, const KtSink *sink, GError **error)
{
    KtMapper *m = kt_mapper_new(opts, "generic", error);
    if (m == NULL)
        return NULL;
    KtCsvParser *p = g_new0(KtCsvParser, 1);
    p->opts = opts;
    p->sink = sink;
    p->mapper = m;
    p->inner = (KtSink){csv_split_event, csv_split_reject, csv_split_skip, p};
    p->ls = kt_line_splitter_new(opts->max_line, csv_line, &p->inner, p);
    if (csv_init(&p->csv, CSV_STRICT) != 0)
        g_error("csv_init: out of memory");
    csv_set_term_func(&p->csv, csv_is_term);
    p->rowbuf = g_string_sized_new(1024);
    p->qbuf = g_string_sized_new(1024);
    p->offs = g_array_new(FALSE, FALSE, sizeof(gsize));
    return p;
}

static void
csv_feed_block(gpointer parser, const char *buf, gsize len)
{
    KtCsvParser *p = parser;
    kt_line_splitter_feed(p->ls, buf, len);
}

static void
csv_finish_input(gpointer parser)
{
    KtCsvParser *p = parser;
    kt_line_splitter_finish(p->ls);
    if (p->in_record) {
        reject(p, p->rec_line, KT_REJECT_TRUNCATED, "input ends inside a quoted field", p->head,
               p->head_len);
        csv_reset(p);
    }
    p->skip_quoted = FALSE;
}

static void
csv_free_parser(gpointer parser)
{
    KtCsvParser *p = parser;
    if (p == NULL)
        return;
    kt_line_splitter_free(p->ls);
    kt_mapper_free(p->mapper);
    csv_free(&p->csv);
    g_string_free(p->rowbuf, TRUE);
    g_string_free(p->qbuf, TRUE);
    g_array_unref(p->offs);
    g_free(p->fv);
    g_free(p);
}

static const char *
csv_preset_name(gpointer parser)
{
    KtCsvParser *p = parser;
    return kt_mapper_preset_name(p->mapper);
}

/* Delimiters of @line outside quotes; -1 when it holds '{' or looks like a log line. */
static int
sniff_count(const char *line, gsize len, char delim)
{
    int n = 0;
    gboolean q = FALSE;
    for (gsize i = 0; i < len; i++) {
        if (line[i] == '{' || line[i] == '\0')
            return -1;
        if (line[i] == '"')
            q = !q;
        else if (!q && line[i] == delim)
            n++;
    }
    return n;
}

/* 60 when the header and the next line have the same number (>= 1) of delimiters, 35
 * for a header alone, else 0. */
static int
csv_sniff(const char *buf, gsize len)
{
    if (len >= 3 && memcmp(buf, utf8_bom, 3) == 0) {
        buf += 3;
        len -= 3;
    }
    const char *nl = memchr(buf, '\n', len);
    gsize hlen = nl != NULL ? (gsize)(nl - buf) : len;
    if (hlen == 0 || buf[0] == '<' || buf[0] == '[')
        return 0;
    /* A header holding '{' or NUL is not CSV (sniff_count() below says so too): found
     * first by memchr, as a one-line JSON document (CloudTrail's) is the whole head,
     * which detect_delim() would otherwise walk byte by byte. */
    if (memchr(buf, '{', hlen) != NULL || memchr(buf, '\0', hlen) != NULL)
        return 0;
    char d = detect_delim(buf, hlen);
    int h = sniff_count(buf, hlen, d);
    if (h < 1)
        return 0;
    if (nl == NULL)
        return 35;
    const char *l2 = nl + 1, *nl2 = memchr(l2, '\n', len - hlen - 1);
    if (nl2 == NULL)
        return 35;
    return sniff_count(l2, (gsize)(nl2 - l2), d) == h ? 60 : 35;
}

static void
quiet_event(gpointer ud, const KtEventView *ev, guint64 line)
{
}

static void
quiet_reject(gpointer ud, guint64 line, KtReject r, const char *detail, KtStrView ex)
{
}

static void
quiet_skip(gpointer ud, guint64 line)
{
}

/* Resuming mid-file (watch): bind the header row from the file's first line without
 * counting it, so the appended rows map to the right columns. */
static void
csv_resume(gpointer parser, const char *head, gsize len)
{
    KtCsvParser *p = parser;
    static const KtSink quiet = { quiet_event, quiet_reject, quiet_skip, NULL };
    const char *nl = memchr(head, '\n', len);
    if (nl == NULL || p->have_header)
        return;
    const KtSink *saved = p->sink;
    p->sink = &quiet;
    kt_line_splitter_feed(p->ls, head, (gsize)(nl - head) + 1);
    p->sink = saved;
}

static void
csv_describe(GString *out)
{
    g_string_append(out, "  header row names the columns; delimiter , ; or TAB from the header "
                         "(--delimiter);\n  quoted fields may hold delimiters, \"\" and newlines; "
                         "UTF-8 BOM and CRLF accepted\n");
    kt_preset_describe(out, TRUE);
}

const KtFormatOps kt_format_csv = {
    .name = "csv",
    .summary = "CSV/TSV with a header row (comma, semicolon or tab)",
    .sniff = csv_sniff,
    .new = csv_new,
    .feed = csv_feed_block,
    .finish = csv_finish_input,
    .free = csv_free_parser,
    .describe = csv_describe,
    .preset_name = csv_preset_name,
    .resume = csv_resume,
};
