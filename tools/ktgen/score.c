/*
 * score.c - `ktgen score`: compares a keytrail JSON report (schema 1, run with
 * --reveal-keys) with the labels of a generated log. An attacker (key, IP) pair is
 * found when an incident at or above the threshold names that key and IP; every other
 * incident at or above it is a false incident. Prints a table and one TOTAL line.
 */
#include <stdlib.h>

#include "ktgen.h"

typedef struct {
    const char *key;  /* borrowed from the labels document */
    char ip[48];      /* canonical text */
    guint scenario;   /* index into the labels' scenarios */
    gboolean found;
    int best_sev;     /* highest severity of any incident on the pair, -1 = none */
} KgPair;

static const char *const sev_names[] = { "none", "info", "low", "medium", "high", "critical" };

static int
sev_rank(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(sev_names); i++)
        if (g_strcmp0(name, sev_names[i]) == 0)
            return (int)i;
    return 0;
}

/* Canonical IP text: dotted quads lose leading zeros ("035.9.0.01" -> "35.9.0.1"). */
static void
canon_ip(const char *in, char *out, gsize cap)
{
    unsigned a, b, c, d;
    char tail;
    if (in && sscanf(in, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 &&
        c < 256 && d < 256)
        g_snprintf(out, cap, "%u.%u.%u.%u", a, b, c, d);
    else
        g_strlcpy(out, in ? in : "", cap);
}

static cJSON *
load_json(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, error))
        return NULL;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (!doc)
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s is not valid JSON", path);
    return doc;
}

static const char *
str_field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static GArray *
collect_pairs(const cJSON *scenarios)
{
    GArray *pairs = g_array_new(FALSE, TRUE, sizeof(KgPair));
    guint si = 0;
    const cJSON *sc;
    cJSON_ArrayForEach(sc, scenarios)
    {
        const char *key = str_field(sc, "key");
        if (key && g_strcmp0(str_field(sc, "kind"), "attack") == 0) {
            const cJSON *ip;
            cJSON_ArrayForEach(ip, cJSON_GetObjectItemCaseSensitive(sc, "attacker_ips"))
            {
                KgPair p = { .key = key, .scenario = si, .best_sev = -1 };
                canon_ip(cJSON_IsString(ip) ? ip->valuestring : "", p.ip, sizeof p.ip);
                g_array_append_val(pairs, p);
            }
        }
        si++;
    }
    return pairs;
}

typedef struct {
    guint incidents, true_inc, false_inc;
    GHashTable *flagged_keys; /* key or entity -> max severity + 1 of medium+ false incidents */
} KgTally;

static void
flag(GHashTable *flagged, const char *name, int sev)
{
    if (!name)
        return;
    gpointer old = g_hash_table_lookup(flagged, name);
    if (GPOINTER_TO_INT(old) < sev + 1)
        g_hash_table_insert(flagged, (gpointer)name, GINT_TO_POINTER(sev + 1));
}

static void
match_incidents(const cJSON *report, GArray *pairs, int min_sev, KgTally *t, gboolean *masked)
{
    const cJSON *inc;
    cJSON_ArrayForEach(inc, cJSON_GetObjectItemCaseSensitive(report, "incidents"))
    {
        const char *key = str_field(inc, "key");
        char ip[48];
        canon_ip(str_field(inc, "ip"), ip, sizeof ip);
        int sev = sev_rank(str_field(inc, "severity"));
        if (!key)
            continue;
        if (strstr(key, "...") || strstr(key, "\xe2\x80\xa6") || strchr(key, '*'))
            *masked = TRUE;
        gboolean hit = FALSE;
        for (guint i = 0; i < pairs->len; i++) {
            KgPair *p = &g_array_index(pairs, KgPair, i);
            if (strcmp(p->key, key) == 0 && strcmp(p->ip, ip) == 0) {
                hit = TRUE;
                p->best_sev = MAX(p->best_sev, sev);
                p->found |= sev >= min_sev;
            }
        }
        if (sev < min_sev)
            continue;
        t->incidents++;
        if (hit) {
            t->true_inc++;
        } else {
            t->false_inc++;
            flag(t->flagged_keys, key, sev);
            flag(t->flagged_keys, str_field(inc, "entity"), sev);
        }
    }
}

static char *short_key(const char *key);

/* The archetype of @key (or of the entity it belongs to) in the labels, or "?". */
static const char *
archetype_of(const cJSON *labels, const char *key, const char *entity)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(labels, "keys"))
    {
        if (g_strcmp0(str_field(k, "key"), key) == 0 ||
            (entity && g_strcmp0(str_field(k, "entity"), entity) == 0))
            return str_field(k, "archetype") ? str_field(k, "archetype") : "?";
    }
    return "?";
}

/* --verbose: one line per false incident at or above the threshold. */
static void
print_false(const cJSON *labels, const cJSON *report, GArray *pairs, int min_sev)
{
    const cJSON *inc;
    cJSON_ArrayForEach(inc, cJSON_GetObjectItemCaseSensitive(report, "incidents"))
    {
        const char *key = str_field(inc, "key");
        char ip[48];
        canon_ip(str_field(inc, "ip"), ip, sizeof ip);
        int sev = sev_rank(str_field(inc, "severity"));
        gboolean hit = FALSE;
        for (guint i = 0; key && i < pairs->len; i++) {
            const KgPair *p = &g_array_index(pairs, KgPair, i);
            hit |= strcmp(p->key, key) == 0 && strcmp(p->ip, ip) == 0;
        }
        if (!key || hit || sev < min_sev)
            continue;
        g_autoptr(GString) reasons = g_string_new(NULL);
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(inc, "reasons"))
        {
            if (cJSON_IsString(r))
                g_string_append_printf(reasons, "%s%s", reasons->len ? "," : "", r->valuestring);
        }
        g_autofree char *sk = short_key(key);
        const char *first = str_field(inc, "first_seen");
        printf("false      %-8s %-20s %-8s %-18s %s %s\n", sev_names[sev], sk,
               archetype_of(labels, key, str_field(inc, "entity")), ip, first ? first : "?",
               reasons->str);
    }
}

static char *
short_key(const char *key)
{
    gsize n = strlen(key);
    if (n <= 20)
        return g_strdup(key);
    return g_strdup_printf("%.8s..%s", key, key + n - 8);
}

static void
print_table(const cJSON *scenarios, GArray *pairs, const KgTally *t)
{
    printf("%-24s %-6s %-20s %-7s %s\n", "scenario", "kind", "key", "pairs", "result");
    guint si = 0;
    const cJSON *sc;
    cJSON_ArrayForEach(sc, scenarios)
    {
        const char *key = str_field(sc, "key");
        const char *name = str_field(sc, "name") ? str_field(sc, "name") : "?";
        gboolean attack = g_strcmp0(str_field(sc, "kind"), "attack") == 0;
        g_autofree char *sk = short_key(key ? key : "?");
        guint n = 0, found = 0;
        int best = -1;
        for (guint i = 0; i < pairs->len; i++) {
            const KgPair *p = &g_array_index(pairs, KgPair, i);
            if (p->scenario == si) {
                n++;
                found += p->found;
                best = MAX(best, p->best_sev);
            }
        }
        if (attack) {
            printf("%-24s %-6s %-20s %u/%-5u %s (%s)\n", name, "attack", sk,
                   found, n, found == n ? "hit" : found ? "partial" : "MISS",
                   best < 0 ? "no incident" : sev_names[best]);
        } else {
            const char *entity = str_field(sc, "entity");
            int f = key ? GPOINTER_TO_INT(g_hash_table_lookup(t->flagged_keys, key)) : 0;
            if (entity)
                f = MAX(f, GPOINTER_TO_INT(g_hash_table_lookup(t->flagged_keys, entity)));
            printf("%-24s %-6s %-20s %-7s %s\n", name, "drift", sk, "-",
                   f ? "FLAGGED" : "ok");
            if (f)
                printf("%-24s   false incident at %s on the drifting key\n", "", sev_names[f - 1]);
        }
        si++;
    }
}

static void
print_totals(GArray *pairs, const KgTally *t, double key_days)
{
    guint found = 0;
    for (guint i = 0; i < pairs->len; i++)
        found += g_array_index(pairs, KgPair, i).found;
    if (pairs->len)
        printf("recall     %.3f  (%u/%u attacker (key, ip) pairs at medium or above)\n",
               (double)found / pairs->len, found, pairs->len);
    else
        printf("recall     n/a    (no attacker pairs in the labels)\n");
    if (t->incidents)
        printf("precision  %.3f  (%u/%u incidents at medium or above)\n",
               (double)t->true_inc / t->incidents, t->true_inc, t->incidents);
    else
        printf("precision  n/a    (no incidents at medium or above)\n");
    printf("false      %.2f per 1000 key-days  (%u false incidents, %.0f key-days)\n",
           key_days > 0 ? 1000.0 * t->false_inc / key_days : 0.0, t->false_inc, key_days);
    printf("TOTAL pairs_found=%u pairs=%u incidents_true=%u incidents=%u false=%u key_days=%.0f\n",
           found, pairs->len, t->true_inc, t->incidents, t->false_inc, key_days);
}

int
kg_cmd_score(int argc, char **argv)
{
    g_autofree char *labels_path = NULL, *report_path = NULL, *min = NULL;
    gboolean verbose = FALSE;
    GOptionEntry entries[] = {
        { "labels", 'l', 0, G_OPTION_ARG_FILENAME, &labels_path, "Labels JSON from ktgen logs", "FILE" },
        { "report", 'r', 0, G_OPTION_ARG_FILENAME, &report_path,
          "keytrail scan --output json --reveal-keys report", "FILE" },
        { "min-severity", 0, 0, G_OPTION_ARG_STRING, &min, "Threshold (default medium)", "SEV" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "List the false incidents", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- score a keytrail report against labels");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || !labels_path || !report_path) {
        g_printerr("ktgen score: %s\n", error ? error->message : "--labels and --report are required");
        return 2;
    }
    int min_sev = min ? sev_rank(min) : 3;
    g_autoptr(cJSON) labels = load_json(labels_path, &error);
    g_autoptr(cJSON) report = labels ? load_json(report_path, &error) : NULL;
    if (!report) {
        g_printerr("ktgen score: %s\n", error->message);
        return 3;
    }
    const cJSON *scenarios = cJSON_GetObjectItemCaseSensitive(labels, "scenarios");
    const cJSON *kd = cJSON_GetObjectItemCaseSensitive(labels, "key_days");
    g_autoptr(GArray) pairs = collect_pairs(scenarios);
    KgTally t = { 0 };
    t.flagged_keys = g_hash_table_new(g_str_hash, g_str_equal);
    gboolean masked = FALSE;
    match_incidents(report, pairs, min_sev, &t, &masked);
    if (masked)
        g_printerr("ktgen score: the report has masked keys; run keytrail with --reveal-keys\n");
    print_table(scenarios, pairs, &t);
    if (verbose)
        print_false(labels, report, pairs, min_sev);
    print_totals(pairs, &t, cJSON_IsNumber(kd) ? kd->valuedouble : 0.0);
    g_hash_table_unref(t.flagged_keys);
    return 0;
}
