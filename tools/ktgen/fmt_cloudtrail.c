/*
 * fmt_cloudtrail.c - CloudTrail records as AWS writes them (IAMUser or AssumedRole
 * identity, errorCode/errorMessage on denials, global services in us-east-1), and the
 * S3 delivery layout: one {"Records":[...]} file per hour and region under
 * AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/, records in no particular order.
 */
#include <glib/gstdio.h>

#include "ktgen.h"

/* @n characters of an AWS-style unique id (AIDA..., AROA...) derived from @h. */
static void
put_aws_id(KgSink *s, guint64 h, guint n)
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    h = (h ^ (h >> 31)) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    for (guint i = 0; i < n; i++) {
        if (i == 12)
            h = (h ^ (h >> 29)) * G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
        kg_put_c(s, b32[(h >> ((i % 12) * 5)) & 31]);
    }
}

/* AssumedRole identity of temporary key @k for @e's session. */
static void
put_assumed_role(KgSink *s, const KgModel *m, const KgKey *k, const KgEvent *e, const char *acct)
{
    char idbuf[64], issuer_buf[512];
    const char *issuer = kg_key_issuer(m, k, issuer_buf);
    const char *role = strrchr(issuer, '/');
    role = role ? role + 1 : issuer;
    const char *arn = k->principal ? k->principal : "";
    const char *sess = strrchr(arn, '/');
    gboolean rotating = m->p.rotate_sessions;
    kg_put(s, "{\"type\":\"AssumedRole\",\"principalId\":\"AROA");
    put_aws_id(s, g_str_hash(issuer), 17);
    kg_put_c(s, ':');
    if (rotating) {
        kg_put(s, "gha-");
        kg_put_u64(s, e->session);
    } else {
        kg_put_json_str(s, sess ? sess + 1 : k->name);
    }
    kg_put(s, "\",\"arn\":\"");
    if (rotating) {
        kg_put(s, "arn:aws:sts::");
        kg_put(s, acct);
        kg_put(s, ":assumed-role/");
        kg_put_json_str(s, role);
        kg_put(s, "/gha-");
        kg_put_u64(s, e->session);
    } else {
        kg_put_json_str(s, arn);
    }
    kg_put(s, "\",\"accountId\":\"");
    kg_put(s, acct);
    kg_put(s, "\",\"accessKeyId\":\"");
    kg_put(s, kg_key_id_at(m, k, e->session, idbuf));
    kg_put(s, "\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROA");
    put_aws_id(s, g_str_hash(issuer), 17);
    kg_put(s, "\",\"arn\":\"");
    kg_put_json_str(s, issuer);
    kg_put(s, "\",\"accountId\":\"");
    kg_put(s, acct);
    kg_put(s, "\",\"userName\":\"");
    kg_put_json_str(s, role);
    kg_put(s, "\"},\"attributes\":{\"creationDate\":\"");
    kg_put_time(s, rotating ? (gint64)e->session * KG_HOUR_MS : m->p.start_ms, 0);
    kg_put(s, "\",\"mfaAuthenticated\":\"false\"}}}");
}

static void
put_identity(KgSink *s, const KgModel *m, const KgKey *k, const KgEvent *e)
{
    const char *acct = k->account ? k->account : m->account;
    const char *arn = k->principal ? k->principal : "";
    if (k->temporary) {
        put_assumed_role(s, m, k, e, acct);
        return;
    }
    const char *user = strrchr(arn, '/');
    kg_put(s, "{\"type\":\"IAMUser\",\"principalId\":\"AIDA");
    put_aws_id(s, g_str_hash(k->id), 17);
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
    put_identity(s, m, k, e);
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
write_region_file(KgWriter *w, gint64 hour_ms, gint64 span_ms, guint region, KgEvent *ev, gsize n,
                  GError **error)
{
    const KgModel *m = w->model;
    gint64 deliver = hour_ms + span_ms + 5 * 60000;
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
kg_cloudtrail_hour_dir(KgWriter *w, gint64 hour_ms, gint64 span_ms, KgEvent *ev, gsize n,
                       GError **error)
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
        if ((present & (1u << region)) && !write_region_file(w, hour_ms, span_ms, region, ev, n, error))
            return FALSE;
    }
    return TRUE;
}
