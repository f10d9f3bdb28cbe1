/*
 * main.c - keytrail's entry point: dispatches to a subcommand. Options and wiring
 * live in src/cli/.
 */
#include <locale.h>
#include <stdio.h>

#include "keytrail/cli.h"

typedef struct {
    const char *name;               /* subcommand */
    int (*run)(int argc, char **argv);
    const char *summary;            /* one line for `keytrail --help` */
} KtCommand;

static const KtCommand commands[] = {
    { "scan", kt_cmd_scan, "analyse logs: per-key baselines, anomalies, incidents" },
    { "watch", kt_cmd_watch, "cron-driven monitoring with a persisted state file" },
    { "tui", kt_cmd_tui, "interactive dashboard of keys, incidents and IPs" },
    { "accept", kt_cmd_accept, "mark a finding as benign and learn it (with watch state)" },
    { "state", kt_cmd_state, "show, export or prune a watch state file" },
    { "formats", kt_cmd_formats, "list input formats, presets and their field mappings" },
};

static void
usage(FILE *out)
{
    fprintf(out, "Usage: keytrail COMMAND [OPTION...] [FILE|DIR|-]...\n\n"
                 "Was a leaked API key used by someone else, and what did they do?\n\n"
                 "Commands:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'keytrail COMMAND --help' for the options of a command.\n"
                 "  --version   print the version and exit\n"
                 "  --help      print this help and exit\n");
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (argc < 2) {
        usage(stderr);
        return KT_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        printf("keytrail %s\n", KT_VERSION);
        return KT_EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return KT_EXIT_OK;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    kt_cli_error("unknown command '%s'", cmd);
    usage(stderr);
    return KT_EXIT_USAGE;
}
