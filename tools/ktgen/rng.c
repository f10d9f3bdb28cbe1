/*
 * rng.c - ktgen's deterministic randomness (splitmix64 streams keyed by seed and ids)
 * and the civil-time helpers it needs: day numbers, DST rules for the zones the
 * human archetype lives in, RFC 3339 formatting. No libc time zone is consulted, so
 * the output is the same on every machine.
 */
#include <math.h>

#include "ktgen.h"

static guint64
mix64(guint64 z)
{
    z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void
kg_rng_init(KgRng *r, guint64 seed, guint64 a, guint64 b)
{
    r->s = mix64(seed + G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) ^ mix64(a * 0x100000001b3ULL + 1) ^
           mix64((b << 1) ^ G_GUINT64_CONSTANT(0xd6e8feb86659fd93));
}

guint64
kg_rng_next(KgRng *r)
{
    r->s += G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    return mix64(r->s);
}

guint32
kg_rng_below(KgRng *r, guint32 n)
{
    return (guint32)(((kg_rng_next(r) >> 32) * (guint64)n) >> 32);
}

double
kg_rng_unif(KgRng *r)
{
    return (double)(kg_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double
kg_rng_gauss(KgRng *r)
{
    double u1 = kg_rng_unif(r), u2 = kg_rng_unif(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2);
}

guint32
kg_rng_poisson(KgRng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 40) {
        double v = lambda + sqrt(lambda) * kg_rng_gauss(r) + 0.5;
        return v < 0 ? 0 : (guint32)v;
    }
    double limit = exp(-lambda), p = 1.0;
    guint32 k = 0;
    for (;;) {
        p *= kg_rng_unif(r);
        if (p <= limit)
            return k;
        k++;
    }
}

int
kg_rng_range(KgRng *r, int lo, int hi)
{
    return lo + (int)kg_rng_below(r, (guint32)(hi - lo + 1));
}

/* ---- civil time ---------------------------------------------------------------------- */

gint64
kg_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    gint64 era = (y >= 0 ? y : y - 399) / 400;
    gint64 yoe = y - era * 400;
    gint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
kg_civil_from_days(gint64 z, int *y, int *m, int *d)
{
    z += 719468;
    gint64 era = (z >= 0 ? z : z - 146096) / 146097;
    gint64 doe = z - era * 146097;
    gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    gint64 mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Weekday of a day number, Monday = 0 (1970-01-01 was a Thursday). */
static int
weekday(gint64 days)
{
    gint64 w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* Day number of the @nth (1-based; 0 = last) Sunday of @month in @year. */
static gint64
nth_sunday(int year, int month, int nth)
{
    if (nth == 0) {
        int ny = month == 12 ? year + 1 : year, nm = month == 12 ? 1 : month + 1;
        gint64 last = kg_days_from_civil(ny, nm, 1) - 1;
        return last - (weekday(last) + 1) % 7;
    }
    gint64 first = kg_days_from_civil(year, month, 1);
    gint64 sun = first + (6 - weekday(first));
    return sun + 7 * (nth - 1);
}

int
kg_zone_offset(KgZone zone, gint64 ms)
{
    int y, mo, d;
    kg_civil_from_days(ms / KG_DAY_MS, &y, &mo, &d);
    if (zone == KG_ZONE_BERLIN) {
        /* EU: last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC */
        gint64 on = nth_sunday(y, 3, 0) * KG_DAY_MS + KG_HOUR_MS;
        gint64 off = nth_sunday(y, 10, 0) * KG_DAY_MS + KG_HOUR_MS;
        return (ms >= on && ms < off) ? 7200 : 3600;
    }
    if (zone == KG_ZONE_NEW_YORK) {
        /* US: second Sunday of March 07:00 UTC to first Sunday of November 06:00 UTC */
        gint64 on = nth_sunday(y, 3, 2) * KG_DAY_MS + 7 * KG_HOUR_MS;
        gint64 off = nth_sunday(y, 11, 1) * KG_DAY_MS + 6 * KG_HOUR_MS;
        return (ms >= on && ms < off) ? -4 * 3600 : -5 * 3600;
    }
    return 0;
}

const char *
kg_zone_name(KgZone zone)
{
    static const char *const names[KG_ZONE_N] = { "UTC", "Europe/Berlin", "America/New_York" };
    return names[zone];
}

void
kg_local_hour(KgZone zone, gint64 ms, int *hour, int *wday)
{
    gint64 local = ms + (gint64)kg_zone_offset(zone, ms) * 1000;
    gint64 days = local >= 0 ? local / KG_DAY_MS : (local - KG_DAY_MS + 1) / KG_DAY_MS;
    *hour = (int)((local - days * KG_DAY_MS) / KG_HOUR_MS);
    *wday = weekday(days);
}

char *
kg_time_str(gint64 ms, char *buf)
{
    gint64 days = ms / KG_DAY_MS, rem = (ms % KG_DAY_MS) / 1000;
    int y, m, d;
    kg_civil_from_days(days, &y, &m, &d);
    g_snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
               (int)(rem / 60 % 60), (int)(rem % 60));
    return buf;
}

gboolean
kg_time_parse(const char *s, gint64 *out_ms)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return FALSE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970)
        return FALSE;
    const char *t = s + 10;
    if (*t == 'T' || *t == ' ') {
        int k = 0;
        if (sscanf(t + 1, "%2d:%2d%n", &h, &mi, &k) != 2)
            return FALSE;
        t += 1 + k;
        if (*t == ':') {
            if (sscanf(t + 1, "%2d%n", &se, &k) != 1)
                return FALSE;
            t += 1 + k;
        }
        if (*t == 'Z')
            t++;
        if (h > 23 || mi > 59 || se > 60)
            return FALSE;
    }
    if (*t != '\0')
        return FALSE;
    *out_ms = ((kg_days_from_civil(y, mo, d) * 24 + h) * 3600 + mi * 60 + se) * 1000;
    return TRUE;
}
