/*
 * format.h - the log format registry: each format turns the raw (already
 * decompressed) bytes of one input into KtEventView callbacks. Formats are push
 * parsers: they receive arbitrary blocks and keep their own partial-line state, so a
 * CSV field with an embedded newline or a CloudTrail record split across blocks works.
 *
 * Ownership rule: a parser instance borrows its KtFormatOptions and KtSink for its whole
 * life; the KtEventView passed to the sink borrows the parser's buffers and is valid
 * only during the callback.
 */
#ifndef KEYTRAIL_FORMAT_H
#define KEYTRAIL_FORMAT_H

#include "keytrail/common.h"
#include "keytrail/event.h"

/* Why a line or record was rejected. X-macro: enum value, name used in output. */
#define KT_REJECT_REASONS(X)                                                                    \
    X(KT_REJECT_MALFORMED, "malformed")           /* does not match the format's syntax */    \
    X(KT_REJECT_TRUNCATED, "truncated")           /* last line/record cut off mid-way */      \
    X(KT_REJECT_TOO_LONG, "line_too_long")        /* longer than --max-line */                \
    X(KT_REJECT_TOO_MANY_FIELDS, "too_many_fields") /* more fields than --max-fields */       \
    X(KT_REJECT_TOO_DEEP, "json_too_deep")        /* JSON nested deeper than the limit */     \
    X(KT_REJECT_NOT_OBJECT, "not_an_object")      /* JSON value that is not an object */      \
    X(KT_REJECT_BINARY, "binary")                 /* NUL bytes or other binary garbage */     \
    X(KT_REJECT_NO_KEY, "missing_key")            /* no API key field */                      \
    X(KT_REJECT_NO_TIME, "missing_time")          /* no timestamp field */                    \
    X(KT_REJECT_BAD_TIME, "bad_time")             /* timestamp not understood */              \
    X(KT_REJECT_BAD_FIELD_COUNT, "field_count")   /* CSV row width differs from header */   \
    X(KT_REJECT_KEY_LIMIT, "key_limit")           /* a new key beyond --max-keys */

#define KT_REJECT_ENUM(e, s) e,
typedef enum { KT_REJECT_REASONS(KT_REJECT_ENUM) KT_REJECT_COUNT } KtReject;
#undef KT_REJECT_ENUM

/* Returns the reason's output name ("malformed", ...). */
const char *kt_reject_name(KtReject r);

/* Where parsed events go. The parser calls exactly one of event/reject/skip per line
 * or record it consumes (a CSV header and blank lines count as skip). */
typedef struct {
    /* One event; @line is the 1-based line (or record index for documents). */
    void (*event)(gpointer ud, const KtEventView *ev, guint64 line);
    /* One rejected line; @detail is a short human reason ("no closing quote"), may be
     * NULL; @excerpt is the start of the offending text (may be empty). */
    void (*reject)(gpointer ud, guint64 line, KtReject reason, const char *detail,
                   KtStrView excerpt);
    /* A line that is not an event but not bad either (header, comment, blank, vault
     * request half). */
    void (*skip)(gpointer ud, guint64 line);
    gpointer ud;
} KtSink;

/* One --field NAME=SOURCE override. */
typedef struct {
    char *name;   /* key, time, ip, op, status, bytes, ua, principal */
    char *source; /* dotted JSON path, CSV column name, web-log source, SD param */
} KtFieldOverride;

/* Options shared by every format; owned by the caller (the CLI). */
typedef struct {
    const char *preset;          /* nullable: NULL = guess from the data */
    GPtrArray *fields;           /* nullable: KtFieldOverride* */
    const char *log_format;      /* nullable: custom web log format string (%h %u %t ...) */
    char csv_delimiter;          /* 0 = detect from the header (',' ';' '\t') */
    gsize max_line;              /* KT_MAX_LINE_DEFAULT */
    guint max_fields;            /* KT_MAX_FIELDS_DEFAULT */
    guint max_json_depth;        /* KT_MAX_JSON_DEPTH_DEFAULT */
    const char *label;           /* input name for messages */
} KtFormatOptions;

/* Fills @opts with the defaults above. */
void kt_format_options_init(KtFormatOptions *opts);

/* A format implementation. One static const instance per format, registered in
 * src/input/format.c. */
typedef struct {
    const char *name;    /* "csv", "jsonl", "cloudtrail", "clf", "syslog" */
    const char *summary; /* one line for `keytrail formats` */
    /* Confidence 0..100 that @buf (the first bytes of an input, BOM stripped) is in this
     * format. */
    int (*sniff)(const char *buf, gsize len);
    /* Creates a parser for one input. Returns NULL and sets @error (KT_ERROR_FORMAT_SPEC)
     * when the options cannot apply (unknown preset, bad format string). */
    gpointer (*new)(const KtFormatOptions *opts, const KtSink *sink, GError **error);
    /* Consumes @len bytes; emits sink callbacks for every complete line or record. Bad
     * lines are data (reject), never an error. Cannot fail. */
    void (*feed)(gpointer parser, const char *buf, gsize len);
    /* End of input: handles a last line without newline (parse it, or reject it as
     * truncated) and flushes. Cannot fail. */
    void (*finish)(gpointer parser);
    void (*free)(gpointer parser);
    /* Writes this format's presets and field mappings for `keytrail formats` into @out. */
    void (*describe)(GString *out);
    /* Nullable (formats without presets). (transfer none, static) The preset @parser uses,
     * or NULL while it is still to be chosen from the first record (or none applies). */
    const char *(*preset_name)(gpointer parser);
    /* (nullable member) Reading resumes in the middle of a file (watch): @head is the
     * file's first bytes (BOM stripped); the parser takes what it needs from them (a CSV
     * header, the preset) without emitting anything, and then gets bytes from the resume
     * offset on. */
    void (*resume)(gpointer parser, const char *head, gsize len);
} KtFormatOps;

/* (transfer none) All registered formats, NULL-terminated. */
const KtFormatOps *const *kt_format_all(void);

/* (transfer none) The format called @name, or NULL. Accepts aliases: "json" = "jsonl",
 * "combined"/"common"/"web" = "clf". */
const KtFormatOps *kt_format_find(const char *name);

/* (transfer none) The most likely format for @buf, or NULL when nothing scores > 0. */
const KtFormatOps *kt_format_sniff(const char *buf, gsize len);

/* The formats, defined in src/input/fmt_*.c. */
extern const KtFormatOps kt_format_csv;
extern const KtFormatOps kt_format_jsonl;
extern const KtFormatOps kt_format_cloudtrail;
extern const KtFormatOps kt_format_clf;
extern const KtFormatOps kt_format_syslog;

/* For tests: FALSE sends every CSV line with a quote through libcsv, so that the fast
 * split of quoted lines can be compared with it (default TRUE; not thread-safe). */
void kt_csv_set_quoted_fast(gboolean on);

/* Shared line splitting for line-based formats. Calls @fn for every complete line
 * (without the newline, CR stripped) and rejects lines over @max_line (the excess is
 * skipped, not buffered). */
typedef struct _KtLineSplitter KtLineSplitter;
typedef void (*KtLineFn)(gpointer ud, const char *line, gsize len, guint64 lineno);
KtLineSplitter *kt_line_splitter_new(gsize max_line, KtLineFn fn, const KtSink *sink,
                                     gpointer ud);
void kt_line_splitter_feed(KtLineSplitter *ls, const char *buf, gsize len);
/* Flushes a last line without newline: calls @fn with it; returns TRUE when there was
 * one (the caller's line function decides whether it is truncated). */
gboolean kt_line_splitter_finish(KtLineSplitter *ls);
/* TRUE while the line passed to the callback has no terminating newline (last line). */
gboolean kt_line_splitter_at_eof(const KtLineSplitter *ls);
void kt_line_splitter_free(KtLineSplitter *ls);

#endif
