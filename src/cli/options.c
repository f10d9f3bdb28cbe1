/*
 * options.c - the scan options shared by scan, watch and tui: the GOptionGroup, the
 * conversion into stage configurations, and the list files (--allow, --known-bad,
 * --revoked).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "keytrail/addr.h"
#include "keytrail/cli.h"
#include "keytrail/sanitize.h"

void
kt_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *safe = kt_sanitize(msg);
    fprintf(stderr, "keytrail: %s\n", safe);
}

char **
kt_cli_split_args(int argc, char **argv)
{
    /* short options that take a value */
    static const char with_value[] = "jFpLo";
    GPtrArray *out = g_ptr_array_new();
    gboolean rest = FALSE;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            rest = TRUE;
        if (!rest && i > 0 && a[0] == '-' && a[1] != '\0' && a[1] != '-' && a[2] != '\0' &&
            strchr(with_value, a[1]) != NULL) {
            g_ptr_array_add(out, g_strndup(a, 2));
            g_ptr_array_add(out, g_strdup(a + 2));
        } else {
            g_ptr_array_add(out, g_strdup(a));
        }
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

void
kt_cli_options_init(KtCliOptions *o)
{
    memset(o, 0, sizeof(*o));
    kt_ingest_options_init(&o->ingest);
    kt_engine_config_init(&o->engine);
    kt_report_options_init(&o->report);
    o->fail_on_sev = KT_SEV_MEDIUM;
    o->limit = -1;
    o->jobs = 0;
    o->max_gzip_ratio = -1;
}

static void
free_revoked(gpointer p)
{
    KtRevoked *r = p;
    g_free(r->key);
    g_free(r);
}

static void
field_override_free(gpointer p)
{
    KtFieldOverride *f = p;
    g_free(f->name);
    g_free(f->source);
    g_free(f);
}

void
kt_cli_options_clear(KtCliOptions *o)
{
    g_free(o->format);
    g_free(o->preset);
    g_free(o->log_format);
    g_free(o->tz);
    g_free(o->delimiter);
    g_strfreev(o->fields);
    g_free(o->entity);
    g_free(o->leak_time);
    g_free(o->learn);
    g_free(o->forget);
    g_free(o->dormant);
    g_strfreev(o->enable);
    g_strfreev(o->disable);
    g_strfreev(o->allow);
    g_strfreev(o->known_bad);
    g_free(o->revoked);
    g_free(o->output);
    g_free(o->fail_on);
    g_free(o->min_severity);
    if (o->engine.allow_cidrs != NULL)
        g_array_free(o->engine.allow_cidrs, TRUE);
    if (o->engine.bad_cidrs != NULL)
        g_array_free(o->engine.bad_cidrs, TRUE);
    if (o->engine.allow_uas != NULL)
        g_ptr_array_free(o->engine.allow_uas, TRUE);
    if (o->engine.bad_uas != NULL)
        g_ptr_array_free(o->engine.bad_uas, TRUE);
    if (o->engine.revoked != NULL)
        g_ptr_array_free(o->engine.revoked, TRUE);
    if (o->field_overrides != NULL)
        g_ptr_array_free(o->field_overrides, TRUE);
    memset(o, 0, sizeof(*o));
}

GOptionGroup *
kt_cli_scan_group(KtCliOptions *o)
{
    GOptionEntry entries[] = {
        { "format", 'F', 0, G_OPTION_ARG_STRING, &o->format,
          "Input format: csv, jsonl, cloudtrail, clf, syslog (default: detected)", "NAME" },
        { "preset", 'p', 0, G_OPTION_ARG_STRING, &o->preset,
          "Field mapping preset: cloudtrail, github-audit, gcp-audit, vault-audit, "
          "conjur-audit, generic, combined, common (default: guessed)", "NAME" },
        { "field", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->fields,
          "Map a field: NAME=SOURCE, NAME in key, principal, time, ip, op, status, bytes, ua "
          "(repeatable)", "NAME=SOURCE" },
        { "log-format", 0, 0, G_OPTION_ARG_STRING, &o->log_format,
          "Web log layout, e.g. '%h %l %u %t \"%r\" %>s %b'", "FORMAT" },
        { "delimiter", 0, 0, G_OPTION_ARG_STRING, &o->delimiter,
          "CSV delimiter: ',', ';' or 'tab' (default: detected)", "C" },
        { "tz", 0, 0, G_OPTION_ARG_STRING, &o->tz,
          "Zone of timestamps without one, and of hour profiles (default UTC)", "ZONE" },
        { "entity", 0, 0, G_OPTION_ARG_STRING, &o->entity,
          "Judge by key, principal or auto (default: principal for temporary keys, else key)",
          "MODE" },
        { "leak-time", 'L', 0, G_OPTION_ARG_STRING, &o->leak_time,
          "Learn from before T, judge everything from T on", "T" },
        { "learn", 0, 0, G_OPTION_ARG_STRING, &o->learn,
          "Learning period per key without --leak-time (default 7d)", "DURATION" },
        { "forget", 0, 0, G_OPTION_ARG_STRING, &o->forget,
          "Values unseen this long age out of a baseline (default 30d)", "DURATION" },
        { "dormant", 0, 0, G_OPTION_ARG_STRING, &o->dormant,
          "Idle time after which use of a key is dormant_key (default 30d)", "DURATION" },
        { "detectors", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->enable,
          "Run only these detectors (comma list, repeatable)", "LIST" },
        { "disable", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->disable,
          "Switch these detectors off (comma list, repeatable)", "LIST" },
        { "allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->allow,
          "Known-good source: CIDR, user-agent substring, or @FILE of them (repeatable)",
          "CIDR|UA|@FILE" },
        { "known-bad", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->known_bad,
          "File of bad CIDRs (e.g. Tor exits) and 'ua:SUBSTRING' lines (repeatable)", "FILE" },
        { "revoked", 0, 0, G_OPTION_ARG_FILENAME, &o->revoked,
          "File of revoked or decoy keys: 'KEY [REVOKED-AT]' per line", "FILE" },
        { "output", 'o', 0, G_OPTION_ARG_STRING, &o->output,
          "Report as text (default), json or jsonl", "KIND" },
        { "fail-on", 0, 0, G_OPTION_ARG_STRING, &o->fail_on,
          "Exit 1 when a finding is at or above this severity (default medium)", "SEVERITY" },
        { "min-severity", 0, 0, G_OPTION_ARG_STRING, &o->min_severity,
          "Text report: list keys and incidents at or above this severity (default low)",
          "SEVERITY" },
        { "limit", 0, 0, G_OPTION_ARG_INT, &o->limit,
          "Text report: list at most N keys and N incidents, the worst first (default 20; 0 = all)",
          "N" },
        { "reveal-keys", 0, 0, G_OPTION_ARG_NONE, &o->reveal_keys,
          "Print full API keys (masked by default)", NULL },
        { "pretty", 0, 0, G_OPTION_ARG_NONE, &o->pretty, "Indent JSON output", NULL },
        { "stats", 0, 0, G_OPTION_ARG_NONE, &o->stats,
          "Parse only: per input format, lines, events, rejects by reason, keys, time range",
          NULL },
        { "no-color", 0, 0, G_OPTION_ARG_NONE, &o->no_color, "No colour in text output", NULL },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress or warnings on stderr",
          NULL },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs, "Threads for parsing and, in scan, judging (default: cores)", "N" },
        { "max-line", 0, 0, G_OPTION_ARG_INT64, &o->max_line,
          "Longest accepted line in bytes (default 1048576)", "BYTES" },
        { "max-fields", 0, 0, G_OPTION_ARG_INT, &o->max_fields,
          "Most fields in a CSV row (default 1024)", "N" },
        { "max-json-depth", 0, 0, G_OPTION_ARG_INT, &o->max_json_depth,
          "Deepest nesting of a JSON record (default 64)", "N" },
        { "max-keys", 0, 0, G_OPTION_ARG_INT, &o->max_keys,
          "Distinct keys kept; further new keys are rejected (default 1000000)", "N" },
        { "max-findings", 0, 0, G_OPTION_ARG_INT, &o->max_findings,
          "Anomalies kept, and incidents kept, for the report (default 100000); further ones "
          "are counted as dropped", "N" },
        { "max-gzip-ratio", 0, 0, G_OPTION_ARG_INT, &o->max_gzip_ratio,
          "Refuse gzip files that inflate more than N times (default 250; 0 = no limit)",
          "N" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionGroup *g = g_option_group_new("scan", "Input, detection and report options:",
                                         "Show the scan options", o, NULL);
    g_option_group_add_entries(g, entries);
    return g;
}

/* Reads a list file: one entry per line, '#' comments and blank lines ignored. */
static GPtrArray *
read_list(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error)) {
        g_prefix_error(error, "cannot read list file: ");
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (gsize i = 0; lines[i] != NULL; i++) {
        char *hash = strchr(lines[i], '#');
        if (hash != NULL)
            *hash = '\0';
        char *t = g_strstrip(lines[i]);
        if (*t != '\0')
            g_ptr_array_add(out, g_strdup(t));
    }
    return out;
}

/* Adds one CIDR-or-UA entry to a pair of lists; "ua:" forces a user agent. */
static void
add_source_entry(const char *e, GArray **cidrs, GPtrArray **uas)
{
    KtCidr c;
    if (g_str_has_prefix(e, "ua:")) {
        e += 3;
    } else if (kt_cidr_parse(e, &c)) {
        if (*cidrs == NULL)
            *cidrs = g_array_new(FALSE, FALSE, sizeof(KtCidr));
        g_array_append_val(*cidrs, c);
        return;
    }
    if (*uas == NULL)
        *uas = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(*uas, g_strdup(e));
}

static gboolean
load_sources(char **items, gboolean files_only, GArray **cidrs, GPtrArray **uas,
             GError **error)
{
    for (gsize i = 0; items != NULL && items[i] != NULL; i++) {
        const char *it = items[i];
        if (files_only || it[0] == '@') {
            const char *path = it[0] == '@' ? it + 1 : it;
            g_autoptr(GPtrArray) list = read_list(path, error);
            if (list == NULL)
                return FALSE;
            for (guint j = 0; j < list->len; j++)
                add_source_entry(g_ptr_array_index(list, j), cidrs, uas);
        } else {
            add_source_entry(it, cidrs, uas);
        }
    }
    return TRUE;
}

static gboolean
load_revoked(KtCliOptions *o, GError **error)
{
    g_autoptr(GPtrArray) list = read_list(o->revoked, error);
    if (list == NULL)
        return FALSE;
    o->engine.revoked = g_ptr_array_new_with_free_func(free_revoked);
    for (guint i = 0; i < list->len; i++) {
        char *line = g_ptr_array_index(list, i);
        char *sep = strpbrk(line, " \t,");
        KtRevoked *r = g_new0(KtRevoked, 1);
        r->revoked_ms = G_MININT64;
        if (sep != NULL) {
            *sep = '\0';
            char *when = g_strstrip(sep + 1);
            if (*when != '\0' &&
                !kt_time_parse_option(when, o->tz, &r->revoked_ms, error)) {
                /* the bad "time" may be a second key written on the same line */
                if (error != NULL && *error != NULL) {
                    char *redacted = kt_redact_secrets((*error)->message, FALSE);
                    g_free((*error)->message);
                    (*error)->message = redacted;
                }
                g_prefix_error(error, "%s line %u: ", o->revoked, i + 1);
                free_revoked(r);
                return FALSE;
            }
        }
        r->key = g_strdup(line);
        g_ptr_array_add(o->engine.revoked, r);
    }
    return TRUE;
}

static gboolean
parse_detectors(char **lists, gboolean on, guint32 *mask, GError **error)
{
    for (gsize i = 0; lists != NULL && lists[i] != NULL; i++) {
        g_auto(GStrv) names = g_strsplit(lists[i], ",", -1);
        for (gsize j = 0; names[j] != NULL; j++) {
            const char *n = g_strstrip(names[j]);
            KtDetectorKind k;
            if (*n == '\0')
                continue;
            if (!kt_detector_parse(n, &k)) {
                GString *all = g_string_new(NULL);
                for (int d = 0; d < KT_DET_COUNT; d++)
                    g_string_append_printf(all, "%s%s", d ? ", " : "",
                                           kt_detector_name((KtDetectorKind)d));
                g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "unknown detector '%s'; known: %s",
                            n, all->str);
                g_string_free(all, TRUE);
                return FALSE;
            }
            if (on)
                *mask |= 1u << k;
            else
                *mask &= ~(1u << k);
        }
    }
    return TRUE;
}

static gboolean
parse_duration_opt(const char *name, const char *value, gint64 *out, GError **error)
{
    if (value == NULL)
        return TRUE;
    if (!kt_duration_parse(value, out) || *out <= 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "--%s: '%s' is not a duration (examples: 7d, 36h, 90m)", name, value);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_fields(KtCliOptions *o, GError **error)
{
    static const char *const names[] = { "key", "principal", "time", "ip",
                                         "op",  "status",    "bytes", "ua" };
    o->field_overrides = g_ptr_array_new_with_free_func(field_override_free);
    for (gsize i = 0; o->fields != NULL && o->fields[i] != NULL; i++) {
        const char *eq = strchr(o->fields[i], '=');
        gboolean known = FALSE;
        if (eq != NULL) {
            for (gsize j = 0; j < G_N_ELEMENTS(names); j++)
                known |= strlen(names[j]) == (gsize)(eq - o->fields[i]) &&
                         strncmp(names[j], o->fields[i], strlen(names[j])) == 0;
        }
        if (eq == NULL || !known || eq[1] == '\0') {
            g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                        "--field '%s': expected NAME=SOURCE with NAME one of key, principal, "
                        "time, ip, op, status, bytes, ua",
                        o->fields[i]);
            return FALSE;
        }
        KtFieldOverride *f = g_new0(KtFieldOverride, 1);
        f->name = g_strndup(o->fields[i], (gsize)(eq - o->fields[i]));
        f->source = g_strdup(eq + 1);
        g_ptr_array_add(o->field_overrides, f);
    }
    o->ingest.fmt.fields = o->field_overrides;
    return TRUE;
}

static gboolean
finish_ingest(KtCliOptions *o, GError **error)
{
    o->ingest.format = o->format;
    o->ingest.tz = o->tz;
    o->ingest.quiet = o->quiet;
    o->ingest.fmt.preset = o->preset;
    o->ingest.fmt.log_format = o->log_format;
    if (o->max_line > 0)
        o->ingest.fmt.max_line = (gsize)o->max_line;
    if (o->max_keys > 0)
        o->ingest.max_keys = (guint)o->max_keys;
    if (o->max_fields > 0)
        o->ingest.fmt.max_fields = (guint)o->max_fields;
    if (o->max_json_depth > 0)
        o->ingest.fmt.max_json_depth = (guint)MIN(o->max_json_depth, 1000);
    if (o->max_gzip_ratio >= 0)
        o->ingest.max_gzip_ratio = (guint)o->max_gzip_ratio;
    if (o->delimiter != NULL) {
        const char *d = o->delimiter;
        if (strcmp(d, "tab") == 0 || strcmp(d, "\\t") == 0)
            o->ingest.fmt.csv_delimiter = '\t';
        else if (strlen(d) == 1 && strchr(",;|\t", d[0]) != NULL)
            o->ingest.fmt.csv_delimiter = d[0];
        else {
            g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                        "--delimiter: use ',', ';', '|' or 'tab', not '%s'", d);
            return FALSE;
        }
    }
    if (o->format != NULL && kt_format_find(o->format) == NULL) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "--format: unknown format '%s' (see 'keytrail formats')", o->format);
        return FALSE;
    }
    return parse_fields(o, error);
}

static gboolean
finish_engine(KtCliOptions *o, GError **error)
{
    KtEngineConfig *e = &o->engine;
    if (o->entity != NULL) {
        if (strcmp(o->entity, "key") == 0)
            e->entity = KT_ENTITY_KEY;
        else if (strcmp(o->entity, "principal") == 0)
            e->entity = KT_ENTITY_PRINCIPAL;
        else if (strcmp(o->entity, "auto") == 0)
            e->entity = KT_ENTITY_AUTO;
        else {
            g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                        "--entity: use key, principal or auto, not '%s'", o->entity);
            return FALSE;
        }
    }
    if (o->leak_time != NULL &&
        !kt_time_parse_option(o->leak_time, o->tz, &e->leak_time_ms, error)) {
        g_prefix_error(error, "--leak-time: ");
        return FALSE;
    }
    if (!parse_duration_opt("learn", o->learn, &e->learn_ms, error) ||
        !parse_duration_opt("forget", o->forget, &e->forget_ms, error) ||
        !parse_duration_opt("dormant", o->dormant, &e->dormant_ms, error))
        return FALSE;
    if (o->enable != NULL) {
        e->enabled = 0;
        if (!parse_detectors(o->enable, TRUE, &e->enabled, error))
            return FALSE;
    }
    if (!parse_detectors(o->disable, FALSE, &e->enabled, error))
        return FALSE;
    if (!load_sources(o->allow, FALSE, &e->allow_cidrs, &e->allow_uas, error) ||
        !load_sources(o->known_bad, TRUE, &e->bad_cidrs, &e->bad_uas, error))
        return FALSE;
    if (o->revoked != NULL && !load_revoked(o, error))
        return FALSE;
    return TRUE;
}

static gboolean
finish_report(KtCliOptions *o, GError **error)
{
    KtReportOptions *r = &o->report;
    if (o->output == NULL || strcmp(o->output, "text") == 0)
        r->kind = KT_OUTPUT_TEXT;
    else if (strcmp(o->output, "json") == 0)
        r->kind = KT_OUTPUT_JSON;
    else if (strcmp(o->output, "jsonl") == 0)
        r->kind = KT_OUTPUT_JSONL;
    else {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "--output: use text, json or jsonl, not '%s'", o->output);
        return FALSE;
    }
    if (o->fail_on != NULL && !kt_severity_parse(o->fail_on, &o->fail_on_sev)) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "--fail-on: use info, low, medium, high or critical, not '%s'", o->fail_on);
        return FALSE;
    }
    r->min_severity = KT_SEV_LOW;
    if (o->min_severity != NULL && !kt_severity_parse(o->min_severity, &r->min_severity)) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "--min-severity: use info, low, medium, high or critical, not '%s'",
                    o->min_severity);
        return FALSE;
    }
    if (o->limit < -1) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "--limit: use 0 (all) or a positive number");
        return FALSE;
    }
    r->limit = o->limit < 0 ? 20 : (guint)o->limit;
    r->reveal_keys = o->reveal_keys;
    r->pretty = o->pretty;
    r->leak_time_ms = o->engine.leak_time_ms;
    r->entity = o->engine.entity;
    r->color = !o->no_color && g_getenv("NO_COLOR") == NULL && isatty(STDOUT_FILENO);
    return TRUE;
}

gboolean
kt_cli_options_finish(KtCliOptions *o, GError **error)
{
    if (o->jobs < 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "--jobs: must be 0 or more");
        return FALSE;
    }
    if (o->max_line < 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "--max-line: must be positive");
        return FALSE;
    }
    if (o->max_findings < 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "--max-findings: must be positive");
        return FALSE;
    }
    if (o->max_findings > 0)
        o->engine.max_findings = (guint32)o->max_findings;
    return finish_ingest(o, error) && finish_engine(o, error) && finish_report(o, error);
}

int
kt_cli_findings_status(const KtResults *r, KtSeverity fail_on)
{
    if (r == NULL)
        return KT_EXIT_OK;
    for (guint i = 0; i < r->incidents->len; i++) {
        const KtIncident *inc = g_ptr_array_index(r->incidents, i);
        if (inc->severity >= fail_on)
            return KT_EXIT_FINDINGS;
    }
    for (guint i = 0; i < r->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(r->anomalies, i);
        if (a->severity >= fail_on)
            return KT_EXIT_FINDINGS;
    }
    return KT_EXIT_OK;
}
