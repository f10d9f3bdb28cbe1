/*
 * test-sanitize.c - terminal-safe escaping, valid UTF-8 for JSON and key masking
 * (src/util/sanitize.c).
 */
#include "keytrail/sanitize.h"

typedef struct {
    const char *in;
    gsize len; /* 0 = strlen(in) */
    const char *out;
} Case;

static void
check_cases(const Case *cases, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        gsize len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        GString *out = g_string_new(NULL);
        kt_sanitize_append(out, cases[i].in, len);
        g_assert_cmpstr(out->str, ==, cases[i].out);
        g_string_free(out, TRUE);
    }
}

/* Nothing in a sanitized string may be a control byte or an ESC. */
static void
assert_terminal_safe(const char *s)
{
    for (const guchar *p = (const guchar *)s; *p; p++) {
        g_assert_cmpuint(*p, >=, 0x20);
        g_assert_cmpuint(*p, !=, 0x7f);
    }
    g_assert_true(g_utf8_validate(s, -1, NULL));
}

static void
test_plain(void)
{
    static const Case cases[] = {
        { "", 0, "" },
        { "GET /v1/charges?limit=10", 0, "GET /v1/charges?limit=10" },
        { "back\\slash kept", 0, "back\\slash kept" },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
    g_autofree char *s = kt_sanitize(NULL);
    g_assert_cmpstr(s, ==, "");
}

static void
test_c0_del(void)
{
    static const Case cases[] = {
        { "a\x1b[31mred", 0, "a\\x1b[31mred" },                   /* CSI */
        { "\x1b]0;pwned\x07", 0, "\\x1b]0;pwned\\x07" },           /* OSC title */
        { "\x1b]8;;http://evil\x1b\\x", 0, "\\x1b]8;;http://evil\\x1b\\x" }, /* OSC 8 */
        { "ok\rFAKE", 0, "ok\\rFAKE" },                             /* CR overwrite */
        { "abc\b\b\bxyz", 0, "abc\\x08\\x08\\x08xyz" },             /* backspace */
        { "l1\nl2\tt", 0, "l1\\nl2\\tt" },
        { "x\x7fy", 0, "x\\x7fy" },                                 /* DEL */
        { "nul\0byte", 8, "nul\\x00byte" },
        { "\x01\x1f", 0, "\\x01\\x1f" },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_c1(void)
{
    static const Case cases[] = {
        { "a\xc2\x9b" "31mb", 0, "a\\u009b31mb" }, /* U+009B CSI as UTF-8 */
        { "\xc2\x85", 0, "\\u0085" },              /* NEL */
        { "\xc2\x80\xc2\x9f", 0, "\\u0080\\u009f" },
        { "\x9b" "31m", 0, "\\x9b31m" },           /* raw 8-bit CSI: invalid UTF-8 */
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_bidi(void)
{
    static const Case cases[] = {
        { "key\xe2\x80\xaegpj.exe", 0, "key\\u202egpj.exe" }, /* RLO */
        { "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0,
          "\\u202a\\u202b\\u202c\\u202d" },
        { "\xe2\x81\xa6x\xe2\x81\xa7y\xe2\x81\xa8z\xe2\x81\xa9", 0,
          "\\u2066x\\u2067y\\u2068z\\u2069" },                     /* isolates */
        { "\xe2\x80\x8e\xe2\x80\x8f", 0, "\\u200e\\u200f" },       /* LRM RLM */
        { "\xd8\x9c", 0, "\\u061c" },                              /* ALM */
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_invisible(void)
{
    static const Case cases[] = {
        { "a\xe2\x80\x8b" "b", 0, "a\\u200bb" },           /* ZWSP */
        { "a\xe2\x80\x8c\xe2\x80\x8d" "b", 0, "a\\u200c\\u200db" },
        { "\xef\xbb\xbfhi", 0, "\\ufeffhi" },              /* BOM / ZWNBSP */
        { "a\xe2\x80\xa8" "b\xe2\x80\xa9", 0, "a\\u2028b\\u2029" },
        { "w\xe2\x81\xa0j", 0, "w\\u2060j" },              /* word joiner */
        { "soft\xc2\xadhyphen", 0, "soft\\u00adhyphen" },
        { "\xe3\x85\xa4", 0, "\\u3164" },                  /* Hangul filler */
        { "t\xf3\xa0\x81\x81", 0, "t\\U000e0041" },        /* tag LATIN A (smuggling) */
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_multibyte_kept(void)
{
    static const Case cases[] = {
        { "caf\xc3\xa9", 0, "caf\xc3\xa9" },
        { "\xe6\x9d\xb1\xe4\xba\xac", 0, "\xe6\x9d\xb1\xe4\xba\xac" }, /* CJK */
        { "\xf0\x9f\x94\x91 key", 0, "\xf0\x9f\x94\x91 key" },         /* emoji */
        { "\xd0\x9a\xd0\xb8\xd1\x97\xd0\xb2", 0, "\xd0\x9a\xd0\xb8\xd1\x97\xd0\xb2" },
        { "\xc2\xa0nbsp", 0, "\xc2\xa0nbsp" },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_invalid_utf8(void)
{
    static const Case cases[] = {
        { "\xff\xfe", 0, "\\xff\\xfe" },
        { "\xc0\xaf", 0, "\\xc0\\xaf" },                 /* overlong '/' */
        { "\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf" },        /* overlong, 3 bytes */
        { "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },        /* surrogate D800 */
        { "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80" }, /* > U+10FFFF */
        { "ab\xe2\x82", 0, "ab\\xe2\\x82" },              /* truncated at the end */
        { "\xe2\x82" "A", 0, "\\xe2\\x82A" },             /* truncated mid-string */
        { "\x80" "x", 0, "\\x80x" },                      /* lone continuation */
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

/* Every byte value, alone and after a lead byte, gives terminal-safe output. */
static void
test_all_bytes_safe(void)
{
    for (int a = 0; a < 256; a++) {
        for (int b = 0; b < 256; b += 7) {
            char buf[4] = { (char)a, (char)b, (char)0x9b, 'x' };
            GString *out = g_string_new(NULL);
            kt_sanitize_append(out, buf, sizeof(buf));
            assert_terminal_safe(out->str);
            g_string_free(out, TRUE);
        }
    }
}

/* The length is honoured: no byte past it is read or shown. */
static void
test_length_honoured(void)
{
    GString *out = g_string_new("pre:");
    kt_sanitize_append(out, "abc\xe2\x80\xae", 4); /* cut inside U+202E */
    g_assert_cmpstr(out->str, ==, "pre:abc\\xe2");
    kt_sanitize_append(out, NULL, 5);
    g_assert_cmpstr(out->str, ==, "pre:abc\\xe2");
    g_string_free(out, TRUE);
}

/* Sanitizing twice changes nothing more (escapes are printable ASCII). */
static void
test_idempotent(void)
{
    g_autofree char *once = kt_sanitize("\x1b[2J\xe2\x80\xae\xff ok");
    g_autofree char *twice = kt_sanitize(once);
    g_assert_cmpstr(once, ==, twice);
}

static void
test_utf8_valid(void)
{
    g_autofree char *a = kt_utf8_valid("caf\xc3\xa9", 5);
    g_assert_cmpstr(a, ==, "caf\xc3\xa9");
    g_autofree char *b = kt_utf8_valid("a\xff" "b\xc0\xaf", 5);
    g_assert_cmpstr(b, ==, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
    g_autofree char *c = kt_utf8_valid("\x1b[31m\t", 6);
    g_assert_cmpstr(c, ==, "\x1b[31m\t"); /* controls are left to the JSON encoder */
    g_autofree char *d = kt_utf8_valid("x\0y", 3);
    g_assert_cmpstr(d, ==, "x\xef\xbf\xbdy");
    g_autofree char *e = kt_utf8_valid("ab\xe2\x82", 4);
    g_assert_cmpstr(e, ==, "ab\xef\xbf\xbd\xef\xbf\xbd");
    g_assert_true(g_utf8_validate(e, -1, NULL));
    g_autofree char *f = kt_utf8_valid(NULL, 0);
    g_assert_cmpstr(f, ==, "");
}

static void
test_mask(void)
{
    static const struct {
        const char *key;
        const char *masked;
    } cases[] = {
        { "AKIAIOSFODNN7EXAMPLE", "AKIA...MPLE" },
        { "", "****" },
        { "abc", "****" },
        { "123456789012", "****" },        /* 12: too short to show 8 */
        { "1234567890123", "1234...0123" }, /* 13 */
        { "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_l...p7dc" },
        /* multibyte: characters, not bytes, and never a split sequence */
        { "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "abcde" "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *m = kt_mask_key(cases[i].key, FALSE);
        g_assert_cmpstr(m, ==, cases[i].masked);
        g_autofree char *r = kt_mask_key(cases[i].key, TRUE);
        g_assert_cmpstr(r, ==, cases[i].key);
    }
    g_autofree char *n = kt_mask_key(NULL, FALSE);
    g_assert_cmpstr(n, ==, "");
    /* the masked form never contains the full key */
    g_autofree char *m = kt_mask_key("AKIAIOSFODNN7EXAMPLE", FALSE);
    g_assert_null(strstr(m, "IOSFODNN7"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/sanitize/plain", test_plain);
    g_test_add_func("/sanitize/c0-del", test_c0_del);
    g_test_add_func("/sanitize/c1", test_c1);
    g_test_add_func("/sanitize/bidi", test_bidi);
    g_test_add_func("/sanitize/invisible", test_invisible);
    g_test_add_func("/sanitize/multibyte-kept", test_multibyte_kept);
    g_test_add_func("/sanitize/invalid-utf8", test_invalid_utf8);
    g_test_add_func("/sanitize/all-bytes-safe", test_all_bytes_safe);
    g_test_add_func("/sanitize/length-honoured", test_length_honoured);
    g_test_add_func("/sanitize/idempotent", test_idempotent);
    g_test_add_func("/sanitize/utf8-valid", test_utf8_valid);
    g_test_add_func("/sanitize/mask", test_mask);
    return g_test_run();
}
