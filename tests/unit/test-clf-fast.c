/*
 * test-clf-fast.c - the one-pass matcher for the preset layouts (kt_clf_fast_run) against
 * the general program runner (kt_clf_run): on well-formed, mutated and random lines,
 * every line the fast matcher accepts must be accepted by the general runner with the
 * same views, and the usual lines must take the fast path at all.
 */
#include <gio/gio.h>

#include "../../src/input/clf-program.h"

typedef struct {
    const char *name;
    const char *format;
    const char *optional_after; /* nullable: optional_from after this prefix's steps */
    gboolean vhost, tail, tail_optional;
} FastCase;

static const FastCase fast_cases[] = {
    { "combined", "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"",
      "%h %l %u %t \"%r\" %>s %b", FALSE, TRUE, TRUE },
    { "combined-strict", "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"", NULL,
      FALSE, TRUE, FALSE },
    { "common", "%h %l %u %t \"%r\" %>s %b", NULL, FALSE, FALSE, FALSE },
    { "vhost_combined",
      "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-agent}i\"",
      "%v:%p %h %l %u %t \"%r\" %>s %O", TRUE, TRUE, TRUE },
};

/* Lines the mutations start from (any layout: each is tried with every program). */
static const char *const seeds[] = {
    "52.58.236.122 - - [01/Mar/2024:01:00:36 +0100] \"GET /v1/subscriptions?api_key=sk_live_eH"
    "mncboCi7HQnKsc1vxqcbTR HTTP/1.1\" 200 4490 \"-\" \"Stripe/v1 RubyBindings/10.5.0\"",
    "127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif "
    "HTTP/1.0\" 200 2326",
    "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"a "
    "\\\"quoted\\\" agent\\\\\"",
    "www.example.com:443 203.0.113.9 - sk_live_7 [10/Oct/2000:13:55:36 -0700] \"GET "
    "/v1/charges/ch_3Nx9 HTTP/1.1\" 200 2326 \"http://ex.com/\" \"Mozilla/5.0 (X11)\"",
    "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"-\" 408 0",
    "10.0.0.1 - - [17/May/2015:10:05:03 +0000] \"POST /users/123/keys HTTP/1.1\" 403 - \"-\" "
    "\"-\" extra fields",
};

/* Bytes that decide where fields and literals end, and a few that do not. */
static const char alphabet[] = "  \"\"\\[]:-a0\t?";

static void
compile_case(const FastCase *fc, KtClfProgram *pg, KtClfFast *fast)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(kt_clf_compile(pg, fc->format, &error));
    g_assert_no_error(error);
    if (fc->optional_after != NULL) {
        KtClfProgram prefix;
        g_assert_true(kt_clf_compile(&prefix, fc->optional_after, NULL));
        pg->optional_from = prefix.n_steps;
    }
    kt_clf_fast_plan(fast, pg);
}

/* Runs both matchers over @line; returns TRUE when the fast one accepted it. */
static gboolean
check_line(const KtClfProgram *pg, const KtClfFast *fast, const char *line, gsize len)
{
    KtStrView a[KT_CLF_N_OUT], b[KT_CLF_N_OUT];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    /* a copy of exactly @len bytes, so that ASan sees any read past the line */
    g_autofree char *copy = g_memdup2(line, MAX(len, (gsize)1));
    if (!kt_clf_fast_run(fast, copy, copy + len, a))
        return FALSE;
    KtClfMatch m = kt_clf_run(pg, copy, copy + len, b);
    if (m != MATCH_OK || memcmp(a, b, sizeof(a)) != 0)
        g_error("fast and general matchers differ (%d) on '%.*s'", m, (int)len, line);
    return TRUE;
}

static void
mutate(GRand *r, GString *s)
{
    guint n = (guint)g_rand_int_range(r, 1, 4);
    for (guint k = 0; k < n; k++) {
        gsize at = s->len > 0 ? (gsize)g_rand_int_range(r, 0, (gint32)s->len) : 0;
        char c = alphabet[g_rand_int_range(r, 0, (gint32)sizeof(alphabet) - 1)];
        switch (g_rand_int_range(r, 0, 4)) {
        case 0:
            if (s->len > 0)
                s->str[at] = c;
            break;
        case 1:
            g_string_insert_c(s, (gssize)at, c);
            break;
        case 2:
            if (s->len > 0)
                g_string_erase(s, (gssize)at, 1);
            break;
        default:
            g_string_truncate(s, at);
            break;
        }
    }
}

/* Appends 0-5 random bytes of the alphabet and letters. */
static void
random_word(GRand *r, GString *s)
{
    guint n = (guint)g_rand_int_range(r, 0, 6);
    for (guint j = 0; j < n; j++) {
        if (g_rand_boolean(r))
            g_string_append_c(s, alphabet[g_rand_int_range(r, 0, sizeof(alphabet) - 1)]);
        else
            g_string_append_c(s, (char)g_rand_int_range(r, 'a', 'z' + 1));
    }
}

/* A line in the rough layout of the presets (so that many take the fast path) with
 * random bytes in every field and separator. */
static void
random_line(GRand *r, GString *s)
{
    static const char *const layout[] = { ":", " ", " ", " ", " [", "] \"", "\" ", " ",
                                          " \"", "\" \"", "\"", "" };
    g_string_truncate(s, 0);
    for (gsize k = g_rand_boolean(r) ? 0 : 2; k < G_N_ELEMENTS(layout); k++) {
        random_word(r, s);
        if (g_rand_int_range(r, 0, 12) == 0)
            random_word(r, s); /* a separator lost or doubled */
        else
            g_string_append(s, layout[k]);
    }
}

static void
test_shapes(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(fast_cases); i++) {
        const FastCase *fc = &fast_cases[i];
        KtClfProgram pg;
        KtClfFast fast;
        compile_case(fc, &pg, &fast);
        g_assert_true(fast.on);
        g_assert_cmpint(fast.vhost, ==, fc->vhost);
        g_assert_cmpint(fast.tail, ==, fc->tail);
        g_assert_cmpint(fast.tail_optional, ==, fc->tail_optional);
    }
    /* formats of another shape keep the general runner only */
    static const char *const others[] = {
        "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\"",
        "%h %l %u %t \"%r\" %s %b %D",
        "%h  %l %u %t \"%r\" %>s %b",
        "%h %l %u %t %r",
        "%x %h %m %U %s %b %u",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
        KtClfProgram pg;
        KtClfFast fast;
        g_assert_true(kt_clf_compile(&pg, others[i], NULL));
        kt_clf_fast_plan(&fast, &pg);
        g_assert_false(fast.on);
    }
}

/* A line without the optional tail leaves the header values NULL, whatever they held
 * (the parser relies on it instead of resetting them before the fast matcher). */
static void
test_tail_reset(void)
{
    KtClfProgram pg;
    KtClfFast fast;
    compile_case(&fast_cases[0], &pg, &fast);
    KtStrView out[KT_CLF_N_OUT];
    memset(out, 0, sizeof(out));
    out[fast.tail_slot[0]] = kt_sv("stale");
    out[fast.tail_slot[1]] = kt_sv("stale");
    g_assert_true(kt_clf_fast_run(&fast, seeds[1], seeds[1] + strlen(seeds[1]), out));
    g_assert_null(out[fast.tail_slot[0]].ptr);
    g_assert_null(out[fast.tail_slot[1]].ptr);
    g_assert_cmpuint(out[F_BYTES].len, ==, 4);
}

static void
test_differential(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(20261205);
    g_autoptr(GString) s = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(fast_cases); i++) {
        KtClfProgram pg;
        KtClfFast fast;
        compile_case(&fast_cases[i], &pg, &fast);
        guint fast_hits = 0;
        for (gsize k = 0; k < G_N_ELEMENTS(seeds); k++)
            fast_hits += check_line(&pg, &fast, seeds[k], strlen(seeds[k]));
        g_assert_cmpuint(fast_hits, >=, 1); /* the seeds of its layout */
        for (guint round = 0; round < 60000; round++) {
            g_string_assign(s, seeds[g_rand_int_range(r, 0, G_N_ELEMENTS(seeds))]);
            mutate(r, s);
            fast_hits += check_line(&pg, &fast, s->str, s->len);
        }
        for (guint round = 0; round < 60000; round++) {
            random_line(r, s);
            fast_hits += check_line(&pg, &fast, s->str, s->len);
        }
        g_assert_cmpuint(fast_hits, >, 5000);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/clf-fast/shapes", test_shapes);
    g_test_add_func("/clf-fast/differential", test_differential);
    g_test_add_func("/clf-fast/tail-reset", test_tail_reset);
    return g_test_run();
}
