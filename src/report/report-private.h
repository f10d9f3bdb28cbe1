/*
 * report-private.h - what the reporters (text.c, json.c, stats.c) share. The public
 * entry points in report.c unpack a KtReportInput into a KtReportData; everything
 * below works on plain arrays, so the reporters are testable without a KtIngest.
 *
 * Ownership rule: a KtReportData borrows everything it points to.
 */
#ifndef KEYTRAIL_REPORT_PRIVATE_H
#define KEYTRAIL_REPORT_PRIVATE_H

#include "keytrail/report.h"

#define KT_REPORT_SCHEMA 1
#define KT_REPORT_WIDTH 80 /* text reports fit an 80-column terminal */

typedef struct {
    GPtrArray *stats;         /* nullable: KtInputStats*, in reading order */
    GPtrArray *rejects;       /* nullable: KtRejectSample* */
    const KtDict *dict;       /* resolves every id */
    const KtResults *results; /* nullable (--stats) */
} KtReportData;

/* --- report.c: helpers shared by the reporters --------------------------------------- */

/* Formats @ms as RFC 3339 UTC into @buf (>= 32 bytes); "-" for G_MININT64/G_MAXINT64. */
char *kt_report_time(gint64 ms, char *buf);

/* TRUE when @ms is a real time (not the G_MININT64/G_MAXINT64 "none" markers). */
gboolean kt_report_time_set(gint64 ms);

/* (transfer full) The key id @key as shown: masked unless o->reveal_keys (raw bytes;
 * pass it through kt_sanitize or kt_utf8_valid). */
char *kt_report_key(const KtDict *dict, guint32 key, const KtReportOptions *o);

/* The entity label of an anomaly/incident/summary in principal mode: the principal
 * (not secret, shown as is), else NULL. (transfer none) */
const char *kt_report_principal(const KtDict *dict, guint32 entity, gboolean is_principal);

/* (transfer full) @text (nullable: "") with every secret-looking token (16 or more of
 * [A-Za-z0-9_+-] mixing letters and digits) masked like a key, unless @reveal. For
 * every log string shown (excerpts, operations, user agents, named sources, messages),
 * which may hold keys; not for input paths (the user's own file names). */
char *kt_report_redact(const char *text, gboolean reveal);

/* Bytes of a line kept as a reject excerpt (KtRejectSample.excerpt, ingest.h). */
#define KT_REPORT_EXCERPT_MAX 80

/* (transfer full) kt_report_redact() for a reject excerpt: an excerpt cut at
 * KT_REPORT_EXCERPT_MAX bytes also loses a trailing partial token (unless @reveal), so
 * that a key cut by the limit is not shown in part. */
char *kt_report_redact_excerpt(const char *excerpt, gboolean reveal);

/* (transfer full, nullable) @text with every occurrence of the full key @key masked and
 * then kt_report_redact() applied, unless o->reveal_keys. For engine messages that may
 * quote the key or other log text. */
char *kt_report_redact_key(const char *text, const KtDict *dict, guint32 key,
                           const KtReportOptions *o);

/* (transfer full) The interned log string @id of @space (operation, user agent, source),
 * redacted like kt_report_redact() unless o->reveal_keys: a key quoted in a URL path or a
 * user agent is not printed. */
char *kt_report_log_str(const KtDict *dict, KtSpace space, guint32 id,
                        const KtReportOptions *o);

/* The detector's name ("new_ip"), as kt_detector_name() gives it. */
const char *kt_report_kind_name(KtDetectorKind k);

/* Totals over @stats. */
void kt_report_totals(GPtrArray *stats, guint64 *events, guint64 *rejected, guint64 *lines);

/* Time range over @stats (G_MAXINT64 / G_MININT64 when empty). */
void kt_report_stats_range(GPtrArray *stats, gint64 *first, gint64 *last);

/* Writes @s to @out. Returns FALSE and sets @error (KT_ERROR_IO) on a write error. */
gboolean kt_report_write(FILE *out, const GString *s, GError **error);

/* --- json.c ---------------------------------------------------------------------------- */

/* (transfer full) The whole JSON document (schema 1); @stats_only leaves out keys,
 * incidents and anomalies. Cannot fail (aborts on OOM). */
cJSON *kt_report_json_document(const KtReportData *d, const KtReportOptions *o,
                               gboolean stats_only);

/* (transfer full) The `input` member: files, totals, rejects (excerpts redacted unless
 * o->reveal_keys). */
cJSON *kt_report_json_input(const KtReportData *d, const KtReportOptions *o);

/* kt_report_json_print() is declared in keytrail/report.h. */

/* Writes the findings report as JSON or JSON lines. */
gboolean kt_report_json_findings(const KtReportData *d, const KtReportOptions *o, FILE *out,
                                 GError **error);

/* Writes the --stats report as JSON (a document) or JSON lines (one per input and
 * reject). */
gboolean kt_report_json_stats(const KtReportData *d, const KtReportOptions *o, FILE *out,
                              GError **error);

/* --- text.c / stats.c ----------------------------------------------------------------- */

/* Appends the text findings report to @s. Cannot fail. */
void kt_report_text_render(const KtReportData *d, const KtReportOptions *o, GString *s);

/* Appends the text --stats table to @s. Cannot fail. */
void kt_report_stats_render(const KtReportData *d, const KtReportOptions *o, GString *s);

/* Length in bytes of the directory prefix ("/var/log/app/", with the slash) that every
 * input path in @stats shares, when there are two inputs or more; 0 otherwise. */
gsize kt_report_common_dir(GPtrArray *stats);

/* Appends the first rejected lines ("file:line reason (detail): excerpt"), at most @max,
 * to @s with @indent; sanitized, excerpts redacted unless o->reveal_keys. */
void kt_report_text_rejects(const KtReportData *d, const KtReportOptions *o, guint max,
                            const char *indent, GString *s);

/* Display width of @s (@len bytes): wide characters count 2, our own ANSI colour
 * sequences 0. */
guint kt_report_text_width(const char *s, gsize len);

/* Appends @text word-wrapped to KT_REPORT_WIDTH columns: the first line indented by
 * @indent, the others by @hang; words wider than a line are cut. Ends with a newline. */
void kt_report_text_wrap(GString *s, const char *text, guint indent, guint hang);

/* Appends @text sanitized and cut to @max_chars characters ("..." marks a cut). */
void kt_report_text_field(GString *s, const char *text, guint max_chars);

#endif
