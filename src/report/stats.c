/*
 * stats.c - the `scan --stats` text report (last pipeline stage): one aligned row per
 * input (format, preset, lines, events, rejected, distinct keys), a detail line with
 * gzip, time range and rejects by reason, totals, and the first rejected lines.
 */
#include "report-private.h"

#include "keytrail/sanitize.h"

enum { COL_FILE, COL_FORMAT, COL_LINES, COL_EVENTS, COL_REJECTED, COL_KEYS, COL_COUNT };

static const char *const col_names[COL_COUNT] = { "FILE",   "FORMAT",   "LINES",
                                                  "EVENTS", "REJECTED", "KEYS" };
#define COL_GAP 2
#define MIN_FILE_WIDTH 12

typedef struct {
    char *cells[COL_COUNT]; /* sanitized text */
} StatsRow;

static char *
field(const char *text, guint max_chars)
{
    GString *s = g_string_new(NULL);
    kt_report_text_field(s, text != NULL && *text ? text : "-", max_chars);
    return g_string_free(s, FALSE);
}

/* A path keeps its end (the file name) when cut to @max_width columns. */
static char *
path_field(const char *path, guint max_width)
{
    g_autofree char *clean = kt_sanitize(path != NULL ? path : "-");
    gsize len = strlen(clean);
    if (kt_report_text_width(clean, len) <= max_width || max_width < 4)
        return g_steal_pointer(&clean);
    /* walk back from the end while the tail still fits after "..." */
    const char *tail = clean + len;
    guint w = 0;
    while (tail > clean) {
        const char *prev = g_utf8_find_prev_char(clean, tail);
        guint cw = kt_report_text_width(prev, (gsize)(tail - prev));
        if (w + cw > max_width - 3)
            break;
        w += cw;
        tail = prev;
    }
    return g_strconcat("...", tail, NULL);
}

static char *
num(guint64 n)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT, n);
}

/* "cloudtrail", or "clf/combined" when the preset is not named like the format */
static char *
format_field(const KtInputStats *st)
{
    if (st->preset == NULL || *st->preset == '\0' || g_strcmp0(st->preset, st->format) == 0)
        return field(st->format, 12);
    g_autofree char *both = g_strdup_printf("%s/%s", st->format != NULL ? st->format : "-",
                                            st->preset);
    return field(both, 26);
}

gsize
kt_report_common_dir(GPtrArray *stats)
{
    if (stats == NULL || stats->len < 2)
        return 0;
    const KtInputStats *first = g_ptr_array_index(stats, 0);
    gsize len = first->path != NULL ? strlen(first->path) : 0;
    for (guint i = 1; i < stats->len && len > 0; i++) {
        const KtInputStats *st = g_ptr_array_index(stats, i);
        gsize j = 0;
        while (j < len && st->path != NULL && st->path[j] == first->path[j])
            j++;
        len = j;
    }
    while (len > 0 && first->path[len - 1] != '/')
        len--;
    return len;
}

/* @path without the common directory @skip (when it has it). */
static const char *
relative(const char *path, const char *dir, gsize skip)
{
    if (path != NULL && skip > 0 && strncmp(path, dir, skip) == 0 && path[skip] != '\0')
        return path + skip;
    return path;
}

static void
row_fill(StatsRow *row, const KtInputStats *st, guint path_max, gsize skip)
{
    gboolean cut = st->path != NULL && strlen(st->path) > skip;
    row->cells[COL_FILE] = path_field(cut ? st->path + skip : st->path, path_max);
    row->cells[COL_FORMAT] = format_field(st);
    row->cells[COL_LINES] = num(st->lines);
    row->cells[COL_EVENTS] = num(st->events);
    row->cells[COL_REJECTED] = num(st->rejected);
    row->cells[COL_KEYS] = num(st->keys != NULL ? g_hash_table_size(st->keys) : 0);
}

static void
row_clear(StatsRow *row)
{
    for (int c = 0; c < COL_COUNT; c++)
        g_free(row->cells[c]);
}

static void
append_cell(GString *s, const char *text, guint width, gboolean right, gboolean last)
{
    guint w = kt_report_text_width(text, strlen(text));
    guint fill = width > w ? width - w : 0;
    if (right) {
        for (guint i = 0; i < fill; i++)
            g_string_append_c(s, ' ');
        g_string_append(s, text);
    } else {
        g_string_append(s, text);
        if (!last) {
            for (guint i = 0; i < fill; i++)
                g_string_append_c(s, ' ');
        }
    }
}

static void
append_row(GString *s, char *const *cells, const guint *widths)
{
    for (int c = 0; c < COL_COUNT; c++) {
        if (c > 0)
            g_string_append(s, "  ");
        append_cell(s, cells[c], widths[c], c >= COL_LINES, c == COL_COUNT - 1);
    }
    g_string_append_c(s, '\n');
}

/* "gzip, 2024-07-01T00:00:00Z .. 2024-07-31T23:59:59Z, 2 skipped", then lines for IPv4
 * warnings, "rejected: malformed=3 bad_time=1" and "not read: ...". */
static void
append_detail(GString *s, const KtInputStats *st)
{
    g_autoptr(GString) line = g_string_new(st->gzip ? "gzip, " : "");
    char a[32], b[32];
    if (kt_report_time_set(st->first_ms))
        g_string_append_printf(line, "%s .. %s", kt_report_time(st->first_ms, a),
                               kt_report_time(st->last_ms, b));
    else
        g_string_append(line, "no events");
    if (st->skipped > 0)
        g_string_append_printf(line, ", %" G_GUINT64_FORMAT " skipped", st->skipped);
    kt_report_text_wrap(s, line->str, 4, 6);
    if (st->ip_warnings > 0) {
        g_string_printf(line, "%" G_GUINT64_FORMAT " IPv4 address%s with leading zeros, read as "
                        "decimal", st->ip_warnings, st->ip_warnings == 1 ? "" : "es");
        kt_report_text_wrap(s, line->str, 4, 6);
    }
    if (st->rejected > 0) {
        g_string_assign(line, "rejected:");
        for (int r = 0; r < KT_REJECT_COUNT; r++) {
            if (st->by_reason[r] > 0)
                g_string_append_printf(line, " %s=%" G_GUINT64_FORMAT,
                                       kt_reject_name((KtReject)r), st->by_reason[r]);
        }
        kt_report_text_wrap(s, line->str, 4, 6);
    }
    if (st->error != NULL) {
        g_string_assign(line, "not read: ");
        kt_report_text_field(line, st->error, 200);
        kt_report_text_wrap(s, line->str, 4, 6);
    }
}

/* Widths of every column over the header, @rows and the total row. */
static void
compute_widths(guint *widths, const StatsRow *rows, guint n, char *const *total)
{
    for (int c = 0; c < COL_COUNT; c++)
        widths[c] = (guint)strlen(col_names[c]);
    for (guint i = 0; i <= n; i++) {
        char *const *cells = i < n ? rows[i].cells : total;
        for (int c = 0; c < COL_COUNT; c++)
            widths[c] = MAX(widths[c], kt_report_text_width(cells[c], strlen(cells[c])));
    }
}

/* Distinct keys over all inputs (ids are shared through the dictionary). */
static guint
distinct_keys(GPtrArray *stats)
{
    g_autoptr(GHashTable) all = g_hash_table_new(NULL, NULL);
    for (guint i = 0; stats != NULL && i < stats->len; i++) {
        const KtInputStats *st = g_ptr_array_index(stats, i);
        if (st->keys == NULL)
            continue;
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, st->keys);
        while (g_hash_table_iter_next(&it, &k, NULL))
            g_hash_table_add(all, k);
    }
    return g_hash_table_size(all);
}

void
kt_report_stats_render(const KtReportData *d, const KtReportOptions *o, GString *s)
{
    guint n = d->stats != NULL ? d->stats->len : 0;
    guint64 events, rejected, lines;
    kt_report_totals(d->stats, &events, &rejected, &lines);
    char *total[COL_COUNT] = { g_strdup_printf("total (%u)", n), g_strdup(""), num(lines),
                               num(events), num(rejected), num(distinct_keys(d->stats)) };
    gsize skip = kt_report_common_dir(d->stats);
    if (skip > 0) {
        const KtInputStats *st0 = g_ptr_array_index(d->stats, 0);
        g_autofree char *dir = g_strndup(st0->path, skip);
        g_autoptr(GString) line = g_string_new("Inputs under ");
        kt_report_text_field(line, dir, 200);
        kt_report_text_wrap(s, line->str, 0, 2);
    }

    /* the file column gets what the other columns leave of 80 */
    StatsRow *rows = g_new0(StatsRow, MAX(n, 1));
    guint widths[COL_COUNT];
    guint path_max = 60;
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < n; i++) {
            row_clear(&rows[i]);
            row_fill(&rows[i], g_ptr_array_index(d->stats, i), path_max, skip);
        }
        compute_widths(widths, rows, n, total);
        guint rest = 0;
        for (int c = 1; c < COL_COUNT; c++)
            rest += widths[c] + COL_GAP;
        if (widths[COL_FILE] + rest <= KT_REPORT_WIDTH)
            break;
        path_max = rest + MIN_FILE_WIDTH < KT_REPORT_WIDTH ? KT_REPORT_WIDTH - rest
                                                           : MIN_FILE_WIDTH;
    }

    if (o->color)
        g_string_append(s, "\033[1m");
    append_row(s, (char *const *)col_names, widths);
    if (o->color) {
        g_string_truncate(s, s->len - 1);
        g_string_append(s, "\033[0m\n");
    }
    for (guint i = 0; i < n; i++) {
        append_row(s, rows[i].cells, widths);
        append_detail(s, g_ptr_array_index(d->stats, i));
    }
    append_row(s, total, widths);
    for (guint i = 0; i < n; i++)
        row_clear(&rows[i]);
    g_free(rows);
    for (int c = 0; c < COL_COUNT; c++)
        g_free(total[c]);

    if (d->rejects != NULL && d->rejects->len > 0) {
        g_string_append_printf(s, "\nFirst %u rejected lines:\n", d->rejects->len);
        kt_report_text_rejects(d, o, d->rejects->len, "  ", s);
    }
}

void
kt_report_text_reject(GString *s, const KtRejectSample *rs, const char *path, const char *at,
                      const KtReportOptions *o, const char *indent)
{
    guint ind = (guint)strlen(indent);
    g_autofree char *shown = path_field(path, 50);
    g_autoptr(GString) line = g_string_new(shown);
    g_string_append_printf(line, "%s %s", at, kt_reject_name(rs->reason));
    if (rs->detail != NULL && *rs->detail) {
        g_string_append(line, " (");
        kt_report_text_field(line, rs->detail, 80);
        g_string_append_c(line, ')');
    }
    if (rs->excerpt != NULL && *rs->excerpt) {
        g_autofree char *excerpt = kt_report_redact_excerpt(rs->excerpt, o->reveal_keys);
        g_string_append(line, ": ");
        kt_report_text_field(line, excerpt, 60);
    }
    kt_report_text_wrap(s, line->str, ind, ind + 2);
}

void
kt_report_text_rejects(const KtReportData *d, const KtReportOptions *o, guint max,
                       const char *indent, GString *s)
{
    guint n = d->rejects != NULL ? d->rejects->len : 0;
    gsize skip = kt_report_common_dir(d->stats);
    const char *dir = skip > 0 ? ((const KtInputStats *)g_ptr_array_index(d->stats, 0))->path
                               : "";
    for (guint i = 0; i < n && i < max; i++) {
        const KtRejectSample *rs = g_ptr_array_index(d->rejects, i);
        char at[32];
        g_snprintf(at, sizeof at, ":%" G_GUINT64_FORMAT, rs->line);
        kt_report_text_reject(s, rs, relative(rs->path, dir, skip), at, o, indent);
    }
    if (n > max)
        g_string_append_printf(s, "%s(and %u more)\n", indent, n - max);
}
