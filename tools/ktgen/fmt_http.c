/*
 * fmt_http.c - line writers for the HTTP family: a CSV export with a header, JSON
 * lines (nested and flat) and Apache combined logs with the key in a query parameter
 * or in the remote-user field. Each writes one event; the caller reserved the space.
 */
#include "ktgen.h"

static inline const KgKey *
key_of(const KgModel *m, const KgEvent *e)
{
    return g_ptr_array_index(m->keys, e->key);
}

void
kg_fmt_csv_header(KgSink *s)
{
    kg_put(s, "timestamp,api_key,client_ip,method,path,status,bytes,user_agent\n");
}

static void
put_csv_field(KgSink *s, const char *v)
{
    if (!strpbrk(v, ",\"\n")) {
        kg_put(s, v);
        return;
    }
    kg_put_c(s, '"');
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            kg_put_c(s, '"');
        kg_put_c(s, *p);
    }
    kg_put_c(s, '"');
}

void
kg_fmt_csv(KgSink *s, const KgModel *m, const KgEvent *e)
{
    const KgOp *op = kg_op(m->p.family, e->op);
    kg_put_time(s, e->ms, 3);
    kg_put_c(s, ',');
    kg_put(s, key_of(m, e)->id);
    kg_put_c(s, ',');
    kg_put_ip(s, e->ip);
    kg_put_c(s, ',');
    kg_put(s, op->a);
    kg_put_c(s, ',');
    put_csv_field(s, op->b);
    kg_put_c(s, ',');
    kg_put_u64(s, e->status);
    kg_put_c(s, ',');
    kg_put_u64(s, e->bytes);
    kg_put_c(s, ',');
    put_csv_field(s, kg_ua(m->p.family, e->ua));
    kg_put_c(s, '\n');
}

void
kg_fmt_jsonl(KgSink *s, const KgModel *m, const KgEvent *e, gboolean flat)
{
    const KgOp *op = kg_op(m->p.family, e->op);
    const KgKey *k = key_of(m, e);
    if (flat) {
        kg_put(s, "{\"time\":");
        kg_put_u64(s, (guint64)e->ms);
        kg_put(s, ",\"api_key\":\"");
        kg_put(s, k->id);
        kg_put(s, "\",\"client_ip\":\"");
        kg_put_ip(s, e->ip);
        kg_put(s, "\",\"method\":\"");
        kg_put(s, op->a);
        kg_put(s, "\",\"path\":\"");
    } else {
        kg_put(s, "{\"ts\":\"");
        kg_put_time(s, e->ms, 3);
        kg_put(s, "\",\"key\":{\"id\":\"");
        kg_put(s, k->id);
        kg_put(s, "\",\"owner\":\"");
        kg_put(s, k->name);
        kg_put(s, "\"},\"client\":{\"ip\":\"");
        kg_put_ip(s, e->ip);
        kg_put(s, "\"},\"request\":{\"id\":\"req_");
        kg_put_hex(s, kg_event_hash(e), 14);
        kg_put(s, "\",\"method\":\"");
        kg_put(s, op->a);
        kg_put(s, "\",\"path\":\"");
    }
    kg_put_json_str(s, op->b);
    kg_put(s, flat ? "\",\"status\":" : "\"},\"status\":");
    kg_put_u64(s, e->status);
    kg_put(s, ",\"bytes\":");
    kg_put_u64(s, e->bytes);
    kg_put(s, ",\"user_agent\":\"");
    kg_put_json_str(s, kg_ua(m->p.family, e->ua));
    kg_put(s, "\"}\n");
}

void
kg_fmt_combined(KgSink *s, const KgModel *m, const KgEvent *e, gboolean key_in_user)
{
    const KgOp *op = kg_op(m->p.family, e->op);
    const KgKey *k = key_of(m, e);
    const char *ua = kg_ua(m->p.family, e->ua);
    kg_put_ip(s, e->ip);
    kg_put(s, " - ");
    kg_put(s, key_in_user ? k->id : "-");
    kg_put_c(s, ' ');
    kg_put_clf_time(s, e->ms);
    kg_put(s, " \"");
    kg_put(s, op->a);
    kg_put_c(s, ' ');
    kg_put(s, op->b);
    if (!key_in_user) {
        kg_put(s, strchr(op->b, '?') ? "&api_key=" : "?api_key=");
        kg_put(s, k->id);
    }
    kg_put(s, " HTTP/1.1\" ");
    kg_put_u64(s, e->status);
    kg_put_c(s, ' ');
    kg_put_u64(s, e->bytes);
    kg_put(s, g_str_has_prefix(ua, "Mozilla/") ? " \"https://dashboard.acme.example/\" \""
                                               : " \"-\" \"");
    kg_put(s, ua);
    kg_put(s, "\"\n");
}
