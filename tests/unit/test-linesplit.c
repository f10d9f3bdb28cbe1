/*
 * test-linesplit.c - the line splitter (src/input/linesplit.c) against a model of what
 * it must do: lines end at '\n' (one trailing '\r' dropped), the last line may lack
 * it, a line longer than the limit is rejected under its own line number and never
 * delivered, and none of this depends on where the input's blocks begin and end.
 */
#include <gio/gio.h>

#include "keytrail/format.h"

static void
on_line(gpointer ud, const char *line, gsize len, guint64 lineno)
{
    g_string_append_printf(ud, "L%" G_GUINT64_FORMAT " [%.*s]\n", lineno, (int)len, line);
}

static void
on_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    (void)detail;
    g_assert_true(excerpt.len <= 80);
    g_string_append_printf(ud, "R%" G_GUINT64_FORMAT " %s\n", line, kt_reject_name(reason));
}

static void
on_skip(gpointer ud, guint64 line)
{
    (void)ud;
    (void)line;
    g_assert_not_reached();
}

/* The transcript the splitter must give for @data (@len bytes) with @max_line. */
static char *
model(const char *data, gsize len, gsize max_line)
{
    GString *out = g_string_new(NULL);
    guint64 lineno = 0;
    for (gsize off = 0; off < len;) {
        const char *nl = memchr(data + off, '\n', len - off);
        gsize seg = nl != NULL ? (gsize)(nl - data - off) : len - off;
        lineno++;
        if (seg > max_line) {
            g_string_append_printf(out, "R%" G_GUINT64_FORMAT " %s\n", lineno,
                                   kt_reject_name(KT_REJECT_TOO_LONG));
        } else {
            gsize n = seg > 0 && data[off + seg - 1] == '\r' ? seg - 1 : seg;
            on_line(out, data + off, n, lineno);
        }
        off += seg + 1;
    }
    return g_string_free(out, FALSE);
}

/* The splitter's transcript for @data fed in blocks ending at the offsets @cuts (@n,
 * ascending, the last = @len), each block in its own allocation. */
static char *
split(const char *data, gsize len, gsize max_line, const gsize *cuts, gsize n)
{
    GString *out = g_string_new(NULL);
    KtSink sink = { NULL, on_reject, on_skip, out };
    KtLineSplitter *ls = kt_line_splitter_new(max_line, on_line, &sink, out);
    gsize from = 0;
    for (gsize i = 0; i < n; i++) {
        g_autofree char *copy = g_memdup2(data + from, cuts[i] - from);
        kt_line_splitter_feed(ls, copy, cuts[i] - from);
        from = cuts[i];
    }
    kt_line_splitter_finish(ls);
    kt_line_splitter_free(ls);
    return g_string_free(out, FALSE);
}

static void
check(const char *data, gsize len, gsize max_line, GRand *r)
{
    g_autofree char *expect = model(data, len, max_line);
    g_autofree gsize *cuts = g_new(gsize, 2 * len + 2);
    /* one block, two blocks cut anywhere, then random cuts (empty blocks included) */
    cuts[0] = len;
    g_autofree char *whole = split(data, len, max_line, cuts, 1);
    g_assert_cmpstr(whole, ==, expect);
    for (gsize at = 0; at <= len; at++) {
        cuts[0] = at;
        cuts[1] = len;
        g_autofree char *two = split(data, len, max_line, cuts, 2);
        g_assert_cmpstr(two, ==, expect);
    }
    for (int round = 0; round < 20; round++) {
        gsize n = 0;
        for (gsize at = 0; at < len; at += (gsize)g_rand_int_range(r, 1, 12)) {
            cuts[n++] = at;
            if (g_rand_int_range(r, 0, 4) == 0)
                cuts[n++] = at; /* an empty block */
        }
        cuts[n++] = len;
        g_autofree char *many = split(data, len, max_line, cuts, n);
        g_assert_cmpstr(many, ==, expect);
    }
}

static void
test_fixed(void)
{
    static const char *const inputs[] = {
        "",
        "\n",
        "a",
        "a\nb",
        "a\nb\n",
        "a\r\nb\r\n\r\n\n",
        "short\nthis line is longer than twelve\nok\n",
        "this line is longer than twelve",
        "exactly12byt\n0123456789012\n\r\r\r\r\r\r\r\r\r\r\r\r\r\n",
        "x\nthis line is longer than twelve\n",
        "\n\nlonger than twelve bytes\nlonger than twelve bytes again",
    };
    g_autoptr(GRand) r = g_rand_new_with_seed(3);
    for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++)
        check(inputs[i], strlen(inputs[i]), 12, r);
}

static void
test_random(void)
{
    static const char alphabet[] = "\n\n\n\rab c";
    g_autoptr(GRand) r = g_rand_new_with_seed(11);
    for (int round = 0; round < 200; round++) {
        gsize len = (gsize)g_rand_int_range(r, 0, 120);
        g_autofree char *buf = g_malloc(len + 1);
        for (gsize i = 0; i < len; i++)
            buf[i] = alphabet[g_rand_int_range(r, 0, sizeof(alphabet) - 1)];
        check(buf, len, (gsize)g_rand_int_range(r, 1, 20), r);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/linesplit/fixed", test_fixed);
    g_test_add_func("/linesplit/random", test_random);
    return g_test_run();
}
