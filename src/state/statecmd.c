/*
 * statecmd.c - `keytrail state show|export|prune` and `keytrail accept`: inspecting and
 * editing a watch state file under its lock. Keys are masked unless --reveal-keys.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "keytrail/cli.h"
#include "keytrail/report.h"
#include "keytrail/sanitize.h"
#include "keytrail/state.h"

typedef struct {
    char *state;
    gboolean reveal;
    char *older_than;  /* prune: DURATION */
    int wait;
} StateOptions;

/* Names of members whose string value (or, for maps, whose member names) are keys. */
static gboolean
is_key_member(const char *name)
{
    return name != NULL && (strcmp(name, "key") == 0 || strcmp(name, "k") == 0 ||
                            strcmp(name, "entity") == 0 || strcmp(name, "key_id") == 0);
}

static gboolean
is_key_map(const char *name)
{
    return name != NULL && (strcmp(name, "keys") == 0 || strcmp(name, "entities") == 0);
}

/* Members written by keytrail itself (hex digests), left as they are. */
static gboolean
is_digest_member(const char *name)
{
    return name != NULL && (strcmp(name, "fingerprint") == 0 || strcmp(name, "checksum") == 0);
}

/* (transfer full) A member name or string value made printable as JSON: valid UTF-8,
 * masked as a key (@as_key), or with secret-looking tokens masked (@redact). */
static char *
clean_string(const char *s, gboolean as_key, gboolean redact)
{
    g_autofree char *valid = kt_utf8_valid(s, strlen(s));
    if (as_key)
        return kt_mask_key(valid, !redact);
    return kt_redact_secrets(valid, !redact);
}

static void
set_name(cJSON *item, const char *name)
{
    cJSON_free(item->string);
    item->string = cJSON_malloc(strlen(name) + 1);
    if (item->string == NULL)
        g_error("out of memory");
    strcpy(item->string, name);
}

/* Makes every string in @node valid UTF-8 and, unless @reveal, masks keys (members
 * named like keys, names of key maps) and secret-looking tokens in every other string
 * from a log (user agents, operations, sources). Iterative: no recursion on a hostile
 * depth. */
static void
clean_strings(cJSON *node, gboolean reveal)
{
    g_autoptr(GPtrArray) todo = g_ptr_array_new();
    g_ptr_array_add(todo, node);
    while (todo->len > 0) {
        cJSON *n = g_ptr_array_steal_index_fast(todo, todo->len - 1);
        gboolean key_map = is_key_map(n->string);
        /* an engine entity {"id": ..., "principal": false} is named by its key */
        gboolean id_is_key = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(n, "principal"));
        for (cJSON *c = n->child; c != NULL; c = c->next) {
            if (c->string != NULL) {
                g_autofree char *name = clean_string(c->string, key_map, !reveal && key_map);
                set_name(c, name);
            }
            if (cJSON_IsString(c) && !is_digest_member(c->string)) {
                gboolean as_key = is_key_member(c->string) ||
                                  (id_is_key && c->string != NULL && strcmp(c->string, "id") == 0);
                g_autofree char *v = clean_string(c->valuestring, as_key, !reveal);
                if (cJSON_SetValuestring(c, v) == NULL)
                    g_error("out of memory");
            }
            if (c->child != NULL)
                g_ptr_array_add(todo, c);
        }
    }
}

static int
fail(int status, GError *error)
{
    kt_cli_error("%s", error->message);
    g_error_free(error);
    return status;
}

static int
state_export(KtState *st, const StateOptions *so)
{
    g_autofree char *text = kt_state_serialize(st);
    cJSON *doc = cJSON_Parse(text);
    if (doc == NULL)
        g_error("out of memory");
    clean_strings(doc, so->reveal);
    g_autoptr(GString) out = g_string_new(NULL);
    kt_report_json_print(doc, TRUE, out);
    cJSON_Delete(doc);
    fputs(out->str, stdout);
    return ferror(stdout) ? KT_EXIT_INPUT : KT_EXIT_OK;
}

static int
state_show(KtState *st, const StateOptions *so)
{
    struct stat sb;
    g_autofree char *text = kt_state_serialize(st);
    g_autofree char *path = kt_sanitize(kt_state_path(st));
    printf("state     %s (%s, %" G_GSIZE_FORMAT " bytes)\n", path,
           kt_state_existed(st) ? "version 1" : "not created yet",
           stat(kt_state_path(st), &sb) == 0 ? (gsize)sb.st_size : strlen(text));
    GPtrArray *cursors = kt_state_cursors(st);
    printf("cursors   %u\n", cursors->len);
    for (guint i = 0; i < cursors->len; i++) {
        const KtCursor *c = g_ptr_array_index(cursors, i);
        g_autofree char *p = kt_sanitize(c->path);
        char ts[32] = "-";
        if (c->last_ts != G_MININT64)
            kt_time_format(c->last_ts, ts);
        printf("  %s  %s%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " bytes  last %s%s\n", p,
               c->gzip ? "gzip, " : "", c->offset, c->size, ts,
               stat(c->path, &sb) != 0 ? "  (gone)" : "");
    }
    const cJSON *engine = kt_state_engine(st);
    char *etext = engine != NULL ? cJSON_PrintUnformatted(engine) : NULL;
    printf("engine    %" G_GSIZE_FORMAT " bytes\n", etext != NULL ? strlen(etext) : 0);
    cJSON_free(etext);
    printf("alerted   %d findings remembered\n", cJSON_GetArraySize(kt_state_alerted(st)));
    printf("outbox    %d alerts pending delivery\n", cJSON_GetArraySize(kt_state_outbox(st)));
    const cJSON *a;
    printf("accepted  %d\n", cJSON_GetArraySize(kt_state_accepted(st)));
    cJSON_ArrayForEach(a, kt_state_accepted(st))
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(a, "key");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(a, "cidr");
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(a, "ua");
        g_autofree char *mkey = kt_mask_key(cJSON_IsString(k) ? k->valuestring : "", so->reveal);
        g_autofree char *rwhat = kt_redact_secrets(cJSON_IsString(c)   ? c->valuestring
                                                   : cJSON_IsString(u) ? u->valuestring
                                                                       : "",
                                                   so->reveal);
        g_autofree char *key = kt_sanitize(mkey);
        g_autofree char *what = kt_sanitize(rwhat);
        printf("  %s  %s %s\n", key, cJSON_IsString(c) ? "ip" : "ua", what);
    }
    return ferror(stdout) ? KT_EXIT_INPUT : KT_EXIT_OK;
}

/* Drops members of @arr (array or object) whose "last_ms" or "t" is before @cutoff. */
static guint
prune_dated(cJSON *arr, double cutoff)
{
    guint n = 0;
    cJSON *e = arr != NULL ? arr->child : NULL;
    while (e != NULL) {
        cJSON *next = e->next;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "last_ms");
        if (t == NULL)
            t = cJSON_GetObjectItemCaseSensitive(e, "t");
        if (cJSON_IsNumber(t) && t->valuedouble < cutoff) {
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, e));
            n++;
        }
        e = next;
    }
    return n;
}

static int
state_prune(KtState *st, const StateOptions *so)
{
    GError *error = NULL;
    GPtrArray *cursors = kt_state_cursors(st);
    g_autoptr(GPtrArray) keep = g_ptr_array_new();
    gint64 newest = G_MININT64;
    struct stat sb;
    for (guint i = 0; i < cursors->len; i++) {
        KtCursor *c = g_ptr_array_index(cursors, i);
        newest = MAX(newest, c->last_ts);
        if (stat(c->path, &sb) == 0)
            g_ptr_array_add(keep, c);
    }
    guint files = cursors->len - keep->len, entities = 0;
    kt_state_set_cursors(st, keep);
    if (so->older_than != NULL) {
        gint64 ms = 0;
        if (!kt_duration_parse(so->older_than, &ms)) {
            kt_cli_error("--older-than: '%s' is not a duration such as 30d", so->older_than);
            return KT_EXIT_USAGE;
        }
        double cutoff = (double)((newest != G_MININT64 ? newest : g_get_real_time() / 1000) - ms);
        cJSON *engine = (cJSON *)kt_state_engine(st);
        entities = engine != NULL
                       ? prune_dated(cJSON_GetObjectItemCaseSensitive(engine, "entities"), cutoff)
                       : 0;
        prune_dated(kt_state_alerted(st), cutoff);
    }
    if (!kt_state_save(st, &error))
        return fail(KT_EXIT_STATE, error);
    printf("pruned %u cursors of files that no longer exist, %u entities\n", files, entities);
    return KT_EXIT_OK;
}

/* Parses `state` options; returns the action or NULL (usage error reported). */
static const char *
parse_state_args(StateOptions *so, int *argc, char ***argv)
{
    GOptionEntry entries[] = {
        { "state", 's', 0, G_OPTION_ARG_FILENAME, &so->state, "State file", "PATH" },
        { "reveal-keys", 0, 0, G_OPTION_ARG_NONE, &so->reveal, "Print full API keys", NULL },
        { "older-than", 0, 0, G_OPTION_ARG_STRING, &so->older_than,
          "prune: also drop entities not seen for DURATION before the newest event",
          "DURATION" },
        { "wait", 0, 0, G_OPTION_ARG_INT, &so->wait,
          "Wait up to SECONDS for a running watch", "SECONDS" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("show|export|prune");
    g_option_context_set_summary(ctx, "Shows a summary of a watch state (keys masked), "
                                      "exports it as JSON, or prunes it.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        fail(0, error);
        return NULL;
    }
    if (so->state == NULL || *argc != 2 ||
        (strcmp((*argv)[1], "show") != 0 && strcmp((*argv)[1], "export") != 0 &&
         strcmp((*argv)[1], "prune") != 0)) {
        kt_cli_error("usage: keytrail state show|export|prune --state PATH");
        return NULL;
    }
    return (*argv)[1];
}

int
kt_cmd_state(int argc, char **argv)
{
    StateOptions so = { NULL, FALSE, NULL, 0 };
    GError *error = NULL;
    int status = KT_EXIT_USAGE;
    const char *action = parse_state_args(&so, &argc, &argv);
    if (action != NULL) {
        KtStateLock *lock = kt_state_lock(so.state, so.wait, &error);
        KtState *st = lock != NULL ? kt_state_load(so.state, &error) : NULL;
        if (st == NULL)
            status = fail(KT_EXIT_STATE, error);
        else if (strcmp(action, "show") == 0)
            status = state_show(st, &so);
        else if (strcmp(action, "export") == 0)
            status = state_export(st, &so);
        else
            status = state_prune(st, &so);
        kt_state_free(st);
        kt_state_unlock(lock);
    }
    g_free(so.state);
    g_free(so.older_than);
    return status;
}

/* ---- accept ------------------------------------------------------------------------- */

/* Adds {key, cidr|ua} to the accepted list unless already there. */
static gboolean
accept_add(KtState *st, const char *key, const char *member, const char *value)
{
    cJSON *list = kt_state_accepted(st);
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, member);
        if (cJSON_IsString(k) && cJSON_IsString(v) && strcmp(k->valuestring, key) == 0 &&
            strcmp(v->valuestring, value) == 0)
            return FALSE;
    }
    cJSON *n = cJSON_CreateObject();
    if (n == NULL || cJSON_AddStringToObject(n, "key", key) == NULL ||
        cJSON_AddStringToObject(n, member, value) == NULL)
        g_error("out of memory");
    cJSON_AddItemToArray(list, n);
    return TRUE;
}

int
kt_cmd_accept(int argc, char **argv)
{
    g_autofree char *state = NULL, *key = NULL, *ip = NULL, *ua = NULL;
    GOptionEntry entries[] = {
        { "state", 's', 0, G_OPTION_ARG_FILENAME, &state, "State file", "PATH" },
        { "key", 'k', 0, G_OPTION_ARG_STRING, &key, "The API key (or principal)", "KEY" },
        { "ip", 0, 0, G_OPTION_ARG_STRING, &ip, "Accept this IP or CIDR for the key", "IP|CIDR" },
        { "ua", 0, 0, G_OPTION_ARG_STRING, &ua, "Accept user agents containing STRING",
          "STRING" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("");
    g_option_context_set_summary(ctx, "Marks findings of a key from an IP/network or with a "
                                      "user agent as benign: later watch runs neither alert "
                                      "on them nor count them as new.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return fail(KT_EXIT_USAGE, error);
    KtCidr cidr;
    if (state == NULL || key == NULL || key[0] == '\0' || (ip == NULL) == (ua == NULL) ||
        argc != 1 || (ip != NULL && !kt_cidr_parse(ip, &cidr)) || (ua != NULL && ua[0] == '\0')) {
        kt_cli_error("usage: keytrail accept --state PATH --key KEY (--ip IP|CIDR | --ua "
                     "STRING)%s",
                     ip != NULL ? " (is the IP or CIDR valid?)" : "");
        return KT_EXIT_USAGE;
    }
    g_autoptr(KtStateLock) lock = kt_state_lock(state, 0, &error);
    if (lock == NULL)
        return fail(KT_EXIT_STATE, error);
    g_autoptr(KtState) st = kt_state_load(state, &error);
    if (st == NULL)
        return fail(KT_EXIT_STATE, error);
    gboolean added = accept_add(st, key, ip != NULL ? "cidr" : "ua", ip != NULL ? ip : ua);
    if (added && !kt_state_save(st, &error))
        return fail(KT_EXIT_STATE, error);
    g_autofree char *mkey = kt_mask_key(key, FALSE);
    g_autofree char *rwhat = kt_redact_secrets(ip != NULL ? ip : ua, FALSE);
    g_autofree char *masked = kt_sanitize(mkey);
    g_autofree char *what = kt_sanitize(rwhat);
    printf("%s %s %s for key %s\n", added ? "accepted" : "already accepted",
           ip != NULL ? "source" : "user agent", what, masked);
    return KT_EXIT_OK;
}
