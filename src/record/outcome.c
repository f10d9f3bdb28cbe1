/*
 * outcome.c - classifies status and error texts into ok / denied / error (record
 * stage). The rules are documented in docs/FORMATS.md ("Outcome classes").
 */
#include <ctype.h>

#include "keytrail/event.h"

static const char *const outcome_names[] = { "ok", "denied", "error" };

const char *
kt_outcome_name(KtOutcome o)
{
    if ((unsigned)o > KT_OUTCOME_ERROR)
        return "ok";
    return outcome_names[o];
}

void
kt_event_view_clear(KtEventView *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->bytes = -1;
}

/* Case-insensitive substring search in a view. */
static gboolean
sv_contains_ci(KtStrView v, const char *needle)
{
    gsize n = strlen(needle);
    if (v.len < n)
        return FALSE;
    for (gsize i = 0; i + n <= v.len; i++) {
        if (g_ascii_strncasecmp(v.ptr + i, needle, n) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
sv_prefix_ci(KtStrView v, const char *prefix)
{
    gsize n = strlen(prefix);
    return v.len >= n && g_ascii_strncasecmp(v.ptr, prefix, n) == 0;
}

static gboolean
sv_eq_ci(KtStrView v, const char *s)
{
    gsize n = strlen(s);
    return v.len == n && g_ascii_strncasecmp(v.ptr, s, n) == 0;
}

/* Denied error codes and words, matched as case-insensitive substrings. */
static const char *const denied_words[] = {
    "accessdenied", "access denied", "unauthorized", "notauthorized", "not authorized",
    "forbidden", "permission denied", "permission_denied", "authfailure", "authorizationerror",
    "invalidclienttokenid", "signaturedoesnotmatch", "expiredtoken", "invalidaccesskeyid",
    "api_key_expired", "invalid_api_key", "invalid_token", "token_expired", "unauthenticated",
    "authentication failed", "authentication_failed", "incompletesignature",
    "missingauthenticationtoken", "accountproblem", "optinrequired", "requestexpired",
};

/* The class of a numeric code (as the general path below reads it). */
static KtOutcome
classify_code(long code, gboolean grpc)
{
    if (grpc) {
        /* google.rpc.Code: 7 PERMISSION_DENIED, 16 UNAUTHENTICATED */
        if (code == 0)
            return KT_OUTCOME_OK;
        if (code == 7 || code == 16)
            return KT_OUTCOME_DENIED;
        return KT_OUTCOME_ERROR;
    }
    if (code == 401 || code == 403 || code == 407)
        return KT_OUTCOME_DENIED;
    if (code >= 400 && code <= 599)
        return KT_OUTCOME_ERROR;
    return KT_OUTCOME_OK;
}

static gboolean
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

KtOutcome
kt_outcome_classify(KtStrView st, gboolean grpc)
{
    /* fast path: a bare three-digit HTTP status, the usual case */
    if (st.len == 3 && st.ptr != NULL && is_digit(st.ptr[0]) && is_digit(st.ptr[1]) &&
        is_digit(st.ptr[2]))
        return classify_code((st.ptr[0] - '0') * 100 + (st.ptr[1] - '0') * 10 + (st.ptr[2] - '0'),
                             grpc);
    /* trim */
    while (st.len > 0 && isspace((unsigned char)st.ptr[0])) {
        st.ptr++;
        st.len--;
    }
    while (st.len > 0 && isspace((unsigned char)st.ptr[st.len - 1]))
        st.len--;
    if (st.ptr == NULL || st.len == 0 || sv_eq_ci(st, "-") || sv_eq_ci(st, "null"))
        return KT_OUTCOME_OK;

    gboolean numeric = TRUE;
    for (gsize i = 0; i < st.len; i++) {
        if (!isdigit((unsigned char)st.ptr[i])) {
            numeric = FALSE;
            break;
        }
    }
    if (numeric && st.len <= 9) {
        long code = 0;
        for (gsize i = 0; i < st.len; i++)
            code = code * 10 + (st.ptr[i] - '0');
        return classify_code(code, grpc);
    }
    static const char *const ok_words[] = { "success", "succeeded", "ok", "allowed", "true" };
    for (gsize i = 0; i < G_N_ELEMENTS(ok_words); i++) {
        if (sv_eq_ci(st, ok_words[i]))
            return KT_OUTCOME_OK;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(denied_words); i++) {
        if (sv_contains_ci(st, denied_words[i]))
            return KT_OUTCOME_DENIED;
    }
    if (sv_eq_ci(st, "failure") || sv_eq_ci(st, "failed") || sv_eq_ci(st, "denied") ||
        sv_eq_ci(st, "deny"))
        return KT_OUTCOME_DENIED;
    if (sv_prefix_ci(st, "client.unauthorized"))
        return KT_OUTCOME_DENIED;
    /* Any other error code or message: an error, not a denial. */
    return KT_OUTCOME_ERROR;
}
