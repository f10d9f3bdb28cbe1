/*
 * timeparse.h - timestamp parsing for the record stage, fast and allocation-free.
 * Accepts RFC 3339 / ISO 8601 (Z, +hh:mm, +hhmm, fractions, 'T' or ' '), "YYYY-MM-DD
 * HH:MM:SS[.fff]", epoch seconds and milliseconds (by magnitude, with optional
 * fraction), CLF "[10/Oct/2000:13:55:36 -0700]" (brackets optional), RFC 5424 stamps.
 * Stamps without a zone are read in the configured zone (--tz, default UTC).
 *
 * Ownership rule: a KtTimeParser owns its zone and its one-entry cache.
 */
#ifndef KEYTRAIL_TIMEPARSE_H
#define KEYTRAIL_TIMEPARSE_H

#include "keytrail/common.h"

typedef struct _KtTimeParser KtTimeParser;

/* Creates a parser for stamps without a zone in @tz ("UTC", "Europe/Berlin", "+02:00";
 * NULL = UTC). Returns NULL and sets @error for an unknown zone. */
KtTimeParser *kt_time_parser_new(const char *tz, GError **error);
/* (transfer full) A parser of the same zone with caches of its own: one per thread, as
 * parsing and zone lookups update a parser's caches. */
KtTimeParser *kt_time_parser_copy(const KtTimeParser *tp);
void kt_time_parser_free(KtTimeParser *tp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtTimeParser, kt_time_parser_free)

/* Parses @s into UTC epoch milliseconds. Returns FALSE for text that is not a supported
 * timestamp or is out of range (before 1970 or after 9999). Never allocates; caches
 * the last second seen so repeated prefixes cost a memcmp. */
gboolean kt_time_parse(KtTimeParser *tp, KtStrView s, gint64 *out_ms);

/* Converts civil date-time fields to epoch seconds as UTC (no zone); days from
 * 1970-01-01 by the proleptic Gregorian calendar. Pure; cannot fail for valid fields. */
gint64 kt_time_from_civil(int year, int month, int day, int hour, int min, int sec);

/* Formats @ms as RFC 3339 UTC with seconds, "2024-07-31T12:36:52Z", into @buf of at
 * least 32 bytes; milliseconds are appended only when non-zero. Returns @buf. */
char *kt_time_format(gint64 ms, char *buf);

/* Parses a user-given time for options such as --leak-time: any accepted timestamp
 * form, in @tz when it has no zone. Returns FALSE and sets @error otherwise. */
gboolean kt_time_parse_option(const char *s, const char *tz, gint64 *out_ms, GError **error);

/* Parses a duration such as "7d", "36h", "30m", "90s", "2w"; returns FALSE on error. */
gboolean kt_duration_parse(const char *s, gint64 *out_ms);

/* Hour of week 0..167 (Monday 00:00 = 0) of @ms in the parser's zone. */
int kt_time_hour_of_week(const KtTimeParser *tp, gint64 ms);

/* Offset of the parser's zone from UTC at @ms, in seconds. */
gint32 kt_time_zone_offset(const KtTimeParser *tp, gint64 ms);

#endif
