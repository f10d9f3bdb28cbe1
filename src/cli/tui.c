/* tui.c - placeholder until `keytrail tui` lands (issue #5). */
#include <stdio.h>

#include "keytrail/cli.h"

int
kt_cmd_tui(int argc, char **argv)
{
    fprintf(stderr, "keytrail: 'tui' is not available in this build yet\n");
    return KT_EXIT_USAGE;
}
