/*
 * sim.c - the hour loop: for every hour of the window, draws each key's benign events
 * (Poisson around its archetype's rate, with drift after the leak) and the scenarios'
 * events into one reused buffer, sorts them by time and hands them to the writer.
 * Every (key, hour) has its own random stream, so the bytes depend only on the seed.
 */
#include <math.h>

#include "ktgen.h"

static guint32
lognormal(KgRng *r, guint32 mean, double sigma)
{
    double v = (double)mean * exp(sigma * kg_rng_gauss(r) - sigma * sigma / 2);
    return v < 20 ? 20 : v > 4e9 ? 4000000000u : (guint32)v;
}

static KgEvent *
push(GArray *buf)
{
    g_array_set_size(buf, buf->len + 1);
    KgEvent *e = &g_array_index(buf, KgEvent, buf->len - 1);
    e->seq = buf->len - 1;
    return e;
}

static void
finish_event(const KgModel *m, KgEvent *e, const KgKey *k, KgRng *r, double deny_p)
{
    const KgOp *op = kg_op(m->p.family, e->op);
    e->region = op->global ? 1 : k->region;
    double u = kg_rng_unif(r);
    if (u < deny_p) {
        e->status = kg_rng_below(r, 10) == 0 ? 401 : 403;
        e->flags |= KG_EV_DENIED;
        e->bytes = 120 + kg_rng_below(r, 200);
    } else if (u < deny_p + 0.002) {
        e->status = kg_rng_below(r, 2) ? 500 : 429;
        e->bytes = 90 + kg_rng_below(r, 100);
    } else {
        e->status = op->read_only ? 200 : (kg_rng_below(r, 4) ? 200 : 201);
    }
}

static guint16
pick_op(const KgKey *k, KgRng *r)
{
    float total = 0;
    for (guint i = 0; i < k->n_ops; i++)
        total += k->ops_w[i];
    float x = (float)kg_rng_unif(r) * total;
    for (guint i = 0; i < k->n_ops; i++) {
        if (x < k->ops_w[i])
            return k->ops[i];
        x -= k->ops_w[i];
    }
    return k->ops[0];
}

static guint32
pick_ip(const KgKey *k, KgRng *r, gboolean drifted)
{
    if (drifted && k->drift_ip && kg_rng_unif(r) < 0.3)
        return k->drift_ip;
    if (k->arch == KG_ARCH_HUMAN) {
        double u = kg_rng_unif(r);
        return k->ips[u < 0.45 ? 0 : u < 0.8 ? 1 : 2];
    }
    return k->ips[kg_rng_below(r, k->n_ips)];
}

/* A fresh CI runner address in one of the key's /16s. */
static guint32
ci_ip(const KgKey *k, KgRng *r)
{
    return k->ips[kg_rng_below(r, k->n_ips)] | (kg_rng_below(r, 256) << 8) |
           (guint32)kg_rng_range(r, 1, 254);
}

static double
key_lambda(const KgModel *m, const KgKey *k, guint ki, gint64 hour)
{
    double lam = kg_key_rate(m, k, hour) * (k->scalable ? m->scale : 1.0);
    if (k->drift_from && hour >= k->drift_from)
        lam *= k->growth;
    if (k->arch == KG_ARCH_HUMAN && lam > 0) {
        KgRng day;
        kg_rng_init(&day, m->p.seed, 0x64617900ULL + ki, (guint64)(hour / KG_DAY_MS));
        if (kg_rng_below(&day, 100) < 8) /* a day off */
            lam = 0;
    }
    return lam;
}

static void
gen_key_hour(const KgModel *m, guint ki, gint64 hour, GArray *buf)
{
    const KgKey *k = g_ptr_array_index(m->keys, ki);
    double lam = key_lambda(m, k, ki, hour);
    if (lam <= 0)
        return;
    KgRng r;
    kg_rng_init(&r, m->p.seed, ki + 1, (guint64)(hour / KG_HOUR_MS));
    guint32 n = kg_rng_poisson(&r, lam);
    gboolean drifted = k->drift_from && hour >= k->drift_from;
    gint64 span = k->arch == KG_ARCH_BATCH ? KG_HOUR_MS / 2 : KG_HOUR_MS;
    guint32 job_ip = 0, job_left = 0;
    gint64 job_ms = 0;
    for (guint32 j = 0; j < n; j++) {
        KgEvent *e = push(buf);
        if (k->arch == KG_ARCH_CI) {
            if (job_left == 0) {
                job_ip = ci_ip(k, &r);
                job_left = (guint32)kg_rng_range(&r, 3, 12);
                job_ms = hour + (gint64)(kg_rng_unif(&r) * (double)(KG_HOUR_MS - 300000));
            }
            job_left--;
            e->ip = job_ip;
            e->ms = job_ms + kg_rng_below(&r, 300000);
        } else {
            e->ip = pick_ip(k, &r, drifted);
            e->ms = hour + (gint64)(kg_rng_unif(&r) * (double)span);
        }
        e->key = (guint16)ki;
        e->session = (guint32)(e->ms / KG_HOUR_MS);
        e->op = pick_op(k, &r);
        if (drifted && k->drift_op != 0xffff && kg_rng_unif(&r) < 0.1)
            e->op = k->drift_op;
        e->ua = kg_ua_benign(k->ua / 2, drifted && k->drift_ua);
        if (k->arch == KG_ARCH_CI && m->p.family == KG_FAM_AWS && kg_rng_below(&r, 25) == 0) {
            /* CloudFormation deploying the stack with the CI role */
            e->ip = KG_IP_CFN;
            e->ua = KG_UA_AWS_SERVICE;
        }
        e->bytes = lognormal(&r, k->bytes_mean, 0.6);
        e->flags = 0;
        finish_event(m, e, k, &r, k->deny_p);
    }
}

static gboolean
scenario_hour_ok(const KgScenario *s, const KgKey *k, gint64 ms)
{
    if (s->follow_hours && !kg_key_usual_hour(k, ms))
        return FALSE;
    if (s->night_only) {
        int h, wd;
        kg_local_hour(k->zone, ms, &h, &wd);
        return h >= 1 && h < 5;
    }
    return TRUE;
}

static void
emit_attack(const KgModel *m, KgScenario *s, const KgKey *k, KgRng *r, GArray *buf, gint64 ms,
            guint ipi, guint16 op, double deny_p, guint32 bytes_mean)
{
    KgEvent *e = push(buf);
    e->ms = ms;
    e->session = (guint32)(s->start_ms / KG_HOUR_MS); /* the stolen session */
    e->ip = s->ips[ipi];
    e->ua = s->uas[ipi];
    e->key = (guint16)s->key;
    e->op = op;
    e->bytes = lognormal(r, bytes_mean, 0.5);
    e->flags = KG_EV_ATTACK;
    finish_event(m, e, k, r, deny_p);
    s->events++;
}

static void
scenario_event(const KgModel *m, KgScenario *s, const KgKey *k, KgRng *r, GArray *buf,
               gint64 ms, guint ipi)
{
    guint16 op = s->ops[kg_rng_below(r, MAX(s->n_ops, 1))];
    emit_attack(m, s, k, r, buf, ms, ipi, op, s->deny_p, s->bytes_mean);
}

/* One phase of leak_chain: who, how busy, doing what (lengths in kg_chain_minutes). */
typedef struct {
    guint ip;
    double per_hour, rate_x, deny_p;
    KgOpCat cat, cat2;
    guint32 bytes;
} KgPhase;

static const KgPhase chain[KG_CHAIN_PHASES] = {
    { 0, 20, 0, 0.0, KG_OP_RECON, KG_OP_RECON, 300 },
    { 1, 240, 0, 0.6, KG_OP_RECON, KG_OP_RECON, 600 },
    { 1, 50, 0, 0.15, KG_OP_PRIV, KG_OP_CRED, 900 },
    { 2, 60, 15, 0.0, KG_OP_BULK, KG_OP_BULK, 500000 },
};

const double kg_chain_minutes[KG_CHAIN_PHASES] = { 3, 15, 30, 60 };
const char *const kg_chain_what[KG_CHAIN_PHASES] = {
    "TruffleHog verifies the key (whoami)",
    "enumeration, most calls denied",
    "privilege operations (create a user, attach a policy, mint a key) and secret reads",
    "bulk data reads (a volume and bytes spike)",
};

static void
gen_chain_hour(const KgModel *m, KgScenario *s, const KgKey *k, KgRng *r, gint64 hour,
               GArray *buf)
{
    double scale = k->scalable ? m->scale : 1.0;
    for (guint p = 0; p < KG_CHAIN_PHASES; p++) {
        const KgPhase *ph = &chain[p];
        gint64 from = s->phase_at[p], to = from + (gint64)(kg_chain_minutes[p] * 60000);
        gint64 lo = MAX(hour, from), hi = MIN(MIN(hour + KG_HOUR_MS, to), s->end_ms);
        if (hi <= lo)
            continue;
        if (lo == from) /* every phase opens with one call */
            emit_attack(m, s, k, r, buf, lo, ph->ip, kg_op_code(ph->cat, 0), 0.0, ph->bytes);
        double lam = (ph->per_hour + ph->rate_x * k->rate * scale) * (double)(hi - lo) / KG_HOUR_MS;
        guint32 n = p == 0 ? 0 : kg_rng_poisson(r, lam);
        for (guint32 j = 0; j < n; j++) {
            gint64 ms = lo + (gint64)(kg_rng_unif(r) * (double)(hi - lo));
            KgOpCat cat = kg_rng_below(r, 3) ? ph->cat : ph->cat2;
            guint nops = kg_op_count(m->p.family, cat);
            /* privilege: create a user, attach a policy, mint a key (the first three) */
            guint16 op = kg_op_code(cat, kg_rng_below(r, cat == KG_OP_PRIV ? MIN(nops, 3) : nops));
            emit_attack(m, s, k, r, buf, ms, ph->ip, op, ph->deny_p, ph->bytes);
        }
    }
}

static void
gen_scenario_hour(const KgModel *m, KgScenario *s, guint si, gint64 hour, GArray *buf)
{
    gint64 lo = MAX(hour, s->start_ms), hi = MIN(hour + KG_HOUR_MS, s->end_ms);
    if (!kg_scenario_is_attack(s->kind) || hi <= lo)
        return;
    const KgKey *k = g_ptr_array_index(m->keys, s->key);
    if (!scenario_hour_ok(s, k, lo))
        return;
    KgRng r;
    kg_rng_init(&r, m->p.seed, 0x1000000ULL + si, (guint64)(hour / KG_HOUR_MS));
    if (s->kind == KG_SC_LEAK_CHAIN) {
        gen_chain_hour(m, s, k, &r, hour, buf);
        return;
    }
    if (s->events == 0) {
        /* opening: every attacker IP shows up at least once */
        for (guint i = 0; i < s->n_ips; i++)
            scenario_event(m, s, k, &r, buf, MIN(lo + (gint64)i * 30000, hi - 1), i);
    }
    double scale = k->scalable ? m->scale : 1.0;
    double lam = (s->per_hour + s->rate_x * k->rate * scale) * (double)(hi - lo) / KG_HOUR_MS;
    guint32 n = kg_rng_poisson(&r, lam);
    for (guint32 j = 0; j < n; j++) {
        gint64 ms = lo + (gint64)(kg_rng_unif(&r) * (double)(hi - lo));
        scenario_event(m, s, k, &r, buf, ms, kg_rng_below(&r, s->n_ips));
    }
}

static int
cmp_event(gconstpointer a, gconstpointer b)
{
    const KgEvent *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms < y->ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

gboolean
kg_sim_run(KgModel *m, KgWriter *w, GError **error)
{
    g_autoptr(GArray) buf = g_array_sized_new(FALSE, TRUE, sizeof(KgEvent), 8192);
    gint64 end = m->p.start_ms + (gint64)m->p.days * KG_DAY_MS;
    for (gint64 hour = m->p.start_ms; hour < end; hour += KG_HOUR_MS) {
        g_array_set_size(buf, 0);
        for (guint ki = 0; ki < m->keys->len; ki++)
            gen_key_hour(m, ki, hour, buf);
        for (guint si = 0; si < m->scenarios->len; si++)
            gen_scenario_hour(m, g_ptr_array_index(m->scenarios, si), si, hour, buf);
        g_array_sort(buf, cmp_event);
        if (!kg_writer_hour(w, hour, (KgEvent *)(void *)buf->data, buf->len, error))
            return FALSE;
    }
    return kg_writer_finish(w, error);
}

guint64
kg_event_hash(const KgEvent *e)
{
    guint64 h = (guint64)e->ms * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    h ^= ((guint64)e->ip << 17) ^ ((guint64)e->key << 3) ^ ((guint64)e->seq << 40) ^ e->op;
    h = (h ^ (h >> 31)) * G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    return h ^ (h >> 29);
}
