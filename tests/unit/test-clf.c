/*
 * test-clf.c - the web access log format: presets, custom formats, key sources, path
 * normalization, rejects, block splitting, and the real Apache sample when present.
 */
#include <gio/gio.h>

#include "keytrail/format.h"
#include "field-overrides.h"
#include "../../src/input/webpath.h"

/* ---- a sink that keeps copies ---------------------------------------------------- */

typedef struct {
    char *key, *principal, *time, *source, *op, *status, *ua;
    gint64 bytes;
    guint64 line;
    int reject; /* -1 for an event, else KtReject */
} Got;

typedef struct {
    GPtrArray *got; /* Got* */
    guint skips;
} Collector;

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
    g_free(g->ua);
    g_free(g);
}

static void
on_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    Collector *c = ud;
    Got *g = g_new0(Got, 1);
    g->key = dup_sv(ev->key);
    g->principal = dup_sv(ev->principal);
    g->time = dup_sv(ev->time_text);
    g->source = dup_sv(ev->source);
    g->op = dup_sv(ev->op);
    g->status = dup_sv(ev->status);
    g->ua = dup_sv(ev->ua);
    g->bytes = ev->bytes;
    g->line = line;
    g->reject = -1;
    g_ptr_array_add(c->got, g);
}

static void
on_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    Collector *c = ud;
    Got *g = g_new0(Got, 1);
    g->line = line;
    g->reject = (int)reason;
    g_assert_cmpuint(excerpt.len, <=, 80);
    g_ptr_array_add(c->got, g);
}

static void
on_skip(gpointer ud, guint64 line)
{
    Collector *c = ud;
    c->skips++;
}

/* Parses @text fed in blocks of @block bytes (0 = at once). */
static GPtrArray *
run_clf(const char *log_format, const char *preset, const char *const *fields,
        const char *text, gsize len, gsize block, guint *skips, GError **error)
{
    Collector c = { g_ptr_array_new_with_free_func(got_free), 0 };
    KtSink sink = { on_event, on_reject, on_skip, &c };
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.log_format = log_format;
    opts.preset = preset;
    g_autoptr(GPtrArray) ov = field_overrides(fields);
    opts.fields = ov;
    gpointer p = kt_format_clf.new(&opts, &sink, error);
    if (p == NULL) {
        g_ptr_array_unref(c.got);
        return NULL;
    }
    if (block == 0)
        block = MAX(len, (gsize)1);
    for (gsize off = 0; off < len; off += block)
        kt_format_clf.feed(p, text + off, MIN(block, len - off));
    kt_format_clf.finish(p);
    kt_format_clf.free(p);
    if (skips != NULL)
        *skips = c.skips;
    return c.got;
}

/* ---- table ----------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *log_format;  /* nullable */
    const char *fields[5];   /* name, source pairs, NULL-terminated */
    const char *line;        /* one line, without newline unless it matters */
    int reject;              /* -1 = event */
    const char *key, *principal, *time, *source, *op, *status, *ua;
    gint64 bytes;
} ClfCase;

#define EV -1
#define REJ(name, line, reason)                                                            \
    { name, NULL, { NULL }, line, reason, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }
#define COMBINED_UA "Mozilla/5.0 (X11; Linux x86_64)"

static const ClfCase clf_cases[] = {
    { "combined", NULL, { NULL },
      "203.0.113.9 - sk_live_7 [10/Oct/2000:13:55:36 -0700] \"GET "
      "/v1/charges/ch_3Nx9abcDEF12ghIJ HTTP/1.1\" 200 2326 \"http://ex.com/\" "
      "\"" COMBINED_UA "\"\n",
      EV, "sk_live_7", NULL, "10/Oct/2000:13:55:36 -0700", "203.0.113.9", "GET /v1/charges/{id}",
      "200", COMBINED_UA, 2326 },
    { "common-line-in-combined", NULL, { NULL },
      "127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif "
      "HTTP/1.0\" 200 2326\n",
      EV, "frank", NULL, "10/Oct/2000:13:55:36 -0700", "127.0.0.1", "GET /apache_pb.gif", "200",
      NULL, 2326 },
    { "no-user", NULL, { NULL },
      "10.0.0.1 - - [17/May/2015:10:05:03 +0000] \"POST /users/123/keys HTTP/1.1\" 403 - \"-\" "
      "\"-\"\n",
      EV, NULL, NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "POST /users/{id}/keys", "403",
      NULL, -1 },
    { "escaped-quote-in-ua", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"a "
      "\\\"quoted\\\" agent\\\\\"\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "GET /", "200",
      "a \\\"quoted\\\" agent\\\\", 5 },
    { "uuid-hex-digits", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"DELETE "
      "/v2/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301/blobs/deadbeef42/9?x=1 HTTP/1.1\" 204 0\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1",
      "DELETE /v2/items/{id}/blobs/{id}/{id}", "204", NULL, 0 },
    { "words-stay", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET "
      "/presentations/logstash-monitorama-2013/v1/index.html HTTP/1.1\" 200 1\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1",
      "GET /presentations/logstash-monitorama-2013/v1/index.html", "200", NULL, 1 },
    { "absolute-form", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET http://example.com/a/42 HTTP/1.1\" 200 1\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "GET /a/{id}", "200", NULL, 1 },
    { "bad-request-line", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"\\x16\\x03\\x01\" 400 0\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "\\x16\\x03\\x01", "400", NULL, 0 },
    { "raw-request-no-query", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"get /x?api_key=S3CR3T HTTP/1.1\" 400 0\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "get /x", "400", NULL, 0 },
    { "dash-request", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"-\" 408 0\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", NULL, "408", NULL, 0 },
    { "query-key", NULL, { "key", "query:api_key", NULL },
      "198.51.100.4 - alice [17/May/2015:10:05:03 +0000] \"GET "
      "/v1/data?limit=5&api_key=AKIA123&x=y HTTP/1.1\" 200 10\n",
      EV, "AKIA123", "alice", "17/May/2015:10:05:03 +0000", "198.51.100.4", "GET /v1/data", "200",
      NULL, 10 },
    { "query-key-absent", NULL, { "key", "query:api_key", NULL },
      "198.51.100.4 - - [17/May/2015:10:05:03 +0000] \"GET /v1/data?api_keyx=1&xapi_key=2 "
      "HTTP/1.1\" 200 10\n",
      EV, NULL, NULL, "17/May/2015:10:05:03 +0000", "198.51.100.4", "GET /v1/data", "200", NULL,
      10 },
    /* no --field key and no remote user: the well-known key parameters are tried */
    { "query-key-default", NULL, { NULL },
      "198.51.100.4 - - [17/May/2015:10:05:03 +0000] \"GET "
      "/v1/data?limit=5&access_token=tok123&api_key=AKIA123 HTTP/1.1\" 200 10\n",
      EV, "AKIA123", NULL, "17/May/2015:10:05:03 +0000", "198.51.100.4", "GET /v1/data", "200",
      NULL, 10 },
    { "query-key-default-user-wins", NULL, { NULL },
      "198.51.100.4 - alice [17/May/2015:10:05:03 +0000] \"GET /v1/data?api_key=AKIA123 "
      "HTTP/1.1\" 200 10\n",
      EV, "alice", NULL, "17/May/2015:10:05:03 +0000", "198.51.100.4", "GET /v1/data", "200",
      NULL, 10 },
    { "query-key-no-query", NULL, { "key", "query:api_key", NULL },
      "198.51.100.4 - - [17/May/2015:10:05:03 +0000] \"GET /v1/data HTTP/1.1\" 200 10\n",
      EV, NULL, NULL, "17/May/2015:10:05:03 +0000", "198.51.100.4", "GET /v1/data", "200", NULL,
      10 },
    { "header-key-and-xff",
    "%h %l %u %t \"%r\" %>s %b \"%{X-Api-Key}i\" \"%{X-Forwarded-For}i\" %D",
      { "key", "header:x-api-key", "ip", "header:X-Forwarded-For", NULL },
      "10.0.0.1 - - [17/May/2015:10:05:03 +0000] \"PUT /v1/x HTTP/2.0\" 500 12 \"Bearer tok_9\" "
      "\"2001:db8::7, 10.0.0.1\" 1234\n",
      EV, "tok_9", NULL, "17/May/2015:10:05:03 +0000", "2001:db8::7", "PUT /v1/x", "500", NULL,
      12 },
    { "key-from-host", NULL, { "key", "host", NULL },
      "10.0.0.1 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1\n",
      EV, "10.0.0.1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "GET /", "200", NULL, 1 },
    { "custom-iso-method-path", "%x %h %m %U%q %s %b %u",
      { NULL },
      "2024-07-31T12:36:52Z 192.0.2.1 GET /v1/keys/12345?api_key=k 200 99 svc\n",
      EV, "svc", NULL, "2024-07-31T12:36:52Z", "192.0.2.1", "GET /v1/keys/{id}", "200", NULL, 99 },
    { "custom-skip-and-percent", "%^ %h [%t] 100%% %u %r", { NULL },
      "xx 192.0.2.1 [10/Oct/2000:13:55:36 -0700] 100% bob GET /a HTTP/1.1\n",
      EV, "bob", NULL, "10/Oct/2000:13:55:36 -0700", "192.0.2.1", "GET /a", NULL, NULL, -1 },
    { "vhost_combined", "vhost_combined", { NULL },
      "www.example.com:443 10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 "
      "\"-\" \"ua\"\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "GET /", "200", "ua", 1 },
    { "trailing-extra-fields", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\" "
      "\"1.2.3.4\" 0.003\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "GET /", "200", "ua", 1 },
    { "crlf", NULL, { NULL },
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\r\n",
      EV, "k1", NULL, "17/May/2015:10:05:03 +0000", "10.0.0.1", "GET /", "200", "ua", 1 },
    /* rejects */
    REJ("unclosed-quote",
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 "
      "(compatible\n",
      KT_REJECT_MALFORMED),
    REJ("unclosed-quote-at-eof",
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 "
      "(compatible",
      KT_REJECT_TRUNCATED),
    REJ("not-clf", "{\"json\": true}\n", KT_REJECT_MALFORMED),
    REJ("no-bracket-close", "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000\n",
      KT_REJECT_MALFORMED),
    REJ("garbage-after",
      "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"xyz\n",
      KT_REJECT_MALFORMED),
    REJ("nul-byte", "10.0.0.1 - k1 [17/May/2015:10:05:03 +0000] \"GET /\0 HTTP/1.1\" 200 1\n",
      KT_REJECT_BINARY),
};

/* strlen that sees the NUL in the nul-byte case: the line ends at its newline. */
static gsize
case_len(const ClfCase *c)
{
    const char *nl = c->line;
    gsize n = strlen(c->line);
    if (c->reject == KT_REJECT_BINARY) {
        nl = memchr(c->line + n + 1, '\n', 200);
        return (gsize)(nl - c->line) + 1;
    }
    return n;
}

static void
check_case(const ClfCase *c, gsize block)
{
    g_autoptr(GError) error = NULL;
    const char *fmt = c->log_format;
    g_autoptr(GPtrArray) got = run_clf(fmt, NULL, c->fields, c->line, case_len(c), block, NULL,
                                       &error);
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
    g_assert_cmpstr(g->ua, ==, c->ua);
    g_assert_cmpint(g->bytes, ==, c->bytes);
}

static void
test_table(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(clf_cases); i++) {
        g_test_message("case %s", clf_cases[i].name);
        check_case(&clf_cases[i], 0);
    }
}

/* Every case again, fed in blocks of 1, 2, 3, 7 and 64 bytes. */
static void
test_table_blocks(void)
{
    static const gsize blocks[] = { 1, 2, 3, 7, 64 };
    for (gsize b = 0; b < G_N_ELEMENTS(blocks); b++) {
        for (gsize i = 0; i < G_N_ELEMENTS(clf_cases); i++) {
            g_test_message("case %s block %" G_GSIZE_FORMAT, clf_cases[i].name, blocks[b]);
            check_case(&clf_cases[i], blocks[b]);
        }
    }
}

static void
test_multi_line(void)
{
    static const char text[] =
        "10.0.0.1 - a [17/May/2015:10:05:03 +0000] \"GET /x HTTP/1.1\" 200 1 \"-\" \"u\"\n"
        "\n"
        "   \n"
        "junk\n"
        "10.0.0.2 - b [17/May/2015:10:05:04 +0000] \"GET /y HTTP/1.1\" 200 2 \"-\" \"u\"";
    guint skips = 0;
    g_autoptr(GPtrArray) got = run_clf(NULL, NULL, NULL, text, sizeof(text) - 1, 5, &skips, NULL);
    g_assert_cmpuint(got->len, ==, 3);
    g_assert_cmpuint(skips, ==, 2);
    const Got *g0 = got->pdata[0], *g1 = got->pdata[1], *g2 = got->pdata[2];
    g_assert_cmpstr(g0->key, ==, "a");
    g_assert_cmpint(g1->reject, ==, KT_REJECT_MALFORMED);
    g_assert_cmpuint(g1->line, ==, 4);
    g_assert_cmpstr(g2->key, ==, "b"); /* a complete last line without newline is fine */
    g_assert_cmpuint(g2->line, ==, 5);
}

static void
test_auto_vhost(void)
{
    static const char text[] =
        "api.example.com:443 10.0.0.1 - k [17/May/2015:10:05:03 +0000] \"GET /v1/x HTTP/1.1\" "
        "200 1 \"-\" \"u\"\n";
    g_autoptr(GPtrArray) got = run_clf(NULL, NULL, NULL, text, sizeof(text) - 1, 0, NULL, NULL);
    g_assert_cmpuint(got->len, ==, 1);
    const Got *g = got->pdata[0];
    g_assert_cmpint(g->reject, ==, EV);
    g_assert_cmpstr(g->key, ==, "k");
    g_assert_cmpstr(g->source, ==, "10.0.0.1");
}

static void
test_bad_formats(void)
{
    static const struct {
        const char *format, *preset;
        const char *fields[3];
    } bad[] = {
        { "%h %Z %t", NULL, { NULL } },          /* unknown specifier */
        { "%h%u %t", NULL, { NULL } },           /* fields without separator */
        { "%h %u", NULL, { NULL } },             /* no time */
        { "%h %{Referer %t", NULL, { NULL } },   /* unclosed brace */
        { "%h %{}i %t", NULL, { NULL } },        /* empty header name */
        { "%", NULL, { NULL } },                 /* lone percent */
        { NULL, "nope", { NULL } },              /* unknown preset */
        { NULL, NULL, { "key", "header:X-Api-Key", NULL } }, /* header not in the format */
        { NULL, NULL, { "key", "cookie:x", NULL } },
        { NULL, NULL, { "time", "user", NULL } },
        { NULL, NULL, { "key", "query:", NULL } },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_test_message("bad %s / %s", bad[i].format ? bad[i].format : "(null)",
                       bad[i].preset ? bad[i].preset : "(null)");
        GPtrArray *got = run_clf(bad[i].format, bad[i].preset, bad[i].fields, "", 0, 0, NULL,
                                 &error);
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
        { "83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1", TRUE },
        { "::1 - bob [17/May/2015:10:05:03 -0700] \"GET / HTTP/1.1\" 200 1\nnext", TRUE },
        { "www.ex.com:80 1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET /", TRUE },
        { "{\"Records\": []}", FALSE },
        { "<165>1 2003-10-11T22:14:15.003Z host app - - - msg", FALSE },
        { "a,b,c\n1,2,3", FALSE },
        { "1.2.3.4 - - [17/May/2015:10:05:03 +0000]", FALSE },
        { "", FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        int s = kt_format_clf.sniff(cases[i].text, strlen(cases[i].text));
        g_test_message("sniff %s -> %d", cases[i].text, s);
        g_assert_cmpint(s > 50, ==, cases[i].hit);
    }
}

static void
test_id_segments(void)
{
    static const struct {
        const char *seg;
        gboolean id;
    } cases[] = {
        { "123", TRUE },
        { "0", TRUE },
        { "3f2504e0-4f89-11d3-9a0c-0305e82c3301", TRUE },
        { "deadbeef", TRUE },
        { "da39a3ee5e6b4b0d3255bfef95601890afd80709", TRUE },
        { "ch_3Nx9abcDEF12ghIJ", TRUE },
        { "cus_NffrFeUfNV2Hib", TRUE },
        { "v1", FALSE },
        { "users", FALSE },
        { "charges", FALSE },
        { "presentations", FALSE },
        { "logstash-monitorama-2013", FALSE },
        { "index.html", FALSE },
        { "kibana-search.png", FALSE },
        { "deadbee", FALSE }, /* 7 hex characters: a word */
        { "", FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("segment %s", cases[i].seg);
        g_assert_cmpint(kt_web_is_id_segment(cases[i].seg, strlen(cases[i].seg)), ==,
                        cases[i].id);
    }
    char buf[16];
    KtStrView op =
        kt_web_normalize_op(buf, sizeof(buf), kt_sv("GET"), kt_sv("/very/long/path/here"));
    g_assert_cmpuint(op.len, ==, sizeof(buf)); /* cut, never past the buffer */
    g_assert_cmpint(memcmp(op.ptr, "GET /very/long/p", 16), ==, 0);
    KtStrView q = kt_web_query_param(kt_sv("?a=1&api_key=xyz#frag"), "api_key", 7);
    g_assert_cmpint(q.len, ==, 3);
    q = kt_web_query_param(kt_sv("a=1#api_key=xyz"), "api_key", 7);
    g_assert_cmpint(q.len, ==, 0);
}

/* ---- the real Apache sample ------------------------------------------------------ */

static char *
read_gz(const char *path, gsize *len)
{
    g_autoptr(GFile) f = g_file_new_for_path(path);
    g_autoptr(GFileInputStream) fin = g_file_read(f, NULL, NULL);
    if (fin == NULL)
        return NULL;
    g_autoptr(GZlibDecompressor) dec = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
    g_autoptr(GInputStream) in =
        g_converter_input_stream_new(G_INPUT_STREAM(fin), G_CONVERTER(dec));
    g_autoptr(GByteArray) out = g_byte_array_new();
    guint8 buf[65536];
    gssize n;
    while ((n = g_input_stream_read(in, buf, sizeof(buf), NULL, NULL)) > 0)
        g_byte_array_append(out, buf, (guint)n);
    g_assert_cmpint(n, ==, 0);
    *len = out->len;
    return (char *)g_byte_array_free(g_steal_pointer(&out), FALSE);
}

static char *
shared_data(const char *rel)
{
    const char *top = g_getenv("KT_TOP");
    g_autofree char *a = g_build_filename(top != NULL ? top : ".", "..", "shared", "data", rel,
    NULL);
    if (g_file_test(a, G_FILE_TEST_EXISTS))
        return g_steal_pointer(&a);
    return NULL;
}

static void
test_real_apache(void)
{
    g_autofree char *path = shared_data("elastic-examples-apache-logs/apache_logs.gz");
    if (path == NULL) {
        g_test_skip("../shared/data/elastic-examples-apache-logs not present");
        return;
    }
    gsize len = 0;
    g_autofree char *text = read_gz(path, &len);
    g_assert_nonnull(text);
    g_autoptr(GPtrArray) got = run_clf(NULL, NULL, NULL, text, len, 65536, NULL, NULL);
    guint events = 0, rejected = 0;
    guint64 reject_line = 0;
    for (guint i = 0; i < got->len; i++) {
        const Got *g = got->pdata[i];
        if (g->reject == EV) {
            events++;
            g_assert_nonnull(g->time);
            g_assert_nonnull(g->source);
            g_assert_nonnull(g->status);
        } else {
            rejected++;
            reject_line = g->line;
            g_assert_cmpint(g->reject, ==, KT_REJECT_MALFORMED);
        }
    }
    g_assert_cmpuint(got->len, ==, 10000);
    g_assert_cmpuint(events, ==, 9999);
    g_assert_cmpuint(rejected, ==, 1);
    g_assert_cmpuint(reject_line, ==, 8899);
    const Got *first = got->pdata[0];
    g_assert_cmpstr(first->source, ==, "83.149.9.216");
    g_assert_cmpstr(first->op, ==,
                    "GET /presentations/logstash-monitorama-2013/images/kibana-search.png");
    g_assert_cmpint(first->bytes, ==, 203023);
    g_assert_null(first->key); /* %u is "-" on every line */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/clf/table", test_table);
    g_test_add_func("/clf/table/blocks", test_table_blocks);
    g_test_add_func("/clf/multi-line", test_multi_line);
    g_test_add_func("/clf/auto-vhost", test_auto_vhost);
    g_test_add_func("/clf/bad-formats", test_bad_formats);
    g_test_add_func("/clf/sniff", test_sniff);
    g_test_add_func("/clf/id-segments", test_id_segments);
    g_test_add_func("/clf/real-apache", test_real_apache);
    return g_test_run();
}
