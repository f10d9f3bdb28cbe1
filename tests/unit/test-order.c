/* test-order.c - the ordering stage: in-memory sort, spilled runs, order independence. */
#include "keytrail/order.h"

typedef struct {
    GArray *got; /* KtRecord */
} Collect;

static void
collect(gpointer ud, const KtRecord *r)
{
    g_array_append_val(((Collect *)ud)->got, *r);
}

static KtRecord
rec(gint64 t, guint64 tb, guint32 input, guint64 line)
{
    KtRecord r = { 0 };
    r.time_ms = t;
    r.tiebreak = tb;
    r.input = input;
    r.line = line;
    return r;
}

static void
check_sorted(GArray *a)
{
    for (guint i = 1; i < a->len; i++)
        g_assert_cmpint(kt_record_compare(&g_array_index(a, KtRecord, i - 1),
                                          &g_array_index(a, KtRecord, i)), <=, 0);
}

static void
run_case(gsize cap, guint n, guint32 seed)
{
    g_autoptr(KtSorter) s = kt_sorter_new(cap);
    GRand *rnd = g_rand_new_with_seed(seed);
    for (guint i = 0; i < n; i++) {
        KtRecord r = rec(g_rand_int_range(rnd, 0, 1000), g_rand_int(rnd), 0, i + 1);
        g_assert_true(kt_sorter_add(s, &r, NULL));
    }
    g_assert_cmpuint(kt_sorter_count(s), ==, n);
    Collect c = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    GError *error = NULL;
    g_assert_true(kt_sorter_drain(s, collect, &c, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(c.got->len, ==, n);
    check_sorted(c.got);
    g_assert_cmpuint(kt_sorter_count(s), ==, 0);
    g_array_free(c.got, TRUE);
    g_rand_free(rnd);
}

static void
test_in_memory(void)
{
    run_case(0, 10000, 1);
}

static void
test_spilled(void)
{
    /* 100 records per run: 50 spilled runs plus the in-memory tail */
    run_case(100, 5050, 2);
    run_case(1, 10, 3);
}

static void
test_already_sorted(void)
{
    g_autoptr(KtSorter) s = kt_sorter_new(0);
    for (guint i = 0; i < 1000; i++) {
        KtRecord r = rec(i / 10, 999 - i, 0, i);
        kt_sorter_add(s, &r, NULL);
    }
    Collect c = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    g_assert_true(kt_sorter_drain(s, collect, &c, NULL));
    check_sorted(c.got);
    /* within a time, the tiebreak decides, not arrival */
    g_assert_cmpuint(g_array_index(c.got, KtRecord, 0).tiebreak, ==, 990);
    g_array_free(c.got, TRUE);
}

static void
test_independent_of_input_order(void)
{
    /* the same records added in two orders drain identically (ignoring input/line) */
    g_autoptr(KtSorter) a = kt_sorter_new(7);
    g_autoptr(KtSorter) b = kt_sorter_new(7);
    for (guint i = 0; i < 100; i++) {
        KtRecord r = rec(i % 13, i * 2654435761u, 0, 0);
        kt_sorter_add(a, &r, NULL);
        KtRecord q = rec((99 - i) % 13, (99 - i) * 2654435761u, 0, 0);
        kt_sorter_add(b, &q, NULL);
    }
    Collect ca = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    Collect cb = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    kt_sorter_drain(a, collect, &ca, NULL);
    kt_sorter_drain(b, collect, &cb, NULL);
    g_assert_cmpuint(ca.got->len, ==, cb.got->len);
    g_assert_cmpmem(ca.got->data, ca.got->len * sizeof(KtRecord), cb.got->data,
                    cb.got->len * sizeof(KtRecord));
    g_array_free(ca.got, TRUE);
    g_array_free(cb.got, TRUE);
}

/* A record with every field set from @rnd, times from @t. */
static KtRecord
rand_rec(GRand *rnd, gint64 t, guint64 line)
{
    KtRecord r = rec(t, ((guint64)g_rand_int(rnd) << 32) | g_rand_int(rnd),
                     (guint32)g_rand_int_range(rnd, 0, 4), line);
    r.bytes = g_rand_boolean(rnd) ? -1 : g_rand_int_range(rnd, 0, 1 << 30);
    r.key = g_rand_int_range(rnd, 1, 600);
    r.principal = g_rand_boolean(rnd) ? 0 : g_rand_int(rnd);
    r.source = g_rand_int_range(rnd, 0, 70000);
    r.op = g_rand_int_range(rnd, 0, 300);
    r.ua = g_rand_int_range(rnd, 0, 5);
    r.status = (guint16)g_rand_int_range(rnd, 0, 600);
    r.outcome = (guint8)g_rand_int_range(rnd, 0, 3);
    r.flags = (guint8)g_rand_int_range(rnd, 0, 8);
    r.reserved = g_rand_int_range(rnd, 0, 2) ? 0 : g_rand_int(rnd);
    return r;
}

/* Adds @n records (times from @time_of) to a sorter of @cap records per run, drains it
 * and compares every field with the records sorted in memory. */
static void
check_round_trip(gsize cap, guint n, guint32 seed, gint64 (*time_of)(GRand *, guint))
{
    g_autoptr(KtSorter) s = kt_sorter_new(cap);
    GRand *rnd = g_rand_new_with_seed(seed);
    GArray *want = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    for (guint i = 0; i < n; i++) {
        KtRecord r = rand_rec(rnd, time_of(rnd, i), i + 1);
        g_array_append_val(want, r);
        g_assert_true(kt_sorter_add(s, &r, NULL));
    }
    g_array_sort(want, kt_record_compare);
    Collect c = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    g_assert_true(kt_sorter_drain(s, collect, &c, NULL));
    g_assert_cmpuint(c.got->len, ==, n);
    g_assert_cmpmem(c.got->data, n * sizeof(KtRecord), want->data, n * sizeof(KtRecord));
    g_array_free(c.got, TRUE);
    g_array_free(want, TRUE);
    g_rand_free(rnd);
}

static gint64
time_random(GRand *rnd, guint i)
{
    (void)i;
    return (gint64)g_rand_int_range(rnd, -5000, 5000) * 1000003;
}

static gint64
time_increasing(GRand *rnd, guint i)
{
    (void)rnd;
    return 1700000000000 + (gint64)i * 7;
}

/* Seconds, as web logs have them: equal times inside and across runs. */
static gint64
time_ties(GRand *rnd, guint i)
{
    (void)rnd;
    return 1700000000000 + (gint64)(i / 5) * 1000;
}

/* In order but for an occasional late record (a merged log). */
static gint64
time_mostly(GRand *rnd, guint i)
{
    gint64 t = 1700000000000 + (gint64)i * 1000;
    return g_rand_int_range(rnd, 0, 50) == 0 ? t - g_rand_int_range(rnd, 0, 400000) : t;
}

static void
test_round_trip(void)
{
    /* every field survives spilling, for each shape of input */
    check_round_trip(97, 3000, 11, time_random);
    check_round_trip(97, 3000, 12, time_increasing);
    check_round_trip(97, 3000, 13, time_ties);
    check_round_trip(97, 3000, 14, time_mostly);
    check_round_trip(0, 3000, 15, time_ties);
    /* more runs than one merge takes: a cascade first */
    check_round_trip(10, 1500, 16, time_mostly);
    check_round_trip(10, 1500, 17, time_random);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/order/in-memory", test_in_memory);
    g_test_add_func("/order/spilled-runs", test_spilled);
    g_test_add_func("/order/already-sorted", test_already_sorted);
    g_test_add_func("/order/input-order-independent", test_independent_of_input_order);
    g_test_add_func("/order/round-trip", test_round_trip);
    return g_test_run();
}
