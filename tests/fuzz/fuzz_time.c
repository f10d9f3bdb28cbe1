/*
 * fuzz_time.c - libFuzzer target: timestamp and duration parsing. Every accepted stamp
 * must format and parse back to the same instant, and the long-lived parsers (their
 * caches warm from earlier inputs) must read each input as a new parser does.
 */
#include <stdlib.h>

#include "keytrail/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static KtTimeParser *utc, *berlin, *ny;
    if (utc == NULL) {
        utc = kt_time_parser_new(NULL, NULL);
        berlin = kt_time_parser_new("Europe/Berlin", NULL);
        ny = kt_time_parser_new("America/New_York", NULL);
    }
    KtStrView s = kt_sv_len((const char *)data, size);
    KtTimeParser *const tps[] = { utc, berlin, ny };
    static const char *const zones[] = { NULL, "Europe/Berlin", "America/New_York" };
    for (gsize i = 0; i < G_N_ELEMENTS(tps); i++) {
        gint64 ms = 0, back = 0, fresh_ms = 0;
        gboolean ok = kt_time_parse(tps[i], s, &ms);
        g_autoptr(KtTimeParser) fresh = kt_time_parser_new(zones[i], NULL);
        if (kt_time_parse(fresh, s, &fresh_ms) != ok || (ok && fresh_ms != ms))
            abort();
        if (!ok)
            continue;
        char buf[32];
        kt_time_format(ms, buf);
        if (!kt_time_parse(utc, kt_sv(buf), &back) || back != ms)
            abort();
        int how = kt_time_hour_of_week(tps[i], ms);
        if (how < 0 || how > 167)
            abort();
    }
    g_autofree char *z = g_strndup((const char *)data, size);
    gint64 d;
    kt_duration_parse(z, &d);
    return 0;
}
