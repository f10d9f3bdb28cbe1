/*
 * scenario.c - the labelled part of a generated log: attacks after the leak time
 * (each from attacker IPs that the labels name) and benign drift that must not be
 * flagged; parameters vary with the seed. Also writes the labels document.
 */
#include <cjson/cJSON.h>

#include "ktgen.h"

static const char *const sc_names[KG_SC_N] = {
    "recon_burst",         "low_and_slow",   "bulk_read",
    "off_hours",           "dormant_wakeup", "attack_tool_ua",
    "privilege_ops",       "same_cloud_16",  "drift_new_ip_same_24",
    "drift_dst_change",    "drift_traffic_growth", "drift_sdk_patch",
    "drift_new_op_known_ip", "leak_chain",
};

/* Attacker address pools (hosting, VPN, Tor exits, residential abroad): /16 prefixes. */
static const guint8 attacker16[][2] = { { 185, 220 }, { 45, 153 },  { 194, 26 },  { 5, 188 },
                                        { 146, 70 },  { 89, 187 },  { 193, 32 },  { 102, 89 },
                                        { 197, 210 }, { 41, 58 },   { 187, 19 },  { 177, 54 },
                                        { 103, 149 }, { 43, 153 },  { 159, 223 }, { 167, 99 },
                                        { 64, 227 },  { 139, 59 } };

const char *
kg_scenario_name(KgScenarioKind k)
{
    return sc_names[k];
}

gboolean
kg_scenario_parse(const char *name, KgScenarioKind *out)
{
    for (guint i = 0; i < KG_SC_N; i++) {
        if (g_strcmp0(name, sc_names[i]) == 0) {
            *out = (KgScenarioKind)i;
            return TRUE;
        }
    }
    return FALSE;
}

static guint32
attacker_ip(KgRng *r)
{
    const guint8 *p = attacker16[kg_rng_below(r, G_N_ELEMENTS(attacker16))];
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | (kg_rng_below(r, 256) << 8) |
           (guint32)kg_rng_range(r, 1, 254);
}

/* Picks an unused key whose archetype is in @want (terminated by KG_ARCH_N). */
static gint
pick_key(KgModel *m, gboolean *used, const KgArchetype *want, KgRng *r)
{
    guint n = m->keys->len, off = n ? kg_rng_below(r, n) : 0;
    for (const KgArchetype *w = want; *w != KG_ARCH_N; w++) {
        for (guint j = 0; j < n; j++) {
            guint i = (j + off) % n;
            const KgKey *k = g_ptr_array_index(m->keys, i);
            if (!used[i] && k->arch == *w) {
                used[i] = TRUE;
                return (gint)i;
            }
        }
    }
    return -1;
}

/* A DST transition of @zone in [lo, hi), or 0. */
static gint64
dst_transition(KgZone zone, gint64 lo, gint64 hi)
{
    for (gint64 t = lo; t + KG_HOUR_MS < hi; t += KG_HOUR_MS)
        if (kg_zone_offset(zone, t) != kg_zone_offset(zone, t + KG_HOUR_MS))
            return t + KG_HOUR_MS;
    return 0;
}

static void
copy_key_ops(KgScenario *s, const KgKey *k)
{
    for (guint i = 0; i < k->n_ops && s->n_ops < KG_MAX_OPS; i++)
        s->ops[s->n_ops++] = k->ops[i];
}

static void
set_ops(KgScenario *s, KgOpCat cat, guint first, guint n)
{
    for (guint i = 0; i < n && s->n_ops < KG_MAX_OPS; i++)
        s->ops[s->n_ops++] = kg_op_code(cat, first + i);
}

/* Window of @hours starting at a random time in [lo, end - hours). */
static void
place(KgScenario *s, KgRng *r, gint64 lo, gint64 end, double hours)
{
    gint64 span = (gint64)(hours * KG_HOUR_MS);
    gint64 room = end - span - lo;
    s->start_ms = lo + (room > 0 ? (gint64)(kg_rng_unif(r) * (double)room) : 0);
    s->start_ms -= s->start_ms % 1000;
    s->end_ms = MIN(end, s->start_ms + span);
}

/* leak_chain: TruffleHog verifies the key from IP 0; hours later a Kali box (IP 1)
 * enumerates with many denials, then creates a user, attaches a policy, mints a key and
 * reads secrets; the next day a VPS (IP 2) bulk-reads data. */
static void
make_chain(KgScenario *s, KgRng *r, gint64 lo, gint64 end)
{
    static const double hours[KG_CHAIN_PHASES] = { 0.05, 0.25, 0.5, 1.0 };
    place(s, r, lo, end, 30.0);
    s->n_ips = 3;
    s->ips[1] = attacker_ip(r);
    s->ips[2] = attacker_ip(r);
    s->uas[0] = kg_ua_attack(KG_UA_ATTACK_TRUFFLEHOG);
    s->uas[1] = kg_ua_attack(KG_UA_ATTACK_KALI);
    s->uas[2] = kg_ua_attack(KG_UA_ATTACK_SCRIPT);
    s->phase_at[0] = s->start_ms;
    s->phase_at[1] = s->start_ms + (gint64)kg_rng_range(r, 90, 240) * 60000;
    s->phase_at[2] = s->phase_at[1] + (gint64)(hours[1] * KG_HOUR_MS) + 5 * 60000;
    s->phase_at[3] = s->phase_at[2] + (gint64)kg_rng_range(r, 16, 26) * KG_HOUR_MS;
    s->end_ms = MIN(end, s->phase_at[3] + (gint64)(hours[3] * KG_HOUR_MS));
    s->note = g_strdup("TruffleHog verifies the key; a Kali box enumerates (mostly denied), "
                       "creates a user, attaches a policy, mints a key and reads secrets; "
                       "the next day a VPS bulk-reads data");
}

/* Attacks that stand out by volume, denials, tools or operations. */
static void
attack_noisy(KgModel *m, KgScenario *s, KgKey *k, KgRng *r, gint64 lo, gint64 end)
{
    switch (s->kind) {
    case KG_SC_RECON_BURST:
        place(s, r, lo, end, (5 + kg_rng_below(r, 20)) / 60.0);
        s->per_hour = (60 + kg_rng_below(r, 190)) * 3600000.0 / (double)(s->end_ms - s->start_ms);
        set_ops(s, KG_OP_RECON, 0, kg_op_count(m->p.family, KG_OP_RECON));
        s->deny_p = 0.4 + 0.4 * kg_rng_unif(r);
        s->note = g_strdup("enumeration burst from a new IP, most calls denied");
        break;
    case KG_SC_BULK_READ:
        place(s, r, lo, end, kg_rng_range(r, 1, 3));
        s->rate_x = 10 + 30 * kg_rng_unif(r);
        s->per_hour = 200;
        set_ops(s, KG_OP_BULK, 0, kg_op_count(m->p.family, KG_OP_BULK));
        s->bytes_mean = 200000 + kg_rng_below(r, 1800000);
        s->note = g_strdup("bulk data reads from a new IP: a volume and bytes spike");
        break;
    case KG_SC_DORMANT_WAKEUP:
        place(s, r, MAX(lo, k->active_until + 31 * KG_DAY_MS), end, kg_rng_range(r, 1, 6));
        s->per_hour = 10 + 30 * kg_rng_unif(r);
        set_ops(s, KG_OP_RECON, 0, 3);
        set_ops(s, KG_OP_CRED, 0, 2);
        s->note = g_strdup("a key unused for 30+ days wakes up from a new IP");
        break;
    case KG_SC_ATTACK_TOOL_UA:
        place(s, r, lo, end, (30 + kg_rng_below(r, 60)) / 60.0);
        s->n_ips = 2;
        s->ips[1] = attacker_ip(r);
        s->uas[0] = kg_ua_attack(KG_UA_ATTACK_TRUFFLEHOG);
        s->uas[1] = kg_ua_attack(KG_UA_ATTACK_KALI);
        s->per_hour = 20 + 40 * kg_rng_unif(r);
        set_ops(s, KG_OP_RECON, 0, 4);
        copy_key_ops(s, k);
        s->deny_p = 0.2;
        s->note = g_strdup("TruffleHog verifies the key, then a Kali box uses it");
        break;
    case KG_SC_PRIVILEGE_OPS:
        place(s, r, lo, end, (20 + kg_rng_below(r, 40)) / 60.0);
        s->per_hour = 20 + 40 * kg_rng_unif(r);
        set_ops(s, KG_OP_RECON, 0, 1);
        set_ops(s, KG_OP_PRIV, 0, 3);
        s->deny_p = 0.1;
        s->note = g_strdup("privilege operations (create user, attach policy, mint a key)");
        break;
    default:
        g_assert_not_reached();
    }
}

/* Attacks that blend in: the key's own hours, operations or cloud. */
static void
attack_quiet(KgModel *m, KgScenario *s, KgKey *k, KgRng *r, gint64 lo, gint64 end)
{
    switch (s->kind) {
    case KG_SC_LOW_AND_SLOW:
        place(s, r, lo, end, 24.0 * kg_rng_range(r, 3, 6));
        s->per_hour = 0.3 + 0.7 * kg_rng_unif(r);
        s->follow_hours = TRUE;
        copy_key_ops(s, k);
        s->uas[0] = k->ua;
        s->bytes_mean = k->bytes_mean;
        s->note = g_strdup("a few calls a day from a new IP at the key's usual hours, same SDK");
        break;
    case KG_SC_OFF_HOURS:
        place(s, r, lo, end, 24.0 * kg_rng_range(r, 2, 5));
        s->per_hour = 3 + 12 * kg_rng_unif(r);
        s->night_only = TRUE;
        copy_key_ops(s, k);
        set_ops(s, KG_OP_RECON, 0, 2);
        s->uas[0] = k->ua;
        s->note = g_strdup("use between 01:00 and 05:00 local time of a human's office key");
        break;
    case KG_SC_SAME_CLOUD_16: {
        guint32 net = k->ips[0] & 0xffff0000u, third = (k->ips[0] >> 8) & 0xff;
        guint32 t = (third + 20 + kg_rng_below(r, 200)) % 250;
        s->ips[0] = net | (t << 8) | (guint32)kg_rng_range(r, 4, 250);
        place(s, r, lo, end, 24.0 * kg_rng_range(r, 1, 3));
        s->per_hour = 2 + 8 * kg_rng_unif(r);
        copy_key_ops(s, k);
        set_ops(s, KG_OP_CRED, 0, 1);
        s->uas[0] = k->ua;
        s->note = g_strdup("attacker in the same cloud /16 as the real client, another /24");
        break;
    }
    case KG_SC_LEAK_CHAIN:
        make_chain(s, r, lo, end);
        break;
    default:
        g_assert_not_reached();
    }
}

/* Fills the parameters of attack @s on key @k. */
static void
make_attack(KgModel *m, KgScenario *s, KgKey *k, KgRng *r)
{
    gint64 lo = m->p.leak_ms + KG_HOUR_MS;
    gint64 end = m->p.start_ms + (gint64)m->p.days * KG_DAY_MS;
    s->n_ips = 1;
    s->ips[0] = attacker_ip(r);
    s->uas[0] = kg_ua_attack(KG_UA_ATTACK_SCRIPT);
    s->bytes_mean = 800;
    if (s->kind == KG_SC_LOW_AND_SLOW || s->kind == KG_SC_OFF_HOURS ||
        s->kind == KG_SC_SAME_CLOUD_16 || s->kind == KG_SC_LEAK_CHAIN)
        attack_quiet(m, s, k, r, lo, end);
    else
        attack_noisy(m, s, k, r, lo, end);
}

/* Fills benign drift @s on key @k; FALSE when it cannot happen in this window. */
static gboolean
make_drift(KgModel *m, KgScenario *s, KgKey *k, KgRng *r)
{
    gint64 end = m->p.start_ms + (gint64)m->p.days * KG_DAY_MS;
    s->start_ms = m->p.leak_ms + (gint64)kg_rng_below(r, 48) * KG_HOUR_MS;
    s->end_ms = end;
    k->drift_from = s->start_ms;
    switch (s->kind) {
    case KG_SC_DRIFT_NEW_IP_SAME_24:
        k->drift_ip = (k->ips[0] & 0xffffff00u) | (guint32)kg_rng_range(r, 251, 254);
        s->note = g_strdup("a new instance in a known /24 takes a share of the traffic");
        break;
    case KG_SC_DRIFT_DST_CHANGE: {
        static const KgZone zones[] = { KG_ZONE_BERLIN, KG_ZONE_NEW_YORK };
        gint64 best = 0;
        for (guint i = 0; i < G_N_ELEMENTS(zones); i++) {
            gint64 t = dst_transition(zones[i], m->p.start_ms + 7 * KG_DAY_MS, end - KG_DAY_MS);
            if (t && (!best || ABS(t - m->p.leak_ms) < ABS(best - m->p.leak_ms))) {
                best = t;
                k->zone = zones[i];
            }
        }
        if (!best)
            return FALSE;
        s->start_ms = best;
        k->drift_from = best;
        s->note = g_strdup_printf("office hours shift by one hour in UTC at the %s DST change",
                                  kg_zone_name(k->zone));
        break;
    }
    case KG_SC_DRIFT_TRAFFIC_GROWTH:
        k->growth = 1.3;
        s->note = g_strdup("traffic grows by 30% from the same clients");
        break;
    case KG_SC_DRIFT_SDK_PATCH:
        k->drift_ua = TRUE;
        s->note = g_strdup("the SDK gets a patch release (same product and major version)");
        break;
    case KG_SC_DRIFT_NEW_OP_KNOWN_IP: {
        guint nr = kg_op_count(m->p.family, KG_OP_READ);
        for (guint i = 0; i < nr; i++) {
            guint16 code = kg_op_code(KG_OP_READ, i);
            gboolean have = FALSE;
            for (guint j = 0; j < k->n_ops; j++)
                have |= kg_op(m->p.family, k->ops[j]) == kg_op(m->p.family, code);
            if (!have) {
                k->drift_op = code;
                break;
            }
        }
        s->note = g_strdup("a new everyday read operation from the key's known IPs");
        break;
    }
    default:
        g_assert_not_reached();
    }
    return TRUE;
}

static const KgArchetype *
wanted(KgScenarioKind kind)
{
    static const KgArchetype svc[] = { KG_ARCH_SERVICE, KG_ARCH_N };
    static const KgArchetype human[] = { KG_ARCH_HUMAN, KG_ARCH_N };
    static const KgArchetype dormant[] = { KG_ARCH_DORMANT, KG_ARCH_N };
    static const KgArchetype any[] = { KG_ARCH_SERVICE, KG_ARCH_CI, KG_ARCH_BATCH,
                                       KG_ARCH_HUMAN,   KG_ARCH_RARE, KG_ARCH_N };
    static const KgArchetype slow[] = { KG_ARCH_SERVICE, KG_ARCH_HUMAN, KG_ARCH_N };
    static const KgArchetype tool[] = { KG_ARCH_RARE, KG_ARCH_SERVICE, KG_ARCH_N };
    static const KgArchetype busy[] = { KG_ARCH_CI, KG_ARCH_SERVICE, KG_ARCH_BATCH, KG_ARCH_N };
    switch (kind) {
    case KG_SC_BULK_READ:
    case KG_SC_LEAK_CHAIN:
    case KG_SC_SAME_CLOUD_16:
    case KG_SC_DRIFT_NEW_IP_SAME_24:
        return svc;
    case KG_SC_OFF_HOURS:
    case KG_SC_DRIFT_DST_CHANGE:
        return human;
    case KG_SC_DORMANT_WAKEUP:
        return dormant;
    case KG_SC_LOW_AND_SLOW:
        return slow;
    case KG_SC_ATTACK_TOOL_UA:
        return tool;
    case KG_SC_PRIVILEGE_OPS:
    case KG_SC_DRIFT_TRAFFIC_GROWTH:
    case KG_SC_DRIFT_SDK_PATCH:
    case KG_SC_DRIFT_NEW_OP_KNOWN_IP:
        return busy;
    default:
        return any;
    }
}

gboolean
kg_scenarios_build(KgModel *m, GError **error)
{
    g_autofree gboolean *used = g_new0(gboolean, m->keys->len + 1);
    gint64 end = m->p.start_ms + (gint64)m->p.days * KG_DAY_MS;
    if (m->p.scenarios && (m->p.leak_ms <= m->p.start_ms + KG_DAY_MS || m->p.leak_ms >= end - KG_DAY_MS)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "the leak time must leave at least a day of history before and after it");
        return FALSE;
    }
    for (guint kind = 0; kind < KG_SC_N; kind++) {
        if (!(m->p.scenarios & (1u << kind)))
            continue;
        KgRng r;
        kg_rng_init(&r, m->p.seed, 0x7363656eULL, kind);
        gint ki = pick_key(m, used, wanted((KgScenarioKind)kind), &r);
        if (ki < 0) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "scenario %s needs a %s key: raise --keys (24 or more for all)",
                        sc_names[kind], kg_arch_name(wanted((KgScenarioKind)kind)[0]));
            return FALSE;
        }
        KgKey *k = g_ptr_array_index(m->keys, ki);
        KgScenario *s = g_new0(KgScenario, 1);
        s->kind = (KgScenarioKind)kind;
        s->key = (guint)ki;
        gboolean fits;
        if (kg_scenario_is_attack(s->kind)) {
            make_attack(m, s, k, &r);
            fits = s->start_ms < end && s->start_ms < s->end_ms;
        } else {
            fits = make_drift(m, s, k, &r);
        }
        if (!fits) {
            /* the dormant key needs 31 days of silence; the DST drift a DST change */
            g_printerr("ktgen: note: %s does not fit in this window; left out\n", sc_names[kind]);
            used[ki] = FALSE;
            g_free(s->note);
            g_free(s);
            continue;
        }
        g_ptr_array_add(m->scenarios, s);
    }
    return TRUE;
}

/* ---- labels ----------------------------------------------------------------------------- */

static void
add_time(cJSON *o, const char *name, gint64 ms)
{
    char buf[32];
    cJSON_AddStringToObject(o, name, kg_time_str(ms, buf));
}

static cJSON *
ip_json(guint32 ip)
{
    char buf[48];
    return cJSON_CreateString(kg_ip_text(ip, buf));
}

static cJSON *
keys_json(const KgModel *m)
{
    cJSON *arr = cJSON_CreateArray();
    for (guint i = 0; i < m->keys->len; i++) {
        const KgKey *k = g_ptr_array_index(m->keys, i);
        cJSON *o = cJSON_CreateObject();
        char idbuf[64], ibuf[512];
        const char *issuer = kg_key_issuer(m, k, ibuf);
        cJSON_AddStringToObject(o, "key",
                                kg_key_id_at(m, k, (guint32)(m->p.start_ms / KG_HOUR_MS), idbuf));
        if (issuer)
            cJSON_AddStringToObject(o, "entity", issuer);
        if (m->p.rotate_sessions && k->temporary)
            cJSON_AddStringToObject(o, "rotates", "hourly");
        cJSON_AddStringToObject(o, "archetype", kg_arch_name(k->arch));
        cJSON_AddStringToObject(o, "owner", k->name);
        if (k->principal)
            cJSON_AddStringToObject(o, "principal", k->principal);
        cJSON_AddStringToObject(o, "zone", kg_zone_name(k->zone));
        cJSON *ips = cJSON_AddArrayToObject(o, k->arch == KG_ARCH_CI ? "networks16" : "ips");
        for (guint j = 0; j < k->n_ips; j++)
            cJSON_AddItemToArray(ips, ip_json(k->ips[j]));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *
chain_json(const KgScenario *s)
{
    static const guint ip_of[KG_CHAIN_PHASES] = { 0, 1, 1, 2 };
    cJSON *arr = cJSON_CreateArray();
    for (guint p = 0; p < KG_CHAIN_PHASES; p++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "ip", ip_json(s->ips[ip_of[p]]));
        add_time(o, "start", s->phase_at[p]);
        add_time(o, "end", s->phase_at[p] + (gint64)(kg_chain_minutes[p] * 60000));
        cJSON_AddStringToObject(o, "what", kg_chain_what[p]);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *
scenarios_json(const KgModel *m)
{
    cJSON *arr = cJSON_CreateArray();
    for (guint i = 0; i < m->scenarios->len; i++) {
        const KgScenario *s = g_ptr_array_index(m->scenarios, i);
        const KgKey *k = g_ptr_array_index(m->keys, s->key);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", sc_names[s->kind]);
        cJSON_AddStringToObject(o, "kind", kg_scenario_is_attack(s->kind) ? "attack" : "benign_drift");
        char idbuf[64], ibuf[512];
        const char *issuer = kg_key_issuer(m, k, ibuf);
        /* attackers use the session they stole at the start; drift is on the key */
        cJSON_AddStringToObject(o, "key",
                                kg_key_id_at(m, k, (guint32)(s->start_ms / KG_HOUR_MS), idbuf));
        if (issuer)
            cJSON_AddStringToObject(o, "entity", issuer);
        cJSON *ips = cJSON_AddArrayToObject(o, "attacker_ips");
        for (guint j = 0; j < s->n_ips; j++)
            cJSON_AddItemToArray(ips, ip_json(s->ips[j]));
        if (s->kind == KG_SC_DRIFT_NEW_IP_SAME_24)
            cJSON_AddItemToObject(o, "new_benign_ip", ip_json(k->drift_ip));
        add_time(o, "start", s->start_ms);
        add_time(o, "end", s->end_ms);
        if (kg_scenario_is_attack(s->kind))
            cJSON_AddNumberToObject(o, "events", (double)s->events);
        if (s->kind == KG_SC_LEAK_CHAIN)
            cJSON_AddItemToObject(o, "phases", chain_json(s));
        cJSON_AddStringToObject(o, "note", s->note);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

gboolean
kg_labels_write(const KgModel *m, const char *format_name, const char *path, GError **error)
{
    gint64 end = m->p.start_ms + (gint64)m->p.days * KG_DAY_MS;
    gint64 judged = end - MAX(m->p.leak_ms, m->p.start_ms);
    guint64 key_days = (guint64)m->keys->len * (guint64)((judged + KG_DAY_MS - 1) / KG_DAY_MS);
    g_autoptr(cJSON) root = cJSON_CreateObject();
    if (!root)
        g_error("out of memory");
    cJSON_AddStringToObject(root, "generator", "ktgen");
    cJSON_AddNumberToObject(root, "labels_version", 1);
    cJSON_AddNumberToObject(root, "seed", (double)m->p.seed);
    cJSON_AddStringToObject(root, "format", format_name);
    add_time(root, "start", m->p.start_ms);
    add_time(root, "end", end);
    add_time(root, "leak_time", m->p.leak_ms);
    cJSON_AddNumberToObject(root, "days", m->p.days);
    cJSON_AddNumberToObject(root, "key_days", (double)key_days);
    cJSON_AddItemToObject(root, "scenarios", scenarios_json(m));
    cJSON_AddItemToObject(root, "keys", keys_json(m));
    g_autofree char *text = cJSON_Print(root);
    if (!text)
        g_error("out of memory");
    g_autofree char *doc = g_strconcat(text, "\n", NULL);
    return g_file_set_contents(path, doc, -1, error);
}
