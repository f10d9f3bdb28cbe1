/*
 * model.c - the population of keys ktgen simulates: archetypes (service, human, CI,
 * batch, rare, dormant), their IPs, zones, operations, user agents and hourly rates,
 * and realistic key ids per source family. Scenarios are attached by scenario.c.
 */
#include <math.h>

#include "ktgen.h"

/* Benign address pools: cloud /16s (services, CI), office /24s, residential /16s. */
static const guint8 cloud16[][2] = { { 3, 120 },  { 3, 121 },  { 18, 156 }, { 18, 184 },
                                     { 18, 192 }, { 35, 156 }, { 52, 28 },  { 52, 57 },
                                     { 52, 58 },  { 54, 93 },  { 3, 64 },   { 34, 192 } };
static const guint8 office24[][3] = { { 193, 175, 73 }, { 217, 110, 42 }, { 62, 159, 88 },
                                      { 80, 153, 17 },  { 64, 124, 201 }, { 199, 87, 14 } };
static const guint8 home16[][2] = { { 91, 64 }, { 84, 133 }, { 2, 200 }, { 73, 15 }, { 24, 5 } };

static const char *const svc_names[] = { "billing-api",    "checkout",      "orders-worker",
                                         "search-indexer", "reporting",     "notifications",
                                         "inventory-sync", "ml-scorer",     "payments-gw",
                                         "media-resizer",  "audit-shipper", "crm-sync" };
static const char *const human_names[] = { "alice.schmidt", "jonas.weber",  "maria.garcia",
                                           "li.wei",        "sam.okafor",   "emma.jensen",
                                           "noah.fischer",  "olivia.brown", "yusuf.demir" };

static guint32
ip4(guint a, guint b, guint c, guint d)
{
    return (a << 24) | (b << 16) | (c << 8) | d;
}

static guint32
cloud_ip(KgRng *r, guint pool, guint third)
{
    return ip4(cloud16[pool][0], cloud16[pool][1], third, (guint)kg_rng_range(r, 4, 250));
}

static void
rand_chars(KgRng *r, GString *s, const char *alphabet, guint n)
{
    gsize na = strlen(alphabet);
    for (guint i = 0; i < n; i++)
        g_string_append_c(s, alphabet[kg_rng_below(r, (guint32)na)]);
}

/* Fills id, principal and name of @k for the model's family. */
static void
make_identity(KgModel *m, KgKey *k, KgRng *r, guint idx)
{
    gboolean person = k->arch == KG_ARCH_HUMAN;
    const char *base = person ? human_names[idx % G_N_ELEMENTS(human_names)]
                              : svc_names[idx % G_N_ELEMENTS(svc_names)];
    if (person)
        k->name = idx < G_N_ELEMENTS(human_names) ? g_strdup(base)
                                                  : g_strdup_printf("%s%u", base, idx);
    else
        k->name = g_strdup_printf("%s-%u", base, idx / (guint)G_N_ELEMENTS(svc_names) + 1);
    g_autoptr(GString) id = g_string_new(NULL);
    switch (m->p.family) {
    case KG_FAM_AWS:
        k->temporary = k->arch == KG_ARCH_CI;
        g_string_append(id, k->temporary ? "ASIA" : "AKIA");
        rand_chars(r, id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
        k->principal = k->temporary
                           ? g_strdup_printf("arn:aws:sts::%s:assumed-role/%s-deploy/gha-%u",
                                             m->account, k->name, idx)
                           : g_strdup_printf("arn:aws:iam::%s:user/%s", m->account, k->name);
        break;
    case KG_FAM_HTTP:
        g_string_append(id, person || k->arch == KG_ARCH_RARE ? "rk_live_" : "sk_live_");
        rand_chars(r, id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 24);
        break;
    case KG_FAM_VAULT:
        g_string_append(id, "hmac-sha256:");
        rand_chars(r, id, "0123456789abcdef", 64);
        k->principal = g_strdup_printf("approle-%s", k->name);
        break;
    case KG_FAM_CONJUR:
        g_string_printf(id, "%s:%s:%s%s", m->account, person ? "user" : "host",
                        person ? "" : "apps/", k->name);
        break;
    case KG_FAM_GITHUB: {
        guint8 raw[32];
        for (guint i = 0; i < sizeof raw; i++)
            raw[i] = (guint8)kg_rng_below(r, 256);
        g_autofree char *b64 = g_base64_encode(raw, sizeof raw);
        g_string_append(id, b64);
        k->principal = g_strdup(person ? k->name : "acme-bot");
        break;
    }
    case KG_FAM_GCP:
        k->principal = g_strdup_printf("%s@%s.iam.gserviceaccount.com", k->name, m->account);
        g_string_printf(id, "//iam.googleapis.com/projects/%s/serviceAccounts/%s/keys/",
                        m->account, k->principal);
        rand_chars(r, id, "0123456789abcdef", 40);
        break;
    case KG_FAM_N:
        g_assert_not_reached();
    }
    k->id = g_string_free(g_steal_pointer(&id), FALSE);
}

static void
add_op(KgKey *k, KgOpCat cat, guint idx, float w)
{
    guint16 code = kg_op_code(cat, idx);
    for (guint i = 0; i < k->n_ops; i++)
        if (k->ops[i] == code)
            return;
    if (k->n_ops < KG_MAX_OPS) {
        k->ops[k->n_ops] = code;
        k->ops_w[k->n_ops++] = w;
    }
}

static void
make_ops(const KgModel *m, KgKey *k, KgRng *r)
{
    KgFamily f = m->p.family;
    guint nr = kg_op_count(f, KG_OP_READ), nw = kg_op_count(f, KG_OP_WRITE);
    guint first = kg_rng_below(r, nr);
    add_op(k, KG_OP_READ, first, 6.0f);
    add_op(k, KG_OP_READ, (first + 1 + kg_rng_below(r, 2)) % nr, 3.0f);
    add_op(k, KG_OP_WRITE, kg_rng_below(r, nw), k->arch == KG_ARCH_BATCH ? 1.0f : 2.5f);
    if (k->arch == KG_ARCH_HUMAN)
        add_op(k, KG_OP_RECON, 0, 1.0f);
    if (kg_rng_below(r, 2))
        add_op(k, KG_OP_WRITE, kg_rng_below(r, nw), 1.0f);
}

static void
make_network(KgKey *k, KgRng *r)
{
    guint pool = kg_rng_below(r, G_N_ELEMENTS(cloud16)), third = kg_rng_below(r, 250);
    switch (k->arch) {
    case KG_ARCH_SERVICE:
    case KG_ARCH_DORMANT:
    case KG_ARCH_BATCH:
        k->n_ips = k->arch == KG_ARCH_BATCH ? 1 : (guint)kg_rng_range(r, 2, 4);
        for (guint i = 0; i < k->n_ips; i++)
            k->ips[i] = cloud_ip(r, pool, i == 3 ? (third + 1) % 250 : third);
        break;
    case KG_ARCH_HUMAN: {
        /* offices 0-3 are in Germany, 4-5 in the US: match the key's zone */
        guint oi = kg_rng_below(r, 4);
        const guint8 *o = office24[k->zone == KG_ZONE_NEW_YORK ? 4 + oi % 2 : oi];
        const guint8 *h = home16[kg_rng_below(r, G_N_ELEMENTS(home16))];
        k->ips[0] = ip4(o[0], o[1], o[2], (guint)kg_rng_range(r, 2, 60));
        k->ips[1] = ip4(o[0], o[1], o[2], (guint)kg_rng_range(r, 61, 120));
        k->ips[2] = ip4(h[0], h[1], kg_rng_below(r, 256), (guint)kg_rng_range(r, 1, 254));
        if (kg_rng_below(r, 2)) /* an IPv6 home line */
            k->ips[2] = KG_IP_V6_TAG | (guint32)(kg_rng_next(r) & 0x0fffffffu);
        k->n_ips = 3;
        break;
    }
    case KG_ARCH_CI:
        /* /16 prefixes; each job draws a fresh host in one of them */
        k->n_ips = (guint)kg_rng_range(r, 2, 3);
        for (guint i = 0; i < k->n_ips; i++) {
            guint p = (pool + i * 5) % G_N_ELEMENTS(cloud16);
            k->ips[i] = ip4(cloud16[p][0], cloud16[p][1], 0, 0);
        }
        break;
    case KG_ARCH_RARE: {
        const guint8 *o = office24[kg_rng_below(r, G_N_ELEMENTS(office24))];
        k->ips[0] = ip4(o[0], o[1], o[2], (guint)kg_rng_range(r, 121, 250));
        k->n_ips = 1;
        break;
    }
    case KG_ARCH_N:
        g_assert_not_reached();
    }
}

static void
make_profile(const KgModel *m, KgKey *k, KgRng *r)
{
    guint nua = kg_ua_benign_count(m->p.family), hf = kg_ua_human_first(m->p.family);
    k->zone = KG_ZONE_UTC;
    k->ua = kg_ua_benign(kg_rng_below(r, hf), FALSE);
    k->deny_p = 0.002 + 0.008 * kg_rng_unif(r);
    k->bytes_mean = 400 + kg_rng_below(r, 12000);
    k->scalable = TRUE;
    k->active_until = G_MAXINT64;
    k->growth = 1.0;
    k->drift_op = 0xffff;
    k->region = (guint8)(kg_rng_below(r, 4) == 0 ? 1 : 0);
    switch (k->arch) {
    case KG_ARCH_SERVICE:
        k->rate = 20 + 180 * kg_rng_unif(r);
        break;
    case KG_ARCH_HUMAN:
        k->zone = kg_rng_below(r, 3) == 0 ? KG_ZONE_NEW_YORK : KG_ZONE_BERLIN;
        k->ua = kg_ua_benign(hf + kg_rng_below(r, nua - hf), FALSE);
        k->rate = 4 + 20 * kg_rng_unif(r);
        k->deny_p = 0.01 + 0.02 * kg_rng_unif(r);
        break;
    case KG_ARCH_CI:
        k->rate = 10 + 50 * kg_rng_unif(r);
        break;
    case KG_ARCH_BATCH:
        k->rate = 400 + 2000 * kg_rng_unif(r);
        k->batch_hour = (guint8)kg_rng_range(r, 1, 3);
        k->bytes_mean *= 4;
        break;
    case KG_ARCH_RARE:
        k->rate = (2 + 5 * kg_rng_unif(r)) / 40.0; /* calls a week over 40 office hours */
        k->scalable = FALSE;
        break;
    case KG_ARCH_DORMANT:
        k->rate = 3 + 10 * kg_rng_unif(r);
        k->scalable = FALSE;
        k->active_until = m->p.start_ms + (gint64)kg_rng_range(r, 2, 4) * KG_DAY_MS;
        break;
    case KG_ARCH_N:
        g_assert_not_reached();
    }
}

const char *
kg_key_id_at(const KgModel *m, const KgKey *k, guint32 session, char *buf)
{
    if (!m->p.rotate_sessions || !k->temporary)
        return k->id;
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    KgRng r;
    kg_rng_init(&r, m->p.seed ^ g_str_hash(k->id), 0x73657373ULL, session);
    memcpy(buf, "ASIA", 4);
    for (int i = 0; i < 16; i++)
        buf[4 + i] = b32[kg_rng_below(&r, 32)];
    buf[20] = '\0';
    return buf;
}

const char *
kg_key_issuer(const KgModel *m, const KgKey *k, char *buf)
{
    if (!k->temporary)
        return NULL;
    if (k->issuer)
        return k->issuer;
    const char *role = k->principal ? strstr(k->principal, "assumed-role/") : NULL;
    const char *name = role ? role + strlen("assumed-role/") : k->name;
    const char *slash = strchr(name, '/');
    int n = (int)MIN(slash ? (gsize)(slash - name) : strlen(name), 256);
    g_snprintf(buf, 512, "arn:aws:iam::%s:role/%.*s", k->account ? k->account : m->account, n,
               name);
    return buf;
}

const char *
kg_arch_name(KgArchetype a)
{
    static const char *const names[KG_ARCH_N] = { "service", "human", "ci",
                                                  "batch",   "rare",  "dormant" };
    return names[a];
}

gboolean
kg_key_usual_hour(const KgKey *k, gint64 ms)
{
    int h, wd;
    kg_local_hour(k->zone, ms, &h, &wd);
    switch (k->arch) {
    case KG_ARCH_HUMAN:
        return wd < 5 && h >= 9 && h < 17;
    case KG_ARCH_CI:
        return wd < 5 && h >= 8 && h < 19;
    case KG_ARCH_BATCH:
        return h == k->batch_hour;
    case KG_ARCH_RARE:
        return wd < 5 && h >= 9 && h < 17;
    default:
        return h >= 8 && h < 20;
    }
}

double
kg_key_rate(const KgModel *m, const KgKey *k, gint64 hour_ms)
{
    int h, wd;
    if (hour_ms >= k->active_until)
        return 0;
    kg_local_hour(k->zone, hour_ms, &h, &wd);
    gboolean weekday = wd < 5;
    switch (k->arch) {
    case KG_ARCH_SERVICE:
    case KG_ARCH_DORMANT:
        return k->rate * (0.8 + 0.35 * cos(2 * G_PI * (h - 14) / 24.0)) * (weekday ? 1.0 : 0.8);
    case KG_ARCH_HUMAN:
        if (weekday && h >= 8 && h < 18)
            return k->rate * (h == 12 ? 0.5 : 1.0);
        return weekday && h >= 18 && h < 20 ? k->rate * 0.08 : 0.0;
    case KG_ARCH_CI:
        return weekday && h >= 7 && h < 20 ? k->rate : k->rate * 0.1;
    case KG_ARCH_BATCH:
        return h == k->batch_hour ? k->rate : 0.0;
    case KG_ARCH_RARE:
        return weekday && h >= 9 && h < 17 ? k->rate : 0.0;
    case KG_ARCH_N:
        break;
    }
    return 0;
}

/* Archetype of key @i among @n: a fixed share of each, then shuffled by the seed. */
static void
assign_archetypes(KgModel *m, KgArchetype *out, guint n, KgRng *r)
{
    static const KgArchetype cycle[] = { KG_ARCH_SERVICE, KG_ARCH_HUMAN, KG_ARCH_SERVICE,
                                         KG_ARCH_CI,      KG_ARCH_RARE,  KG_ARCH_SERVICE,
                                         KG_ARCH_BATCH,   KG_ARCH_HUMAN, KG_ARCH_CI,
                                         KG_ARCH_SERVICE, KG_ARCH_RARE,  KG_ARCH_DORMANT };
    static const KgArchetype replay[] = { KG_ARCH_SERVICE, KG_ARCH_HUMAN, KG_ARCH_CI };
    for (guint i = 0; i < n; i++)
        out[i] = m->p.key_file_lines ? replay[i % 3] : cycle[i % G_N_ELEMENTS(cycle)];
    for (guint i = n; i > 1; i--) {
        guint j = kg_rng_below(r, i);
        KgArchetype t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
}

/* Replaces generated ids by the ones of a key file line "KEYID [PRINCIPAL [ISSUER]]".
 * Returns FALSE for a line with an odd key id, quotes, backslashes or over-long fields
 * (records reserve 16 KiB). */
static gboolean
apply_key_line(KgModel *m, KgKey *k, const char *line)
{
    g_auto(GStrv) f = g_strsplit_set(line, " \t", 4);
    if (!f[0] || !*f[0] || strlen(f[0]) > 128 ||
        strspn(f[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789_:/+=.@-") != strlen(f[0]))
        return FALSE;
    for (guint i = 1; f[i]; i++)
        if (strpbrk(f[i], "\"\\") || strlen(f[i]) > 512)
            return FALSE;
    g_free(k->id);
    k->id = g_strdup(f[0]);
    k->temporary = g_str_has_prefix(k->id, "ASIA");
    if (f[1] && *f[1]) {
        g_free(k->principal);
        k->principal = g_strdup(f[1]);
        g_auto(GStrv) parts = g_strsplit(f[1], ":", 6);
        if (g_strv_length(parts) >= 5 && strlen(parts[4]) == 12) {
            g_free(k->account);
            k->account = g_strdup(parts[4]);
        }
        if (f[2] && *f[2])
            k->issuer = g_strdup(f[2]);
    }
    return TRUE;
}

static void
key_free(gpointer p)
{
    KgKey *k = p;
    g_free(k->id);
    g_free(k->principal);
    g_free(k->account);
    g_free(k->issuer);
    g_free(k->name);
    g_free(k);
}

static void
compute_scale(KgModel *m)
{
    double scalable = 0, fixed = 0;
    gint64 end = m->p.start_ms + (gint64)m->p.days * KG_DAY_MS;
    for (guint i = 0; i < m->keys->len; i++) {
        const KgKey *k = g_ptr_array_index(m->keys, i);
        double sum = 0;
        for (gint64 h = m->p.start_ms; h < end; h += KG_HOUR_MS)
            sum += kg_key_rate(m, k, h);
        if (k->scalable)
            scalable += sum;
        else
            fixed += sum;
    }
    m->scale = 1.0;
    if (m->p.events > 0 && scalable > 0)
        m->scale = MAX(0.001, ((double)m->p.events - fixed) / scalable);
}

KgModel *
kg_model_new(const KgParams *p, GError **error)
{
    g_autoptr(KgModel) m = g_new0(KgModel, 1);
    m->p = *p;
    m->keys = g_ptr_array_new_with_free_func(key_free);
    m->scenarios = g_ptr_array_new();
    KgRng r;
    kg_rng_init(&r, p->seed, 0x6d6f64656cULL, p->family);
    if (p->family == KG_FAM_AWS)
        m->account = g_strdup_printf("%012" G_GUINT64_FORMAT,
                                     (guint64)(G_GUINT64_CONSTANT(100000000000) + kg_rng_next(&r) % G_GUINT64_CONSTANT(899999999999)));
    else
        m->account = g_strdup(p->family == KG_FAM_GCP ? "acme-prod-4821" : "acme");
    g_autofree KgArchetype *arch = g_new0(KgArchetype, MAX(p->n_keys, 1));
    assign_archetypes(m, arch, p->n_keys, &r);
    guint n_lines = p->key_file_lines ? g_strv_length(p->key_file_lines) : 0;
    for (guint i = 0; i < p->n_keys; i++) {
        KgKey *k = g_new0(KgKey, 1);
        KgRng kr;
        kg_rng_init(&kr, p->seed, 0x6b6579ULL, i);
        k->arch = arch[i];
        make_identity(m, k, &kr, i);
        make_profile(m, k, &kr);
        make_network(k, &kr);
        make_ops(m, k, &kr);
        g_ptr_array_add(m->keys, k);
        if (i < n_lines && !apply_key_line(m, k, p->key_file_lines[i])) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "key file line %u: want 'KEYID [PRINCIPAL [ISSUER]]' without quotes "
                        "(key id up to 128 characters, ARNs up to 512)", i + 1);
            return NULL;
        }
    }
    if (!kg_scenarios_build(m, error))
        return NULL;
    compute_scale(m);
    return g_steal_pointer(&m);
}

void
kg_model_free(KgModel *m)
{
    if (!m)
        return;
    g_ptr_array_unref(m->keys);
    for (guint i = 0; i < m->scenarios->len; i++) {
        KgScenario *s = g_ptr_array_index(m->scenarios, i);
        g_free(s->note);
        g_free(s);
    }
    g_ptr_array_unref(m->scenarios);
    g_free(m->account);
    g_free(m);
}
