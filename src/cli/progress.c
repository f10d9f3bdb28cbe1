/*
 * progress.c - progress of long scans on stderr, only when stderr is a terminal and not
 * --quiet: while reading, bytes done of the total, events/s and ETA; then, while the
 * engine judges the records (about as long again for a web log), events judged of the
 * total, unless they were judged while read (kt_pipeline_stream). Redrawn at most 5
 * times a second, the first time after a second (so short scans stay silent). For
 * tests, KT_PROGRESS_DELAY_MS sets that second, and a delay under 200 ms also the time
 * between draws (0: a draw per update).
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keytrail/cli.h"

struct _KtProgress {
    pthread_mutex_t lock; /* callbacks come from parser threads (not a GMutex: its futex
                             is invisible to ThreadSanitizer, shards.c) */
    guint64 total;        /* bytes of all inputs (0 = unknown, e.g. stdin) */
    guint64 bytes, events;
    gint64 start_us, last_us;
    gint64 delay_us;      /* before the first draw */
    gint64 every_us;      /* between draws */
    gboolean enabled;     /* stderr is a terminal and not --quiet */
    gboolean drawn;       /* a line is on screen */
    /* the second phase (kt_progress_judging) */
    gboolean judging;
    guint64 judge_total, judged;
    gint64 judge_start_us;
};

KtProgress *
kt_progress_new(GPtrArray *files, gboolean quiet)
{
    KtProgress *p = g_new0(KtProgress, 1);
    pthread_mutex_init(&p->lock, NULL);
    p->enabled = !quiet && isatty(STDERR_FILENO);
    for (guint i = 0; files != NULL && i < files->len; i++) {
        struct stat st;
        if (stat(g_ptr_array_index(files, i), &st) == 0 && S_ISREG(st.st_mode))
            p->total += (guint64)st.st_size;
    }
    p->start_us = g_get_monotonic_time();
    const char *delay = g_getenv("KT_PROGRESS_DELAY_MS");
    p->delay_us = delay != NULL ? g_ascii_strtoll(delay, NULL, 10) * 1000 : G_USEC_PER_SEC;
    p->every_us = MIN(p->delay_us, G_USEC_PER_SEC / 5);
    return p;
}

static void
human(char *buf, gsize n, double v, const char *unit)
{
    const char *pre[] = { "", "k", "M", "G", "T" };
    int i = 0;
    while (v >= 1000 && i < 4) {
        v /= 1000;
        i++;
    }
    g_snprintf(buf, n, i ? "%.1f %s%s" : "%.0f %s%s", v, pre[i], unit);
}

/* "ETA m:ss" of a phase @frac done after @secs, or "" while too early to tell. */
static void
eta(char *buf, gsize n, double secs, double frac)
{
    int left = frac > 0.01 ? (int)(secs / frac - secs) : -1;
    if (left >= 0)
        g_snprintf(buf, n, ", ETA %d:%02d", left / 60, left % 60);
    else
        buf[0] = '\0';
}

static void
draw_judging(KtProgress *p, gint64 now)
{
    double secs = (double)(now - p->judge_start_us) / 1e6;
    char done[32], total[32], rate[32], left[32];
    human(done, sizeof(done), (double)p->judged, "");
    human(total, sizeof(total), (double)p->judge_total, "");
    human(rate, sizeof(rate), secs > 0 ? (double)p->judged / secs : 0, "events/s");
    double frac = p->judge_total > 0 ? (double)p->judged / (double)p->judge_total : 1;
    eta(left, sizeof(left), secs, frac);
    fprintf(stderr, "\r\033[Kjudging %s of %s events (%.0f%%), %s%s", done, total, frac * 100,
            rate, left);
    p->drawn = TRUE;
}

static void
draw(KtProgress *p, gint64 now)
{
    if (p->judging) {
        draw_judging(p, now);
        return;
    }
    double secs = (double)(now - p->start_us) / 1e6;
    char done[32], total[32], rate[32];
    human(done, sizeof(done), (double)p->bytes, "B");
    human(rate, sizeof(rate), secs > 0 ? (double)p->events / secs : 0, "events/s");
    if (p->total > 0 && p->bytes <= p->total) {
        human(total, sizeof(total), (double)p->total, "B");
        double frac = (double)p->bytes / (double)p->total;
        char left[32];
        eta(left, sizeof(left), secs, frac);
        if (left[0] != '\0')
            fprintf(stderr, "\r\033[Kreading %s of %s (%.0f%%), %s%s", done, total, frac * 100,
                    rate, left);
        else
            fprintf(stderr, "\r\033[Kreading %s of %s, %s", done, total, rate);
    } else {
        fprintf(stderr, "\r\033[Kreading %s, %s", done, rate);
    }
    p->drawn = TRUE;
}

/* Draws when due (the lock held). */
static void
maybe_draw(KtProgress *p)
{
    gint64 now = g_get_monotonic_time();
    if (p->enabled && now - p->start_us >= p->delay_us && now - p->last_us >= p->every_us) {
        p->last_us = now;
        draw(p, now);
    }
}

void
kt_progress_update(gpointer ud, guint64 bytes, guint64 events)
{
    KtProgress *p = ud;
    pthread_mutex_lock(&p->lock);
    p->bytes += bytes;
    p->events += events;
    maybe_draw(p);
    pthread_mutex_unlock(&p->lock);
}

void
kt_progress_judging(KtProgress *p, guint64 total)
{
    pthread_mutex_lock(&p->lock);
    p->judging = TRUE;
    p->judge_total = total;
    p->judged = 0;
    p->judge_start_us = g_get_monotonic_time();
    pthread_mutex_unlock(&p->lock);
}

void
kt_progress_judged(gpointer ud, guint64 n)
{
    KtProgress *p = ud;
    pthread_mutex_lock(&p->lock);
    p->judged += n;
    maybe_draw(p);
    pthread_mutex_unlock(&p->lock);
}

void
kt_progress_free(KtProgress *p)
{
    if (p == NULL)
        return;
    if (p->drawn)
        fputs("\r\033[K", stderr);
    pthread_mutex_destroy(&p->lock);
    g_free(p);
}
