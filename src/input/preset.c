/*
 * preset.c - source presets (cloudtrail, github-audit, gcp-audit, vault-audit, generic)
 * for the csv, jsonl and cloudtrail formats (input stage): candidate paths per field,
 * --field overrides, preset detection from the first record, and the hooks that compose
 * operations and flag temporary keys. Documented in docs/FORMATS.md ("Presets").
 */
#include <math.h>

#include "jsonscan.h"
#include "preset-private.h"
#include "webpath.h"

/* ---- the preset table --------------------------------------------------------------- */

static KtMapResult hook_cloudtrail(KtMapper *m, KtEventView *ev);
static KtMapResult hook_vault(KtMapper *m, KtEventView *ev);
static KtMapResult hook_generic(KtMapper *m, KtEventView *ev);

/* clang-format off */
static const KtPresetDef preset_cloudtrail = {
    .name = "cloudtrail",
    .summary = "AWS CloudTrail records (S3 delivery, lookup-events, JSON lines, CSV)",
    .paths = {
        [KT_SLOT_KEY] = (const char *const[]){"userIdentity.accessKeyId", NULL},
        [KT_SLOT_PRINCIPAL] = (const char *const[]){
            "userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.arn", NULL},
        [KT_SLOT_TIME] = (const char *const[]){"eventTime", NULL},
        [KT_SLOT_IP] = (const char *const[]){"sourceIPAddress", NULL},
        [KT_SLOT_STATUS] = (const char *const[]){"errorCode", NULL},
        [KT_SLOT_BYTES] = (const char *const[]){"additionalEventData.bytesTransferredOut", NULL},
        [KT_SLOT_UA] = (const char *const[]){"userAgent", NULL},
        [KT_SLOT_A] = (const char *const[]){"eventSource", NULL},
        [KT_SLOT_B] = (const char *const[]){"eventName", NULL},
        [KT_SLOT_C] = (const char *const[]){"userIdentity.type", NULL},
    },
    .hook = hook_cloudtrail,
    .notes = "op = short service of eventSource + \":\" + eventName (\"iam:CreateUser\"); "
             "temporary key when the key starts with ASIA or userIdentity.type is "
             "AssumedRole/FederatedUser",
};

static const KtPresetDef preset_github = {
    .name = "github-audit",
    .summary = "GitHub audit log (JSON export, streaming)",
    .paths = {
        [KT_SLOT_KEY] = (const char *const[]){"hashed_token", "token_id", NULL},
        [KT_SLOT_PRINCIPAL] = (const char *const[]){"actor", NULL},
        [KT_SLOT_TIME] = (const char *const[]){"@timestamp", "created_at", NULL},
        [KT_SLOT_IP] = (const char *const[]){"actor_ip", NULL},
        [KT_SLOT_OP] = (const char *const[]){"action", NULL},
        [KT_SLOT_UA] = (const char *const[]){"user_agent", NULL},
    },
    .notes = "times are epoch milliseconds",
};

static const KtPresetDef preset_gcp = {
    .name = "gcp-audit",
    .summary = "Google Cloud audit logs (LogEntry with protoPayload)",
    .paths = {
        [KT_SLOT_KEY] = (const char *const[]){
            "protoPayload.authenticationInfo.serviceAccountKeyName", NULL},
        [KT_SLOT_PRINCIPAL] = (const char *const[]){
            "protoPayload.authenticationInfo.principalEmail", NULL},
        [KT_SLOT_TIME] = (const char *const[]){"timestamp", NULL},
        [KT_SLOT_IP] = (const char *const[]){"protoPayload.requestMetadata.callerIp", NULL},
        [KT_SLOT_OP] = (const char *const[]){"protoPayload.methodName", NULL},
        [KT_SLOT_STATUS] = (const char *const[]){"protoPayload.status.code", NULL},
        [KT_SLOT_UA] = (const char *const[]){
            "protoPayload.requestMetadata.callerSuppliedUserAgent", NULL},
    },
    .status_grpc = TRUE,
    .notes = "status is a gRPC code (7 PERMISSION_DENIED, 16 UNAUTHENTICATED: denied)",
};

static const KtPresetDef preset_vault = {
    .name = "vault-audit",
    .summary = "HashiCorp Vault audit device (file/socket JSON lines)",
    .paths = {
        [KT_SLOT_KEY] = (const char *const[]){"auth.accessor", NULL},
        [KT_SLOT_PRINCIPAL] = (const char *const[]){"auth.display_name", NULL},
        [KT_SLOT_TIME] = (const char *const[]){"time", NULL},
        [KT_SLOT_IP] = (const char *const[]){"request.remote_address", NULL},
        [KT_SLOT_STATUS] = (const char *const[]){"error", NULL},
        [KT_SLOT_A] = (const char *const[]){"request.operation", NULL},
        [KT_SLOT_B] = (const char *const[]){"request.path", NULL},
        [KT_SLOT_C] = (const char *const[]){"type", NULL},
    },
    .hook = hook_vault,
    .notes = "op = request.operation + \" \" + request.path; \"request\" entries are skipped, "
             "the \"response\" entry is the event (one per request); error \"permission "
             "denied\" = denied",
};

static const KtPresetDef preset_generic = {
    .name = "generic",
    .summary = "guess fields from common names (case, spaces, '_' and '-' ignored)",
    .paths = {
        [KT_SLOT_KEY] = (const char *const[]){
            "api_key", "api_key_id", "key_id", "access_key_id", "aws_access_key", "access_key",
            "token", "token_id", "hashed_token", "key", "client_id", "app_key", "credential_id",
            "key.id", "api_key.id", "auth.key_id", "credential.id", "token.id", NULL},
        [KT_SLOT_PRINCIPAL] = (const char *const[]){
            "principal", "principal_arn", "user_arn", "arn", "principal_email", "actor", "user",
            "username", "user_id", "email", "owner", NULL},
        [KT_SLOT_TIME] = (const char *const[]){
            "timestamp", "@timestamp", "time", "ts", "datetime", "date_time", "event_time",
            "event_datetime", "date", "created_at", "request_time", "logged_at", "occurred_at",
            NULL},
        [KT_SLOT_IP] = (const char *const[]){
            "ip", "client_ip", "remote_addr", "remote_ip", "remote_address", "source_ip",
            "src_ip", "source_ip_address", "ip_address", "ipaddr", "caller_ip", "actor_ip",
            "client_address", "request.client_ip", "request.remote_ip", "request.remote_addr",
            "client.ip", "client.address", "source.ip", "source.address", NULL},
        [KT_SLOT_OP] = (const char *const[]){"operation", "op", "action", NULL},
        [KT_SLOT_STATUS] = (const char *const[]){
            "status", "status_code", "http_status", "http_status_code", "response_status",
            "response_code", "result", "outcome", "error", "error_code", "error.code",
            "error.type", NULL},
        [KT_SLOT_BYTES] = (const char *const[]){
            "bytes", "size", "response_bytes", "bytes_sent", "body_bytes_sent", "response_size",
            "bytes_out", NULL},
        [KT_SLOT_UA] = (const char *const[]){
            "user_agent", "ua", "http_user_agent", "request_user_agent", "agent",
            "user_agent.original", "client.user_agent", "request.user_agent", NULL},
        [KT_SLOT_A] = (const char *const[]){
            "method", "http_method", "request_method", "verb", "request.method", "http.method",
            NULL},
        [KT_SLOT_B] = (const char *const[]){
            "path", "uri", "request_path", "request_uri", "url", "request.uri", "request.path",
            "http.path", NULL},
        [KT_SLOT_C] = (const char *const[]){"endpoint", "event_name", "route", "api", NULL},
    },
    .fuzzy = TRUE,
    .hook = hook_generic,
    .notes = "op = operation|op|action, else method + \" \" + path (\"GET /v1/x/{id}\": query "
             "string dropped, id-like segments as {id}, as for web logs), else "
             "endpoint|event_name|route|api, else method or path alone; method = method|"
             "http_method|request_method|verb|request.method|http.method; path = path|uri|"
             "request_path|request_uri|url|request.uri|request.path|http.path",
};
/* clang-format on */

static const KtPresetDef *const presets[] = {
    &preset_cloudtrail, &preset_github, &preset_gcp, &preset_vault, &preset_generic, NULL,
};

static const struct {
    const char *alias, *name;
} preset_aliases[] = {
    {"aws", "cloudtrail"}, {"github", "github-audit"},
    {"gcp", "gcp-audit"},  {"vault", "vault-audit"},
    {"auto", NULL},
};

/* ---- small helpers ------------------------------------------------------------------ */

static gboolean
sv_eq_ci(KtStrView v, const char *s)
{
    gsize n = strlen(s);
    return v.ptr != NULL && v.len == n && g_ascii_strncasecmp(v.ptr, s, n) == 0;
}

/*
 * Writes the normalized form of @len bytes at @s into @out (NORM_MAX bytes): ASCII
 * lower case, without spaces, '_' and '-'. Returns FALSE when it does not fit.
 */
gboolean
kt_preset_norm_name(const char *s, gsize len, char *out)
{
    gsize o = 0;
    for (gsize i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '_' || c == '-' || c == '\t')
            continue;
        if (o + 1 >= NORM_MAX)
            return FALSE;
        out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[o] = '\0';
    return TRUE;
}

static KtPath *
path_new(const char *full)
{
    KtPath *p = g_new0(KtPath, 1);
    p->full = g_strdup(full);
    p->segs = g_strsplit(full, ".", -1);
    p->nsegs = g_strv_length(p->segs);
    p->id[0] = p->id[1] = p->id_full[0] = p->id_full[1] = G_MAXUINT;
    return p;
}

/* Registers @p with the scanner, case-sensitively and, when @ci, also insensitively. */
static void
path_register(KtMapper *m, KtPath *p, gboolean ci)
{
    for (guint c = 0; c < (ci ? 2u : 1u); c++) {
        p->id[c] = kt_json_scan_add_path(m->scan, (const char *const *)p->segs, p->nsegs, c);
        if (p->nsegs > 1) {
            const char *full = p->full;
            p->id_full[c] = kt_json_scan_add_path(m->scan, &full, 1, c);
        }
    }
}

static void
path_free(gpointer data)
{
    KtPath *p = data;
    if (p == NULL)
        return;
    g_free(p->full);
    g_strfreev(p->segs);
    g_free(p);
}

static const KtPresetDef *
preset_find(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(preset_aliases); i++) {
        if (g_ascii_strcasecmp(name, preset_aliases[i].alias) == 0) {
            if (preset_aliases[i].name == NULL)
                return NULL;
            name = preset_aliases[i].name;
        }
    }
    for (gsize i = 0; presets[i] != NULL; i++) {
        if (g_ascii_strcasecmp(name, presets[i]->name) == 0)
            return presets[i];
    }
    return NULL;
}

/* ---- construction ------------------------------------------------------------------- */

/* Installs @def as the preset: compiles its paths or its fuzzy name table. */

static void
mapper_set_preset(KtMapper *m, const KtPresetDef *def)
{
    m->preset = def;
    if (def->fuzzy)
        kt_json_scan_set_visitor(m->scan, kt_mapper_scan_fuzzy_member, m);
    for (guint s = 0; s < KT_SLOT_COUNT; s++) {
        const char *const *c = def->paths[s];
        for (guint r = 0; c != NULL && c[r] != NULL; r++) {
            if (!def->fuzzy) {
                KtPath *p = path_new(c[r]);
                path_register(m, p, FALSE);
                g_ptr_array_add(m->paths[s], p);
                continue;
            }
            char nm[NORM_MAX];
            if (!kt_preset_norm_name(c[r], strlen(c[r]), nm))
                continue;
            if (!g_hash_table_contains(m->fuzzy, nm))
                g_hash_table_insert(m->fuzzy, g_strdup(nm), GUINT_TO_POINTER(1 + s * 256 + r));
            const char *dot = strchr(nm, '.');
            if (dot != NULL)
                g_hash_table_add(m->fuzzy_parents, g_strndup(nm, (gsize)(dot - nm)));
        }
    }
}

static gboolean
mapper_set_overrides(KtMapper *m, GPtrArray *fields, GError **error)
{
    for (guint i = 0; fields != NULL && i < fields->len; i++) {
        const KtFieldOverride *fo = g_ptr_array_index(fields, i);
        guint s = 0;
        while (s < KT_SLOT_FIELDS && g_ascii_strcasecmp(fo->name, slot_names[s]) != 0)
            s++;
        if (s == KT_SLOT_FIELDS && g_ascii_strcasecmp(fo->name, "source") == 0)
            s = KT_SLOT_IP;
        if (s == KT_SLOT_FIELDS) {
            g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                        "unknown field '%s' in --field; valid names: key, principal, time, ip, "
                        "op, status, bytes, ua",
                        fo->name);
            return FALSE;
        }
        if (fo->source == NULL || fo->source[0] == '\0') {
            g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC, "--field %s= needs a source",
                        fo->name);
            return FALSE;
        }
        m->override[s] = fo->source;
        path_free(m->override_path[s]);
        m->override_path[s] = path_new(fo->source);
        path_register(m, m->override_path[s], TRUE);
    }
    return TRUE;
}

KtMapper *
kt_mapper_new(const KtFormatOptions *opts, const char *fallback, GError **error)
{
    g_return_val_if_fail(opts != NULL, NULL);
    g_autoptr(KtMapper) m = g_new0(KtMapper, 1);
    m->opts = opts;
    m->fallback = preset_find(fallback);
    g_assert(m->fallback != NULL);
    m->fuzzy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->fuzzy_parents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->op_buf = g_string_sized_new(128);
    m->op_memo = kt_web_op_memo_new(512);
    m->scan = kt_json_scan_new();
    const char *wrapped = "CloudTrailEvent", *event_time = "eventTime";
    m->id_wrapped = kt_json_scan_add_path(m->scan, &wrapped, 1, FALSE);
    m->id_event_time = kt_json_scan_add_path(m->scan, &event_time, 1, TRUE);
    m->scratch = g_string_sized_new(4096);
    m->spill = g_ptr_array_new_with_free_func(g_free);
    m->inner = g_string_sized_new(0);
    for (guint s = 0; s < KT_SLOT_COUNT; s++) {
        m->paths[s] = g_ptr_array_new_with_free_func(path_free);
        m->cols[s] = g_array_new(FALSE, FALSE, sizeof(guint));
    }
    if (opts->preset != NULL && g_ascii_strcasecmp(opts->preset, "auto") != 0) {
        const KtPresetDef *def = preset_find(opts->preset);
        if (def == NULL) {
            g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                        "unknown preset '%s'; valid presets: cloudtrail, github-audit, "
                        "gcp-audit, vault-audit, generic",
                        opts->preset);
            return NULL;
        }
        mapper_set_preset(m, def);
    }
    if (!mapper_set_overrides(m, opts->fields, error))
        return NULL;
    return g_steal_pointer(&m);
}

void
kt_mapper_free(KtMapper *m)
{
    if (m == NULL)
        return;
    for (guint s = 0; s < KT_SLOT_COUNT; s++) {
        g_ptr_array_unref(m->paths[s]);
        g_array_unref(m->cols[s]);
    }
    for (guint s = 0; s < KT_SLOT_FIELDS; s++)
        path_free(m->override_path[s]);
    g_hash_table_unref(m->fuzzy);
    g_hash_table_unref(m->fuzzy_parents);
    g_string_free(m->op_buf, TRUE);
    kt_web_op_memo_free(m->op_memo);
    kt_json_scan_free(m->scan);
    g_string_free(m->scratch, TRUE);
    g_ptr_array_unref(m->spill);
    g_string_free(m->inner, TRUE);
    g_free(m);
}

const char *
kt_mapper_preset_name(const KtMapper *m)
{
    return m != NULL && m->preset != NULL ? m->preset->name : NULL;
}

/* ---- detection ---------------------------------------------------------------------- */


/* The specific preset whose marker fields the first record has, or NULL. */
static const KtPresetDef *
preset_detect(KtHasFn has, gconstpointer ctx)
{
    if (has(ctx, "protoPayload"))
        return &preset_gcp;
    if (has(ctx, "userIdentity") || (has(ctx, "eventTime") && has(ctx, "eventName")))
        return &preset_cloudtrail;
    if (has(ctx, "type") && has(ctx, "request") && (has(ctx, "auth") || has(ctx, "response")))
        return &preset_vault;
    if (has(ctx, "action") &&
        (has(ctx, "actor") || has(ctx, "hashed_token") || has(ctx, "token_id")) &&
        (has(ctx, "@timestamp") || has(ctx, "created_at")))
        return &preset_github;
    return NULL;
}


typedef struct {
    const KtStrView *cols;
    guint n;
} KtColumns;

/* A column named @name, or flattened below it ("name.sub"), normalized. */
static gboolean
csv_has(gconstpointer ctx, const char *name)
{
    const KtColumns *c = ctx;
    char want[NORM_MAX], got[NORM_MAX];
    if (!kt_preset_norm_name(name, strlen(name), want))
        return FALSE;
    gsize wl = strlen(want);
    for (guint i = 0; i < c->n; i++) {
        if (!kt_preset_norm_name(c->cols[i].ptr, c->cols[i].len, got))
            continue;
        if (strcmp(got, want) == 0 || (strncmp(got, want, wl) == 0 && got[wl] == '.'))
            return TRUE;
    }
    return FALSE;
}

void
kt_mapper_choose(KtMapper *m, KtHasFn has, gconstpointer ctx)
{
    if (m->preset != NULL)
        return;
    const KtPresetDef *def = preset_detect(has, ctx);
    mapper_set_preset(m, def != NULL ? def : m->fallback);
}

/* ---- hooks -------------------------------------------------------------------------- */

static KtStrView
op_compose(KtMapper *m, KtStrView a, const char *sep, KtStrView b)
{
    g_string_truncate(m->op_buf, 0);
    g_string_append_len(m->op_buf, a.ptr, (gssize)a.len);
    g_string_append(m->op_buf, sep);
    g_string_append_len(m->op_buf, b.ptr, (gssize)b.len);
    return kt_sv_len(m->op_buf->str, m->op_buf->len);
}

static KtMapResult
hook_cloudtrail(KtMapper *m, KtEventView *ev)
{
    KtVal *src = &m->vals[KT_SLOT_A], *name = &m->vals[KT_SLOT_B];
    if (m->override[KT_SLOT_OP] == NULL && name->kind != KT_VAL_NONE) {
        if (src->kind != KT_VAL_NONE) {
            const char *dot = memchr(src->s.ptr, '.', src->s.len);
            KtStrView svc = kt_sv_len(src->s.ptr, dot ? (gsize)(dot - src->s.ptr) : src->s.len);
            ev->op = op_compose(m, svc, ":", name->s);
        } else {
            ev->op = name->s;
        }
    }
    KtStrView type = m->vals[KT_SLOT_C].s;
    if ((ev->key.len >= 4 && memcmp(ev->key.ptr, "ASIA", 4) == 0) ||
        kt_sv_eq(type, "AssumedRole") || kt_sv_eq(type, "FederatedUser"))
        ev->flags |= KT_EV_TEMP_KEY;
    return KT_MAP_EVENT;
}

static KtMapResult
hook_vault(KtMapper *m, KtEventView *ev)
{
    if (sv_eq_ci(m->vals[KT_SLOT_C].s, "request"))
        return KT_MAP_SKIP;
    KtVal *op = &m->vals[KT_SLOT_A], *path = &m->vals[KT_SLOT_B];
    if (m->override[KT_SLOT_OP] == NULL) {
        if (op->kind != KT_VAL_NONE && path->kind != KT_VAL_NONE)
            ev->op = op_compose(m, op->s, " ", path->s);
        else
            ev->op = op->kind != KT_VAL_NONE ? op->s : path->s;
    }
    return KT_MAP_EVENT;
}

static KtMapResult
hook_generic(KtMapper *m, KtEventView *ev)
{
    if (!kt_sv_empty(ev->op))
        return KT_MAP_EVENT;
    KtVal *method = &m->vals[KT_SLOT_A], *path = &m->vals[KT_SLOT_B], *low = &m->vals[KT_SLOT_C];
    if (method->kind != KT_VAL_NONE && path->kind != KT_VAL_NONE && kt_web_is_method(method->s)) {
        /* "GET /v1/customers/cus_123?limit=5" -> "GET /v1/customers/{id}", as for web logs,
         * so ids and query strings do not each become a new operation */
        ev->op = kt_web_op_memo_get(m->op_memo, method->s, path->s, NULL);
    } else if (method->kind != KT_VAL_NONE && path->kind != KT_VAL_NONE)
        ev->op = op_compose(m, method->s, " ", path->s);
    else if (low->kind != KT_VAL_NONE)
        ev->op = low->s;
    else
        ev->op = method->kind != KT_VAL_NONE ? method->s : path->s;
    return KT_MAP_EVENT;
}

/* ---- values to event ---------------------------------------------------------------- */

/* Parses a decimal byte count; -1 when @v is not one. */
static gint64
parse_bytes(const KtVal *v)
{
    if (v->kind == KT_VAL_NUM)
        return isfinite(v->num) && v->num >= 0 && v->num < 9.2e18 ? (gint64)v->num : -1;
    return v->kind == KT_VAL_STR ? kt_sv_parse_count(v->s) : -1;
}

/* Fills @ev from m->vals, runs the preset hook and checks the required fields. */
KtMapResult
kt_mapper_finish(KtMapper *m, KtEventView *ev, KtReject *reason)
{
    /* every field named: a whole-struct clear (rep stos) cost more than the mapping */
    *ev = (KtEventView){
        .key = m->vals[KT_SLOT_KEY].s,
        .principal = m->vals[KT_SLOT_PRINCIPAL].s,
        .time_text = KT_SV_NULL,
        .time_ms = 0,
        .source = m->vals[KT_SLOT_IP].s,
        .op = m->vals[KT_SLOT_OP].s,
        .status = m->vals[KT_SLOT_STATUS].s,
        .status_grpc = m->preset->status_grpc && m->override[KT_SLOT_STATUS] == NULL,
        .outcome = KT_OUTCOME_OK,
        .outcome_set = FALSE,
        .bytes = parse_bytes(&m->vals[KT_SLOT_BYTES]),
        .ua = m->vals[KT_SLOT_UA].s,
        .flags = 0,
        .hints = NULL,
    };
    G_STATIC_ASSERT(sizeof(KtEventView) == 19 * 8); /* a new field needs a value above */
    const KtVal *t = &m->vals[KT_SLOT_TIME];
    if (t->kind == KT_VAL_NUM && isfinite(t->num) && fabs(t->num) < 1e15) {
        ev->time_ms = t->num > 1e11 ? (gint64)t->num : (gint64)(t->num * 1000.0);
        ev->flags |= KT_EV_TIME_SET;
    } else {
        ev->time_text = t->s;
    }
    if (m->preset->hook != NULL && m->preset->hook(m, ev) == KT_MAP_SKIP)
        return KT_MAP_SKIP;
    if (kt_sv_empty(ev->key)) {
        *reason = KT_REJECT_NO_KEY;
        return KT_MAP_REJECT;
    }
    if (kt_sv_empty(ev->time_text) && !(ev->flags & KT_EV_TIME_SET)) {
        *reason = KT_REJECT_NO_TIME;
        return KT_MAP_REJECT;
    }
    return KT_MAP_EVENT;
}

/* ---- CSV ---------------------------------------------------------------------------- */

/* Index of the column called @name: exact (case-insensitive), else normalized, else
 * (for dotted paths) its last segment normalized. G_MAXUINT when none. */
static guint
csv_find(const KtStrView *cols, guint n, const char *name)
{
    char want[NORM_MAX], got[NORM_MAX];
    for (guint i = 0; i < n; i++) {
        if (sv_eq_ci(cols[i], name))
            return i;
    }
    const char *dot = strrchr(name, '.');
    for (int pass = 0; pass < (dot ? 2 : 1); pass++) {
        const char *w = pass == 0 ? name : dot + 1;
        if (!kt_preset_norm_name(w, strlen(w), want))
            continue;
        for (guint i = 0; i < n; i++) {
            if (kt_preset_norm_name(cols[i].ptr, cols[i].len, got) && strcmp(got, want) == 0)
                return i;
        }
    }
    return G_MAXUINT;
}

typedef struct {
    guint slot, rank, col;
} KtColRank;

static gint
colrank_cmp(gconstpointer a, gconstpointer b)
{
    const KtColRank *x = a, *y = b;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->col < y->col ? -1 : (x->col > y->col);
}

/* Generic preset: every column whose normalized name is a candidate, best rank first. */
static void
csv_bind_fuzzy(KtMapper *m, const KtStrView *cols, guint n)
{
    g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(KtColRank));
    for (guint i = 0; i < n; i++) {
        char nm[NORM_MAX];
        if (!kt_preset_norm_name(cols[i].ptr, cols[i].len, nm))
            continue;
        guint code = GPOINTER_TO_UINT(g_hash_table_lookup(m->fuzzy, nm));
        if (code == 0)
            continue;
        KtColRank cr = {(code - 1) / 256, (code - 1) % 256, i};
        if (cr.slot < KT_SLOT_FIELDS && m->override[cr.slot] != NULL)
            continue;
        g_array_append_val(found, cr);
    }
    g_array_sort(found, colrank_cmp);
    for (guint i = 0; i < found->len; i++) {
        const KtColRank *cr = &g_array_index(found, KtColRank, i);
        g_array_append_val(m->cols[cr->slot], cr->col);
    }
}

void
kt_mapper_csv_header(KtMapper *m, const KtStrView *cols, guint n)
{
    KtColumns ctx = {cols, n};
    kt_mapper_choose(m, csv_has, &ctx);
    for (guint s = 0; s < KT_SLOT_COUNT; s++)
        g_array_set_size(m->cols[s], 0);
    for (guint s = 0; s < KT_SLOT_FIELDS; s++) {
        if (m->override[s] == NULL)
            continue;
        guint c = csv_find(cols, n, m->override[s]);
        if (c != G_MAXUINT)
            g_array_append_val(m->cols[s], c);
    }
    if (m->preset->fuzzy) {
        csv_bind_fuzzy(m, cols, n);
        return;
    }
    for (guint s = 0; s < KT_SLOT_COUNT; s++) {
        if (s < KT_SLOT_FIELDS && m->override[s] != NULL)
            continue;
        for (guint i = 0; i < m->paths[s]->len; i++) {
            const KtPath *p = g_ptr_array_index(m->paths[s], i);
            guint c = csv_find(cols, n, p->full);
            if (c != G_MAXUINT)
                g_array_append_val(m->cols[s], c);
        }
    }
}

KtMapResult
kt_mapper_csv_row(KtMapper *m, const KtStrView *fields, guint n, KtEventView *ev, KtReject *reason)
{
    g_return_val_if_fail(m->preset != NULL, KT_MAP_SKIP);
    for (guint s = 0; s < KT_SLOT_COUNT; s++) {
        const GArray *cols = m->cols[s];
        /* an override that names no column leaves the field empty; an override takes
         * only its first column, a preset the first non-empty of its candidates */
        gboolean first_only = s < KT_SLOT_FIELDS && m->override[s] != NULL;
        KtVal v = { KT_SV_NULL, 0, KT_VAL_NONE };
        for (guint i = 0; i < cols->len; i++) {
            guint c = g_array_index(cols, guint, i);
            if (c < n && fields[c].len > 0) {
                v = (KtVal){ fields[c], 0, KT_VAL_STR };
                break;
            }
            if (first_only)
                break;
        }
        m->vals[s] = v;
    }
    return kt_mapper_finish(m, ev, reason);
}

/* ---- describe ----------------------------------------------------------------------- */

void
kt_preset_describe(GString *out, gboolean columns)
{
    g_string_append_printf(out, "  presets (--preset NAME; chosen from the first %s otherwise):\n",
                           columns ? "header" : "record");
    for (gsize i = 0; presets[i] != NULL; i++) {
        const KtPresetDef *d = presets[i];
        g_string_append_printf(out, "    %-13s %s\n", d->name, d->summary);
        for (guint s = 0; s < KT_SLOT_FIELDS; s++) {
            const char *const *c = d->paths[s];
            if (c == NULL)
                continue;
            g_string_append_printf(out, "      %-10s", slot_names[s]);
            for (guint r = 0; c[r] != NULL; r++)
                g_string_append_printf(out, "%s%s", r ? " | " : "", c[r]);
            g_string_append_c(out, '\n');
        }
        if (d->notes != NULL)
            g_string_append_printf(out, "      note      %s\n", d->notes);
    }
    g_string_append(out, "  --field NAME=SOURCE overrides a preset (NAME: key principal time ip op "
                         "status bytes ua;\n  SOURCE: ");
    g_string_append(out, columns ? "a column name)\n" : "a dotted path such as a.b.c)\n");
}
