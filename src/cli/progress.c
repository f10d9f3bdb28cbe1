/*
 * progress.c - progress of long scans on stderr: bytes done of the total, events/s and
 * ETA, redrawn at most 5 times a second, only when stderr is a terminal and not --quiet.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keytrail/cli.h"

struct _KtProgress {
    GMutex lock;          /* callbacks come from parser threads */
    guint64 total;        /* bytes of all inputs (0 = unknown, e.g. stdin) */
    guint64 bytes, events;
    gint64 start_us, last_us;
    gboolean enabled;     /* stderr is a terminal and not --quiet */
    gboolean drawn;       /* a line is on screen */
};

KtProgress *
kt_progress_new(GPtrArray *files, gboolean quiet)
{
    KtProgress *p = g_new0(KtProgress, 1);
    g_mutex_init(&p->lock);
    p->enabled = !quiet && isatty(STDERR_FILENO);
    for (guint i = 0; files != NULL && i < files->len; i++) {
        struct stat st;
        if (stat(g_ptr_array_index(files, i), &st) == 0 && S_ISREG(st.st_mode))
            p->total += (guint64)st.st_size;
    }
    p->start_us = g_get_monotonic_time();
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

static void
draw(KtProgress *p, gint64 now)
{
    double secs = (double)(now - p->start_us) / 1e6;
    char done[32], total[32], rate[32];
    human(done, sizeof(done), (double)p->bytes, "B");
    human(rate, sizeof(rate), secs > 0 ? (double)p->events / secs : 0, "events/s");
    if (p->total > 0 && p->bytes <= p->total) {
        human(total, sizeof(total), (double)p->total, "B");
        double frac = (double)p->bytes / (double)p->total;
        int eta = frac > 0.01 ? (int)(secs / frac - secs) : -1;
        if (eta >= 0)
            fprintf(stderr, "\r\033[Kreading %s of %s (%.0f%%), %s, ETA %d:%02d", done, total,
                    frac * 100, rate, eta / 60, eta % 60);
        else
            fprintf(stderr, "\r\033[Kreading %s of %s, %s", done, total, rate);
    } else {
        fprintf(stderr, "\r\033[Kreading %s, %s", done, rate);
    }
    p->drawn = TRUE;
}

void
kt_progress_update(gpointer ud, guint64 bytes, guint64 events)
{
    KtProgress *p = ud;
    g_mutex_lock(&p->lock);
    p->bytes += bytes;
    p->events += events;
    gint64 now = g_get_monotonic_time();
    /* first draw after a second, so short scans stay silent */
    if (p->enabled && now - p->start_us > G_USEC_PER_SEC && now - p->last_us > 200000) {
        p->last_us = now;
        draw(p, now);
    }
    g_mutex_unlock(&p->lock);
}

void
kt_progress_free(KtProgress *p)
{
    if (p == NULL)
        return;
    if (p->drawn)
        fputs("\r\033[K", stderr);
    g_mutex_clear(&p->lock);
    g_free(p);
}
