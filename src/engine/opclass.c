/*
 * opclass.c - operation categories for new_op: recon, privilege, credential access,
 * data and destructive, for CloudTrail-style names, HTTP "METHOD /path" operations and
 * secret-store operations (Vault, Conjur). The rules are in docs/DETECTORS.md.
 */
#include <string.h>

#include "classify.h"

static const char *const class_names[] = { "other", "data", "recon", "credential_access",
                                           "privilege", "destructive" };

const char *
kt_op_class_name(KtOpClass c)
{
    if ((unsigned)c >= KT_OP_CLASS_COUNT)
        return "other";
    return class_names[c];
}

typedef struct {
    const char *name; /* action name or prefix */
    gboolean prefix;  /* match as a prefix */
    KtOpClass cls;
} KtOpRule;

/* Exact actions first (any service), then prefixes; first match wins. */
static const KtOpRule action_rules[] = {
    { "GetSecretValue", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "BatchGetSecretValue", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "GetPasswordData", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "GenerateDbAuthToken", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "GetParameter", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "GetParameters", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "GetParametersByPath", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "GetSessionToken", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "GetFederationToken", FALSE, KT_OP_CREDENTIAL_ACCESS },
    { "CreateAccessKey", FALSE, KT_OP_PRIVILEGE },
    { "CreateLoginProfile", FALSE, KT_OP_PRIVILEGE },
    { "UpdateLoginProfile", FALSE, KT_OP_PRIVILEGE },
    { "AssumeRole", TRUE, KT_OP_PRIVILEGE },
    { "PassRole", FALSE, KT_OP_PRIVILEGE },
    { "GetCallerIdentity", FALSE, KT_OP_RECON },
    { "GetAccountAuthorizationDetails", FALSE, KT_OP_RECON },
    { "StopLogging", FALSE, KT_OP_DESTRUCTIVE },
    { "DeleteTrail", FALSE, KT_OP_DESTRUCTIVE },
    { "PutBucketPolicy", FALSE, KT_OP_PRIVILEGE },
    { "PutBucketAcl", FALSE, KT_OP_PRIVILEGE },
    { "ModifySnapshotAttribute", FALSE, KT_OP_PRIVILEGE },
    { "ModifyImageAttribute", FALSE, KT_OP_PRIVILEGE },
    { "AuthorizeSecurityGroupIngress", FALSE, KT_OP_PRIVILEGE },
    { "List", TRUE, KT_OP_RECON },
    { "Describe", TRUE, KT_OP_RECON },
    { "Search", TRUE, KT_OP_RECON },
    { "Lookup", TRUE, KT_OP_RECON },
    { "Delete", TRUE, KT_OP_DESTRUCTIVE },
    { "Terminate", TRUE, KT_OP_DESTRUCTIVE },
    { "Disable", TRUE, KT_OP_DESTRUCTIVE },
    { "Purge", TRUE, KT_OP_DESTRUCTIVE },
    { "Get", TRUE, KT_OP_DATA },
    { "Put", TRUE, KT_OP_DATA },
    { "Query", TRUE, KT_OP_DATA },
    { "Scan", TRUE, KT_OP_DATA },
    { "Select", TRUE, KT_OP_DATA },
    { "BatchGet", TRUE, KT_OP_DATA },
    { "BatchWrite", TRUE, KT_OP_DATA },
    { "Invoke", TRUE, KT_OP_DATA },
    { "Publish", TRUE, KT_OP_DATA },
    { "Send", TRUE, KT_OP_DATA },
    { "Receive", TRUE, KT_OP_DATA },
    { "Copy", TRUE, KT_OP_DATA },
    { "Upload", TRUE, KT_OP_DATA },
    { "Decrypt", FALSE, KT_OP_DATA },
};

/* In IAM (and Identity Center, Organizations) writes change who may do what. */
static const char *const iam_priv_prefixes[] = { "Create", "Attach", "Put", "Add", "Update",
                                                 "Set", "Upload", "Enable", "Tag", NULL };
static const char *const iam_services[] = { "iam", "sso", "sso-admin", "identitystore",
                                            "organizations", NULL };

/* TRUE when s[0..len) is in @list; ASCII case is ignored unless @exact. */
static gboolean
in_list_case(const char *s, gsize len, const char *const *list, gboolean exact)
{
    for (int i = 0; list[i] != NULL; i++) {
        if (strlen(list[i]) != len)
            continue;
        if (exact ? strncmp(s, list[i], len) == 0 : g_ascii_strncasecmp(s, list[i], len) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
in_list(const char *s, gsize len, const char *const *list)
{
    return in_list_case(s, len, list, FALSE);
}

static gboolean
has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static KtOpClass
classify_action(const char *svc, gsize svc_len, const char *action)
{
    if (svc_len > 0 && in_list(svc, svc_len, iam_services)) {
        for (int i = 0; iam_priv_prefixes[i] != NULL; i++) {
            if (has_prefix(action, iam_priv_prefixes[i]))
                return KT_OP_PRIVILEGE;
        }
        if (has_prefix(action, "Detach") || has_prefix(action, "Remove"))
            return KT_OP_PRIVILEGE;
        if (has_prefix(action, "Get") || has_prefix(action, "Generate"))
            return KT_OP_RECON;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(action_rules); i++) {
        const KtOpRule *r = &action_rules[i];
        if (r->prefix ? has_prefix(action, r->name) : strcmp(action, r->name) == 0)
            return r->cls;
    }
    return KT_OP_OTHER;
}

/* Path words that point at secrets, credentials or identity administration. */
static const char *const secret_words[] = { "secret", "credential", "password", "token",
                                            "apikey", "api_key", "api-key", NULL };
static const char *const admin_words[] = { "/admin", "/users", "/roles", "/permissions",
                                           "/policies", "/members", "/keys", NULL };

static gboolean
any_word(const char *s, const char *const *words)
{
    for (int i = 0; words[i] != NULL; i++) {
        if (kt_str_contains_ci(s, words[i]))
            return TRUE;
    }
    return FALSE;
}

static KtOpClass
classify_http(const char *method, gsize mlen, const char *path)
{
    gboolean get = mlen == 3 && strncmp(method, "GET", 3) == 0;
    gboolean head = mlen == 4 && strncmp(method, "HEAD", 4) == 0;
    if (mlen == 6 && strncmp(method, "DELETE", 6) == 0)
        return KT_OP_DESTRUCTIVE;
    if ((get || head) && any_word(path, secret_words))
        return KT_OP_CREDENTIAL_ACCESS;
    if (!get && !head && any_word(path, admin_words))
        return KT_OP_PRIVILEGE;
    if (!get && !head && any_word(path, secret_words))
        return KT_OP_PRIVILEGE;
    return KT_OP_DATA;
}

/* Vault CLI/audit verbs: "read secret/data/x", "list secret/", "write sys/policy/x". */
static KtOpClass
classify_vault(const char *verb, gsize vlen, const char *path)
{
    gboolean read = (vlen == 4 && strncmp(verb, "read", 4) == 0) ||
                    (vlen == 3 && strncmp(verb, "get", 3) == 0);
    gboolean list = vlen == 4 && strncmp(verb, "list", 4) == 0;
    if (vlen == 6 && strncmp(verb, "delete", 6) == 0)
        return KT_OP_DESTRUCTIVE;
    if (list)
        return KT_OP_RECON;
    if (has_prefix(path, "sys/policy") || has_prefix(path, "sys/auth") ||
        has_prefix(path, "auth/token/create") || has_prefix(path, "identity/"))
        return KT_OP_PRIVILEGE;
    if (read)
        return KT_OP_CREDENTIAL_ACCESS;
    return KT_OP_DATA;
}

static const char *const http_methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                            "OPTIONS", NULL };
static const char *const vault_verbs[] = { "read", "get", "list", "write", "create",
                                           "update", "patch", "delete", NULL };

KtOpClass
kt_op_classify(const char *op)
{
    if (op == NULL || *op == '\0')
        return KT_OP_OTHER;
    const char *sp = strchr(op, ' ');
    if (sp != NULL) {
        gsize wlen = (gsize)(sp - op);
        const char *rest = sp + 1;
        if (in_list_case(op, wlen, http_methods, TRUE)) /* methods are upper case */
            return classify_http(op, wlen, rest);
        if (in_list_case(op, wlen, vault_verbs, TRUE)) /* Vault verbs are lower case */
            return classify_vault(op, wlen, rest);
    }
    if (g_ascii_strncasecmp(op, "fetch", 5) == 0 && (op[5] == '\0' || op[5] == ' '))
        return KT_OP_CREDENTIAL_ACCESS; /* Conjur secret fetch */
    /* CloudTrail style: service before ':' (or the first '.'), action after it. */
    const char *colon = strrchr(op, ':');
    const char *svc = op, *action = op;
    gsize svc_len = 0;
    if (colon != NULL) {
        action = colon + 1;
        const char *dot = memchr(op, '.', (gsize)(colon - op));
        svc_len = dot != NULL ? (gsize)(dot - op) : (gsize)(colon - op);
    } else {
        const char *dot = strchr(op, '.');
        if (dot != NULL) {
            action = strrchr(op, '.') + 1;
            svc_len = (gsize)(dot - op);
        }
    }
    return classify_action(svc, svc_len, action);
}
