/*
 * fmt_audit.c - line writers for audit-log sources, in their real field layouts:
 * HashiCorp Vault's audit device JSON (a request and a response entry per call),
 * CyberArk Conjur's RFC 5424 audit syslog, the GitHub audit log export (JSON lines,
 * epoch-ms stamps) and GCP Cloud Audit Logs entries (one JSON object per line).
 */
#include "ktgen.h"

static inline const KgKey *
key_of(const KgModel *m, const KgEvent *e)
{
    return g_ptr_array_index(m->keys, e->key);
}

/* ---- Vault ---------------------------------------------------------------------------- */

static void
vault_auth(KgSink *s, const KgKey *k, guint64 h)
{
    kg_put(s, "\"auth\":{\"client_token\":\"hmac-sha256:");
    kg_put_hex(s, h ^ 0x5a5a, 64);
    kg_put(s, "\",\"accessor\":\"");
    kg_put(s, k->id);
    kg_put(s, "\",\"display_name\":\"");
    kg_put(s, k->principal ? k->principal : k->name);
    kg_put(s, "\",\"policies\":[\"default\",\"");
    kg_put(s, k->name);
    kg_put(s, "\"],\"token_policies\":[\"default\",\"");
    kg_put(s, k->name);
    kg_put(s, "\"],\"metadata\":{\"role_name\":\"");
    kg_put(s, k->name);
    kg_put(s, "\"},\"entity_id\":\"");
    kg_put_uuid(s, g_str_hash(k->id), g_str_hash(k->name));
    kg_put(s, "\",\"token_type\":\"service\",\"token_ttl\":2764800}");
}

static void
vault_entry(KgSink *s, const KgModel *m, const KgEvent *e, gboolean response)
{
    const KgKey *k = key_of(m, e);
    const KgOp *op = kg_op(m->p.family, e->op);
    guint64 h = kg_event_hash(e);
    gboolean denied = (e->flags & KG_EV_DENIED) != 0;
    kg_put(s, "{\"time\":\"");
    kg_put_time(s, e->ms + (response ? 2 : 0), 6);
    kg_put(s, response ? "\",\"type\":\"response\"," : "\",\"type\":\"request\",");
    vault_auth(s, k, h);
    kg_put(s, ",\"request\":{\"id\":\"");
    kg_put_uuid(s, h, h >> 7);
    kg_put(s, "\",\"operation\":\"");
    kg_put(s, op->a);
    kg_put(s, "\",\"mount_type\":\"kv\",\"client_token\":\"hmac-sha256:");
    kg_put_hex(s, h ^ 0x5a5a, 64);
    kg_put(s, "\",\"client_token_accessor\":\"");
    kg_put(s, k->id);
    kg_put(s, "\",\"namespace\":{\"id\":\"root\"},\"path\":\"");
    kg_put_json_str(s, op->b);
    kg_put(s, "\",\"remote_address\":\"");
    kg_put_ip(s, e->ip);
    kg_put(s, "\",\"remote_port\":");
    kg_put_u64(s, 32768 + (h >> 20) % 28000);
    kg_put(s, ",\"headers\":{\"user-agent\":[\"");
    kg_put_json_str(s, kg_ua(m->p.family, e->ua));
    kg_put(s, "\"]}}");
    if (response && !denied) {
        kg_put(s, ",\"response\":{\"mount_type\":\"kv\",\"data\":{\"value\":\"hmac-sha256:");
        kg_put_hex(s, h >> 3, 64);
        kg_put(s, "\"}}");
    }
    if (denied)
        kg_put(s, ",\"error\":\"1 error occurred:\\n\\t* permission denied\\n\\n\"");
    else if (e->status >= 500)
        kg_put(s, ",\"error\":\"internal error\"");
    kg_put(s, "}\n");
}

void
kg_fmt_vault(KgSink *s, const KgModel *m, const KgEvent *e)
{
    vault_entry(s, m, e, FALSE);
    vault_entry(s, m, e, TRUE);
}

/* ---- Conjur --------------------------------------------------------------------------- */

/* An authn message: facility 10 (authpriv), the role on subject@43868, no auth user. */
static void
conjur_authn(KgSink *s, const KgModel *m, const KgEvent *e, const KgKey *k, const KgOp *op)
{
    gboolean ok = !(e->flags & KG_EV_DENIED);
    kg_put(s, ok ? "<86>1 " : "<84>1 ");
    kg_put_time(s, e->ms, 3);
    kg_put(s, " conjur-leader-0 conjur ");
    kg_put_hex(s, kg_event_hash(e), 32);
    kg_put(s, " authn [subject@43868 role=\"");
    kg_put(s, k->id);
    kg_put(s, "\"][auth@43868 authenticator=\"authn-k8s\" service=\"");
    kg_put(s, m->account);
    kg_put_c(s, ':');
    kg_put(s, op->b);
    kg_put(s, "\"][client@43868 ip=\"");
    kg_put_ip(s, e->ip);
    kg_put(s, ok ? "\"][action@43868 operation=\"authenticate\" result=\"success\"] "
                 : "\"][action@43868 operation=\"authenticate\" result=\"failure\"] ");
    kg_put(s, k->id);
    kg_put(s, ok ? " successfully authenticated with authenticator authn-k8s service "
                 : " failed to authenticate with authenticator authn-k8s service ");
    kg_put(s, m->account);
    kg_put_c(s, ':');
    kg_put(s, op->b);
    if (!ok)
        kg_put(s, ": CONJ00007E Host is not authorized");
    kg_put_c(s, '\n');
}

void
kg_fmt_conjur(KgSink *s, const KgModel *m, const KgEvent *e)
{
    const KgKey *k = key_of(m, e);
    const KgOp *op = kg_op(m->p.family, e->op);
    if (strcmp(op->a, "authenticate") == 0) {
        conjur_authn(s, m, e, k, op);
        return;
    }
    gboolean ok = !(e->flags & KG_EV_DENIED);
    gboolean policy = strcmp(op->a, "change") == 0 || strcmp(op->a, "add") == 0;
    /* facility 4 (auth): info 6 on success, warning 4 on failure; notice 5 for changes */
    kg_put(s, !ok ? "<36>1 " : policy ? "<37>1 " : "<38>1 ");
    kg_put_time(s, e->ms, 3);
    kg_put(s, " conjur-leader-0 conjur ");
    kg_put_hex(s, kg_event_hash(e), 32);
    kg_put_c(s, ' ');
    kg_put(s, policy ? "policy" : op->a);
    kg_put(s, " [auth@43868 user=\"");
    kg_put(s, k->id);
    kg_put(s, "\"][subject@43868 resource=\"");
    kg_put(s, m->account);
    kg_put_c(s, ':');
    kg_put(s, op->b);
    kg_put(s, "\"][client@43868 ip=\"");
    kg_put_ip(s, e->ip);
    kg_put(s, "\"][action@43868 operation=\"");
    kg_put(s, op->a);
    kg_put(s, ok ? "\" result=\"success\"] " : "\" result=\"failure\"] ");
    kg_put(s, k->id);
    kg_put(s, ok ? " " : " tried to ");
    kg_put(s, op->a);
    if (ok)
        kg_put(s, op->a[strlen(op->a) - 1] == 'e' ? "d " : "ed ");
    else
        kg_put_c(s, ' ');
    kg_put(s, m->account);
    kg_put_c(s, ':');
    kg_put(s, op->b);
    if (!ok)
        kg_put(s, ": Forbidden");
    kg_put_c(s, '\n');
}

/* ---- GitHub audit log ------------------------------------------------------------------ */

void
kg_fmt_github(KgSink *s, const KgModel *m, const KgEvent *e)
{
    const KgKey *k = key_of(m, e);
    const KgOp *op = kg_op(m->p.family, e->op);
    guint64 h = kg_event_hash(e);
    kg_put(s, "{\"@timestamp\":");
    kg_put_u64(s, (guint64)e->ms);
    kg_put(s, ",\"_document_id\":\"");
    kg_put_hex(s, h, 22);
    kg_put(s, "\",\"action\":\"");
    kg_put(s, op->a);
    kg_put(s, "\",\"actor\":\"");
    kg_put(s, k->principal ? k->principal : k->name);
    kg_put(s, "\",\"actor_id\":");
    kg_put_u64(s, 100000 + g_str_hash(k->name) % 900000);
    kg_put(s, ",\"actor_ip\":\"");
    kg_put_ip(s, e->ip);
    kg_put(s, "\",\"business\":\"acme\",\"created_at\":");
    kg_put_u64(s, (guint64)e->ms);
    kg_put(s, ",\"hashed_token\":\"");
    kg_put(s, k->id);
    kg_put(s, "\",\"operation_type\":\"");
    kg_put(s, op->read_only ? "access" : "modify");
    kg_put(s, "\",\"org\":\"acme\",\"programmatic_access_type\":\"");
    kg_put(s, k->arch == KG_ARCH_HUMAN ? "Personal access token (classic)"
                                       : "Fine-grained personal access token");
    if (op->b[0]) {
        kg_put(s, "\",\"repo\":\"");
        kg_put(s, op->b);
    }
    kg_put(s, "\",\"token_id\":");
    kg_put_u64(s, 1000000 + g_str_hash(k->id) % 9000000);
    kg_put(s, ",\"token_scopes\":\"repo,workflow\",\"user_agent\":\"");
    kg_put_json_str(s, kg_ua(m->p.family, e->ua));
    kg_put(s, "\"}\n");
}

/* ---- GCP Cloud Audit Logs -------------------------------------------------------------- */

void
kg_fmt_gcp(KgSink *s, const KgModel *m, const KgEvent *e)
{
    const KgKey *k = key_of(m, e);
    const KgOp *op = kg_op(m->p.family, e->op);
    guint64 h = kg_event_hash(e);
    gboolean denied = (e->flags & KG_EV_DENIED) != 0;
    kg_put(s, "{\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
              "\"status\":{");
    if (denied)
        kg_put(s, "\"code\":7,\"message\":\"PERMISSION_DENIED\"");
    else if (e->status >= 500)
        kg_put(s, "\"code\":13,\"message\":\"INTERNAL\"");
    kg_put(s, "},\"authenticationInfo\":{\"principalEmail\":\"");
    kg_put(s, k->principal ? k->principal : k->name);
    kg_put(s, "\",\"serviceAccountKeyName\":\"");
    kg_put(s, k->id);
    kg_put(s, "\"},\"requestMetadata\":{\"callerIp\":\"");
    kg_put_ip(s, e->ip);
    kg_put(s, "\",\"callerSuppliedUserAgent\":\"");
    kg_put_json_str(s, kg_ua(m->p.family, e->ua));
    kg_put(s, "\",\"requestAttributes\":{\"time\":\"");
    kg_put_time(s, e->ms, 6);
    kg_put(s, "\",\"auth\":{}},\"destinationAttributes\":{}},\"serviceName\":\"");
    kg_put(s, op->a);
    kg_put(s, "\",\"methodName\":\"");
    kg_put(s, op->b);
    kg_put(s, "\",\"authorizationInfo\":[{\"resource\":\"projects/");
    kg_put(s, m->account);
    kg_put(s, "\",\"permission\":\"");
    kg_put(s, op->b);
    kg_put(s, denied ? "\",\"granted\":false" : "\",\"granted\":true");
    kg_put(s, ",\"resourceAttributes\":{}}],\"resourceName\":\"projects/");
    kg_put(s, m->account);
    kg_put(s, "\"},\"insertId\":\"");
    kg_put_hex(s, h, 12);
    kg_put(s, "\",\"resource\":{\"type\":\"audited_resource\",\"labels\":{\"project_id\":\"");
    kg_put(s, m->account);
    kg_put(s, "\",\"service\":\"");
    kg_put(s, op->a);
    kg_put(s, "\",\"method\":\"");
    kg_put(s, op->b);
    kg_put(s, "\"}},\"timestamp\":\"");
    kg_put_time(s, e->ms, 6);
    kg_put(s, denied ? "\",\"severity\":\"ERROR\"" : "\",\"severity\":\"INFO\"");
    kg_put(s, ",\"logName\":\"projects/");
    kg_put(s, m->account);
    kg_put(s, op->read_only ? "/logs/cloudaudit.googleapis.com%2Fdata_access\""
                            : "/logs/cloudaudit.googleapis.com%2Factivity\"");
    kg_put(s, ",\"receiveTimestamp\":\"");
    kg_put_time(s, e->ms + 180, 6);
    kg_put(s, "\"}\n");
}
