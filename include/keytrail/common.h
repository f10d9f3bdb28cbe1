/*
 * common.h - types shared by every stage of keytrail: string views, the KT_ERROR
 * domain, exit codes and documented limits.
 *
 * Ownership rule: a KtStrView never owns its bytes; it is valid only as long as the
 * buffer it points into (the producer documents how long that is).
 */
#ifndef KEYTRAIL_COMMON_H
#define KEYTRAIL_COMMON_H

#include <glib.h>
#include <stdint.h>
#include <string.h>

#define KT_VERSION "0.1.0"

/* Exit codes: a contract with scripts, documented in README.md and docs/CLI.md. */
enum {
    KT_EXIT_OK = 0,       /* nothing at or above --fail-on */
    KT_EXIT_FINDINGS = 1, /* findings at or above --fail-on */
    KT_EXIT_USAGE = 2,    /* bad command line */
    KT_EXIT_INPUT = 3,    /* input or I/O error */
    KT_EXIT_STATE = 4,    /* state file corrupt, newer, or locked */
};

/* Documented limits (docs/LIMITS.md); each can be raised on the command line. */
#define KT_MAX_LINE_DEFAULT (1024 * 1024)     /* bytes in one line or JSON record */
#define KT_MAX_FIELDS_DEFAULT 1024            /* fields in one CSV row */
#define KT_MAX_JSON_DEPTH_DEFAULT 64          /* nesting of one JSON record */
#define KT_MAX_GZIP_RATIO_DEFAULT 250         /* decompressed / compressed bytes */
#define KT_REJECT_SAMPLES 20                  /* rejected lines reported in detail */
#define KT_MAX_KEYS_DEFAULT 1000000           /* distinct keys in one run */
#define KT_MAX_VALUES_DEFAULT 4000000         /* distinct sources/ops/UAs/principals each */

/* A borrowed, not necessarily NUL-terminated, byte range. */
typedef struct {
    const char *ptr; /* first byte, NULL when absent */
    gsize len;       /* number of bytes */
} KtStrView;

#define KT_SV_NULL ((KtStrView){ NULL, 0 })

static inline KtStrView
kt_sv(const char *s)
{
    return (KtStrView){ s, s ? strlen(s) : 0 };
}

static inline KtStrView
kt_sv_len(const char *s, gsize len)
{
    return (KtStrView){ s, len };
}

static inline gboolean
kt_sv_empty(KtStrView v)
{
    return v.ptr == NULL || v.len == 0;
}

static inline gboolean
kt_sv_eq(KtStrView v, const char *s)
{
    gsize n = strlen(s);
    return v.ptr != NULL && v.len == n && memcmp(v.ptr, s, n) == 0;
}

/* The decimal count @v holds (a response size), -1 when it is empty, longer than 18
 * digits or has any other byte. */
static inline gint64
kt_sv_parse_count(KtStrView v)
{
    if (v.len == 0 || v.len > 18)
        return -1;
    gint64 n = 0;
    for (gsize i = 0; i < v.len; i++) {
        if ((guint8)(v.ptr[i] - '0') > 9)
            return -1;
        n = n * 10 + (v.ptr[i] - '0');
    }
    return n;
}

/* Error domain of keytrail. */
#define KT_ERROR (kt_error_quark())
GQuark kt_error_quark(void);

typedef enum {
    KT_ERROR_IO,            /* a file cannot be opened, read or written */
    KT_ERROR_USAGE,         /* bad option value */
    KT_ERROR_FORMAT_SPEC,   /* bad --format / --field / log format string */
    KT_ERROR_INPUT,         /* input that cannot be read at all (e.g. gzip bomb) */
    KT_ERROR_STATE_CORRUPT, /* state file damaged */
    KT_ERROR_STATE_VERSION, /* state file written by a newer keytrail */
    KT_ERROR_LOCKED,        /* another run holds the state lock */
    KT_ERROR_CONFIG,        /* bad list file (--allow, --revoked, --known-bad) */
} KtError;

/* Severity of a finding; ordered so that comparisons work. */
typedef enum {
    KT_SEV_NONE = 0,
    KT_SEV_INFO,
    KT_SEV_LOW,
    KT_SEV_MEDIUM,
    KT_SEV_HIGH,
    KT_SEV_CRITICAL,
} KtSeverity;

/* Returns the lower-case name ("info", ...); cannot fail. */
const char *kt_severity_name(KtSeverity sev);

/* Parses a severity name; returns FALSE for an unknown name. */
gboolean kt_severity_parse(const char *name, KtSeverity *out);

/* Maps a 0-100 score to a severity band (documented in docs/DETECTORS.md). */
KtSeverity kt_severity_from_score(int score);

#endif
