/*
 * field-overrides.h - for the format unit tests: --field overrides from a NULL-ended
 * list of NAME, SOURCE pairs, as the command line builds them.
 */
#ifndef KT_TEST_FIELD_OVERRIDES_H
#define KT_TEST_FIELD_OVERRIDES_H

#include "keytrail/format.h"

/* (transfer full) KtFieldOverride* borrowing the strings of @fields (nullable). */
static inline GPtrArray *
field_overrides(const char *const *fields)
{
    GPtrArray *ov = g_ptr_array_new_with_free_func(g_free);
    for (gsize i = 0; fields != NULL && fields[i] != NULL; i += 2) {
        KtFieldOverride *fo = g_new0(KtFieldOverride, 1);
        fo->name = (char *)fields[i];
        fo->source = (char *)fields[i + 1];
        g_ptr_array_add(ov, fo);
    }
    return ov;
}

#endif /* KT_TEST_FIELD_OVERRIDES_H */
