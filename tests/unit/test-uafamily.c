/*
 * test-uafamily.c - user-agent families (product/major) and attack-tool detection.
 */
#include "../../src/engine/classify.h"

typedef struct {
    const char *ua;
    const char *family;
} FamCase;

static const FamCase fam_cases[] = {
    { "aws-cli/2.13.5 Python/3.11.4 Linux/5.15.0 exe/x86_64.ubuntu.22", "aws-cli/2" },
    { "aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0 source/arm64", "aws-cli/2" },
    { "aws-cli/1.29.2 Python/3.8.10 Linux/5.4.0-1103-aws botocore/1.31.2", "aws-cli/1" },
    { "Boto3/1.28.1 md/Botocore#1.31.1 ua/2.0 os/linux#5.10 lang/python#3.11.4", "Boto3/1" },
    { "[Boto3/1.34.2 md/Botocore#1.34.2]", "Boto3/1" },
    { "aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21.1 md/GOOS#linux", "aws-sdk-go-v2/1" },
    { "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io)", "HashiCorp/1" },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36", "Chrome/120" },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61", "Edg/120" },
    { "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox/121" },
    { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.1 Safari/605.1.15", "Safari/17" },
    { "Mozilla/5.0 (compatible; Googlebot/2.1)", "Mozilla/5" },
    { "python-requests/2.31.0", "python-requests/2" },
    { "curl/8.4.0", "curl/8" },
    { "TruffleHog", "TruffleHog" },
    { "console.amazonaws.com", "console.amazonaws.com" },
    { "AWS Internal", "AWS" },
    { "", "" },
    { "   ", "" },
    { "x/", "x" },
};

static void
test_family(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(fam_cases); i++) {
        char buf[KT_UA_FAMILY_MAX];
        g_assert_cmpstr(kt_ua_family(fam_cases[i].ua, buf), ==, fam_cases[i].family);
    }
    char buf[KT_UA_FAMILY_MAX];
    g_assert_cmpstr(kt_ua_family(NULL, buf), ==, "");
}

static void
test_family_long(void)
{
    /* A hostile agent: very long product and version stay within the buffer. */
    GString *s = g_string_new(NULL);
    for (int i = 0; i < 500; i++)
        g_string_append_c(s, 'a');
    g_string_append(s, "/123456789012345678901234567890");
    char buf[KT_UA_FAMILY_MAX];
    kt_ua_family(s->str, buf);
    g_assert_cmpuint(strlen(buf), <, KT_UA_FAMILY_MAX);
    g_assert_true(g_str_has_suffix(buf, "/12345678"));
    g_string_free(s, TRUE);
}

static void
test_attack_tools(void)
{
    const char *tool = NULL;
    g_assert_true(kt_ua_is_attack_tool("TruffleHog", &tool));
    g_assert_cmpstr(tool, ==, "trufflehog");
    g_assert_true(kt_ua_is_attack_tool(
        "aws-cli/1.16.3 Python/3.6.5 Linux/4.19.0-kali1-amd64 botocore/1.11.3", &tool));
    g_assert_cmpstr(tool, ==, "kali");
    g_assert_true(kt_ua_is_attack_tool("Boto3/1.7.48 Python/3.9 Linux/5.16.0-12parrot1-amd64",
                                       NULL));
    g_assert_true(kt_ua_is_attack_tool("sqlmap/1.7.2#stable (https://sqlmap.org)", NULL));
    g_assert_true(kt_ua_is_attack_tool("Mozilla/5.0 (compatible; Nuclei - Open-source project)",
                                       NULL));
    g_assert_true(kt_ua_is_attack_tool("Mozilla/5.0 zgrab/0.x", NULL));
    /* not attack tools */
    g_assert_false(kt_ua_is_attack_tool("python-requests/2.31.0", NULL));
    g_assert_false(kt_ua_is_attack_tool("aws-cli/2.13.5 Python/3.11.4 Linux/5.15.0", NULL));
    g_assert_false(kt_ua_is_attack_tool("Mozilla/5.0 (Kalimba Browser)", NULL));
    g_assert_false(kt_ua_is_attack_tool("capacute/1.0", NULL));
    g_assert_false(kt_ua_is_attack_tool("", NULL));
    g_assert_false(kt_ua_is_attack_tool(NULL, NULL));
}

static void
test_contains_ci(void)
{
    g_assert_true(kt_str_contains_ci("Hello World", "world"));
    g_assert_false(kt_str_contains_ci("Hello", "worlds"));
    g_assert_false(kt_str_contains_ci("Hello", ""));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/uafamily/family", test_family);
    g_test_add_func("/uafamily/family-long", test_family_long);
    g_test_add_func("/uafamily/attack-tools", test_attack_tools);
    g_test_add_func("/uafamily/contains-ci", test_contains_ci);
    return g_test_run();
}
