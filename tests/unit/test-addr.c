/*
 * test-addr.c - table-driven tests of IP parsing, formatting, networks and CIDR blocks.
 */
#include "keytrail/addr.h"

typedef struct {
    const char *in;    /* text to parse */
    gboolean ok;       /* expected return value */
    int family;        /* expected KtAddrFamily */
    const char *canon; /* expected kt_addr_format text ("" for non-IPs) */
    gboolean lz;       /* expected leading-zero flag */
} AddrCase;

static const AddrCase addr_cases[] = {
    { "198.51.100.7", TRUE, KT_ADDR_V4, "198.51.100.7", FALSE },
    { "0.0.0.0", TRUE, KT_ADDR_V4, "0.0.0.0", FALSE },
    { "255.255.255.255", TRUE, KT_ADDR_V4, "255.255.255.255", FALSE },
    { "253.252.51.07", TRUE, KT_ADDR_V4, "253.252.51.7", TRUE }, /* anonymized CloudTrail */
    { "010.001.000.099", TRUE, KT_ADDR_V4, "10.1.0.99", TRUE },  /* decimal, not octal */
    { "10.0.0.1:443", TRUE, KT_ADDR_V4, "10.0.0.1", FALSE },
    { " 10.0.0.1 ", TRUE, KT_ADDR_V4, "10.0.0.1", FALSE },
    { "2001:db8::1", TRUE, KT_ADDR_V6, "2001:db8::1", FALSE },
    { "2001:DB8:0:0:0:0:0:1", TRUE, KT_ADDR_V6, "2001:db8::1", FALSE },
    { "2001:db8:0:1:1:1:1:1", TRUE, KT_ADDR_V6, "2001:db8:0:1:1:1:1:1", FALSE },
    { "2001:0:0:1:0:0:0:1", TRUE, KT_ADDR_V6, "2001:0:0:1::1", FALSE },
    { "::", TRUE, KT_ADDR_V6, "::", FALSE },
    { "::1", TRUE, KT_ADDR_V6, "::1", FALSE },
    { "fe80::", TRUE, KT_ADDR_V6, "fe80::", FALSE },
    { "1:2:3:4:5:6:7::", TRUE, KT_ADDR_V6, "1:2:3:4:5:6:7:0", FALSE },
    { "::2:3:4:5:6:7:8", TRUE, KT_ADDR_V6, "0:2:3:4:5:6:7:8", FALSE },
    { "fe80::1%eth0", TRUE, KT_ADDR_V6, "fe80::1", FALSE },
    { "64:ff9b::192.0.2.33", TRUE, KT_ADDR_V6, "64:ff9b::c000:221", FALSE },
    { "::ffff:192.0.2.128", TRUE, KT_ADDR_V4, "192.0.2.128", FALSE },
    { "::FFFF:c000:0280", TRUE, KT_ADDR_V4, "192.0.2.128", FALSE },
    { "[2001:db8::1]:8443", TRUE, KT_ADDR_V6, "2001:db8::1", FALSE },
    { "[2001:db8::1]", TRUE, KT_ADDR_V6, "2001:db8::1", FALSE },
    { "[::ffff:10.0.0.1]:80", TRUE, KT_ADDR_V4, "10.0.0.1", FALSE },
    { "ec2.amazonaws.com", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "AWS Internal", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "256.1.1.1", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1.2.3", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1.2.3.4.5", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1.2.3.0004", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1.2.3.4:", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1.2.3.4:65536", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1::2::3", FALSE, KT_ADDR_NAMED, "", FALSE },
    { ":::", FALSE, KT_ADDR_NAMED, "", FALSE },
    { ":1::", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1:2:3:4:5:6:7:8:9", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1:2:3:4:5:6:7", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "12345::", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "::1:2:3:4:5:6:7:8", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "1:2:3:4:5:6:7:1.2.3.4", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "[2001:db8::1", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "[2001:db8::1]x", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "fe80::1%", FALSE, KT_ADDR_NAMED, "", FALSE },
    { "", FALSE, KT_ADDR_NONE, "", FALSE },
    { "  ", FALSE, KT_ADDR_NONE, "", FALSE },
};

static void
test_parse_table(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(addr_cases); i++) {
        const AddrCase *c = &addr_cases[i];
        KtAddr a;
        gboolean lz = !c->lz;
        char buf[KT_ADDR_TEXT_MAX];
        g_test_message("case %s", c->in);
        g_assert_cmpint(kt_addr_parse(kt_sv(c->in), &a, &lz), ==, c->ok);
        g_assert_cmpint(a.family, ==, c->family);
        g_assert_cmpstr(kt_addr_format(&a, buf), ==, c->canon);
        if (c->ok) {
            g_assert_cmpint(lz, ==, c->lz);
            /* the canonical text parses to the same address (the dictionary stores the
             * address parsed from the text as given beside the canonical text) */
            KtAddr again;
            g_assert_true(kt_addr_parse(kt_sv(buf), &again, NULL));
            g_assert_cmpmem(&a, sizeof(a), &again, sizeof(again));
        }
    }
}

static void
test_parse_bounded(void)
{
    /* The view ends before the text does: nothing past len may be read. */
    const char *s = "10.0.0.12345";
    KtAddr a;
    char buf[KT_ADDR_TEXT_MAX];
    g_assert_true(kt_addr_parse(kt_sv_len(s, 8), &a, NULL));
    g_assert_cmpstr(kt_addr_format(&a, buf), ==, "10.0.0.1");
    g_assert_false(kt_addr_parse(KT_SV_NULL, &a, NULL));
    g_assert_cmpint(a.family, ==, KT_ADDR_NONE);
}

static void
test_network(void)
{
    static const struct {
        const char *in, *net;
    } cases[] = {
        { "198.51.100.77", "198.51.100.0/24" },
        { "2001:db8:1:2::5", "2001:db8:1::/48" },
        { "::ffff:203.0.113.9", "203.0.113.0/24" },
        { "ec2.amazonaws.com", "" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        KtAddr a;
        char buf[KT_ADDR_TEXT_MAX + 4];
        kt_addr_parse(kt_sv(cases[i].in), &a, NULL);
        g_assert_cmpstr(kt_addr_network(&a, buf), ==, cases[i].net);
    }
}

static void
test_mask(void)
{
    KtAddr a, m;
    char buf[KT_ADDR_TEXT_MAX];
    kt_addr_parse(kt_sv("10.255.129.1"), &a, NULL);
    kt_addr_mask(&a, 17, &m);
    g_assert_cmpstr(kt_addr_format(&m, buf), ==, "10.255.128.0");
    kt_addr_mask(&a, 0, &m);
    g_assert_cmpstr(kt_addr_format(&m, buf), ==, "0.0.0.0");
    kt_addr_mask(&a, 99, &m); /* clamped to 32 */
    g_assert_cmpstr(kt_addr_format(&m, buf), ==, "10.255.129.1");
}

static void
test_cidr(void)
{
    static const struct {
        const char *cidr, *addr;
        gboolean ok, in;
    } cases[] = {
        { "10.0.0.0/8", "10.200.3.4", TRUE, TRUE },
        { "10.0.0.0/8", "11.0.0.1", TRUE, FALSE },
        { "10.1.2.3/8", "10.9.9.9", TRUE, TRUE }, /* base is masked */
        { "192.0.2.1", "192.0.2.1", TRUE, TRUE },
        { "192.0.2.1", "192.0.2.2", TRUE, FALSE },
        { "0.0.0.0/0", "8.8.8.8", TRUE, TRUE },
        { "0.0.0.0/0", "2001:db8::1", TRUE, FALSE }, /* family differs */
        { "2001:db8::/32", "2001:db8:ffff::1", TRUE, TRUE },
        { "2001:db8::/32", "2001:db9::1", TRUE, FALSE },
        { "::ffff:10.0.0.0/104", "10.1.1.1", TRUE, TRUE },
        { "10.0.0.0/33", "10.0.0.1", FALSE, FALSE },
        { "10.0.0.0/", "10.0.0.1", FALSE, FALSE },
        { "10.0.0.0/x", "10.0.0.1", FALSE, FALSE },
        { "example.com/8", "10.0.0.1", FALSE, FALSE },
        { "2001:db8::/129", "2001:db8::1", FALSE, FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        KtCidr c;
        KtAddr a;
        g_test_message("cidr %s addr %s", cases[i].cidr, cases[i].addr);
        g_assert_cmpint(kt_cidr_parse(cases[i].cidr, &c), ==, cases[i].ok);
        if (!cases[i].ok)
            continue;
        g_assert_true(kt_addr_parse(kt_sv(cases[i].addr), &a, NULL));
        g_assert_cmpint(kt_cidr_contains(&c, &a), ==, cases[i].in);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/addr/parse/table", test_parse_table);
    g_test_add_func("/addr/parse/bounded", test_parse_bounded);
    g_test_add_func("/addr/network", test_network);
    g_test_add_func("/addr/mask", test_mask);
    g_test_add_func("/addr/cidr", test_cidr);
    return g_test_run();
}
