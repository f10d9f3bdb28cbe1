/*
 * test-timeparse.c - table-driven tests of timestamp parsing (all accepted shapes, DST
 * edges in Europe/Berlin and America/New_York, leap years, rejects), durations, hour
 * of week and formatting.
 */
#include "keytrail/timeparse.h"

typedef struct {
    const char *tz;   /* parser zone, NULL = UTC */
    const char *in;   /* stamp */
    gboolean ok;      /* expected return */
    gint64 ms;        /* expected UTC epoch ms when ok */
} TimeCase;

#define T_0731 G_GINT64_CONSTANT(1722429412000) /* 2024-07-31T12:36:52Z */

static const TimeCase time_cases[] = {
    /* RFC 3339 / ISO 8601 */
    { NULL, "2024-07-31T12:36:52Z", TRUE, T_0731 },
    { NULL, "2024-07-31t12:36:52z", TRUE, T_0731 },
    { NULL, "2024-07-31T12:36:52.5Z", TRUE, T_0731 + 500 },
    { NULL, "2024-07-31T12:36:52.123456789Z", TRUE, T_0731 + 123 },
    { NULL, "2024-07-31T12:36:52,07Z", TRUE, T_0731 + 70 },
    { NULL, "2024-07-31T14:36:52+02:00", TRUE, T_0731 },
    { NULL, "2024-07-31T14:36:52+0200", TRUE, T_0731 },
    { NULL, "2024-07-31T14:36:52+02", TRUE, T_0731 },
    { NULL, "2024-07-31T07:06:52-05:30", TRUE, T_0731 },
    { NULL, "2024-07-31 12:36:52", TRUE, T_0731 },
    { NULL, "2024-07-31 12:36:52 UTC", TRUE, T_0731 },
    { NULL, "2024-07-31 14:36:52 +0200", TRUE, T_0731 },
    { NULL, "2024-07-31T12:36:52.000+00:00", TRUE, T_0731 },
    { NULL, "\"2024-07-31T12:36:52Z\"", TRUE, T_0731 },
    { NULL, "2024-07-31T12:36Z", TRUE, T_0731 - 52000 },
    { NULL, "2024-07-31", TRUE, T_0731 - (12 * 3600 + 36 * 60 + 52) * 1000 },
    { NULL, "2003-10-11T22:14:15.003Z", TRUE, G_GINT64_CONSTANT(1065910455003) }, /* 5424 */
    /* epoch */
    { NULL, "1722429412", TRUE, T_0731 },
    { NULL, "1722429412.25", TRUE, T_0731 + 250 },
    { NULL, "1722429412123", TRUE, T_0731 + 123 },
    { NULL, "0", TRUE, 0 },
    { NULL, "99999999999", TRUE, G_GINT64_CONSTANT(99999999999000) }, /* < 1e11: seconds */
    { NULL, "100000000000", TRUE, G_GINT64_CONSTANT(100000000000) },  /* >= 1e11: ms */
    /* CLF */
    { NULL, "10/Oct/2000:13:55:36 -0700", TRUE, G_GINT64_CONSTANT(971211336000) },
    { NULL, "[10/Oct/2000:13:55:36 -0700]", TRUE, G_GINT64_CONSTANT(971211336000) },
    { NULL, "[10/oct/2000:20:55:36 +0000]", TRUE, G_GINT64_CONSTANT(971211336000) },
    { NULL, "10/Oct/2000:20:55:36", TRUE, G_GINT64_CONSTANT(971211336000) },
    { NULL, "[1/Feb/2024:00:00:00 +0000]", TRUE, G_GINT64_CONSTANT(1706745600000) },
    /* leap years and range */
    { NULL, "2024-02-29T00:00:00Z", TRUE, G_GINT64_CONSTANT(1709164800000) },
    { NULL, "2000-02-29T00:00:00Z", TRUE, G_GINT64_CONSTANT(951782400000) },
    { NULL, "2023-02-29T00:00:00Z", FALSE, 0 },
    { NULL, "2100-02-29T00:00:00Z", FALSE, 0 },
    { NULL, "2024-04-31T00:00:00Z", FALSE, 0 },
    { NULL, "9999-12-31T23:59:59Z", TRUE, G_GINT64_CONSTANT(253402300799000) },
    { NULL, "1969-12-31T23:59:59Z", FALSE, 0 },
    { NULL, "1970-01-01T00:30:00+01:00", FALSE, 0 },
    { NULL, "99999999999999999", FALSE, 0 },
    { NULL, "999999999999999", FALSE, 0 }, /* ms past 9999 */
    /* garbage */
    { NULL, "", FALSE, 0 },
    { NULL, "-", FALSE, 0 },
    { NULL, "[]", FALSE, 0 },
    { NULL, "abc", FALSE, 0 },
    { NULL, "12.34.56", FALSE, 0 },
    { NULL, "1722429412.", FALSE, 0 },
    { NULL, "2024-13-01T00:00:00Z", FALSE, 0 },
    { NULL, "2024-01-32T00:00:00Z", FALSE, 0 },
    { NULL, "2024-01-01T24:00:00Z", FALSE, 0 },
    { NULL, "2024-01-01T10:60:00Z", FALSE, 0 },
    { NULL, "2024-01-01T10:00:00+25:00", FALSE, 0 },
    { NULL, "2024-01-01T10:00:00.Z", FALSE, 0 },
    { NULL, "2024-01-01T10:00:00Zjunk", FALSE, 0 },
    { NULL, "2024-01-01X10:00:00Z", FALSE, 0 },
    { NULL, "2024-1-01T10:00:00Z", FALSE, 0 },
    { NULL, "10/Foo/2000:13:55:36 -0700", FALSE, 0 },
    { NULL, "10/Oct/2000:13:55 -0700", FALSE, 0 },
    { NULL, "10/Oct/2000:13:55:36 -07", TRUE, G_GINT64_CONSTANT(971211336000) },
    /* Europe/Berlin: CET +1, CEST +2; 2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00 */
    { "Europe/Berlin", "2024-01-15 12:00:00", TRUE, G_GINT64_CONSTANT(1705316400000) },
    { "Europe/Berlin", "2024-07-01 12:00:00", TRUE, G_GINT64_CONSTANT(1719828000000) },
    { "Europe/Berlin", "2024-03-31 01:59:59", TRUE, G_GINT64_CONSTANT(1711846799000) },
    { "Europe/Berlin", "2024-03-31 02:30:00", TRUE, G_GINT64_CONSTANT(1711848600000) }, /* gap */
    { "Europe/Berlin", "2024-03-31 03:00:00", TRUE, G_GINT64_CONSTANT(1711846800000) },
    { "Europe/Berlin", "2024-10-27 02:30:00", TRUE, G_GINT64_CONSTANT(1729989000000) }, /* 1st */
    { "Europe/Berlin", "2024-10-27 03:00:00", TRUE, G_GINT64_CONSTANT(1729994400000) },
    { "Europe/Berlin", "2024-07-01T12:00:00Z", TRUE, G_GINT64_CONSTANT(1719835200000) },
    { "Europe/Berlin", "31/Mar/2024:03:00:00", TRUE, G_GINT64_CONSTANT(1711846800000) },
    { "Europe/Berlin", "1719828000", TRUE, G_GINT64_CONSTANT(1719828000000) },
    /* America/New_York: EST -5, EDT -4; 2024-03-10 02:00 -> 03:00, 2024-11-03 02:00 -> 01:00 */
    { "America/New_York", "2024-03-10 01:59:59", TRUE, G_GINT64_CONSTANT(1710053999000) },
    { "America/New_York", "2024-03-10 02:30:00", TRUE, G_GINT64_CONSTANT(1710055800000) },
    { "America/New_York", "2024-03-10 03:00:00", TRUE, G_GINT64_CONSTANT(1710054000000) },
    { "America/New_York", "2024-11-03 01:30:00", TRUE, G_GINT64_CONSTANT(1730611800000) },
    { "America/New_York", "2024-11-03 02:00:00", TRUE, G_GINT64_CONSTANT(1730617200000) },
    /* fixed offsets */
    { "+05:30", "2024-01-01 00:00:00", TRUE, G_GINT64_CONSTANT(1704047400000) },
    { "+0530", "2024-01-01T00:00:00", TRUE, G_GINT64_CONSTANT(1704047400000) },
    { "UTC", "2024-07-31 12:36:52", TRUE, T_0731 },
};

static void
test_parse_table(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(time_cases); i++) {
        const TimeCase *c = &time_cases[i];
        g_autoptr(GError) error = NULL;
        g_autoptr(KtTimeParser) tp = kt_time_parser_new(c->tz, &error);
        g_assert_no_error(error);
        gint64 ms = -42;
        g_test_message("case %s in %s", c->in, c->tz ? c->tz : "UTC");
        g_assert_cmpint(kt_time_parse(tp, kt_sv(c->in), &ms), ==, c->ok);
        if (c->ok)
            g_assert_cmpint(ms, ==, c->ms);
    }
}

/* The same parser through every case in turn: the prefix cache must never leak a value
 * from one stamp into the next. */
static void
test_parse_cached_sequence(void)
{
    g_autoptr(KtTimeParser) utc = kt_time_parser_new(NULL, NULL);
    for (int round = 0; round < 2; round++) {
        for (gsize i = 0; i < G_N_ELEMENTS(time_cases); i++) {
            const TimeCase *c = &time_cases[i];
            if (c->tz != NULL)
                continue;
            gint64 ms = -42;
            g_test_message("case %s", c->in);
            g_assert_cmpint(kt_time_parse(utc, kt_sv(c->in), &ms), ==, c->ok);
            if (c->ok)
                g_assert_cmpint(ms, ==, c->ms);
        }
    }
    g_autoptr(KtTimeParser) berlin = kt_time_parser_new("Europe/Berlin", NULL);
    static const struct {
        const char *in;
        gint64 ms;
    } seq[] = {
        { "2024-07-31T14:36:52", T_0731 },
        { "2024-07-31T14:36:52.250", T_0731 + 250 },
        { "2024-07-31T14:36:52Z", T_0731 + 7200000 },
        { "2024-07-31T14:36:52.5+02:00", T_0731 + 500 },
        { "2024-07-31T14:36:52", T_0731 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(seq); i++) {
        gint64 ms = 0;
        g_assert_true(kt_time_parse(berlin, kt_sv(seq[i].in), &ms));
        g_assert_cmpint(ms, ==, seq[i].ms);
    }
    /* A view shorter than the cached prefix, and a view cut inside the text. */
    gint64 ms = 0;
    g_assert_false(kt_time_parse(berlin, kt_sv_len("2024-07-31T14:36:52", 17), &ms));
    g_assert_true(kt_time_parse(berlin, kt_sv_len("2024-07-31T14:36:52Zxx", 20), &ms));
    g_assert_cmpint(ms, ==, T_0731 + 7200000);
}

/* A stamp near the shapes the caches know: a date from a small set (so they hit), a
 * time, a fraction and a zone, then sometimes one byte changed or the text cut. */
static void
random_stamp(GRand *r, char *buf, gsize size)
{
    static const char *const iso_days[] = { "2024-03-01", "2024-03-02", "2024-02-29",
                                            "2023-02-29", "2024-04-31" };
    static const char *const clf_days[] = { "01/Mar/2024", "02/mar/2024", "1/Mar/2024",
                                            "31/Apr/2024" };
    static const char *const seps[] = { "T", "t", " ", ":", "X" };
    static const char *const fracs[] = { "", "", ".605", ",5", ".", ".123456" };
    static const char *const zones[] = { "Z", "", " +0100", " +0200", "+02:00", "-0530",
                                         " UTC", "+25:00", " +01", "z", " -07" };
    gboolean clf = g_rand_boolean(r);
    const char *day = clf ? clf_days[g_rand_int_range(r, 0, G_N_ELEMENTS(clf_days))]
                          : iso_days[g_rand_int_range(r, 0, G_N_ELEMENTS(iso_days))];
    const char *sep = clf ? ":" : seps[g_rand_int_range(r, 0, G_N_ELEMENTS(seps))];
    g_snprintf(buf, size, "%s%s%02d:%02d:%02d%s%s", day, sep, g_rand_int_range(r, 0, 26),
               g_rand_int_range(r, 0, 61), g_rand_int_range(r, 0, 62),
               fracs[g_rand_int_range(r, 0, G_N_ELEMENTS(fracs))],
               zones[g_rand_int_range(r, 0, G_N_ELEMENTS(zones))]);
    gsize n = strlen(buf);
    /* half the time the minute of the stamp before (the minute cache's case) */
    static char prev[64];
    gsize minute = clf ? strlen(day) + 6 : 16;
    if (g_rand_boolean(r) && strlen(prev) >= minute && n >= minute)
        memcpy(buf, prev, minute);
    g_strlcpy(prev, buf, sizeof(prev));
    int what = g_rand_int_range(r, 0, 8);
    if (what == 0 && n > 0)
        buf[g_rand_int_range(r, 0, (gint32)n)] = "0123456789:/-T +Zx"[g_rand_int_range(r, 0, 18)];
    else if (what == 1 && n > 0)
        buf[g_rand_int_range(r, 0, (gint32)n)] = '\0';
}

/* A parser that has seen many stamps (all caches warm) reads each stamp exactly as a new
 * parser does. */
static void
test_parse_caches_differential(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(6);
    static const char *const zones[] = { NULL, "Europe/Berlin" };
    for (gsize z = 0; z < G_N_ELEMENTS(zones); z++) {
        g_autoptr(KtTimeParser) warm = kt_time_parser_new(zones[z], NULL);
        g_autoptr(KtTimeParser) fresh = NULL;
        for (int i = 0; i < 20000; i++) {
            char buf[64];
            random_stamp(r, buf, sizeof(buf));
            g_clear_pointer(&fresh, kt_time_parser_free);
            fresh = kt_time_parser_new(zones[z], NULL);
            gint64 a = -42, b = -42;
            gboolean ok_a = kt_time_parse(warm, kt_sv(buf), &a);
            gboolean ok_b = kt_time_parse(fresh, kt_sv(buf), &b);
            if (ok_a != ok_b || a != b)
                g_error("'%s': warm %d %" G_GINT64_FORMAT ", new %d %" G_GINT64_FORMAT, buf,
                        ok_a, a, ok_b, b);
        }
    }
}

/* The web-log shape with the date and zone of the stamp before (the CLF fast path) and
 * its near misses read as a new parser reads them. */
static void
test_parse_clf_cached(void)
{
    static const char *const stamps[] = {
        "01/Mar/2024:10:00:00 +0100", "01/Mar/2024:23:59:60 +0100", "01/Mar/2024:24:00:00 +0100",
        "01/Mar/2024:10:60:00 +0100", "01/Mar/2024:10:00:61 +0100", "01/Mar/2024:1a:00:00 +0100",
        "01/Mar/2024:10:00:00 +0200", "01/Mar/2024:10:00:00 -0100", "01/Mar/2024 10:00:00 +0100",
        "01/Mar/2024:10-00:00 +0100", "01/Mar/2024:10:00-00 +0100", "01/Mar/2024:10:00:00x+0100",
        "02/Mar/2024:10:00:00 +0100", "01/Mar/2024:10:00:00 +01:0", "01/Mar/2024:00:00:00 +2359",
        "01/Jan/1970:00:00:00 +0100", "01/Mar/2024:10:00:00.5+0100",
        /* bytes around the digits and the colons */
        "01/Mar/2024:1\xff:00:00 +0100", "01/Mar/2024:10:0/:00 +0100", "01/Mar/2024:10:00:0: +0100",
        "01/Mar/2024:10000000 +0100", "01/Mar/2024:10:00\x8a" "00 +0100", "01/Mar/2024:\x8a" "0:00:00 +0100",
        "01/Mar/2024:19:59:59 +0100", "01/Mar/2024:09:09:09 +0100", "01/Mar/2024:23:09:60 +0100",
    };
    g_autoptr(KtTimeParser) warm = kt_time_parser_new(NULL, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(stamps); i++) {
        for (gsize j = 0; j < G_N_ELEMENTS(stamps); j++) {
            g_autoptr(KtTimeParser) fresh = kt_time_parser_new(NULL, NULL);
            gint64 a = -42, b = -42;
            gint64 prev;
            kt_time_parse(warm, kt_sv(stamps[i]), &prev);
            gboolean ok_a = kt_time_parse(warm, kt_sv(stamps[j]), &a);
            gboolean ok_b = kt_time_parse(fresh, kt_sv(stamps[j]), &b);
            if (ok_a != ok_b || a != b)
                g_error("'%s' after '%s': warm %d %" G_GINT64_FORMAT ", new %d %" G_GINT64_FORMAT,
                        stamps[j], stamps[i], ok_a, a, ok_b, b);
        }
    }
}

static void
test_unknown_zone(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KtTimeParser) tp = kt_time_parser_new("Mars/Olympus_Mons", &error);
    g_assert_null(tp);
    g_assert_error(error, KT_ERROR, KT_ERROR_USAGE);
}

static void
test_zone_offset(void)
{
    g_autoptr(KtTimeParser) tp = kt_time_parser_new("Europe/Berlin", NULL);
    g_assert_cmpint(kt_time_zone_offset(tp, G_GINT64_CONSTANT(1719828000000)), ==, 7200);
    g_assert_cmpint(kt_time_zone_offset(tp, G_GINT64_CONSTANT(1705316400000)), ==, 3600);
    /* transition day: exact on both sides of 01:00Z */
    g_assert_cmpint(kt_time_zone_offset(tp, G_GINT64_CONSTANT(1711846799000)), ==, 3600);
    g_assert_cmpint(kt_time_zone_offset(tp, G_GINT64_CONSTANT(1711846800000)), ==, 7200);
    g_autoptr(KtTimeParser) fixed = kt_time_parser_new("-03:00", NULL);
    g_assert_cmpint(kt_time_zone_offset(fixed, 0), ==, -10800);
}

static void
test_hour_of_week(void)
{
    g_autoptr(KtTimeParser) utc = kt_time_parser_new(NULL, NULL);
    g_autoptr(KtTimeParser) berlin = kt_time_parser_new("Europe/Berlin", NULL);
    /* 2024-07-29 is a Monday */
    g_assert_cmpint(kt_time_hour_of_week(utc, G_GINT64_CONSTANT(1722211200000)), ==, 0);
    g_assert_cmpint(kt_time_hour_of_week(utc, G_GINT64_CONSTANT(1722812400000)), ==, 167);
    g_assert_cmpint(kt_time_hour_of_week(utc, T_0731), ==, 2 * 24 + 12);
    g_assert_cmpint(kt_time_hour_of_week(berlin, G_GINT64_CONSTANT(1722204000000)), ==, 0);
    g_assert_cmpint(kt_time_hour_of_week(utc, G_GINT64_CONSTANT(1722204000000)), ==, 167 - 1);
    g_assert_cmpint(kt_time_hour_of_week(utc, 0), ==, 3 * 24); /* Thursday */
}

static void
test_format(void)
{
    char buf[32];
    g_assert_cmpstr(kt_time_format(T_0731, buf), ==, "2024-07-31T12:36:52Z");
    g_assert_cmpstr(kt_time_format(T_0731 + 7, buf), ==, "2024-07-31T12:36:52.007Z");
    g_assert_cmpstr(kt_time_format(0, buf), ==, "1970-01-01T00:00:00Z");
    g_assert_cmpstr(kt_time_format(-1, buf), ==, "1969-12-31T23:59:59.999Z");
    g_assert_cmpstr(kt_time_format(G_GINT64_CONSTANT(253402300799000), buf), ==,
                    "9999-12-31T23:59:59Z");
    g_assert_cmpint(kt_time_from_civil(2000, 2, 29, 0, 0, 0), ==, 951782400);
    g_assert_cmpint(kt_time_from_civil(1970, 1, 1, 0, 0, 0), ==, 0);
}

static void
test_option(void)
{
    gint64 ms = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(kt_time_parse_option("2024-07-31 14:36:52", "Europe/Berlin", &ms, &error));
    g_assert_no_error(error);
    g_assert_cmpint(ms, ==, T_0731);
    g_assert_false(kt_time_parse_option("yesterday", NULL, &ms, &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_USAGE);
    g_clear_error(&error);
    g_assert_false(kt_time_parse_option("2024-07-31", "No/Such_Zone", &ms, &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_USAGE);
}

static void
test_duration(void)
{
    static const struct {
        const char *in;
        gboolean ok;
        gint64 ms;
    } cases[] = {
        { "7d", TRUE, G_GINT64_CONSTANT(604800000) },
        { "36h", TRUE, G_GINT64_CONSTANT(129600000) },
        { "30m", TRUE, 1800000 },
        { "90s", TRUE, 90000 },
        { "2w", TRUE, G_GINT64_CONSTANT(1209600000) },
        { "1d12h", TRUE, G_GINT64_CONSTANT(129600000) },
        { "1h30m15s", TRUE, 5415000 },
        { "3600", TRUE, 3600000 },
        { "0", TRUE, 0 },
        { "250ms", TRUE, 250 },
        { "", FALSE, 0 },
        { "d", FALSE, 0 },
        { "7x", FALSE, 0 },
        { "1d12", FALSE, 0 },
        { "-5", FALSE, 0 },
        { "7 d", FALSE, 0 },
        { "999999999999999w", FALSE, 0 },
        { "99999999999w", FALSE, 0 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        gint64 ms = -1;
        g_test_message("duration %s", cases[i].in);
        g_assert_cmpint(kt_duration_parse(cases[i].in, &ms), ==, cases[i].ok);
        if (cases[i].ok)
            g_assert_cmpint(ms, ==, cases[i].ms);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/timeparse/parse/table", test_parse_table);
    g_test_add_func("/timeparse/parse/cached-sequence", test_parse_cached_sequence);
    g_test_add_func("/timeparse/parse/caches-differential", test_parse_caches_differential);
    g_test_add_func("/timeparse/parse/clf-cached", test_parse_clf_cached);
    g_test_add_func("/timeparse/zone/unknown", test_unknown_zone);
    g_test_add_func("/timeparse/zone/offset", test_zone_offset);
    g_test_add_func("/timeparse/hour-of-week", test_hour_of_week);
    g_test_add_func("/timeparse/format", test_format);
    g_test_add_func("/timeparse/option", test_option);
    g_test_add_func("/timeparse/duration", test_duration);
    return g_test_run();
}
