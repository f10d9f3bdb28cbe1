/* watch.c - placeholder until `keytrail watch` lands (issue #4). */
#include <stdio.h>

#include "keytrail/cli.h"

static int
not_yet(const char *what)
{
    fprintf(stderr, "keytrail: '%s' is not available in this build yet\n", what);
    return KT_EXIT_USAGE;
}

int kt_cmd_watch(int argc, char **argv) { return not_yet("watch"); }
int kt_cmd_state(int argc, char **argv) { return not_yet("state"); }
int kt_cmd_accept(int argc, char **argv) { return not_yet("accept"); }
