/*
 * test-syslog.c - RFC 5424 syslog: the conjur-audit preset (samples shaped like the
 * cyberark/conjur cucumber audit features), generic mapping with --field, SD escaping,
 * NILVALUE, octet counting, rejects and block splitting.
 */
#include "keytrail/format.h"
#include "field-overrides.h"

typedef struct {
    char *key, *principal, *time, *source, *op, *status;
    gboolean outcome_set;
    int outcome;
    guint64 line;
    int reject; /* -1 for an event */
} Got;

static char *
dup_sv(KtStrView v)
{
    return v.ptr != NULL ? g_strndup(v.ptr, v.len) : NULL;
}

static void
got_free(gpointer p)
{
    Got *g = p;
    g_free(g->key);
    g_free(g->principal);
    g_free(g->time);
    g_free(g->source);
    g_free(g->op);
    g_free(g->status);
    g_free(g);
}

static void
on_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    Got *g = g_new0(Got, 1);
    g->key = dup_sv(ev->key);
    g->principal = dup_sv(ev->principal);
    g->time = dup_sv(ev->time_text);
    g->source = dup_sv(ev->source);
    g->op = dup_sv(ev->op);
    g->status = dup_sv(ev->status);
    g->outcome_set = ev->outcome_set;
    g->outcome = ev->outcome;
    g->line = line;
    g->reject = -1;
    g_ptr_array_add(ud, g);
}

static void
on_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    Got *g = g_new0(Got, 1);
    g->line = line;
    g->reject = (int)reason;
    g_ptr_array_add(ud, g);
}

static void
on_skip(gpointer ud, guint64 line)
{
}

static GPtrArray *
run_syslog(const char *preset, const char *const *fields, const char *text, gsize len,
           gsize block, const char **preset_used, GError **error)
{
    GPtrArray *got = g_ptr_array_new_with_free_func(got_free);
    KtSink sink = { on_event, on_reject, on_skip, got };
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.preset = preset;
    g_autoptr(GPtrArray) ov = field_overrides(fields);
    opts.fields = ov;
    gpointer p = kt_format_syslog.new(&opts, &sink, error);
    if (p == NULL) {
        g_ptr_array_unref(got);
        return NULL;
    }
    if (block == 0)
        block = MAX(len, (gsize)1);
    for (gsize off = 0; off < len; off += block)
        kt_format_syslog.feed(p, text + off, MIN(block, len - off));
    kt_format_syslog.finish(p);
    if (preset_used != NULL)
        *preset_used = kt_format_syslog.preset_name(p);
    kt_format_syslog.free(p);
    return got;
}

typedef struct {
    const char *name;
    const char *preset;
    const char *fields[5];
    const char *line;
    int reject; /* -1 = event */
    const char *key, *principal, *time, *source, *op, *status;
    int outcome; /* -1 = not set by the parser */
} SlCase;

#define EV -1
#define REJ(name, line, reason)                                                            \
    { name, NULL, { NULL }, line, reason, NULL, NULL, NULL, NULL, NULL, NULL, -1 }
#define AUTHN_OK                                                                           \
    "<86>1 2024-07-31T12:36:52.123Z conjur-1 conjur 4d1f-99 authn "                        \
    "[subject@43868 role=\"cucumber:user:alice\"][auth@43868 user=\"cucumber:user:alice\" "  \
    "authenticator=\"authn\" service=\"cucumber:webservice:conjur/authn\"][client@43868 "   \
    "ip=\"172.24.0.5\"][action@43868 result=\"success\" operation=\"authenticate\"] "       \
    "cucumber:user:alice successfully authenticated with authenticator authn"

static const SlCase sl_cases[] = {
    { "conjur-authn-success", NULL, { NULL }, AUTHN_OK "\n", EV, "cucumber:user:alice",
      "cucumber:user:alice", "2024-07-31T12:36:52.123Z", "172.24.0.5", "authenticate", "success",
      KT_OUTCOME_OK },
    { "conjur-authn-failure-role-only", "conjur-audit", { NULL },
      "<84>1 2024-07-31T12:37:00.001Z conjur-1 conjur 77 authn [subject@43868 "
      "role=\"cucumber:host:app\"][auth@43868 authenticator=\"authn\" "
      "service=\"cucumber:webservice:conjur/authn\"][client@43868 ip=\"10.0.0.9\"]"
      "[action@43868 result=\"failure\" operation=\"authenticate\"] cucumber:host:app failed "
      "to authenticate with authenticator authn\n",
      EV, "cucumber:host:app", "cucumber:host:app", "2024-07-31T12:37:00.001Z", "10.0.0.9",
      "authenticate", "failure", KT_OUTCOME_DENIED },
    { "conjur-fetch-op-fallback", NULL, { NULL },
      "<86>1 2024-07-31T12:38:00Z conjur-1 conjur 5 fetch [auth@43868 "
      "user=\"cucumber:user:bob\"][subject@43868 resource=\"cucumber:variable:secret1\"]"
      "[client@43868 ip=\"::ffff:10.1.2.3\"][action@43868 result=\"success\"] "
      "cucumber:user:bob fetched cucumber:variable:secret1\n",
      EV, "cucumber:user:bob", "cucumber:user:bob", "2024-07-31T12:38:00Z", "::ffff:10.1.2.3",
      "fetch", "success", KT_OUTCOME_OK },
    { "conjur-doc-example-nil-time", NULL, { NULL },
      "<46>1 - - conjur - authn [subject@43868 role=\"example:user:alice\"][auth@43868 "
      "authenticator=\"authn-ldap\" service=\"example:webservice:bacon\"][action@43868 "
      "operation=\"authenticate\" result=\"success\"] example:user:alice successfully "
      "authenticated with authenticator authn-ldap service example:webservice:bacon\n",
      EV, "example:user:alice", "example:user:alice", NULL, NULL, "authenticate", "success",
      KT_OUTCOME_OK },
    { "sd-escapes", "conjur-audit", { NULL },
      "<86>1 2024-07-31T12:38:00Z h conjur - check [auth@43868 "
      "user=\"we\\\"ird\\\\name\\]x\"] msg\n",
      EV, "we\"ird\\name]x", "we\"ird\\name]x", "2024-07-31T12:38:00Z", NULL, "check", NULL, -1 },
    { "octet-count-and-bom", NULL, { NULL },
      "187 <86>1 2024-07-31T12:38:00Z h conjur - authn [auth@43868 user=\"u1\"] "
      "\xEF\xBB\xBFhello\n",
      EV, "u1", "u1", "2024-07-31T12:38:00Z", NULL, "authn", NULL, -1 },
    { "rfc5424-example-generic", "generic", { "key", "exampleSDID@32473.eventSource", NULL },
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
      "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
      "[examplePriority@32473 class=\"high\"] An application event log entry...\n",
      EV, "Application", NULL, "2003-10-11T22:14:15.003Z", NULL, "ID47", NULL, -1 },
    { "overrides", NULL,
      { "key", "host", "status", "msg", NULL },
      "<86>1 2024-07-31T12:38:00Z svc-7 app 12 OP - denied\n",
      EV, "svc-7", NULL, "2024-07-31T12:38:00Z", NULL, "OP", "denied", -1 },
    { "sd-nil-no-msg", "generic", { "key", "procid", NULL },
      "<86>1 2024-07-31T12:38:00Z h app p9 m -\n",
      EV, "p9", NULL, "2024-07-31T12:38:00Z", NULL, "m", NULL, -1 },
    /* rejects */
    REJ("bsd-syslog", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n", KT_REJECT_MALFORMED),
    REJ("bad-pri", "<999>1 2024-07-31T12:38:00Z h a p m -\n", KT_REJECT_MALFORMED),
    REJ("version-zero", "<86>0 2024-07-31T12:38:00Z h a p m -\n", KT_REJECT_MALFORMED),
    REJ("short-header", "<86>1 2024-07-31T12:38:00Z host\n", KT_REJECT_MALFORMED),
    REJ("sd-garbage", "<86>1 2024-07-31T12:38:00Z h a p m x y\n", KT_REJECT_MALFORMED),
    REJ("sd-unquoted", "<86>1 2024-07-31T12:38:00Z h a p m [id k=v]\n", KT_REJECT_MALFORMED),
    REJ("sd-unclosed", "<86>1 2024-07-31T12:38:00Z h a p m [auth@43868 user=\"x\"\n",
        KT_REJECT_MALFORMED),
    REJ("sd-unclosed-eof", "<86>1 2024-07-31T12:38:00Z h a p m [auth@43868 user=\"x",
        KT_REJECT_TRUNCATED),
    REJ("sd-no-space-before-msg", "<86>1 2024-07-31T12:38:00Z h a p m [a b=\"c\"]msg\n",
        KT_REJECT_MALFORMED),
    REJ("empty-sd-id", "<86>1 2024-07-31T12:38:00Z h a p m [ b=\"c\"]\n", KT_REJECT_MALFORMED),
    REJ("json", "{\"a\":1}\n", KT_REJECT_MALFORMED),
};

static void
check_case(const SlCase *c, gsize block)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) got =
        run_syslog(c->preset, c->fields, c->line, strlen(c->line), block, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(got->len, ==, 1);
    const Got *g = got->pdata[0];
    g_assert_cmpint(g->reject, ==, c->reject);
    g_assert_cmpuint(g->line, ==, 1);
    if (c->reject != EV)
        return;
    g_assert_cmpstr(g->key, ==, c->key);
    g_assert_cmpstr(g->principal, ==, c->principal);
    g_assert_cmpstr(g->time, ==, c->time);
    g_assert_cmpstr(g->source, ==, c->source);
    g_assert_cmpstr(g->op, ==, c->op);
    g_assert_cmpstr(g->status, ==, c->status);
    g_assert_cmpint(g->outcome_set ? g->outcome : -1, ==, c->outcome);
}

static void
test_table(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sl_cases); i++) {
        g_test_message("case %s", sl_cases[i].name);
        check_case(&sl_cases[i], 0);
    }
}

static void
test_table_blocks(void)
{
    static const gsize blocks[] = { 1, 2, 5, 13, 100 };
    for (gsize b = 0; b < G_N_ELEMENTS(blocks); b++) {
        for (gsize i = 0; i < G_N_ELEMENTS(sl_cases); i++) {
            g_test_message("case %s block %" G_GSIZE_FORMAT, sl_cases[i].name, blocks[b]);
            check_case(&sl_cases[i], blocks[b]);
        }
    }
}

static void
test_auto_preset(void)
{
    const char *used = NULL;
    g_autoptr(GPtrArray) c = run_syslog(NULL, NULL, AUTHN_OK "\n", strlen(AUTHN_OK) + 1, 0,
                                        &used, NULL);
    g_assert_cmpstr(used, ==, "conjur-audit");
    g_assert_cmpuint(c->len, ==, 1);
    static const char other[] = "<165>1 2003-10-11T22:14:15.003Z h app - ID47 [x@1 user=\"u\"] m\n";
    g_autoptr(GPtrArray) g = run_syslog(NULL, NULL, other, sizeof(other) - 1, 0, &used, NULL);
    g_assert_cmpstr(used, ==, "generic");
    g_assert_cmpuint(g->len, ==, 1);
    const Got *e = g->pdata[0];
    g_assert_cmpint(e->reject, ==, EV);
    g_assert_null(e->key); /* generic has no key without --field */
    g_assert_cmpstr(e->op, ==, "ID47");
    /* an override survives the automatic choice */
    const char *const fields[] = { "key", "x@1.user", NULL };
    g_autoptr(GPtrArray) o = run_syslog(NULL, fields, other, sizeof(other) - 1, 0, &used, NULL);
    g_assert_cmpstr(((const Got *)o->pdata[0])->key, ==, "u");
}

static void
test_bad_options(void)
{
    static const struct {
        const char *preset;
        const char *fields[3];
    } bad[] = {
        { "nope", { NULL } },
        { NULL, { "key", "nodot", NULL } },
        { NULL, { "key", ".param", NULL } },
        { NULL, { "key", "sdid.", NULL } },
        { NULL, { "colour", "msg", NULL } },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        GPtrArray *got = run_syslog(bad[i].preset, bad[i].fields, "", 0, 0, NULL, &error);
        g_assert_null(got);
        g_assert_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC);
    }
}

static void
test_sniff(void)
{
    static const struct {
        const char *text;
        gboolean hit;
    } cases[] = {
        { AUTHN_OK, TRUE },
        { "187 <86>1 2024-07-31T12:38:00Z h a p m -", TRUE },
        { "<34>Oct 11 22:14:15 mymachine su: x", FALSE },
        { "10.0.0.1 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1", FALSE },
        { "<86>", FALSE },
        { "", FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        int s = kt_format_syslog.sniff(cases[i].text, strlen(cases[i].text));
        g_assert_cmpint(s > 50, ==, cases[i].hit);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/syslog/table", test_table);
    g_test_add_func("/syslog/table/blocks", test_table_blocks);
    g_test_add_func("/syslog/auto-preset", test_auto_preset);
    g_test_add_func("/syslog/bad-options", test_bad_options);
    g_test_add_func("/syslog/sniff", test_sniff);
    return g_test_run();
}
