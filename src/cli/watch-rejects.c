/*
 * watch-rejects.c - the rejected lines of one `keytrail watch` run: counts them per
 * cursor (with the complete lines before each cursor's offset, so that a line is
 * numbered from the start of its file even though a run reads from the middle) and
 * reports them on stderr the way `scan` does. See docs/WATCH.md, "Rejected lines".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "watch-private.h"

/* Where the rejected lines of one input of the ingest stage stand in their file. */
typedef struct {
    guint input;     /* index in kt_ingest_stats() */
    char *path;      /* the file as the user knows it (not the temporary file of a tail) */
    gboolean known;  /* @base counts from the file's start */
    guint64 base;    /* complete lines before the first line read */
    guint64 offset;  /* byte offset reading started at (decompressed for a tail) */
    gboolean gz;     /* @offset counts decompressed bytes */
} InputPlace;

struct _KtWatchRejects {
    GArray *places; /* InputPlace, in reading order */
};

static void
place_clear(gpointer p)
{
    g_free(((InputPlace *)p)->path);
}

KtWatchRejects *
kt_watch_rejects_new(void)
{
    KtWatchRejects *wr = g_new0(KtWatchRejects, 1);
    wr->places = g_array_new(FALSE, TRUE, sizeof(InputPlace));
    g_array_set_clear_func(wr->places, place_clear);
    return wr;
}

void
kt_watch_rejects_free(KtWatchRejects *wr)
{
    if (wr == NULL)
        return;
    g_array_unref(wr->places);
    g_free(wr);
}

/* The newlines in bytes [@from, @to) of @path; FALSE when it cannot be read. */
static gboolean
count_newlines(const char *path, guint64 from, guint64 to, guint64 *count)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return FALSE;
    g_autofree char *buf = g_malloc(1 << 16);
    guint64 n = 0, at = from;
    gboolean ok = TRUE;
    while (ok && at < to) {
        ssize_t got = pread(fd, buf, (size_t)MIN((guint64)(1 << 16), to - at), (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        ok = got > 0;
        for (const char *p = buf, *end = buf + MAX(got, 0);
             ok && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
            n++;
        at += ok ? (guint64)got : 0;
    }
    close(fd);
    *count = n;
    return ok;
}

void
kt_watch_rejects_note(KtWatchRejects *wr, KtIngest *in, const KtReadStep *step,
                      const char *path, guint64 offset, guint64 end)
{
    GPtrArray *stats = kt_ingest_stats(in);
    g_return_if_fail(stats->len > 0 && step != NULL);
    const KtInputStats *s = g_ptr_array_index(stats, stats->len - 1);
    KtCursor *c = step->cursor;
    InputPlace place = { stats->len - 1, g_strdup(step->path),
                         c->lines != KT_CURSOR_LINES_UNKNOWN, c->lines, step->offset,
                         step->kind == KT_READ_GZIP_TAIL };
    guint64 read = 0;
    if (s->gzip)
        read = s->lines; /* read whole, with no line held back */
    else if (!count_newlines(path, offset, end, &read))
        c->lines = KT_CURSOR_LINES_UNKNOWN;
    if (c->lines != KT_CURSOR_LINES_UNKNOWN)
        c->lines += read;
    c->rejected += s->rejected;
    g_array_append_val(wr->places, place);
}

static const InputPlace *
place_of(const KtWatchRejects *wr, guint input)
{
    for (guint i = 0; i < wr->places->len; i++)
        if (g_array_index(wr->places, InputPlace, i).input == input)
            return &g_array_index(wr->places, InputPlace, i);
    return NULL;
}

/* Sums lines and rejected lines per file; returns how many files had rejected lines. */
static guint
per_file(const KtWatchRejects *wr, KtIngest *in, GPtrArray *names, GArray *lines,
         GArray *rejected)
{
    GPtrArray *stats = kt_ingest_stats(in);
    guint with_rejects = 0;
    for (guint i = 0; i < stats->len; i++) {
        const KtInputStats *s = g_ptr_array_index(stats, i);
        const InputPlace *pl = place_of(wr, i);
        const char *name = pl != NULL ? pl->path : s->path;
        guint j = 0;
        while (j < names->len && strcmp(names->pdata[j], name) != 0)
            j++;
        if (j == names->len) {
            guint64 zero = 0;
            g_ptr_array_add(names, (gpointer)name);
            g_array_append_val(lines, zero);
            g_array_append_val(rejected, zero);
        }
        g_array_index(lines, guint64, j) += s->lines;
        with_rejects += s->rejected > 0 && g_array_index(rejected, guint64, j) == 0 ? 1 : 0;
        g_array_index(rejected, guint64, j) += s->rejected;
    }
    return with_rejects;
}

/* Appends the first rejected lines, numbered in their files, to @out. */
static void
append_samples(const KtWatchRejects *wr, KtIngest *in, const KtReportOptions *o,
               GString *out)
{
    GPtrArray *rejects = kt_ingest_rejects(in);
    for (guint i = 0; i < rejects->len && i < KT_REPORT_REJECTS_SHOWN; i++) {
        const KtRejectSample *rs = g_ptr_array_index(rejects, i);
        const InputPlace *pl = place_of(wr, rs->input);
        g_autofree char *at = NULL;
        if (pl == NULL || pl->known)
            at = g_strdup_printf(":%" G_GUINT64_FORMAT, (pl ? pl->base : 0) + rs->line);
        else
            at = g_strdup_printf(" (line %" G_GUINT64_FORMAT " after %sbyte offset %"
                                 G_GUINT64_FORMAT ")",
                                 rs->line, pl->gz ? "decompressed " : "", pl->offset);
        kt_report_text_reject(out, rs, pl != NULL ? pl->path : rs->path, at, o, "  ");
    }
    if (rejects->len > KT_REPORT_REJECTS_SHOWN)
        g_string_append_printf(out, "  (and %u more)\n",
                               rejects->len - KT_REPORT_REJECTS_SHOWN);
}

void
kt_watch_rejects_report(KtWatchRejects *wr, KtIngest *in, const KtReportOptions *o)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(GArray) lines = g_array_new(FALSE, TRUE, sizeof(guint64));
    g_autoptr(GArray) rejected = g_array_new(FALSE, TRUE, sizeof(guint64));
    guint files = per_file(wr, in, names, lines, rejected);
    guint64 total_lines = 0, total_rejected = 0;
    for (guint j = 0; j < names->len; j++) {
        guint64 r = g_array_index(rejected, guint64, j), l = g_array_index(lines, guint64, j);
        total_lines += l;
        total_rejected += r;
        if (files > 1 && r > 0)
            kt_cli_error("%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                         " new lines rejected",
                         (const char *)names->pdata[j], r, l);
    }
    if (total_rejected == 0)
        return;
    kt_cli_error("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                 " new lines rejected%s (not alerts; the run goes on); first rejected lines:",
                 total_rejected, total_lines, files > 1 ? " in all" : "");
    g_autoptr(GString) out = g_string_new(NULL);
    append_samples(wr, in, o, out);
    fflush(stdout);
    fputs(out->str, stderr);
}
