/* test-accept.c - kt_engine_accept: an accepted IP, network or user agent is learned. */
#include "keytrail/engine.h"

typedef struct {
    KtDict *dict;
    KtTimeParser *tp;
    KtEngine *e;
} Fixture;

static void
feed(Fixture *f, gint64 t, const char *ip, const char *ua)
{
    KtRecord r = { 0 };
    r.time_ms = t;
    r.key = kt_dict_intern(f->dict, KT_SPACE_KEY, kt_sv("AKIAACCEPTTEST0001"));
    r.source = kt_dict_intern_source(f->dict, kt_sv(ip), NULL);
    r.op = kt_dict_intern(f->dict, KT_SPACE_OP, kt_sv("s3:GetObject"));
    r.ua = kt_dict_intern(f->dict, KT_SPACE_UA, kt_sv(ua));
    r.bytes = -1;
    kt_engine_feed(f->e, &r);
}

/* Ten days of learning from one server, then what @accept says, then one call from
 * 203.0.113.9 with curl; returns the number of anomalies of @kind. */
static guint
run(const char *accept_cidr, const char *accept_ua, KtDetectorKind kind)
{
    Fixture f;
    f.dict = kt_dict_new();
    f.tp = kt_time_parser_new("UTC", NULL);
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    cfg.leak_time_ms = (gint64)1709251200000 + 10 * 86400000LL;
    f.e = kt_engine_new(&cfg, f.dict, f.tp);
    gint64 t0 = 1709251200000; /* 2024-03-01 */
    for (int h = 0; h < 240; h++)
        feed(&f, t0 + h * 3600000LL, "198.51.100.7", "aws-cli/2.13.5 Python/3.11");
    KtCidr c = { 0 };
    if (accept_cidr != NULL) {
        g_assert_true(kt_cidr_parse(accept_cidr, &c));
        kt_engine_accept(f.e, "AKIAACCEPTTEST0001", &c, NULL);
    }
    if (accept_ua != NULL)
        kt_engine_accept(f.e, "AKIAACCEPTTEST0001", NULL, accept_ua);
    kt_engine_accept(f.e, "AKIA-UNKNOWN-KEY", &c, "x"); /* unknown keys are ignored */
    feed(&f, cfg.leak_time_ms + 3600000, "203.0.113.9", "curl/8.5.0");
    const KtResults *res = kt_engine_results(f.e);
    guint n = 0;
    for (guint i = 0; i < res->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(res->anomalies, i);
        n += a->kind == kind;
    }
    kt_engine_free(f.e);
    kt_time_parser_free(f.tp);
    kt_dict_free(f.dict);
    return n;
}

static void
test_accept_ip(void)
{
    g_assert_cmpuint(run(NULL, NULL, KT_DET_NEW_NETWORK) + run(NULL, NULL, KT_DET_NEW_IP), >, 0);
    g_assert_cmpuint(run("203.0.113.9", NULL, KT_DET_NEW_IP), ==, 0);
    g_assert_cmpuint(run("203.0.113.9", NULL, KT_DET_NEW_NETWORK), ==, 0);
}

static void
test_accept_network(void)
{
    g_assert_cmpuint(run("203.0.113.0/24", NULL, KT_DET_NEW_NETWORK), ==, 0);
}

static void
test_accept_ua(void)
{
    g_assert_cmpuint(run(NULL, NULL, KT_DET_NEW_USER_AGENT), >, 0);
    g_assert_cmpuint(run(NULL, "curl/8.0.1", KT_DET_NEW_USER_AGENT), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/accept/ip", test_accept_ip);
    g_test_add_func("/accept/network", test_accept_network);
    g_test_add_func("/accept/user-agent", test_accept_ua);
    return g_test_run();
}
