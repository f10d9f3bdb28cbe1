/*
 * fmt_cloudtrail.c - CloudTrail records as AWS writes them (IAMUser or AssumedRole
 * identity, errorCode/errorMessage on denials, global services in us-east-1), and the
 * S3 delivery layout: one {"Records":[...]} file per hour and region under
 * AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/, records in no particular order.
 */
#include <glib/gstdio.h>

#include "ktgen.h"

static void
put_identity(KgSink *s, const KgModel *m, const KgKey *k)
{
    const char *acct = k->account ? k->account : m->account;
    const char *arn = k->principal ? k->principal : "";
    if (k->temporary) {
        /* arn:aws:sts::ACCT:assumed-role/ROLE/SESSION -> role arn */
        const char *role = strstr(arn, "assumed-role/");
        const char *role_name = role ? role + strlen("assumed-role/") : k->name;
        const char *slash = strchr(role_name, '/');
        gsize rn = slash ? (gsize)(slash - role_name) : strlen(role_name);
        kg_put(s, "{\"type\":\"AssumedRole\",\"principalId\":\"AROA");
        kg_put_hex(s, g_str_hash(arn), 16);
        kg_put(s, ":");
        kg_put_json_str(s, slash ? slash + 1 : k->name);
        kg_put(s, "\",\"arn\":\"");
        kg_put_json_str(s, arn);
        kg_put(s, "\",\"accountId\":\"");
        kg_put(s, acct);
        kg_put(s, "\",\"accessKeyId\":\"");
        kg_put(s, k->id);
        kg_put(s, "\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROA");
        kg_put_hex(s, g_str_hash(arn), 16);
        kg_put(s, "\",\"arn\":\"");
        if (k->issuer) {
            const char *last = strrchr(k->issuer, '/');
            kg_put_json_str(s, k->issuer);
            kg_put(s, "\",\"accountId\":\"");
            kg_put(s, acct);
            kg_put(s, "\",\"userName\":\"");
            kg_put_json_str(s, last ? last + 1 : k->issuer);
        } else {
            kg_put(s, "arn:aws:iam::");
            kg_put(s, acct);
            kg_put(s, ":role/");
            kg_put_n(s, role_name, MIN(rn, 128));
            kg_put(s, "\",\"accountId\":\"");
            kg_put(s, acct);
            kg_put(s, "\",\"userName\":\"");
            kg_put_n(s, role_name, MIN(rn, 128));
        }
        kg_put(s, "\"},\"attributes\":{\"creationDate\":\"2024-01-01T00:00:00Z\","
                  "\"mfaAuthenticated\":\"false\"}}}");
        return;
    }
    const char *user = strrchr(arn, '/');
    kg_put(s, "{\"type\":\"IAMUser\",\"principalId\":\"AIDA");
    kg_put_hex(s, g_str_hash(k->id), 16);
    kg_put(s, "\",\"arn\":\"");
    kg_put_json_str(s, arn);
    kg_put(s, "\",\"accountId\":\"");
    kg_put(s, acct);
    kg_put(s, "\",\"accessKeyId\":\"");
    kg_put(s, k->id);
    kg_put(s, "\",\"userName\":\"");
    kg_put_json_str(s, user ? user + 1 : k->name);
    kg_put(s, "\"}");
}

static void
put_error(KgSink *s, const KgKey *k, const KgOp *op, const KgEvent *e)
{
    if (e->flags & KG_EV_DENIED) {
        gboolean ec2 = g_str_has_prefix(op->a, "ec2.");
        kg_put(s, ec2 ? ",\"errorCode\":\"Client.UnauthorizedOperation\""
                      : ",\"errorCode\":\"AccessDenied\"");
        kg_put(s, ",\"errorMessage\":\"User: ");
        kg_put_json_str(s, k->principal ? k->principal : k->id);
        kg_put(s, " is not authorized to perform: ");
        kg_put_n(s, op->a, (gsize)(strchr(op->a, '.') - op->a));
        kg_put_c(s, ':');
        kg_put(s, op->b);
        kg_put(s, " because no identity-based policy allows the action\"");
    } else if (e->status == 429) {
        kg_put(s, ",\"errorCode\":\"ThrottlingException\",\"errorMessage\":\"Rate exceeded\"");
    } else if (e->status >= 500) {
        kg_put(s, ",\"errorCode\":\"InternalFailure\",\"errorMessage\":\"An internal error occurred\"");
    }
}

void
kg_fmt_cloudtrail_record(KgSink *s, const KgModel *m, const KgEvent *e)
{
    const KgKey *k = g_ptr_array_index(m->keys, e->key);
    const KgOp *op = kg_op(KG_FAM_AWS, e->op);
    const char *region = kg_aws_regions[e->region % kg_aws_region_count()];
    gboolean data = g_str_has_prefix(op->a, "s3.") &&
                    (strcmp(op->b, "GetObject") == 0 || strcmp(op->b, "PutObject") == 0);
    guint64 h = kg_event_hash(e);
    kg_put(s, "{\"eventVersion\":\"1.09\",\"userIdentity\":");
    put_identity(s, m, k);
    kg_put(s, ",\"eventTime\":\"");
    kg_put_time(s, e->ms, 0);
    kg_put(s, "\",\"eventSource\":\"");
    kg_put(s, op->a);
    kg_put(s, "\",\"eventName\":\"");
    kg_put(s, op->b);
    kg_put(s, "\",\"awsRegion\":\"");
    kg_put(s, region);
    kg_put(s, "\",\"sourceIPAddress\":\"");
    kg_put_ip(s, e->ip);
    kg_put(s, "\",\"userAgent\":\"");
    kg_put_json_str(s, kg_ua(KG_FAM_AWS, e->ua));
    kg_put_c(s, '"');
    put_error(s, k, op, e);
    if (data) {
        kg_put(s, ",\"requestParameters\":{\"bucketName\":\"acme-");
        kg_put(s, k->name);
        kg_put(s, "\",\"key\":\"data/");
        kg_put_hex(s, h >> 5, 12);
        kg_put(s, ".parquet\"},\"responseElements\":null,\"additionalEventData\":{\"bytesTransferredOut\":");
        kg_put_u64(s, e->bytes);
        kg_put(s, "}");
    } else {
        kg_put(s, ",\"requestParameters\":null,\"responseElements\":null");
    }
    kg_put(s, ",\"requestID\":\"");
    kg_put_uuid(s, h ^ 0x77, h >> 9);
    kg_put(s, "\",\"eventID\":\"");
    kg_put_uuid(s, h, h >> 13);
    kg_put(s, op->read_only ? "\",\"readOnly\":true" : "\",\"readOnly\":false");
    kg_put(s, data ? ",\"eventType\":\"AwsApiCall\",\"managementEvent\":false"
                   : ",\"eventType\":\"AwsApiCall\",\"managementEvent\":true");
    kg_put(s, ",\"recipientAccountId\":\"");
    kg_put(s, k->account ? k->account : m->account);
    kg_put(s, data ? "\",\"eventCategory\":\"Data\"" : "\",\"eventCategory\":\"Management\"");
    kg_put(s, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\","
              "\"clientProvidedHostHeader\":\"");
    kg_put_n(s, op->a, (gsize)(strchr(op->a, '.') - op->a));
    if (!op->global) {
        kg_put_c(s, '.');
        kg_put(s, region);
    }
    kg_put(s, ".amazonaws.com\"}}");
}

/* Writes one file for the events of @region among @ev. */
static gboolean
write_region_file(KgWriter *w, gint64 hour_ms, guint region, KgEvent *ev, gsize n, GError **error)
{
    const KgModel *m = w->model;
    gint64 deliver = hour_ms + KG_HOUR_MS + 5 * 60000;
    int y, mo, d;
    kg_civil_from_days(deliver / KG_DAY_MS, &y, &mo, &d);
    gint64 rem = deliver % KG_DAY_MS;
    const char *rn = kg_aws_regions[region];
    g_autofree char *dir = g_strdup_printf("%s/AWSLogs/%s/CloudTrail/%s/%04d/%02d/%02d", w->out,
                                           m->account, rn, y, mo, d);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot create %s", dir);
        return FALSE;
    }
    KgRng r;
    kg_rng_init(&r, m->p.seed, 0x66696c65ULL + region, (guint64)hour_ms);
    char suffix[17];
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (int i = 0; i < 16; i++)
        suffix[i] = alnum[kg_rng_below(&r, 62)];
    suffix[16] = '\0';
    g_autofree char *path = g_strdup_printf(
        "%s/%s_CloudTrail_%s_%04d%02d%02dT%02d%02dZ_%s.json%s", dir, m->account, rn, y, mo, d,
        (int)(rem / KG_HOUR_MS), (int)(rem / 60000 % 60), suffix, w->gzip ? ".gz" : "");
    KgSink *s = kg_sink_open(path, w->gzip, error);
    if (!s)
        return FALSE;
    kg_put(s, "{\"Records\":[");
    gboolean first = TRUE;
    for (gsize i = 0; i < n; i++) {
        if (ev[i].region != region)
            continue;
        kg_sink_reserve(s, 16384);
        if (!first)
            kg_put_c(s, ',');
        first = FALSE;
        kg_fmt_cloudtrail_record(s, m, &ev[i]);
        w->written++;
    }
    kg_sink_reserve(s, 8);
    kg_put(s, "]}");
    w->files++;
    return kg_sink_close(s, error);
}

gboolean
kg_cloudtrail_hour_dir(KgWriter *w, gint64 hour_ms, KgEvent *ev, gsize n, GError **error)
{
    /* records in a delivered file are not in time order */
    KgRng r;
    kg_rng_init(&r, w->model->p.seed, 0x73687566ULL, (guint64)hour_ms);
    for (gsize i = n; i > 1; i--) {
        gsize j = kg_rng_below(&r, (guint32)i);
        KgEvent t = ev[i - 1];
        ev[i - 1] = ev[j];
        ev[j] = t;
    }
    guint present = 0;
    for (gsize i = 0; i < n; i++)
        present |= 1u << ev[i].region;
    for (guint region = 0; region < kg_aws_region_count(); region++) {
        if ((present & (1u << region)) && !write_region_file(w, hour_ms, region, ev, n, error))
            return FALSE;
    }
    return TRUE;
}
