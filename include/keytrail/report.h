/*
 * report.h - the reporters: turn engine results and ingest statistics into text
 * (terminal, optional colour), one JSON document (schema 1, docs/JSON.md) or JSON
 * lines. Reporters never include curses and never print a full key unless asked.
 *
 * Ownership rule: reporters borrow everything they are given and write to a FILE*.
 */
#ifndef KEYTRAIL_REPORT_H
#define KEYTRAIL_REPORT_H

#include <stdio.h>

#include "keytrail/engine.h"
#include "keytrail/ingest.h"

typedef enum {
    KT_OUTPUT_TEXT = 0,
    KT_OUTPUT_JSON,
    KT_OUTPUT_JSONL,
} KtOutputKind;

typedef struct {
    KtOutputKind kind;
    gboolean color;        /* ANSI colour (text only) */
    gboolean reveal_keys;  /* print full keys */
    gboolean pretty;       /* indent JSON */
    gint64 leak_time_ms;   /* G_MININT64 when none, shown in `window` */
    KtEntityMode entity;   /* principal mode adds `entity` fields */
    KtSeverity min_severity; /* text: hide incidents below this (default info: show all) */
    guint limit;           /* text: most keys and incidents listed, 0 = all (default) */
} KtReportOptions;

void kt_report_options_init(KtReportOptions *o);

/* Everything a report shows. */
typedef struct {
    KtIngest *ingest;          /* input statistics, rejects, dict */
    const KtResults *results;  /* nullable for --stats */
    KtEngine *engine;          /* nullable: for consumers / detail */
} KtReportInput;

/* Writes the --stats report (per input: format, lines, events, rejected by reason,
 * distinct keys, time range). Returns FALSE and sets @error on a write error. */
gboolean kt_report_stats(const KtReportInput *in, const KtReportOptions *o, FILE *out,
                         GError **error);

/* Writes the findings report in the chosen output kind. Returns FALSE and sets @error
 * on a write error. */
gboolean kt_report_findings(const KtReportInput *in, const KtReportOptions *o, FILE *out,
                            GError **error);

/* (transfer full) One anomaly or incident as a compact JSON object (the jsonl line
 * and the watch alert shape); @dict resolves ids. */
cJSON *kt_report_anomaly_json(const KtAnomaly *a, const KtDict *dict,
                              const KtReportOptions *o);
cJSON *kt_report_incident_json(const KtIncident *inc, const KtDict *dict,
                               const KtReportOptions *o);

/* Rejected lines the findings report (and each watch run) lists in detail; --stats lists
 * every sample kept (KT_REJECT_SAMPLES). */
#define KT_REPORT_REJECTS_SHOWN 5

/*
 * Appends one rejected line to @s as the text report lists it, "PATH:LINE reason (detail):
 * excerpt", word-wrapped to 80 columns after @indent (continuation lines 2 deeper), with
 * @path (sanitized, cut to 50 columns keeping its end) and @at (the position after it,
 * such as ":7", built by the caller from numbers) in place of @rs's path and line. The
 * detail and excerpt are sanitized, the excerpt redacted unless o->reveal_keys.
 * Cannot fail.
 */
void kt_report_text_reject(GString *s, const KtRejectSample *rs, const char *path,
                           const char *at, const KtReportOptions *o, const char *indent);

/* Appends @doc (pretty or compact) plus a newline to @s, with terminal-unsafe code
 * points (DEL, C1 controls, bidi and invisible format characters, U+2028/2029) written
 * as \uXXXX escapes: the same JSON value, safe to cat. Every string in @doc must be
 * valid UTF-8 (kt_utf8_valid). For every JSON that keytrail writes (reports, watch
 * alerts, TUI exports, state export). Cannot fail (aborts on OOM). */
void kt_report_json_print(const cJSON *doc, gboolean pretty, GString *s);

#endif
