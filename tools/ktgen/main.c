/*
 * main.c - ktgen's command line: `ktgen logs` (generate a seeded, labelled log) and
 * `ktgen score` (score a keytrail JSON report against the labels). docs/GENERATOR.md
 * documents both.
 */
#include <locale.h>
#include <stdlib.h>

#include "ktgen.h"

typedef struct {
    gint64 seed, keys, days, events, file_hours;
    char *format, *start, *leak, *out, *scenario, *labels, *key_file;
    gboolean gzip, quiet, rotate;
} KgLogsOpts;

static gboolean
parse_scenarios(const char *spec, guint32 *out, GError **error)
{
    *out = 0;
    g_auto(GStrv) names = g_strsplit(spec ? spec : "all", ",", -1);
    for (guint i = 0; names[i]; i++) {
        KgScenarioKind k;
        if (strcmp(names[i], "all") == 0) {
            *out |= KG_SC_ALL_MASK;
        } else if (strcmp(names[i], "none") == 0) {
            continue;
        } else if (strcmp(names[i], "attacks") == 0) {
            *out |= KG_SC_ALL_MASK & KG_SC_ATTACK_MASK;
        } else if (strcmp(names[i], "drift") == 0) {
            *out |= KG_SC_DRIFT_MASK;
        } else if (kg_scenario_parse(names[i], &k)) {
            *out |= 1u << k;
        } else {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "unknown scenario '%s' (see docs/GENERATOR.md)", names[i]);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
load_key_file(const char *path, KgParams *p, GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return FALSE;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GPtrArray) keep = g_ptr_array_new();
    for (guint i = 0; lines[i]; i++) {
        g_strstrip(lines[i]);
        if (lines[i][0] && lines[i][0] != '#')
            g_ptr_array_add(keep, g_strdup(lines[i]));
    }
    g_ptr_array_add(keep, NULL);
    p->key_file_lines = (char **)g_ptr_array_free(g_steal_pointer(&keep), FALSE);
    p->n_keys = g_strv_length(p->key_file_lines);
    if (p->n_keys == 0 || p->n_keys > 65535) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s holds %s keys", path,
                    p->n_keys ? "too many" : "no");
        return FALSE;
    }
    return TRUE;
}

/* Converts the raw options into generator parameters. */
static gboolean
logs_params(const KgLogsOpts *o, KgFormat *fmt, KgParams *p, GError **error)
{
    if (!kg_format_parse(o->format ? o->format : "csv", fmt)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "unknown --format '%s': csv, jsonl, jsonl-flat, cloudtrail, combined, "
                    "combined-user, vault, conjur, github, gcp", o->format);
        return FALSE;
    }
    if (!o->out) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--out is required");
        return FALSE;
    }
    if (o->keys < 1 || o->keys > 65535 || o->days < 1 || o->days > 3660 || o->events < 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--keys must be 1..65535, --days 1..3660, --events >= 0");
        return FALSE;
    }
    memset(p, 0, sizeof *p);
    p->seed = (guint64)o->seed;
    p->family = kg_format_family(*fmt);
    p->n_keys = (guint)o->keys;
    p->days = (guint)o->days;
    p->events = (guint64)o->events;
    p->rotate_sessions = o->rotate;
    if (!kg_time_parse(o->start ? o->start : "2024-03-01", &p->start_ms)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--start wants YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        return FALSE;
    }
    p->start_ms -= p->start_ms % KG_HOUR_MS;
    p->leak_ms = p->start_ms + (gint64)(p->days * 2 / 3) * KG_DAY_MS + 9 * KG_HOUR_MS + 17 * 60000;
    if (o->leak && !kg_time_parse(o->leak, &p->leak_ms)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--leak wants YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        return FALSE;
    }
    if (!parse_scenarios(o->scenario, &p->scenarios, error))
        return FALSE;
    return !o->key_file || load_key_file(o->key_file, p, error);
}

/* Generates the log and the labels; returns the exit status. */
static int
run_logs(const KgLogsOpts *o, KgFormat fmt, const KgParams *p)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KgModel) m = kg_model_new(p, &error);
    if (!m) {
        g_printerr("ktgen logs: %s\n", error->message);
        return 2;
    }
    KgWriter *w = kg_writer_new(fmt, m, o->out, o->gzip, &error);
    if (w)
        w->file_hours = (guint)CLAMP(o->file_hours, 1, 24 * 31);
    int rc = 0;
    if (!w || !kg_sim_run(m, w, &error) ||
        (o->labels && !kg_labels_write(m, kg_format_name(fmt), o->labels, &error))) {
        g_printerr("ktgen logs: %s\n", error->message);
        rc = 3;
    } else if (!o->quiet) {
        g_printerr("ktgen: %" G_GUINT64_FORMAT " events, %u keys, %u days, %u scenarios, "
                   "%" G_GUINT64_FORMAT " file(s) -> %s\n",
                   w->written, m->keys->len, p->days, m->scenarios->len, w->files, o->out);
    }
    kg_writer_free(w);
    return rc;
}

static int
cmd_logs(int argc, char **argv)
{
    KgLogsOpts o = { .seed = 1, .keys = 40, .days = 45, .file_hours = 1 };
    GOptionEntry entries[] = {
        { "seed", 's', 0, G_OPTION_ARG_INT64, &o.seed, "Seed (same seed, same bytes)", "N" },
        { "format", 'f', 0, G_OPTION_ARG_STRING, &o.format, "Output format (default csv)", "FMT" },
        { "keys", 'k', 0, G_OPTION_ARG_INT64, &o.keys, "Number of keys (default 40)", "K" },
        { "days", 'd', 0, G_OPTION_ARG_INT64, &o.days, "Days of history (default 45)", "D" },
        { "events", 'e', 0, G_OPTION_ARG_INT64, &o.events,
          "Target number of benign events (default: natural rates)", "E" },
        { "start", 0, 0, G_OPTION_ARG_STRING, &o.start, "First day (default 2024-03-01)", "DATE" },
        { "leak", 0, 0, G_OPTION_ARG_STRING, &o.leak,
          "Leak time (default: 2/3 into the window, 09:17 UTC)", "TIME" },
        { "out", 'o', 0, G_OPTION_ARG_FILENAME, &o.out,
          "Output file, '-' for stdout; for cloudtrail a directory gets the S3 layout", "PATH" },
        { "gzip", 'z', 0, G_OPTION_ARG_NONE, &o.gzip, "gzip the output", NULL },
        { "scenario", 0, 0, G_OPTION_ARG_STRING, &o.scenario,
          "Scenarios: all (default), none, attacks, drift, or a comma list of names", "LIST" },
        { "labels", 'l', 0, G_OPTION_ARG_FILENAME, &o.labels, "Write the labels JSON here", "FILE" },
        { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &o.key_file,
          "Use these key ids ('KEYID [PRINCIPAL_ARN [ISSUER_ARN]]' per line) for benign history", "FILE" },
        { "file-hours", 0, 0, G_OPTION_ARG_INT64, &o.file_hours,
          "cloudtrail directory: hours of events per delivered file (default 1)", "H" },
        { "rotate-sessions", 0, 0, G_OPTION_ARG_NONE, &o.rotate,
          "cloudtrail: temporary (ASIA) keys get a new id every hour", NULL },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "No summary on stderr", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- write a seeded, labelled API access log");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Formats: csv jsonl jsonl-flat cloudtrail combined combined-user vault conjur github gcp\n"
             "Attacks: recon_burst low_and_slow bulk_read off_hours dormant_wakeup attack_tool_ua\n"
             "         privilege_ops same_cloud_16 (all); leak_chain (only when named)\n"
             "Drift:   drift_new_ip_same_24 drift_dst_change drift_traffic_growth drift_sdk_patch\n"
             "         drift_new_op_known_ip\n"
             "Example: ktgen logs --seed 7 --format cloudtrail --gzip --out trail/ --labels l.json\n"
             "See docs/GENERATOR.md.");
    g_autoptr(GError) error = NULL;
    KgFormat fmt = KG_FMT_CSV;
    KgParams p = { 0 };
    int rc = 0;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc > 1 ||
        !logs_params(&o, &fmt, &p, &error)) {
        g_printerr("ktgen logs: %s\n", error ? error->message : "unexpected argument");
        rc = 2;
    } else {
        rc = run_logs(&o, fmt, &p);
    }
    g_strfreev(p.key_file_lines);
    g_free(o.format);
    g_free(o.start);
    g_free(o.leak);
    g_free(o.out);
    g_free(o.scenario);
    g_free(o.labels);
    g_free(o.key_file);
    return rc;
}

static void
usage(FILE *out)
{
    fprintf(out, "Usage: ktgen COMMAND [OPTION...]\n\n"
                 "  logs    write a seeded, labelled API access log (ktgen logs --help)\n"
                 "  score   score a keytrail JSON report against labels (ktgen score --help)\n");
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "logs") == 0)
        return cmd_logs(argc - 1, argv + 1);
    if (strcmp(argv[1], "score") == 0)
        return kg_cmd_score(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    g_printerr("ktgen: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
