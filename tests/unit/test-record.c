/* test-record.c - record stage: interning, outcome classes, line splitting. */
#include "keytrail/dict.h"
#include "keytrail/format.h"

static void
test_dict_intern(void)
{
    g_autoptr(KtDict) d = kt_dict_new();
    guint32 a = kt_dict_intern(d, KT_SPACE_KEY, kt_sv("AKIAEXAMPLE"));
    guint32 b = kt_dict_intern(d, KT_SPACE_KEY, kt_sv_len("AKIAEXAMPLEXX", 11));
    g_assert_cmpuint(a, ==, 1);
    g_assert_cmpuint(a, ==, b);
    g_assert_cmpuint(kt_dict_intern(d, KT_SPACE_KEY, kt_sv("")), ==, 0);
    g_assert_cmpuint(kt_dict_intern(d, KT_SPACE_OP, kt_sv("AKIAEXAMPLE")), ==, 1);
    g_assert_cmpstr(kt_dict_str(d, KT_SPACE_KEY, a), ==, "AKIAEXAMPLE");
    g_assert_cmpstr(kt_dict_str(d, KT_SPACE_KEY, 99), ==, "");
    g_assert_cmpuint(kt_dict_lookup(d, KT_SPACE_KEY, kt_sv("nope")), ==, 0);
    g_assert_cmpuint(kt_dict_size(d, KT_SPACE_KEY), ==, 2);
}

static void
test_dict_sources(void)
{
    g_autoptr(KtDict) d = kt_dict_new();
    gboolean lz = FALSE;
    guint32 a = kt_dict_intern_source(d, kt_sv("10.0.0.1"), &lz);
    g_assert_false(lz);
    guint32 b = kt_dict_intern_source(d, kt_sv("010.000.000.001"), &lz);
    g_assert_true(lz);
    guint32 c = kt_dict_intern_source(d, kt_sv("::ffff:10.0.0.1"), &lz);
    guint32 e = kt_dict_intern_source(d, kt_sv("10.0.0.1:443"), &lz);
    g_assert_cmpuint(a, ==, b);
    g_assert_cmpuint(a, ==, c);
    g_assert_cmpuint(a, ==, e);
    g_assert_cmpint(kt_dict_addr(d, a)->family, ==, KT_ADDR_V4);
    guint32 n = kt_dict_intern_source(d, kt_sv("ec2.amazonaws.com"), &lz);
    g_assert_cmpuint(n, !=, a);
    g_assert_cmpint(kt_dict_addr(d, n)->family, ==, KT_ADDR_NAMED);
    g_assert_cmpstr(kt_dict_str(d, KT_SPACE_SOURCE, n), ==, "ec2.amazonaws.com");
}

/* A text for the recent-cache tests: most share their length and their first, middle
 * and last bytes with others, so cache entries collide and pairs get evicted. */
static char *
near_text(GRand *r)
{
    int len = g_rand_int_range(r, 1, 41);
    char *t = g_malloc((gsize)len + 1);
    memset(t, 'x', (gsize)len);
    t[len] = '\0';
    t[g_rand_int_range(r, 0, len)] = (char)('a' + g_rand_int_range(r, 0, 4));
    if (g_rand_int_range(r, 0, 4) == 0)
        t[g_rand_int_range(r, 0, len)] = (char)('A' + g_rand_int_range(r, 0, 26));
    return t;
}

/* Interning through the recent cache gives the ids, hashes and strings of the table:
 * ids in order of first appearance per space, whatever collides in the cache. */
static void
test_dict_recent_model(void)
{
    g_autoptr(KtDict) d = kt_dict_new();
    g_autoptr(GRand) r = g_rand_new_with_seed(6);
    GHashTable *model[KT_SPACE_COUNT];
    for (int sp = 0; sp < KT_SPACE_COUNT; sp++)
        model[sp] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    KtDictLimits lim = { G_MAXUINT32, G_MAXUINT32 };
    for (int i = 0; i < 60000; i++) {
        char *t[KT_SPACE_COUNT];
        for (int sp = 0; sp < KT_SPACE_COUNT; sp++)
            t[sp] = near_text(r);
        t[KT_SPACE_SOURCE][0] = 'h'; /* not an address: stored as given */
        KtEventView ev;
        kt_event_view_clear(&ev);
        ev.key = kt_sv(t[KT_SPACE_KEY]);
        ev.principal = kt_sv(t[KT_SPACE_PRINCIPAL]);
        ev.source = kt_sv(t[KT_SPACE_SOURCE]);
        ev.op = kt_sv(t[KT_SPACE_OP]);
        ev.ua = kt_sv(t[KT_SPACE_UA]);
        KtRecord rec = { 0 };
        guint64 h[KT_SPACE_COUNT];
        gboolean lz = TRUE;
        g_assert_true(kt_dict_intern_event(d, &ev, &lim, &rec, h, &lz));
        g_assert_false(lz);
        g_assert_cmpuint(kt_dict_intern(d, KT_SPACE_OP, ev.op), ==, rec.op);
        guint32 got[KT_SPACE_COUNT] = { rec.key, rec.principal, rec.source, rec.op, rec.ua };
        for (int sp = 0; sp < KT_SPACE_COUNT; sp++) {
            guint32 want = GPOINTER_TO_UINT(g_hash_table_lookup(model[sp], t[sp]));
            if (want == 0) {
                want = g_hash_table_size(model[sp]) + 1;
                g_hash_table_insert(model[sp], t[sp], GUINT_TO_POINTER(want));
            } else {
                g_free(t[sp]);
            }
            g_assert_cmpuint(got[sp], ==, want);
            g_assert_cmpuint(h[sp], ==, kt_dict_hash(d, sp, want));
            g_assert_cmpuint(kt_dict_lookup(d, sp, kt_sv(kt_dict_str(d, sp, want))), ==, want);
        }
    }
    for (int sp = 0; sp < KT_SPACE_COUNT; sp++) {
        g_assert_cmpuint(kt_dict_size(d, sp), ==, g_hash_table_size(model[sp]) + 1);
        g_hash_table_destroy(model[sp]);
    }
}

/* Past the limits: a new key is refused with nothing else interned, other new values
 * become "(other)", known values keep their ids, a source is looked up as given. */
static void
test_dict_event_limits(void)
{
    g_autoptr(KtDict) d = kt_dict_new();
    KtDictLimits lim = { 2, 2 }; /* a space with more than 2 ids (0 and one more) is full */
    static const struct {
        const char *key, *source, *ua;
        gboolean ok;
        const char *want_source, *want_ua;
    } steps[] = {
        { "k1", "10.0.0.1", "ua1", TRUE, "10.0.0.1", "ua1" },
        { "k2", "10.0.0.2", "ua2", TRUE, "10.0.0.2", "ua2" },
        { "k3", "10.0.0.3", "ua3", FALSE, NULL, NULL },
        { "k1", "10.0.0.3", "ua3", TRUE, "(other)", "(other)" },
        { "k2", "010.0.0.1", "ua1", TRUE, "(other)", "ua1" },
        { "k2", "10.0.0.1", "", TRUE, "10.0.0.1", "" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        KtEventView ev;
        kt_event_view_clear(&ev);
        ev.key = kt_sv(steps[i].key);
        ev.source = kt_sv(steps[i].source);
        ev.ua = kt_sv(steps[i].ua);
        KtRecord rec = { 0 };
        guint64 h[KT_SPACE_COUNT];
        gboolean lz;
        g_assert_cmpint(kt_dict_intern_event(d, &ev, &lim, &rec, h, &lz), ==, steps[i].ok);
        if (!steps[i].ok) {
            g_assert_cmpuint(kt_dict_lookup(d, KT_SPACE_UA, kt_sv("ua3")), ==, 0);
            continue;
        }
        g_assert_cmpstr(kt_dict_str(d, KT_SPACE_SOURCE, rec.source), ==, steps[i].want_source);
        g_assert_cmpstr(kt_dict_str(d, KT_SPACE_UA, rec.ua), ==, steps[i].want_ua);
        g_assert_cmpuint(h[KT_SPACE_UA], ==, kt_dict_hash(d, KT_SPACE_UA, rec.ua));
        g_assert_cmpuint(h[KT_SPACE_SOURCE], ==, kt_dict_hash(d, KT_SPACE_SOURCE, rec.source));
    }
}

/* One event of the hint test over small pools: pool index -> text ("" = none). */
static KtEventView
hint_event(GRand *r, char (*keys)[8], char (*ops)[8])
{
    KtEventView ev;
    kt_event_view_clear(&ev);
    ev.key = kt_sv(keys[g_rand_int_range(r, 0, 12)]);
    ev.op = kt_sv(ops[g_rand_int_range(r, 0, 12)]);
    ev.source = kt_sv(g_rand_boolean(r) ? "10.0.0.1" : "h1");
    ev.ua = kt_sv(ops[g_rand_int_range(r, 0, 12)]);
    return ev;
}

/* Interns @ev into @d and checks it against @want (interned without hints). */
static void
check_hinted(KtDict *d, const KtEventView *ev, const KtDictLimits *lim, gboolean want_ok,
             const KtRecord *want, const guint64 *want_h)
{
    KtRecord rec = { 0 };
    guint64 h[KT_SPACE_COUNT];
    gboolean lz;
    g_assert_cmpint(kt_dict_intern_event(d, ev, lim, &rec, h, &lz), ==, want_ok);
    if (!want_ok)
        return;
    g_assert_cmpmem(&rec, sizeof(rec), want, sizeof(*want));
    g_assert_cmpmem(h, sizeof(h), want_h, sizeof(h));
}

/*
 * Id hints (KtInternHints) give exactly the records of interning without them: a stream
 * over small pools (key and operation slots per text, as a parser's memo keeps them,
 * sometimes cleared as when an entry is reused), under tight limits (refused keys,
 * "(other)" operations, and values interned past the limit in between, as merging
 * parts does), with user agent guesses often wrong, into a dict without hints, one
 * with, and a third that sees the slots the second one owns (it must ignore them).
 */
static void
test_dict_hints(void)
{
    g_autoptr(KtDict) plain = kt_dict_new();
    g_autoptr(KtDict) hinted = kt_dict_new();
    g_autoptr(KtDict) other = kt_dict_new();
    g_autoptr(KtDict) other_plain = kt_dict_new();
    g_autoptr(GRand) r = g_rand_new_with_seed(61);
    char keys[12][8], ops[12][8];
    guint32 key_slot[12] = { 0 }, op_slot[12] = { 0 }, ua_slot[3] = { 0 };
    for (int i = 0; i < 12; i++) {
        g_snprintf(keys[i], sizeof(keys[i]), i == 0 ? "" : "k%d", i);
        g_snprintf(ops[i], sizeof(ops[i]), i == 0 ? "" : "op%d", i);
    }
    KtDictLimits lim = { 7, 6 };
    KtInternHints hints = { NULL, NULL, NULL, NULL };
    for (int n = 0; n < 20000; n++) {
        KtEventView ev = hint_event(r, keys, ops);
        gsize ki = (gsize)(ev.key.len > 0 ? ev.key.ptr - keys[0] : 0) / sizeof(keys[0]);
        gsize oi = (gsize)(ev.op.len > 0 ? ev.op.ptr - ops[0] : 0) / sizeof(ops[0]);
        if (n % 997 == 0) { /* after a while, values past the limit become known */
            kt_dict_intern(plain, KT_SPACE_OP, kt_sv(ops[n % 12]));
            kt_dict_intern(hinted, KT_SPACE_OP, kt_sv(ops[n % 12]));
            kt_dict_intern(plain, KT_SPACE_KEY, kt_sv(keys[n % 12]));
            kt_dict_intern(hinted, KT_SPACE_KEY, kt_sv(keys[n % 12]));
        }
        if (n % 101 == 0) /* an entry given to another request */
            key_slot[ki] = op_slot[oi] = 0;
        KtRecord want = { 0 };
        guint64 want_h[KT_SPACE_COUNT];
        gboolean lz;
        gboolean ok = kt_dict_intern_event(plain, &ev, &lim, &want, want_h, &lz);
        KtEventView hv = ev;
        hints.key = g_rand_int_range(r, 0, 8) != 0 ? &key_slot[ki] : NULL;
        hints.op = g_rand_int_range(r, 0, 8) != 0 ? &op_slot[oi] : NULL;
        hints.ua = g_rand_int_range(r, 0, 8) != 0 ? &ua_slot[n % 3] : NULL;
        if (n % 13 == 0) { /* a wrong guess, or none */
            gint32 ids = (gint32)kt_dict_size(hinted, KT_SPACE_UA);
            ua_slot[n % 3] = (guint32)g_rand_int_range(r, 0, ids);
        }
        hv.hints = &hints;
        check_hinted(hinted, &hv, &lim, ok, &want, want_h);
        g_assert_true(hints.dict == hinted);
        if (hints.key != NULL && *hints.key != 0)
            g_assert_cmpuint(*hints.key, ==, kt_dict_lookup(hinted, KT_SPACE_KEY, ev.key));
        if (hints.op != NULL && *hints.op != 0)
            g_assert_cmpuint(*hints.op, ==, kt_dict_lookup(hinted, KT_SPACE_OP, ev.op));
        ok = kt_dict_intern_event(other_plain, &ev, &lim, &want, want_h, &lz);
        check_hinted(other, &hv, &lim, ok, &want, want_h);
    }
    g_assert_cmpuint(kt_dict_lookup(hinted, KT_SPACE_OP, kt_sv("(other)")), !=, 0);
}

static void
test_outcome(void)
{
    static const struct {
        const char *status;
        gboolean grpc;
        KtOutcome want;
    } cases[] = {
        { "", FALSE, KT_OUTCOME_OK },
        { "200", FALSE, KT_OUTCOME_OK },
        { "304", FALSE, KT_OUTCOME_OK },
        { "401", FALSE, KT_OUTCOME_DENIED },
        { "403", FALSE, KT_OUTCOME_DENIED },
        { "404", FALSE, KT_OUTCOME_ERROR },
        { "503", FALSE, KT_OUTCOME_ERROR },
        { "AccessDenied", FALSE, KT_OUTCOME_DENIED },
        { "Client.UnauthorizedOperation", FALSE, KT_OUTCOME_DENIED },
        { "UnauthorizedOperation", FALSE, KT_OUTCOME_DENIED },
        { "AccessDeniedException", FALSE, KT_OUTCOME_DENIED },
        { "NotAuthorizedException", FALSE, KT_OUTCOME_DENIED },
        { "permission denied", FALSE, KT_OUTCOME_DENIED },
        { "1 error occurred:\n\t* permission denied\n\n", FALSE, KT_OUTCOME_DENIED },
        { "failure", FALSE, KT_OUTCOME_DENIED },
        { "success", FALSE, KT_OUTCOME_OK },
        { "api_key_expired", FALSE, KT_OUTCOME_DENIED },
        { "ThrottlingException", FALSE, KT_OUTCOME_ERROR },
        { "NoSuchBucket", FALSE, KT_OUTCOME_ERROR },
        { "0", TRUE, KT_OUTCOME_OK },
        { "7", TRUE, KT_OUTCOME_DENIED },
        { "16", TRUE, KT_OUTCOME_DENIED },
        { "5", TRUE, KT_OUTCOME_ERROR },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        KtOutcome got = kt_outcome_classify(kt_sv(cases[i].status), cases[i].grpc);
        if (got != cases[i].want)
            g_error("'%s': got %s, want %s", cases[i].status, kt_outcome_name(got),
                    kt_outcome_name(cases[i].want));
    }
}

typedef struct {
    GPtrArray *lines;
    guint rejects;
    KtLineSplitter *ls;
} Lines;

static void
on_line(gpointer ud, const char *line, gsize len, guint64 no)
{
    Lines *l = ud;
    g_ptr_array_add(l->lines, g_strdup_printf("%" G_GUINT64_FORMAT ":%.*s%s", no, (int)len,
                                              line, kt_line_splitter_at_eof(l->ls) ? "$" : ""));
}

static void
on_reject(gpointer ud, guint64 line, KtReject r, const char *d, KtStrView e)
{
    Lines *l = ud;
    g_assert_cmpint(r, ==, KT_REJECT_TOO_LONG);
    l->rejects++;
    g_ptr_array_add(l->lines, g_strdup_printf("%" G_GUINT64_FORMAT ":REJECT", line));
}

static void
split_in_blocks(const char *text, gsize block, gsize max_line, const char *want)
{
    Lines l = { g_ptr_array_new_with_free_func(g_free), 0, NULL };
    KtSink sink = { NULL, on_reject, NULL, &l };
    l.ls = kt_line_splitter_new(max_line, on_line, &sink, &l);
    gsize n = strlen(text);
    for (gsize off = 0; off < n; off += block)
        kt_line_splitter_feed(l.ls, text + off, MIN(block, n - off));
    kt_line_splitter_finish(l.ls);
    g_ptr_array_add(l.lines, NULL);
    g_autofree char *got = g_strjoinv("|", (char **)l.lines->pdata);
    g_assert_cmpstr(got, ==, want);
    kt_line_splitter_free(l.ls);
    g_ptr_array_free(l.lines, TRUE);
}

static void
test_linesplit(void)
{
    for (gsize b = 1; b <= 12; b++) {
        split_in_blocks("a\nbb\r\n\nccc", b, 100, "1:a|2:bb|3:|4:ccc$");
        split_in_blocks("a\n0123456789\nb\n", b, 5, "1:a|2:REJECT|3:b");
        split_in_blocks("0123456789", b, 5, "1:REJECT");
        split_in_blocks("", b, 5, "");
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/record/dict/intern", test_dict_intern);
    g_test_add_func("/record/dict/sources", test_dict_sources);
    g_test_add_func("/record/dict/recent-model", test_dict_recent_model);
    g_test_add_func("/record/dict/event-limits", test_dict_event_limits);
    g_test_add_func("/record/dict/hints", test_dict_hints);
    g_test_add_func("/record/outcome", test_outcome);
    g_test_add_func("/record/linesplit", test_linesplit);
    return g_test_run();
}
