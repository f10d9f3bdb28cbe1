/*
 * test-clf-memo.c - the web log request memo (clf-reqmemo.c): an event whose request was
 * seen before (a memo hit) must be exactly the event a fresh parser makes of the same
 * line, for requests of every kind (query or not, fragments, no method, raw, too long,
 * key absent, empty or "-", alike in the words the quick index hashes), with the key
 * from --field key=query:NAME, from the default names, or from the remote user, and
 * after many new requests (the memo resting). The ids the memo keeps for the ingest
 * (KtInternHints) must intern every event as it is interned without them.
 */
#include <gio/gio.h>

#include "keytrail/dict.h"
#include "keytrail/format.h"
#include "field-overrides.h"

/* What a parse collects: the events' text, and two dicts that intern each event with
 * and without the parser's id hints, under limits that refuse some of the later keys
 * (after the 12,000 new ones of check_fields) and make "(other)" of most sources. */
typedef struct {
    GString *out;
    KtDict *plain, *hinted;
    guint64 hinted_events;
} KtMemoRun;

/* Interns @ev into both dicts of @run and requires the same record and hashes. */
static void
check_interning(KtMemoRun *run, const KtEventView *ev)
{
    static const KtDictLimits lim = { 12012, 40 };
    KtEventView plain_ev = *ev;
    plain_ev.hints = NULL;
    KtRecord a = { 0 }, b = { 0 };
    guint64 ha[KT_SPACE_COUNT] = { 0 }, hb[KT_SPACE_COUNT] = { 0 };
    gboolean lza, lzb;
    gboolean ok = kt_dict_intern_event(run->plain, &plain_ev, &lim, &a, ha, &lza);
    g_assert_cmpint(kt_dict_intern_event(run->hinted, ev, &lim, &b, hb, &lzb), ==, ok);
    g_assert_cmpmem(&a, sizeof(a), &b, sizeof(b));
    g_assert_cmpmem(ha, sizeof(ha), hb, sizeof(hb));
    run->hinted_events += ev->hints != NULL;
}

/* One line per event, without its line number; rejects and skips as "R" and "S". */
static void
on_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    KtMemoRun *run = ud;
    GString *out = run->out;
    check_interning(run, ev);
    const KtStrView v[] = { ev->key, ev->principal, ev->time_text, ev->source,
                            ev->op,  ev->status,    ev->ua };
    (void)line;
    for (gsize i = 0; i < G_N_ELEMENTS(v); i++) {
        if (v[i].ptr == NULL)
            g_string_append(out, "|null");
        else
            g_string_append_printf(out, "|%.*s", (int)v[i].len, v[i].ptr);
    }
    g_string_append_printf(out, "|%" G_GINT64_FORMAT "\n", ev->bytes);
}

static void
on_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    g_string_append_printf(((KtMemoRun *)ud)->out, "R%d\n", (int)reason);
}

static void
on_skip(gpointer ud, guint64 line)
{
    g_string_append(((KtMemoRun *)ud)->out, "S\n");
}

static char *
parse(const char *const *fields, const char *text)
{
    KtMemoRun run = { g_string_new(NULL), kt_dict_new(), kt_dict_new(), 0 };
    KtSink sink = { on_event, on_reject, on_skip, &run };
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.preset = "combined";
    g_autoptr(GPtrArray) ov = field_overrides(fields);
    opts.fields = ov;
    gpointer p = kt_format_clf.new(&opts, &sink, NULL);
    g_assert_nonnull(p);
    kt_format_clf.feed(p, text, strlen(text));
    kt_format_clf.finish(p);
    kt_format_clf.free(p);
    /* a long log: many events had hints (not all: the memo rests a while) */
    if (strlen(text) > 100000)
        g_assert_cmpuint(run.hinted_events, >, 10000);
    kt_dict_free(run.plain);
    kt_dict_free(run.hinted);
    return g_string_free(run.out, FALSE);
}

static const char *const requests[] = {
    "GET /v1/subscriptions?api_key=sk_live_eHmncboCi7HQnKsc1vxqcbTR HTTP/1.1",
    "GET /v1/subscriptions?api_key=sk_live_eHmncboCi7HQnKsc1vxqcbTR HTTP/1.0",
    "POST /v1/customers/cus_3Nx9abcDEF12ghIJ?limit=5&api_key=k2&x=y HTTP/1.1",
    "GET /v1/data?api_keyx=1&xapi_key=2 HTTP/1.1",
    "GET /v1/data?api_key= HTTP/1.1",
    "GET /v1/data?api_key=- HTTP/1.1",
    "GET /v1/data?apikey=a1&token=t1 HTTP/1.1",
    "GET /v1/data?access_token=tok&api_key=AKIA HTTP/1.1",
    "GET /v1/data#frag?api_key=hidden HTTP/1.1",
    "GET /v1/data?a=1#x&api_key=after-fragment HTTP/1.1",
    "GET /v1/items/12345 HTTP/1.1",
    "GET /v1/items/12345",
    "GET http://example.com/a/42?api_key=abs HTTP/1.1",
    "GET /a:b/c?api_key=colon HTTP/1.1",
    "get /x?api_key=S3CR3T HTTP/1.1",
    "-",
    "GARBAGE-WITHOUT-SPACES?api_key=zz",
    "\\x16\\x03\\x01",
    "GET  /double/space?api_key=d HTTP/1.1",
    "GET ?api_key=q HTTP/1.1",
    "OPTIONS * HTTP/1.1",
    "GET /x?other=1&other=2&api_key=last HTTP/1.1",
    "GET /very/long/path/segment/one/two/three/four/five/six/seven/eight/nine/ten/eleven/"
    "twelve/thirteen?api_key=long1 HTTP/1.1",
    "GET /very/long/path/segment/one/two/three/four/five/six/seven/eight/nine/ten/eleven/"
    "twelve/thirteen/fourteen/fifteen/sixteen/seventeen?api_key=longer HTTP/1.1",
    /* 69 bytes each, equal in the five words the quick index hashes (0, 15, 30, 45,
     * 61) but not in byte 9 (the operation) or 40 (the key): one quick slot, found
     * through the full lookup whenever another of the three was there last */
    "GET /v1/aXc?api_key=k_0123456789abcdefghijklmnopqrstuvwxyz01 HTTP/1.1",
    "GET /v1/aYc?api_key=k_0123456789abcdefghijklmnopqrstuvwxyz01 HTTP/1.1",
    "GET /v1/aXc?api_key=k_0123456789abcdefghZjklmnopqrstuvwxyz01 HTTP/1.1",
    /* 128 bytes, the longest remembered, with a 94-byte operation: both fill an entry */
    "GET /abcdefghi/abcdefghi/abcdefghi/abcdefghi/abcdefghi/abcdefghi/abcdefghi/abcdefghi/"
    "abcdefghi?api_key=0123456789abcdef HTTP/1.1",
};

static const char *const users[] = { "-", "alice", "" };

static GString *
line_for(GString *s, gsize req, gsize user)
{
    g_string_printf(s,
                    "203.0.113.9 - %s [10/Oct/2000:13:55:36 -0700] \"%s\" 200 %u \"-\" "
                    "\"ua/%u\"\n",
                    users[user], requests[req], (guint)(req * 7 + user), (guint)req);
    return s;
}

static void
check_fields(const char *const *fields)
{
    g_autoptr(GString) log = g_string_new(NULL), expect = g_string_new(NULL);
    g_autoptr(GString) s = g_string_new(NULL);
    g_autoptr(GRand) r = g_rand_new_with_seed(99);
    gsize n = G_N_ELEMENTS(requests) * G_N_ELEMENTS(users);
    g_autofree char **alone = g_new0(char *, n);
    for (gsize i = 0; i < n; i++)
        alone[i] = parse(fields, line_for(s, i / G_N_ELEMENTS(users), i % 3)->str);
    /* many new requests first (the memo rests after a poor window), then repeats mixed
     * with more new ones */
    for (guint k = 0; k < 12000; k++) {
        g_string_append_printf(log,
                               "198.51.100.%u - - [10/Oct/2000:13:55:36 -0700] \"GET "
                               "/v1/u%u?api_key=new%u HTTP/1.1\" 200 1 \"-\" \"-\"\n",
                               k % 250, k % 7, k);
        g_string_append_printf(expect, "|new%u|null|10/Oct/2000:13:55:36 -0700|198.51.100.%u"
                                       "|GET /v1/u%u|200|null|1\n", k, k % 250, k % 7);
    }
    for (guint k = 0; k < 90000; k++) { /* past the rest (65536 lookups) */
        gsize i = (gsize)g_rand_int_range(r, 0, (gint32)n);
        g_string_append(log, line_for(s, i / G_N_ELEMENTS(users), i % 3)->str);
        g_string_append(expect, alone[i]);
    }
    g_autofree char *got = parse(fields, log->str);
    if (fields != NULL) {
        /* the first part's expectation is for the default mapping only */
        const char *part2 = got;
        for (guint k = 0; k < 12000; k++)
            part2 = strchr(part2, '\n') + 1;
        const char *exp2 = expect->str;
        for (guint k = 0; k < 12000; k++)
            exp2 = strchr(exp2, '\n') + 1;
        g_assert_cmpstr(part2, ==, exp2);
    } else {
        g_assert_cmpstr(got, ==, expect->str);
    }
    for (gsize i = 0; i < n; i++)
        g_free(alone[i]);
}

static void
test_default_key(void)
{
    check_fields(NULL);
}

static void
test_query_key(void)
{
    static const char *const f[] = { "key", "query:api_key", NULL };
    check_fields(f);
}

static void
test_query_key_and_principal(void)
{
    static const char *const f[] = { "key", "query:api_key", "principal", "query:token",
                                      "ua", "query:apikey", NULL };
    check_fields(f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/clf-memo/default-key", test_default_key);
    g_test_add_func("/clf-memo/query-key", test_query_key);
    g_test_add_func("/clf-memo/query-key-principal", test_query_key_and_principal);
    return g_test_run();
}
