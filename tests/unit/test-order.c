/* test-order.c - the ordering stage: in-memory sort, spilled runs, order independence. */
#include "keytrail/order.h"

#include "../../src/record/order-pack.h"

typedef struct {
    GArray *got; /* KtRecord */
} Collect;

static void
collect(gpointer ud, const KtRecord *r)
{
    g_array_append_val(((Collect *)ud)->got, *r);
}

/* A KtRecordBatchFn: appends the block, checking its size. */
static void
collect_batch(gpointer ud, const KtRecord *r, gsize n)
{
    g_assert_cmpuint(n, >, 0);
    g_assert_cmpuint(n, <=, 256);
    g_array_append_vals(((Collect *)ud)->got, r, (guint)n);
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
 * and compares every field with the records sorted in memory; the same with a second
 * sorter drained a block at a time (kt_sorter_drain_batch). */
static void
check_round_trip(gsize cap, guint n, guint32 seed, gint64 (*time_of)(GRand *, guint))
{
    g_autoptr(KtSorter) s = kt_sorter_new(cap);
    g_autoptr(KtSorter) sb = kt_sorter_new(cap);
    GRand *rnd = g_rand_new_with_seed(seed);
    GArray *want = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    for (guint i = 0; i < n; i++) {
        KtRecord r = rand_rec(rnd, time_of(rnd, i), i + 1);
        g_array_append_val(want, r);
        g_assert_true(kt_sorter_add(s, &r, NULL));
        g_assert_true(kt_sorter_add(sb, &r, NULL));
    }
    g_array_sort(want, kt_record_compare);
    Collect c = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    g_assert_true(kt_sorter_drain(s, collect, &c, NULL));
    g_assert_cmpuint(c.got->len, ==, n);
    g_assert_cmpmem(c.got->data, n * sizeof(KtRecord), want->data, n * sizeof(KtRecord));
    g_array_set_size(c.got, 0);
    g_assert_true(kt_sorter_drain_batch(sb, collect_batch, &c, NULL));
    g_assert_cmpuint(c.got->len, ==, n);
    g_assert_cmpmem(c.got->data, n * sizeof(KtRecord), want->data, n * sizeof(KtRecord));
    g_assert_cmpuint(kt_sorter_count(sb), ==, 0);
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

/* Bursts of more equal times than the sorter sorts as they come (KT_TIE_SORTED). */
static gint64
time_bursts(GRand *rnd, guint i)
{
    (void)rnd;
    return 1700000000000 + (gint64)(i / 40) * 1000;
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
    check_round_trip(97, 3000, 21, time_bursts);
    check_round_trip(0, 3000, 22, time_bursts);
    /* runs of several read blocks, cut inside groups of equal times or not */
    check_round_trip(5000, 40000, 23, time_ties);
    check_round_trip(5000, 40000, 24, time_increasing);
    check_round_trip(5000, 40000, 25, time_mostly);
    /* in order: spilled in segments of one run as it comes (early_spill), groups of
     * equal times and bursts of them kept whole; out of order after a while */
    check_round_trip(0, 30000, 26, time_ties);
    check_round_trip(0, 30000, 27, time_bursts);
    check_round_trip(0, 30000, 28, time_increasing);
    check_round_trip(20000, 60000, 29, time_mostly);
    /* more runs than one merge takes: a cascade first */
    check_round_trip(10, 1500, 16, time_mostly);
    check_round_trip(10, 1500, 17, time_random);
}

static void
test_drain_spills_large_run(void)
{
    /* a large in-memory run is spilled before the merge; the order is unchanged */
    check_round_trip(0, 40000, 18, time_random);
    check_round_trip(0, 40000, 19, time_mostly);
    /* the sorter is usable again after a drain (its buffer was freed) */
    run_case(0, 20000, 20);
}

/* A map for source sorter @w of @nw: ids of every space x -> x * nw + w + 1 (0 -> 0);
 * task t -> input t / 2, line offset (t % 2) * 100000. */
static KtSorterMap *
test_map(guint w, guint nw, guint32 n_ids, guint32 n_tasks)
{
    KtSorterMap *m = kt_sorter_map_new();
    for (int s = 0; s < KT_SPACE_COUNT; s++) {
        m->n_ids[s] = n_ids;
        m->ids[s] = g_new0(guint32, n_ids);
        for (guint32 id = 1; id < n_ids; id++)
            m->ids[s][id] = id * nw + w + 1;
    }
    m->n_tasks = n_tasks;
    m->task_input = g_new(guint32, n_tasks);
    m->task_line = g_new(guint64, n_tasks);
    for (guint32 t = 0; t < n_tasks; t++) {
        m->task_input[t] = t / 2;
        m->task_line[t] = (t % 2) * 100000;
    }
    return m;
}

/* Records of @nw source sorters (@cap records per run, @n records each, tasks taken in
 * increasing order per source) absorbed into one sorter drain as the translated records
 * sorted: nothing lost, every field translated, the full order kept. */
static void
check_absorb(guint nw, gsize cap, guint n, guint32 seed)
{
    const guint32 n_ids = 70000, n_tasks = 8;
    g_autoptr(KtSorter) dst = kt_sorter_new(cap);
    GRand *rnd = g_rand_new_with_seed(seed);
    GArray *want = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    for (guint w = 0; w < nw; w++) {
        g_autoptr(KtSorter) src = kt_sorter_new(cap);
        KtSorterMap *m = test_map(w, nw, n_ids, n_tasks);
        for (guint i = 0; i < n; i++) {
            KtRecord r = rand_rec(rnd, time_ties(rnd, i), i + 1);
            r.principal %= n_ids;
            r.input = (guint32)(i * n_tasks / n); /* tasks in increasing order */
            r.reserved = 0;
            g_assert_true(kt_sorter_add(src, &r, NULL));
            KtRecord t = r;
            t.key = m->ids[KT_SPACE_KEY][r.key];
            t.principal = m->ids[KT_SPACE_PRINCIPAL][r.principal];
            t.source = m->ids[KT_SPACE_SOURCE][r.source];
            t.op = m->ids[KT_SPACE_OP][r.op];
            t.ua = m->ids[KT_SPACE_UA][r.ua];
            t.line += m->task_line[r.input];
            t.input = m->task_input[r.input];
            g_array_append_val(want, t);
        }
        if (w % 2 == 0)
            g_assert_true(kt_sorter_spill(src, 1, NULL));
        g_assert_true(kt_sorter_absorb(dst, src, m, NULL));
        g_assert_cmpuint(kt_sorter_count(src), ==, 0);
    }
    g_assert_cmpuint(kt_sorter_count(dst), ==, (guint64)nw * n);
    g_array_sort(want, kt_record_compare);
    Collect c = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    g_assert_true(kt_sorter_drain(dst, collect, &c, NULL));
    g_assert_cmpuint(c.got->len, ==, want->len);
    g_assert_cmpmem(c.got->data, want->len * sizeof(KtRecord), want->data,
                    want->len * sizeof(KtRecord));
    g_array_free(c.got, TRUE);
    g_array_free(want, TRUE);
    g_rand_free(rnd);
}

static void
test_absorb(void)
{
    check_absorb(2, 50, 1000, 21);  /* spilled runs and in-memory tails */
    check_absorb(3, 0, 500, 22);    /* in memory only */
    check_absorb(4, 20, 700, 23);   /* 140 runs: the smallest are merged first */
}

/* A random value of at most @bits bits (0-64). */
static guint64
rand_bits(GRand *rnd, guint bits)
{
    guint64 v = ((guint64)g_rand_int(rnd) << 32) | g_rand_int(rnd);
    return bits == 0 ? 0 : bits >= 64 ? v : v & (((guint64)1 << bits) - 1);
}

/* Records whose fields have random widths, in time order, packed by kt_pack_many and by
 * pack_put and unpacked by kt_unpack_many and by pack_get: the same bytes and records
 * (the byte shuffles for packed records of up to KT_PACK_SLACK bytes, the field-by-field
 * path beyond). */
static void
check_pack_many(GRand *rnd, guint n)
{
    guint bits[8];
    for (int i = 0; i < 8; i++)
        bits[i] = g_rand_int_range(rnd, 0, 4) == 0 ? 0 : g_rand_int_range(rnd, 1, 20);
    bits[g_rand_int_range(rnd, 0, 8)] = g_rand_int_range(rnd, 0, 65); /* sometimes wide */
    KtRecord *r = g_new0(KtRecord, n), *back = g_new0(KtRecord, n);
    gint64 t = g_rand_boolean(rnd) ? -(gint64)rand_bits(rnd, 40) : (gint64)rand_bits(rnd, 41);
    KtRunRange g;
    for (guint i = 0; i < n; i++) {
        r[i].time_ms = t += (gint64)rand_bits(rnd, bits[0] % 33);
        r[i].bytes = g_rand_int_range(rnd, 0, 8) == 0 ? -1 : (gint64)rand_bits(rnd, bits[1] % 63);
        r[i].line = rand_bits(rnd, bits[2]);
        r[i].tiebreak = rand_bits(rnd, bits[3]);
        r[i].key = (guint32)rand_bits(rnd, MIN(bits[4], 32));
        r[i].principal = (guint32)rand_bits(rnd, MIN(bits[5], 32));
        r[i].source = (guint32)rand_bits(rnd, MIN(bits[6], 32));
        r[i].op = (guint32)rand_bits(rnd, MIN(bits[7], 32));
        r[i].ua = (guint32)rand_bits(rnd, 3);
        r[i].input = (guint32)rand_bits(rnd, MIN(bits[2], 32));
        r[i].reserved = g_rand_int_range(rnd, 0, 16) == 0 ? (guint32)rand_bits(rnd, bits[5]) : 0;
        r[i].status = (guint16)rand_bits(rnd, MIN(bits[6], 16));
        r[i].outcome = (guint8)rand_bits(rnd, 3);
        r[i].flags = (guint8)rand_bits(rnd, MIN(bits[7], 8));
        if (i == 0)
            range_start(&g, &r[i]);
        else
            range_add(&g, &r[i]);
    }
    KtPack k;
    pack_reset(&k);
    pack_range(&k, &g, &r[0], &r[n - 1]);
    pack_finish(&k);
    gsize len = n * k.size + KT_PACK_SLACK;
    guint8 *a = g_malloc0(len), *b = g_malloc0(len);
    kt_pack_many(&k, a, r, n);
    for (guint i = 0; i < n; i++)
        pack_put(&k, b + i * k.size, &r[i]);
    g_assert_cmpmem(a, n * k.size, b, n * k.size);
    kt_unpack_many(&k, a, back, n);
    g_assert_cmpmem(back, n * sizeof(KtRecord), r, n * sizeof(KtRecord));
    for (guint i = 0; i < n; i++) {
        pack_get(&k, a + i * k.size, &back[i]);
        g_assert_cmpmem(&back[i], sizeof(KtRecord), &r[i], sizeof(KtRecord));
    }
    g_free(a);
    g_free(b);
    g_free(r);
    g_free(back);
}

static void
test_pack_many(void)
{
    GRand *rnd = g_rand_new_with_seed(31);
    guint shuffled = 0;
    for (int i = 0; i < 2000; i++)
        check_pack_many(rnd, g_rand_int_range(rnd, 1, 40));
    for (int i = 0; i < 200; i++) {
        /* count the cases the shuffles take, so that the test covers them */
        KtPack k = { 0 };
        for (int f = 0; f < KT_F_COUNT; f++)
            k.width[f] = (guint8)g_rand_int_range(rnd, 0, f >= KT_F_KEY ? 5 : 9);
        for (int f = 0; f < KT_F_COUNT; f++) {
            k.off[f] = (guint8)k.size;
            k.size += k.width[f];
        }
        kt_pack_shuffles(&k);
        shuffled += k.shuf_ok;
        g_assert_true(k.shuf_ok == (k.size <= KT_PACK_SLACK));
    }
    g_assert_cmpuint(shuffled, >, 20);
    g_rand_free(rnd);
}

/* ---- the reorder (streaming) --------------------------------------------------------- */

/* For each record of @r[0, @n), in turn, how many records before it sort after it; the
 * largest. A Fenwick tree over the records' ranks. */
static gsize
max_displacement(const KtRecord *r, gsize n)
{
    KtRecord *sorted = g_memdup2(r, n * sizeof(KtRecord));
    qsort(sorted, n, sizeof(KtRecord), kt_record_compare);
    guint *tree = g_new0(guint, n + 1);
    gsize worst = 0;
    for (gsize j = 0; j < n; j++) {
        KtRecord *hit = bsearch(&r[j], sorted, n, sizeof(KtRecord), kt_record_compare);
        gsize rank = (gsize)(hit - sorted) + 1, smaller = 0;
        for (gsize k = rank; k > 0; k -= k & -k)
            smaller += tree[k];
        worst = MAX(worst, j - smaller);
        for (gsize k = rank; k <= n; k += k & -k)
            tree[k]++;
    }
    g_free(tree);
    g_free(sorted);
    return worst;
}

/*
 * Random logs, nearly in order: whole seconds (groups of equal times), each record
 * late by up to a random jitter, over two inputs. A reorder that did not break hands on
 * every record in the sorter's order, in blocks of at most 256; one that broke had a
 * record preceded by more than 15/16 of its window of records that sort after it, and
 * handed on records in order until then.
 */
static void
test_reorder_random(void)
{
    GRand *rand = g_rand_new_with_seed(0x5eed);
    const gsize windows[] = { 1, 2, 3, 16, 64, 100, 257, 1024 };
    guint broke = 0, whole = 0;
    for (guint trial = 0; trial < 400; trial++) {
        gsize n = (gsize)g_rand_int_range(rand, 0, 3000);
        gsize window = windows[g_rand_int_range(rand, 0, G_N_ELEMENTS(windows))];
        gint jitter = g_rand_boolean(rand) ? 0 : g_rand_int_range(rand, 1, 4000);
        gint per_second = g_rand_int_range(rand, 1, 40);
        KtRecord *in = g_new0(KtRecord, MAX(n, 1));
        for (gsize i = 0; i < n; i++) {
            gint64 t = ((gint64)i / per_second) * 1000 - g_rand_int_range(rand, 0, jitter + 1);
            in[i] = rec(t - t % 1000, g_rand_int_range(rand, 0, 50), (guint32)(i % 2), i + 1);
        }
        Collect c = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
        g_autoptr(KtReorder) r = kt_reorder_new(window, collect_batch, &c);
        gsize added = 0;
        while (added < n && kt_reorder_add(r, &in[added]))
            added++;
        gsize disp = max_displacement(in, n);
        if (added < n) {
            broke++;
            g_assert_true(kt_reorder_broken(r));
            g_assert_cmpuint(disp * 16, >, window * 15);
            g_assert_false(kt_reorder_add(r, &in[0]));
            kt_reorder_finish(r); /* nothing more */
            check_sorted(c.got);
        } else {
            whole++;
            g_assert_cmpuint(kt_reorder_count(r) + c.got->len, ==, n);
            kt_reorder_finish(r);
            g_assert_cmpuint(kt_reorder_count(r), ==, 0);
            g_assert_false(kt_reorder_broken(r));
            qsort(in, n, sizeof(KtRecord), kt_record_compare);
            g_assert_cmpuint(c.got->len, ==, n);
            if (n > 0)
                g_assert_cmpmem(c.got->data, n * sizeof(KtRecord), in, n * sizeof(KtRecord));
        }
        g_array_free(c.got, TRUE);
        g_free(in);
    }
    /* both outcomes were tried */
    g_assert_cmpuint(broke, >, 20);
    g_assert_cmpuint(whole, >, 20);
    g_rand_free(rand);
}

/* Records after a finish continue the order; a record not after those handed on breaks
 * the reorder, an equal one too (every record differs in its line). */
static void
test_reorder_edges(void)
{
    Collect c = { g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    g_autoptr(KtReorder) r = kt_reorder_new(16, collect_batch, &c);
    for (guint i = 0; i < 10; i++)
        g_assert_true(
            kt_reorder_add(r, &(KtRecord){ .time_ms = 1000, .tiebreak = 9 - i, .line = i + 1 }));
    kt_reorder_finish(r);
    g_assert_cmpuint(c.got->len, ==, 10);
    check_sorted(c.got);
    KtRecord late = g_array_index(c.got, KtRecord, 9);
    g_assert_true(kt_reorder_add(r, &(KtRecord){ .time_ms = 2000, .line = 11 }));
    g_assert_false(kt_reorder_broken(r));
    kt_reorder_finish(r);
    g_assert_cmpuint(c.got->len, ==, 11);
    g_assert_false(kt_reorder_add(r, &late));
    g_assert_true(kt_reorder_broken(r));
    g_array_free(c.got, TRUE);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/order/in-memory", test_in_memory);
    g_test_add_func("/order/spilled-runs", test_spilled);
    g_test_add_func("/order/already-sorted", test_already_sorted);
    g_test_add_func("/order/input-order-independent", test_independent_of_input_order);
    g_test_add_func("/order/drain-spills-large-run", test_drain_spills_large_run);
    g_test_add_func("/order/absorb", test_absorb);
    g_test_add_func("/order/round-trip", test_round_trip);
    g_test_add_func("/order/pack-many", test_pack_many);
    g_test_add_func("/order/reorder/random", test_reorder_random);
    g_test_add_func("/order/reorder/edges", test_reorder_edges);
    return g_test_run();
}
