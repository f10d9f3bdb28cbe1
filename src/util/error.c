/*
 * error.c - the KT_ERROR domain and severity names, shared by every stage.
 */
#include "keytrail/common.h"

G_DEFINE_QUARK(keytrail-error-quark, kt_error)

static const char *const severity_names[] = { "none", "info", "low", "medium", "high",
                                              "critical" };

const char *
kt_severity_name(KtSeverity sev)
{
    if ((unsigned)sev > KT_SEV_CRITICAL)
        return "none";
    return severity_names[sev];
}

gboolean
kt_severity_parse(const char *name, KtSeverity *out)
{
    for (int i = 0; i <= KT_SEV_CRITICAL; i++) {
        if (g_ascii_strcasecmp(name, severity_names[i]) == 0) {
            *out = (KtSeverity)i;
            return TRUE;
        }
    }
    return FALSE;
}

KtSeverity
kt_severity_from_score(int score)
{
    if (score >= 90)
        return KT_SEV_CRITICAL;
    if (score >= 70)
        return KT_SEV_HIGH;
    if (score >= 40)
        return KT_SEV_MEDIUM;
    if (score >= 20)
        return KT_SEV_LOW;
    if (score > 0)
        return KT_SEV_INFO;
    return KT_SEV_NONE;
}
