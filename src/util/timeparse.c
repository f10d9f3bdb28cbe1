/*
 * timeparse.c - allocation-free timestamp parsing (record stage): digits are read by
 * hand; the last "date + time up to the minutes" prefix is cached with its minute (so
 * most stamps only read their seconds) and the last date (CLF or ISO 8601) with its day
 * (a new minute only reads its time digits); the last zone offset text is cached with
 * its value; zone offsets for local stamps come from GTimeZone through a per-day cache.
 */
#include "keytrail/timeparse.h"

#include "keytrail/bytes.h"

#define KT_PREFIX_MAX 24 /* longest cached prefix: "10/Oct/2000:13:55" is 17 */
#define KT_DAY_SLOTS 64  /* per-day zone offset cache entries */

/* Zone offsets of one UTC day, at its first and its last second. */
typedef struct {
    gint64 day;       /* days since 1970-01-01 (UTC) */
    gint32 off_start; /* offset at 00:00:00 UTC */
    gint32 off_end;   /* offset at 23:59:59 UTC */
    gboolean valid;
} KtDayOffset;

struct _KtTimeParser {
    GTimeZone *tz;               /* NULL for a fixed offset */
    gint32 fixed_off;            /* seconds east of UTC when tz == NULL */
    KtDayOffset *days;           /* KT_DAY_SLOTS entries; mutable behind a const parser */
    guint64 prefix_w[3];         /* last parsed text up to and including the minutes
                                    (16 to 24 bytes): its bytes 0-7, 8-15 and last 8 */
    gsize prefix_len;            /* 0 = nothing cached */
    gboolean prefix_clf;         /* the prefix is CLF (seconds follow), else ISO 8601 */
    gint64 prefix_civil;         /* the prefix's minute as seconds, read as if UTC */
    gint64 local_civil;          /* last civil second converted from the parser's zone */
    gint64 local_utc;            /* its UTC second */
    gboolean local_valid;        /* local_civil and local_utc are set */
    gsize day_len;               /* last cached date: 11 "10/Oct/2000", 10 "2000-10-10",
                                    0 = none */
    guint64 day_head, day_tail;  /* its first and its last 8 bytes */
    gint64 day_civil;            /* its midnight as seconds, read as if UTC */
    gsize zone_len;              /* last zone offset text parse_offset accepted: its
                                    length (0 = none) */
    guint64 zone_key;            /* and its zone_key() */
    gint32 zone_off;             /* its offset */
};

/* Latest accepted instant: 9999-12-31T23:59:59Z. */
#define KT_MAX_SEC G_GINT64_CONSTANT(253402300799)

static gboolean
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly @n digits at @p (caller checked @n bytes exist); -1 if not digits. */
static int
read_digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Reads two digits at @p (caller checked they exist); -1 if not digits. */
static KT_INLINE int
two_digits(const char *p)
{
    unsigned a = (unsigned)(guchar)p[0] - '0', b = (unsigned)(guchar)p[1] - '0';
    return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

static gboolean
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's algorithm). */
static gint64
days_from_civil(gint64 y, int m, int d)
{
    y -= m <= 2;
    gint64 era = (y >= 0 ? y : y - 399) / 400;
    gint64 yoe = y - era * 400;
    gint64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(gint64 z, gint64 *y, int *m, int *d)
{
    z += 719468;
    gint64 era = (z >= 0 ? z : z - 146096) / 146097;
    gint64 doe = z - era * 146097;
    gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    gint64 mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static gint64
floor_div(gint64 a, gint64 b)
{
    gint64 q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

gint64
kt_time_from_civil(int year, int month, int day, int hour, int min, int sec)
{
    return days_from_civil(year, month, day) * 86400 + (gint64)hour * 3600 + min * 60 + sec;
}

/* ---- zones ----------------------------------------------------------------------- */

/* Parses "+hh", "+hhmm", "+hh:mm" (sign required) into seconds east of UTC. */
static gboolean
parse_offset(const char *p, const char *end, gint32 *out)
{
    gsize n = (gsize)(end - p);
    if (n < 3 || (p[0] != '+' && p[0] != '-'))
        return FALSE;
    int h = read_digits(p + 1, 2), m = 0;
    if (h < 0 || h > 23)
        return FALSE;
    if (n == 6 || n == 5) {
        const char *mp = n == 6 ? p + 4 : p + 3;
        if (n == 6 && p[3] != ':')
            return FALSE;
        m = read_digits(mp, 2);
        if (m < 0 || m > 59)
            return FALSE;
    } else if (n != 3) {
        return FALSE;
    }
    *out = (gint32)((h * 3600 + m * 60) * (p[0] == '-' ? -1 : 1));
    return TRUE;
}

/* (transfer full) A parser of @zone (owned; NULL: the fixed offset @off), empty caches. */
static KtTimeParser *
parser_of(GTimeZone *zone, gint32 off)
{
    KtTimeParser *tp = g_new0(KtTimeParser, 1);
    tp->tz = zone;
    tp->fixed_off = off;
    tp->days = g_new0(KtDayOffset, KT_DAY_SLOTS);
    return tp;
}

KtTimeParser *
kt_time_parser_new(const char *tz, GError **error)
{
    gint32 off = 0;
    GTimeZone *zone = NULL;
    if (tz != NULL && *tz != '\0' && g_ascii_strcasecmp(tz, "UTC") != 0 &&
        g_ascii_strcasecmp(tz, "GMT") != 0 && g_ascii_strcasecmp(tz, "Z") != 0 &&
        !parse_offset(tz, tz + strlen(tz), &off)) {
        zone = g_time_zone_new_identifier(tz);
        if (zone == NULL) {
            g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                        "unknown time zone '%s' (use an IANA name such as Europe/Berlin, "
                        "UTC, or an offset such as +02:00)",
                        tz);
            return NULL;
        }
    }
    return parser_of(zone, off);
}

KtTimeParser *
kt_time_parser_copy(const KtTimeParser *tp)
{
    g_return_val_if_fail(tp != NULL, NULL);
    return parser_of(tp->tz != NULL ? g_time_zone_ref(tp->tz) : NULL, tp->fixed_off);
}

void
kt_time_parser_free(KtTimeParser *tp)
{
    if (tp == NULL)
        return;
    if (tp->tz != NULL)
        g_time_zone_unref(tp->tz);
    g_free(tp->days);
    g_free(tp);
}

static gint32
zone_offset_exact(GTimeZone *tz, gint64 t)
{
    gint interval = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, t);
    return g_time_zone_get_offset(tz, MAX(interval, 0));
}

/* Offset at UTC second @t, through the per-day cache (a day with a transition is
 * computed exactly each time). */
static gint32
offset_at(const KtTimeParser *tp, gint64 t)
{
    if (tp->tz == NULL)
        return tp->fixed_off;
    gint64 day = floor_div(t, 86400);
    KtDayOffset *slot = &tp->days[(guint64)day % KT_DAY_SLOTS];
    if (!slot->valid || slot->day != day) {
        slot->day = day;
        slot->off_start = zone_offset_exact(tp->tz, day * 86400);
        slot->off_end = zone_offset_exact(tp->tz, day * 86400 + 86399);
        slot->valid = TRUE;
    }
    if (slot->off_start == slot->off_end)
        return slot->off_start;
    return zone_offset_exact(tp->tz, t);
}

/*
 * Converts local civil seconds @local to UTC. In a fall-back overlap the earlier
 * instant (the first occurrence, still in daylight time) is chosen; a time inside a
 * spring-forward gap is read with the offset before the gap (02:30 -> 03:30 DST).
 */
static gint64
local_to_utc(const KtTimeParser *tp, gint64 local)
{
    if (tp->tz == NULL)
        return local - tp->fixed_off;
    gint32 before = offset_at(tp, local - 86400);
    gint32 after = offset_at(tp, local + 86400);
    gint64 u1 = local - before, u2 = local - after;
    gboolean ok1 = offset_at(tp, u1) == before;
    gboolean ok2 = offset_at(tp, u2) == after;
    if (ok1 && ok2)
        return MIN(u1, u2);
    if (ok2)
        return u2;
    return u1;
}

gint32
kt_time_zone_offset(const KtTimeParser *tp, gint64 ms)
{
    return offset_at(tp, floor_div(ms, 1000));
}

int
kt_time_hour_of_week(const KtTimeParser *tp, gint64 ms)
{
    gint64 t = floor_div(ms, 1000);
    gint64 local = t + offset_at(tp, t);
    gint64 day = floor_div(local, 86400);
    int weekday = (int)((day % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday (3) */
    int hour = (int)((local - day * 86400) / 3600);
    return weekday * 24 + hour;
}

/* ---- stamp shapes ---------------------------------------------------------------- */

/* Date and time fields read from a stamp. */
typedef struct {
    int y, mo, d, h, mi, s;
} KtCivil;

static gboolean
civil_valid(const KtCivil *c)
{
    return c->y >= 1 && c->mo >= 1 && c->mo <= 12 && c->d >= 1 &&
           c->d <= days_in_month(c->y, c->mo) && c->h >= 0 && c->h <= 23 && c->mi >= 0 &&
           c->mi <= 59 && c->s >= 0 && c->s <= 60;
}

/*
 * ISO 8601 / RFC 3339: "YYYY-MM-DD" then 'T', 't' or ' ' and "HH:MM[:SS]". Returns the
 * end of what was read, NULL when the shape does not match; *@full is TRUE when the
 * seconds were present (the prefix is then cacheable).
 */
static const char *
parse_iso(const char *p, const char *end, KtCivil *c, gboolean *full)
{
    memset(c, 0, sizeof(*c));
    *full = FALSE;
    if (end - p < 10 || p[4] != '-' || p[7] != '-')
        return NULL;
    c->y = read_digits(p, 4);
    c->mo = read_digits(p + 5, 2);
    c->d = read_digits(p + 8, 2);
    if (c->y < 0 || c->mo < 0 || c->d < 0)
        return NULL;
    p += 10;
    if (p == end)
        return p;
    if (end - p < 6 || (*p != 'T' && *p != 't' && *p != ' ') || p[3] != ':')
        return NULL;
    c->h = read_digits(p + 1, 2);
    c->mi = read_digits(p + 4, 2);
    if (c->h < 0 || c->mi < 0)
        return NULL;
    p += 6;
    if (end - p >= 3 && p[0] == ':') {
        c->s = read_digits(p + 1, 2);
        if (c->s < 0)
            return NULL;
        p += 3;
        *full = TRUE;
    }
    return p;
}

static int
month_from_name(const char *p)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char m[3] = { g_ascii_tolower(p[0]), g_ascii_tolower(p[1]), g_ascii_tolower(p[2]) };
    for (int i = 0; i < 12; i++) {
        if (memcmp(names + 3 * i, m, 3) == 0)
            return i + 1;
    }
    return -1;
}

/* CLF: "10/Oct/2000:13:55:36" (day may have one digit). Returns the end or NULL. */
static const char *
parse_clf(const char *p, const char *end, KtCivil *c)
{
    memset(c, 0, sizeof(*c));
    int dl = end - p > 2 && p[1] == '/' ? 1 : 2;
    if (end - p < dl + 18 || p[dl] != '/' || p[dl + 4] != '/' || p[dl + 9] != ':' ||
        p[dl + 12] != ':' || p[dl + 15] != ':')
        return NULL;
    c->d = read_digits(p, dl);
    c->mo = month_from_name(p + dl + 1);
    c->y = read_digits(p + dl + 5, 4);
    c->h = read_digits(p + dl + 10, 2);
    c->mi = read_digits(p + dl + 13, 2);
    c->s = read_digits(p + dl + 16, 2);
    if (c->d < 0 || c->mo < 0 || c->y < 0 || c->h < 0 || c->mi < 0 || c->s < 0)
        return NULL;
    return p + dl + 18;
}

/* The 3 to 6 bytes of a zone offset text as one number: the first and the last four
 * bytes cover all of them, so with the length equal keys mean equal texts. */
static inline guint64
zone_key(const char *p, gsize n)
{
    if (n < 4)
        return (guint64)(guchar)p[0] | (guint64)(guchar)p[1] << 8 | (guint64)(guchar)p[2] << 16;
    guint32 lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + n - 4, 4);
    return (guint64)lo | (guint64)hi << 32;
}

/* parse_offset through a one-entry cache of the last zone text (logs repeat one or two
 * offsets; parse_offset is a pure function of the text, so the cached value is its). */
static gboolean
zone_offset_cached(KtTimeParser *tp, const char *p, const char *end, gint32 *off)
{
    gsize n = (gsize)(end - p);
    if (n == tp->zone_len && zone_key(p, n) == tp->zone_key) {
        *off = tp->zone_off;
        return TRUE;
    }
    if (!parse_offset(p, end, off))
        return FALSE;
    tp->zone_len = n; /* 3, 5 or 6: parse_offset accepts no other length */
    tp->zone_key = zone_key(p, n);
    tp->zone_off = *off;
    return TRUE;
}

/* After the seconds: [.fff | ,fff] [spaces] [Z | UTC | GMT | +hh[:]mm | +hh]. */
static gboolean
parse_tail(KtTimeParser *tp, const char *p, const char *end, int *frac_ms, gboolean *has_zone,
           gint32 *off)
{
    *frac_ms = 0;
    *has_zone = FALSE;
    if (p < end && (*p == '.' || *p == ',')) {
        p++;
        int n = 0;
        for (; p < end && is_digit(*p); p++, n++) {
            if (n < 3)
                *frac_ms = *frac_ms * 10 + (*p - '0');
        }
        if (n == 0)
            return FALSE;
        for (; n < 3; n++)
            *frac_ms *= 10;
    }
    while (p < end && *p == ' ')
        p++;
    if (p == end)
        return TRUE;
    *has_zone = TRUE;
    *off = 0;
    gsize n = (gsize)(end - p);
    if (n == 1 && (*p == 'Z' || *p == 'z'))
        return TRUE;
    if (n == 3 && (g_ascii_strncasecmp(p, "UTC", 3) == 0 || g_ascii_strncasecmp(p, "GMT", 3) == 0))
        return TRUE;
    return zone_offset_cached(tp, p, end, off);
}

/* Epoch seconds or milliseconds (>= 1e11), digits with an optional fraction. */
static gboolean
parse_epoch(const char *p, const char *end, gint64 *out_ms)
{
    gint64 v = 0;
    int n = 0;
    for (; p < end && is_digit(*p); p++, n++) {
        if (n >= 16)
            return FALSE;
        v = v * 10 + (*p - '0');
    }
    int frac = 0, fn = 0;
    if (p < end && *p == '.') {
        for (p++; p < end && is_digit(*p); p++, fn++) {
            if (fn < 3)
                frac = frac * 10 + (*p - '0');
        }
        if (fn == 0)
            return FALSE;
        for (int i = fn; i < 3; i++)
            frac *= 10;
    }
    if (n == 0 || p != end)
        return FALSE;
    gint64 ms = v >= G_GINT64_CONSTANT(100000000000) ? v : v * 1000 + frac;
    if (ms > KT_MAX_SEC * 1000 + 999)
        return FALSE;
    *out_ms = ms;
    return TRUE;
}

static gboolean
all_epoch_chars(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (!is_digit(*p) && *p != '.')
            return FALSE;
    }
    return TRUE;
}

/* Caches the @n (16 to 24) bytes at @p, a stamp up to and including its minutes, as the
 * minute prefix, with that minute as seconds read as if UTC. */
static void
set_prefix(KtTimeParser *tp, const char *p, gsize n, gboolean clf, gint64 civil_minute)
{
    memcpy(&tp->prefix_w[0], p, 8);
    memcpy(&tp->prefix_w[1], p + 8, 8);
    memcpy(&tp->prefix_w[2], p + n - 8, 8);
    tp->prefix_len = n;
    tp->prefix_clf = clf;
    tp->prefix_civil = civil_minute;
}

/* Reads the date and time part; on success sets *@civil_sec and returns the tail. */
static const char *
parse_head(KtTimeParser *tp, const char *p, const char *end, gint64 *civil_sec)
{
    KtCivil c;
    gboolean full = FALSE, clf = FALSE;
    const char *q = NULL;
    gsize minute_len = 0; /* bytes up to and including the minutes, 0 = none */
    if (end - p >= 10 && p[4] == '-') {
        q = parse_iso(p, end, &c, &full);
        if (q != NULL && q - p >= 16)
            minute_len = 16;
    } else if (end - p >= 19 && (p[1] == '/' || p[2] == '/')) {
        q = parse_clf(p, end, &c);
        full = clf = TRUE;
        if (q != NULL)
            minute_len = (gsize)(q - p) - 3;
    }
    if (q == NULL || !civil_valid(&c))
        return NULL;
    if (c.s == 60)
        c.s = 59; /* a leap second is kept inside its minute */
    *civil_sec = kt_time_from_civil(c.y, c.mo, c.d, c.h, c.mi, c.s);
    gsize day_len = clf ? (p[2] == '/' ? 11 : 0) : 10;
    if (day_len > 0) {
        tp->day_head = kt_bytes_word(p);
        tp->day_tail = kt_bytes_word(p + day_len - 8);
        tp->day_len = day_len;
        tp->day_civil = kt_time_from_civil(c.y, c.mo, c.d, 0, 0, 0);
    }
    tp->prefix_len = 0;
    if (minute_len >= 16 && minute_len <= KT_PREFIX_MAX) /* 16 or 17 when set */
        set_prefix(tp, p, minute_len, clf, *civil_sec - c.s);
    return q;
}

/*
 * The cached minute: when @p starts with the last prefix, reads what parse_head would
 * read after it (":SS", optional in ISO 8601, required in CLF). Returns 1 with *@civil
 * and *@q set, 0 when the prefix does not match, -1 when the stamp is invalid.
 */
static int
parse_cached(const KtTimeParser *tp, const char *p, const char *end, gint64 *civil,
             const char **q)
{
    gsize n = tp->prefix_len;
    if (n == 0 || (gsize)(end - p) < n)
        return 0;
    guint64 a, b, c; /* the prefix's three words cover its 16 to 24 bytes */
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&c, p + n - 8, 8);
    if (a != tp->prefix_w[0] || b != tp->prefix_w[1] || c != tp->prefix_w[2])
        return 0;
    p += n;
    int s = 0;
    if (end - p >= 3 && p[0] == ':') {
        s = two_digits(p + 1);
        if (s < 0 || s > 60)
            return -1;
        if (s == 60)
            s = 59;
        p += 3;
    } else if (tp->prefix_clf) {
        return -1;
    }
    *civil = tp->prefix_civil + s;
    *q = p;
    return 1;
}

/*
 * The cached day: "dd/Mon/yyyy:hh:mm:ss" or "yyyy-mm-ddThh:mm:ss" (or 't', ' ') whose
 * date is the last one parse_head accepted, so only the time is read. It exists because
 * most stamps share their date with the one before; it equals parse_head because the
 * date was validated when cached, the separators checked are the ones parse_clf and
 * parse_iso require and the time checks are civil_valid's. Returns the tail, or NULL
 * when the stamp is not of this shape (the general path then decides, also on errors).
 */
static const char *
parse_day_cached(KtTimeParser *tp, const char *p, const char *end, gint64 *civil)
{
    gsize n = tp->day_len;
    if (n == 0 || (gsize)(end - p) < n + 9)
        return NULL;
    if (kt_bytes_word(p) != tp->day_head || kt_bytes_word(p + n - 8) != tp->day_tail)
        return NULL;
    char sep = p[n];
    if (n == 11 ? sep != ':' : (sep != 'T' && sep != 't' && sep != ' '))
        return NULL;
    const char *t = p + n + 1;
    if (t[2] != ':' || t[5] != ':')
        return NULL;
    int h = two_digits(t), mi = two_digits(t + 3), s = two_digits(t + 6);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return NULL;
    gint64 minute = tp->day_civil + h * 3600 + mi * 60;
    set_prefix(tp, p, n + 6, n == 11, minute); /* what parse_head would cache */
    *civil = minute + (s == 60 ? 59 : s);
    return t + 8;
}

/*
 * The web-log stamp "dd/Mon/yyyy:HH:MM:SS +zzzz" (26 bytes, as the CLF matcher cuts it
 * from its brackets) whose date is the cached day and whose zone text is the cached
 * zone: only HH:MM:SS is read, as one word. It exists because nearly every web-log line
 * has this shape and the general path spends ~130 instructions finding that out. It
 * equals the general path: the first byte (a cached day digit) and the last (a zone
 * digit) leave nothing to trim; the date was validated when cached and the separators
 * checked are parse_clf's, so parse_day_cached would read the same time with
 * civil_valid's checks; " +zzzz" is what parse_tail hands to zone_offset_cached, whose
 * cache answers it. Returns FALSE when the stamp is not of this shape (the general path
 * then decides, also on errors and out-of-range instants). Sets no cache: the caches
 * only ever hold what they were verified against, so skipping an update is harmless.
 */
static inline gboolean
parse_clf_cached(const KtTimeParser *tp, const char *p, gsize n, gint64 *out_ms)
{
    if (n != 26 || tp->day_len != 11 || tp->zone_len != 5)
        return FALSE;
    if (kt_bytes_word(p) != tp->day_head || kt_bytes_word(p + 3) != tp->day_tail ||
        p[11] != ':' || p[20] != ' ' || zone_key(p + 21, 5) != tp->zone_key)
        return FALSE;
    /* "HH:MM:SS" minus "00:00:00" bytewise (XOR: a byte is 0..9 exactly when it was a
     * digit, 0 exactly when it was the colon); a byte of 10 or more has bit 7 set in x
     * or in x + 0x76, so one test checks all six digits, then each pair is 10a + b */
    guint64 x = GUINT64_FROM_LE(kt_bytes_word(p + 12)) ^ G_GUINT64_CONSTANT(0x30303a30303a3030);
    if (((x | (x + G_GUINT64_CONSTANT(0x7676767676767676))) &
         G_GUINT64_CONSTANT(0x8080808080808080)) != 0 ||
        (x & G_GUINT64_CONSTANT(0x0000ff0000ff0000)) != 0)
        return FALSE;
    guint64 v = x * 10 + (x >> 8); /* byte 0: hours, 3: minutes, 6: seconds */
    int h = (int)(v & 0xff), mi = (int)(v >> 24 & 0xff), s = (int)(v >> 48 & 0xff);
    if (h > 23 || mi > 59 || s > 60)
        return FALSE;
    gint64 utc = tp->day_civil + h * 3600 + mi * 60 + (s == 60 ? 59 : s) - tp->zone_off;
    if (utc < 0 || utc > KT_MAX_SEC)
        return FALSE;
    *out_ms = utc * 1000;
    return TRUE;
}

/* The UTC second of local civil second @civil (memoized: stamps repeat seconds). */
static gint64
local_cached(KtTimeParser *tp, gint64 civil)
{
    if (!tp->local_valid || tp->local_civil != civil) {
        tp->local_civil = civil;
        tp->local_utc = local_to_utc(tp, civil);
        tp->local_valid = TRUE;
    }
    return tp->local_utc;
}

/* kt_time_parse past the web-log fast path (kept apart so that the fast path does not
 * pay this one's register saves). */
static G_GNUC_NO_INLINE gboolean
parse_general(KtTimeParser *tp, KtStrView s, gint64 *out_ms)
{
    const char *p = s.ptr, *end = s.ptr + s.len;
    /* ' ', '\t' and '"' are all <= '"': one comparison passes a digit or a letter */
    while (p < end && (guchar)*p <= '"' && (*p == ' ' || *p == '\t' || *p == '"'))
        p++;
    while (end > p && (guchar)end[-1] <= '"' &&
           (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '"'))
        end--;
    if (p < end && *p == '[') {
        p++;
        if (end > p && end[-1] == ']')
            end--;
    }
    if (p == end)
        return FALSE;
    gint64 civil;
    const char *q;
    int hit = parse_cached(tp, p, end, &civil, &q);
    if (hit < 0)
        return FALSE;
    if (hit == 0 && (q = parse_day_cached(tp, p, end, &civil)) == NULL) {
        if (all_epoch_chars(p, end))
            return parse_epoch(p, end, out_ms);
        q = parse_head(tp, p, end, &civil);
        if (q == NULL)
            return FALSE;
    }
    int frac;
    gboolean has_zone;
    gint32 off = 0;
    if (!parse_tail(tp, q, end, &frac, &has_zone, &off))
        return FALSE;
    gint64 utc = has_zone ? civil - off : local_cached(tp, civil);
    if (utc < 0 || utc > KT_MAX_SEC)
        return FALSE;
    *out_ms = utc * 1000 + frac;
    return TRUE;
}

gboolean
kt_time_parse(KtTimeParser *tp, KtStrView s, gint64 *out_ms)
{
    g_return_val_if_fail(tp != NULL && out_ms != NULL, FALSE);
    if (s.ptr == NULL)
        return FALSE;
    if (parse_clf_cached(tp, s.ptr, s.len, out_ms))
        return TRUE;
    return parse_general(tp, s, out_ms);
}

char *
kt_time_format(gint64 ms, char *buf)
{
    gint64 t = floor_div(ms, 1000);
    int frac = (int)(ms - t * 1000);
    gint64 day = floor_div(t, 86400), y;
    int sec = (int)(t - day * 86400), m, d;
    civil_from_days(day, &y, &m, &d);
    int n = g_snprintf(buf, 32, "%04" G_GINT64_FORMAT "-%02d-%02dT%02d:%02d:%02d", y, m, d,
                       sec / 3600, sec / 60 % 60, sec % 60);
    if (frac != 0 && n > 0 && n < 27)
        g_snprintf(buf + n, (gulong)(32 - n), ".%03dZ", frac);
    else if (n > 0 && n < 31)
        g_snprintf(buf + n, (gulong)(32 - n), "Z");
    return buf;
}

gboolean
kt_time_parse_option(const char *s, const char *tz, gint64 *out_ms, GError **error)
{
    g_autoptr(KtTimeParser) tp = kt_time_parser_new(tz, error);
    if (tp == NULL)
        return FALSE;
    if (s == NULL || !kt_time_parse(tp, kt_sv(s), out_ms)) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "cannot read time '%s' (use RFC 3339 such as 2024-07-31T12:00:00Z, "
                    "'YYYY-MM-DD HH:MM:SS' or epoch seconds)",
                    s != NULL ? s : "");
        return FALSE;
    }
    return TRUE;
}

/* Milliseconds per duration unit at @p; sets *@ulen to the unit's length. */
static gint64
unit_ms(const char *p, int *ulen)
{
    *ulen = 1;
    switch (*p) {
    case 'w':
        return G_GINT64_CONSTANT(604800000);
    case 'd':
        return 86400000;
    case 'h':
        return 3600000;
    case 'm':
        if (p[1] == 's') {
            *ulen = 2;
            return 1;
        }
        return 60000;
    case 's':
        return 1000;
    default:
        return 0;
    }
}

gboolean
kt_duration_parse(const char *s, gint64 *out_ms)
{
    g_return_val_if_fail(out_ms != NULL, FALSE);
    if (s == NULL || *s == '\0')
        return FALSE;
    const char *p = s;
    gint64 total = 0;
    gboolean any_unit = FALSE;
    while (*p != '\0') {
        gint64 v = 0;
        int n = 0;
        for (; is_digit(*p); p++, n++) {
            if (n >= 12)
                return FALSE;
            v = v * 10 + (*p - '0');
        }
        if (n == 0)
            return FALSE;
        if (*p == '\0') {
            if (any_unit)
                return FALSE; /* "1d12" is ambiguous */
            total += v * 1000;
            break;
        }
        int ulen;
        gint64 u = unit_ms(p, &ulen);
        if (u == 0)
            return FALSE;
        p += ulen;
        any_unit = TRUE;
        if (v > (G_GINT64_CONSTANT(1) << 52) / u)
            return FALSE;
        total += v * u;
        if (total > G_GINT64_CONSTANT(1) << 52)
            return FALSE;
    }
    *out_ms = total;
    return TRUE;
}
