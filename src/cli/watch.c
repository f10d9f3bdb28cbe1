/*
 * watch.c - `keytrail watch`: one cron or systemd-timer run. Takes the state lock,
 * loads the state, reads only the bytes that are new since the last run (cursors),
 * judges them with the engine restored from the state, and emits each new or updated
 * finding as a JSON line (stdout, --alerts FILE, --exec CMD) through the state's outbox:
 * saved as pending first, delivered, then saved as delivered, so that a crash loses
 * nothing and --alerts FILE gets each alert exactly once. `state` and `accept` live in
 * src/state/statecmd.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "keytrail/cli.h"
#include "keytrail/report.h"
#include "keytrail/sanitize.h"
#include "keytrail/state.h"
#include "watch-private.h"

typedef struct {
    char *state;       /* --state PATH */
    int wait;          /* --wait: seconds, -1 forever, 0 not at all */
    char *alerts;      /* --alerts FILE, nullable: stdout */
    char *exec;        /* --exec CMD, nullable */
    int exec_timeout;  /* --exec-timeout SECONDS, 0 = no limit */
} WatchOptions;

/* What one run found to tell. */
typedef struct {
    cJSON *json;       /* the alert object (owned) */
    KtSeverity severity;
} Alert;

typedef struct {
    KtPipeline *p;
    KtCliOptions *o;
    KtState *st;
    WatchOptions *w;
    GPtrArray *alerts; /* Alert* */
    gint64 newest_ms;  /* newest event time seen by this state */
    KtCursorPlan *plan;        /* the plan being run (borrowed) */
    KtWatchRejects *rejects;   /* line counts and rejected lines of this run */
} Run;

static void
alert_free(Alert *a)
{
    cJSON_Delete(a->json); /* NULL once moved into the outbox */
    g_free(a);
}

static gboolean
parse_wait(const char *name, const char *value, gpointer data, GError **error)
{
    WatchOptions *w = data;
    guint64 secs = 0;
    if (value == NULL || strcmp(value, "forever") == 0) {
        w->wait = -1;
        return TRUE;
    }
    if (!g_ascii_string_to_unsigned(value, 10, 0, 86400 * 7, &secs, NULL)) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "--wait: '%s' is not a number of seconds (use --wait=SECONDS, at most one "
                    "week, or --wait alone to wait as long as it takes)",
                    value);
        return FALSE;
    }
    w->wait = (int)secs;
    return TRUE;
}

static const char watch_summary[] =
    "One monitoring run, for cron or a systemd timer: reads only what was appended or\n"
    "rotated in since the last run (state file), judges it against the baselines kept in\n"
    "the state, and emits each new finding once as a JSON line; an ongoing incident is\n"
    "reported again only as an update (\"alert\":\"update\") when it grew.";

static const char watch_description[] =
    "Exit status: 0 no new alert at or above --fail-on, 1 new alerts, 2 usage error,\n"
    "3 input or I/O error (nothing saved: the next run retries) or alert output failed\n"
    "(the alerts stay pending: the next run delivers them), 4 state file damaged, newer\n"
    "or locked by another run. Rejected lines are reported on stderr (unless --quiet)\n"
    "and change neither the alerts nor the status.\n"
    "Example crontab line:\n"
    "  */5 * * * * keytrail watch --state /var/lib/keytrail/api.state --alerts "
    "/var/log/keytrail/alerts.jsonl /var/log/api/access.log\n"
    "See docs/WATCH.md.";

/* GOption would take the word after a bare --wait as its value (even a file name):
 * a --wait not followed by a number becomes --wait=forever. */
static void
fix_bare_wait(int argc, char **argv)
{
    static char forever[] = "--wait=forever";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return;
        if (strcmp(argv[i], "--wait") != 0)
            continue;
        const char *next = i + 1 < argc ? argv[i + 1] : "";
        gboolean number = next[0] != '\0' && strspn(next, "0123456789") == strlen(next);
        if (!number)
            argv[i] = forever;
    }
}

static gboolean
parse_watch_args(KtCliOptions *o, WatchOptions *w, int *argc, char ***argv, GError **error)
{
    GOptionEntry entries[] = {
        { "state", 's', 0, G_OPTION_ARG_FILENAME, &w->state,
          "State file (created on the first run; required)", "PATH" },
        { "wait", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, (gpointer)parse_wait,
          "Wait for a running watch to finish (at most SECONDS) instead of exiting with 4",
          "[=SECONDS]" },
        { "alerts", 0, 0, G_OPTION_ARG_FILENAME, &w->alerts,
          "Append alerts to FILE (mode 0600) instead of stdout", "FILE" },
        { "exec", 0, 0, G_OPTION_ARG_STRING, &w->exec,
          "Run CMD once per alert with the alert JSON on stdin", "CMD" },
        { "exec-timeout", 0, 0, G_OPTION_ARG_INT, &w->exec_timeout,
          "Kill CMD when it runs longer than SECONDS (default 30, 0 = no limit)", "SECONDS" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("FILE|DIR...");
    g_option_context_set_summary(ctx, watch_summary);
    g_option_context_set_description(ctx, watch_description);
    GOptionGroup *main_group = g_option_group_new("watch", "Watch options", "Watch options",
                                                  w, NULL);
    g_option_group_add_entries(main_group, entries);
    g_option_context_set_main_group(ctx, main_group);
    g_option_context_add_group(ctx, kt_cli_scan_group(o));
    fix_bare_wait(*argc, *argv);
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (w->state == NULL || w->state[0] == '\0') {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "--state PATH is required");
        return FALSE;
    }
    g_auto(GStrv) exec_argv = NULL;
    if (w->exec != NULL && !g_shell_parse_argv(w->exec, NULL, &exec_argv, error)) {
        g_prefix_error(error, "--exec: "); /* checked here: a run must not fail after saving */
        return FALSE;
    }
    if (w->exec_timeout < 0 || w->exec_timeout > 86400) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "--exec-timeout: %d is not a number of seconds from 0 (no limit) to "
                    "86400",
                    w->exec_timeout);
        return FALSE;
    }
    if (*argc < 2) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "no input: name the log files or directories to watch");
        return FALSE;
    }
    for (int i = 1; i < *argc; i++) {
        if (strcmp((*argv)[i], "-") == 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                        "watch cannot resume stdin: name files or directories");
            return FALSE;
        }
    }
    if (!kt_cli_options_finish(o, error))
        return FALSE;
    o->ingest.hold_partial = TRUE;
    o->ingest.quiet = TRUE;
    return TRUE;
}

/* ---- reading ------------------------------------------------------------------------ */

/* KtCursorReadFn over the pipeline. A gzip file that turns out corrupt (or a bomb) is
 * reported and counted as read: retrying it would judge its first records again. */
static gboolean
read_input(gpointer ud, const char *path, guint64 offset, guint64 *end_offset, gint64 *last_ts,
           GError **error)
{
    Run *r = ud;
    GError *local = NULL;
    gboolean ok = kt_pipeline_read(r->p, path, offset, end_offset, &local);
    *last_ts = kt_pipeline_last_event_ms(r->p);
    if (ok) {
        kt_watch_rejects_note(r->rejects, r->p->ingest, r->plan->current, path, offset,
                              *end_offset);
        return TRUE;
    }
    GPtrArray *stats = kt_ingest_stats(r->p->ingest);
    const KtInputStats *s = stats->len > 0 ? g_ptr_array_index(stats, stats->len - 1) : NULL;
    if (s != NULL && s->gzip && g_error_matches(local, KT_ERROR, KT_ERROR_INPUT)) {
        kt_cli_error("%s (the file is skipped from now on)", local->message);
        g_error_free(local);
        kt_watch_rejects_note(r->rejects, r->p->ingest, r->plan->current, path, offset,
                              *end_offset);
        return TRUE;
    }
    g_propagate_error(error, local);
    return FALSE;
}

static void
report_plan(const KtCursorPlan *plan, gboolean quiet)
{
    if (quiet)
        return;
    for (guint i = 0; i < plan->warnings->len; i++)
        kt_cli_error("warning: %s", (const char *)g_ptr_array_index(plan->warnings, i));
    for (guint i = 0; i < plan->dropped->len; i++) {
        const KtCursor *c = g_ptr_array_index(plan->dropped, i);
        if (!c->gzip && c->size > c->offset)
            kt_cli_error("warning: '%s' is gone with %" G_GUINT64_FORMAT
                         " bytes this watch never read",
                         c->path, c->size - c->offset);
    }
}

/* Hands the accepted findings of the state to the engine. */
static void
apply_accepted(Run *r)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, kt_state_accepted(r->st))
    {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(e, "key");
        const cJSON *cidr = cJSON_GetObjectItemCaseSensitive(e, "cidr");
        const cJSON *ua = cJSON_GetObjectItemCaseSensitive(e, "ua");
        KtCidr c;
        if (!cJSON_IsString(key))
            continue;
        if (cJSON_IsString(cidr) && kt_cidr_parse(cidr->valuestring, &c))
            kt_engine_accept(r->p->engine, key->valuestring, &c, NULL);
        else if (cJSON_IsString(ua))
            kt_engine_accept(r->p->engine, key->valuestring, NULL, ua->valuestring);
    }
}

/* ---- alerts ------------------------------------------------------------------------- */

static const char *
entity_str(const KtDict *dict, guint32 entity, gboolean principal)
{
    return kt_dict_str(dict, principal ? KT_SPACE_PRINCIPAL : KT_SPACE_KEY, entity);
}

/* TRUE when the user accepted findings of @entity/@key from @source or with @text. */
static gboolean
is_accepted(Run *r, const char *entity, const char *key, guint32 source, const char *text)
{
    const KtAddr *addr = kt_dict_addr(r->p->dict, source);
    const cJSON *e;
    cJSON_ArrayForEach(e, kt_state_accepted(r->st))
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
        const cJSON *cidr = cJSON_GetObjectItemCaseSensitive(e, "cidr");
        const cJSON *ua = cJSON_GetObjectItemCaseSensitive(e, "ua");
        if (!cJSON_IsString(k) ||
            (strcmp(k->valuestring, entity) != 0 && strcmp(k->valuestring, key) != 0))
            continue;
        KtCidr c;
        if (cJSON_IsString(cidr) && addr != NULL && kt_cidr_parse(cidr->valuestring, &c) &&
            kt_cidr_contains(&c, addr))
            return TRUE;
        if (cJSON_IsString(ua) && text != NULL && ua->valuestring[0] != '\0') {
            g_autofree char *hay = g_ascii_strdown(text, -1);
            g_autofree char *needle = g_ascii_strdown(ua->valuestring, -1);
            if (strstr(hay, needle) != NULL)
                return TRUE;
        }
    }
    return FALSE;
}

/* Kinds whose finding is a value, alerted once per value (not per occurrence). */
static gboolean
is_value_kind(KtDetectorKind k)
{
    return k == KT_DET_NEW_IP || k == KT_DET_NEW_NETWORK || k == KT_DET_NEW_USER_AGENT ||
           k == KT_DET_NEW_OP || k == KT_DET_KNOWN_BAD || k == KT_DET_REVOKED_KEY;
}

/* (transfer full) Hashed identity of a finding: no key in the state's map names. */
static char *
identity(const char *text)
{
    g_autofree char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    return g_strndup(hex, 32);
}

static void
add_alert(Run *r, cJSON *json, const char *kind, KtSeverity sev)
{
    Alert *a = g_new0(Alert, 1);
    cJSON_AddStringToObject(json, "alert", kind);
    a->json = json;
    a->severity = sev;
    g_ptr_array_add(r->alerts, a);
}

/* Records @id as alerted with @fields; returns "new", "update" or NULL (nothing new). */
static const char *
remember(Run *r, const char *id, const char *entity, gint64 t, guint64 events, guint anomalies,
         KtSeverity sev)
{
    cJSON *map = kt_state_alerted(r->st);
    cJSON *old = cJSON_GetObjectItemCaseSensitive(map, id);
    const char *verdict = "new";
    if (cJSON_IsObject(old)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(old, "events");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(old, "anomalies");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(old, "severity");
        gboolean grew = !cJSON_IsNumber(e) || !cJSON_IsNumber(n) || !cJSON_IsNumber(s) ||
                        (double)events > e->valuedouble || (double)anomalies > n->valuedouble ||
                        (double)sev > s->valuedouble;
        verdict = grew ? "update" : NULL;
    }
    cJSON *v = cJSON_CreateObject();
    if (v == NULL)
        g_error("out of memory");
    cJSON_AddStringToObject(v, "k", entity);
    cJSON_AddNumberToObject(v, "t", (double)t);
    cJSON_AddNumberToObject(v, "events", (double)events);
    cJSON_AddNumberToObject(v, "anomalies", anomalies);
    cJSON_AddNumberToObject(v, "severity", sev);
    if (old != NULL)
        cJSON_ReplaceItemInObjectCaseSensitive(map, id, v);
    else
        cJSON_AddItemToObject(map, id, v);
    return verdict;
}

static void
collect_anomalies(Run *r, const KtResults *res)
{
    const KtDict *dict = r->p->dict;
    for (guint i = 0; i < res->anomalies->len; i++) {
        const KtAnomaly *a = g_ptr_array_index(res->anomalies, i);
        const char *ent = entity_str(dict, a->entity, a->entity_is_principal);
        const char *key = kt_dict_str(dict, KT_SPACE_KEY, a->key);
        const char *src = kt_dict_str(dict, KT_SPACE_SOURCE, a->source);
        if (is_accepted(r, ent, key, a->source, a->observed))
            continue;
        g_autofree char *what =
            is_value_kind(a->kind)
                ? g_strdup_printf("a|%s|%d|%s|%s", ent, (int)a->kind,
                                  a->kind == KT_DET_NEW_IP || a->kind == KT_DET_KNOWN_BAD ||
                                          a->kind == KT_DET_REVOKED_KEY
                                      ? src
                                      : "",
                                  a->kind == KT_DET_NEW_IP || a->observed == NULL
                                      ? ""
                                      : a->observed)
                : g_strdup_printf("a|%s|%d|%s|%" G_GINT64_FORMAT, ent, (int)a->kind, src,
                                  a->time_ms);
        g_autofree char *id = identity(what);
        gboolean known = cJSON_HasObjectItem(kt_state_alerted(r->st), id);
        remember(r, id, ent, a->time_ms, 0, 0, a->severity);
        if (!known)
            add_alert(r, kt_report_anomaly_json(a, dict, &r->o->report), "new", a->severity);
    }
}

/* TRUE when every user agent of @inc is accepted for its key (and it has some). */
static gboolean
incident_accepted(Run *r, const KtIncident *inc, const char *ent, const char *key)
{
    if (is_accepted(r, ent, key, inc->source, NULL))
        return TRUE;
    if (inc->uas == NULL || inc->uas->len == 0)
        return FALSE;
    for (guint i = 0; i < inc->uas->len; i++) {
        const KtCount *c = &g_array_index(inc->uas, KtCount, i);
        if (!is_accepted(r, ent, key, 0, kt_dict_str(r->p->dict, KT_SPACE_UA, c->id)))
            return FALSE;
    }
    return TRUE;
}

static void
collect_incidents(Run *r, const KtResults *res)
{
    const KtDict *dict = r->p->dict;
    for (guint i = 0; i < res->incidents->len; i++) {
        const KtIncident *inc = g_ptr_array_index(res->incidents, i);
        const char *ent = entity_str(dict, inc->entity, inc->entity_is_principal);
        const char *key = kt_dict_str(dict, KT_SPACE_KEY, inc->key);
        if (incident_accepted(r, inc, ent, key))
            continue;
        g_autofree char *what =
            g_strdup_printf("i|%s|%s|%" G_GINT64_FORMAT, ent,
                            kt_dict_str(dict, KT_SPACE_SOURCE, inc->source), inc->first_ms);
        g_autofree char *id = identity(what);
        const char *verdict = remember(r, id, ent, inc->last_ms, inc->events,
                                       inc->anomalies ? inc->anomalies->len : 0, inc->severity);
        if (verdict != NULL)
            add_alert(r, kt_report_incident_json(inc, dict, &r->o->report), verdict,
                      inc->severity);
    }
}

/* Drops alert records older than the engine's memory: a value forgotten by the
 * baseline may rightly be alerted again. Keeps the map bounded by distinct values. */
static void
prune_alerted(Run *r)
{
    if (r->newest_ms == G_MININT64)
        return;
    gint64 horizon = r->o->engine.forget_ms > 0 ? r->o->engine.forget_ms : 30 * 86400000LL;
    cJSON *map = kt_state_alerted(r->st);
    cJSON *e = map->child;
    while (e != NULL) {
        cJSON *next = e->next;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "t");
        if (!cJSON_IsNumber(t) || t->valuedouble < (double)(r->newest_ms - horizon))
            cJSON_Delete(cJSON_DetachItemViaPointer(map, e));
        e = next;
    }
}

/* ---- delivery ----------------------------------------------------------------------- */

#define OUTBOX_KEEP_MAX 10000 /* undelivered alerts of earlier runs kept at most */
#define EXEC_TIMEOUTS_MAX 3   /* hook timeouts after which a run stops calling it */
#define EXEC_RETRY_RUNS 3     /* later runs that retry a failed --exec hook */

/* Test-only fault injection (docs/WATCH.md): KT_WATCH_CRASH_AT=@point kills this run
 * with SIGKILL there, as a crash or kill -9 would. */
static void
crash_at(const char *point)
{
    const char *at = g_getenv("KT_WATCH_CRASH_AT");
    if (at != NULL && strcmp(at, point) == 0)
        raise(SIGKILL);
}

static gboolean
write_line(int fd, const char *line, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, line, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        line += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* Moves this run's alerts into the outbox (after those earlier runs left undelivered),
 * keeping at most OUTBOX_KEEP_MAX of the earlier ones. */
static void
fill_outbox(Run *r)
{
    cJSON *outbox = kt_state_outbox(r->st);
    int old = cJSON_GetArraySize(outbox);
    if (old > OUTBOX_KEEP_MAX) {
        for (int i = 0; i < old - OUTBOX_KEEP_MAX; i++)
            cJSON_DeleteItemFromArray(outbox, 0);
        kt_cli_error("warning: dropped the %d oldest undelivered alerts of earlier runs "
                     "(alert output keeps failing?)",
                     old - OUTBOX_KEEP_MAX);
    }
    for (guint i = 0; i < r->alerts->len; i++) {
        Alert *a = g_ptr_array_index(r->alerts, i);
        kt_state_outbox_add(r->st, g_steal_pointer(&a->json), a->severity);
    }
}

/* (transfer full) The outbox's alerts as JSON lines (char*, each ending in a newline). */
static GPtrArray *
outbox_lines(Run *r, guint64 *bytes)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    const cJSON *e;
    *bytes = 0;
    cJSON_ArrayForEach(e, kt_state_outbox(r->st))
    {
        /* escapes bidi, C1 and invisible characters like the JSON report does */
        GString *buf = g_string_new(NULL);
        kt_report_json_print(cJSON_GetObjectItemCaseSensitive(e, "alert"), FALSE, buf);
        *bytes += buf->len;
        g_ptr_array_add(lines, g_string_free(buf, FALSE));
    }
    return lines;
}

/* TRUE when the outbox entry @e only waits for a retry of the --exec hook: the alerts
 * file or stdout already has it. */
static gboolean
hook_only(const cJSON *e)
{
    return cJSON_HasObjectItem(e, "retry");
}

static gboolean
alerts_fail(Run *r, GError **error)
{
    g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot write alerts to '%s': %s",
                r->w->alerts ? r->w->alerts : "stdout", g_strerror(errno));
    return FALSE;
}

/* Appends @lines to --alerts FILE, except those whose alert_id its tail already holds
 * (appended by a run that crashed before it could mark them delivered), then fsyncs. */
static gboolean
append_file(Run *r, GPtrArray *lines, guint64 bytes, GError **error)
{
    gboolean created = FALSE, partial = FALSE;
    int fd = kt_outbox_open_file(r->w->alerts, &created, error);
    if (fd < 0)
        return FALSE;
    g_autoptr(GHashTable) seen = kt_outbox_file_ids(fd, bytes + (256 << 10), &partial, error);
    gboolean ok = seen != NULL && (!partial || write_line(fd, "\n", 1) || alerts_fail(r, error));
    const cJSON *e = kt_state_outbox(r->st)->child;
    for (guint i = 0; ok && i < lines->len; i++, e = e->next) {
        const char *id = cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring;
        if (hook_only(e) || g_hash_table_contains(seen, id))
            continue;
        const char *line = g_ptr_array_index(lines, i);
        ok = write_line(fd, line, strlen(line)) || alerts_fail(r, error);
        crash_at("mid-deliver");
    }
    if (ok && fsync(fd) != 0)
        ok = alerts_fail(r, error);
    if (close(fd) != 0 && ok)
        ok = alerts_fail(r, error);
    if (ok && created) {
        g_autofree char *dir = g_path_get_dirname(r->w->alerts);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    return ok;
}

static gboolean
write_stdout(Run *r, GPtrArray *lines, GError **error)
{
    fflush(stdout);
    const cJSON *e = kt_state_outbox(r->st)->child;
    for (guint i = 0; i < lines->len; i++, e = e->next) {
        const char *line = g_ptr_array_index(lines, i);
        if (hook_only(e))
            continue;
        if (!write_line(STDOUT_FILENO, line, strlen(line)))
            return alerts_fail(r, error);
        crash_at("mid-deliver");
    }
    return TRUE;
}

/* Marks @e, whose hook failed or was not called, for a retry by a later run; FALSE when
 * it has no retry left. */
static gboolean
retry_later(cJSON *e)
{
    cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "retry");
    if (k == NULL) {
        cJSON_AddNumberToObject(e, "retry", EXEC_RETRY_RUNS);
        return TRUE;
    }
    if (!cJSON_IsNumber(k) || k->valuedouble < 2)
        return FALSE;
    cJSON_SetNumberValue(k, k->valuedouble - 1);
    return TRUE;
}

/* Runs --exec once per line, in order, and sets @keep[i] for the alerts whose hook
 * failed (reported) and that a later run retries (EXEC_RETRY_RUNS at most); after
 * EXEC_TIMEOUTS_MAX timeouts the hook is not called again in this run. */
static void
run_hooks(Run *r, char **argv, GPtrArray *lines, gboolean *keep)
{
    guint timeouts = 0, skipped = 0, dropped = 0;
    cJSON *e = kt_state_outbox(r->st)->child;
    for (guint i = 0; i < lines->len; i++, e = e->next) {
        GError *error = NULL;
        if (timeouts >= EXEC_TIMEOUTS_MAX)
            skipped++;
        else if (kt_outbox_exec(argv, g_ptr_array_index(lines, i), r->w->exec_timeout, &error))
            continue;
        if (error != NULL) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                timeouts++;
            kt_cli_error("--exec: %s for alert %s", error->message,
                         cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring);
            g_error_free(error);
        }
        keep[i] = retry_later(e);
        dropped += keep[i] ? 0 : 1;
    }
    if (skipped > 0)
        kt_cli_error("--exec: gave up after %u timeouts; %u alerts wait for the next run",
                     timeouts, skipped);
    if (dropped > 0)
        kt_cli_error("--exec: %u alerts failed %d runs in a row and are not retried", dropped,
                     EXEC_RETRY_RUNS + 1);
}

/* Empties the outbox but for the entries marked in @keep. */
static void
prune_outbox(Run *r, const gboolean *keep)
{
    cJSON *outbox = kt_state_outbox(r->st);
    cJSON *e = outbox->child;
    for (guint i = 0; e != NULL; i++) {
        cJSON *next = e->next;
        if (!keep[i])
            cJSON_Delete(cJSON_DetachItemViaPointer(outbox, e));
        e = next;
    }
}

/* Delivers the outbox, oldest first: --alerts FILE (exactly once) or stdout, then
 * --exec; sets @keep[i] for the alerts left for a retry of the hook. Returns FALSE and
 * sets @error when the alert output fails. */
static gboolean
deliver(Run *r, gboolean *keep, GError **error)
{
    g_auto(GStrv) argv = NULL;
    if (r->w->exec != NULL && !g_shell_parse_argv(r->w->exec, NULL, &argv, error))
        return FALSE; /* checked by parse_watch_args */
    guint64 bytes = 0;
    g_autoptr(GPtrArray) lines = outbox_lines(r, &bytes);
    if (r->w->alerts != NULL ? !append_file(r, lines, bytes, error)
                             : !write_stdout(r, lines, error))
        return FALSE;
    if (argv != NULL) {
        run_hooks(r, argv, lines, keep);
        return TRUE;
    }
    guint waiting = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, kt_state_outbox(r->st)) waiting += hook_only(e) ? 1 : 0;
    if (waiting > 0)
        kt_cli_error("warning: %u alerts waited for a retry of --exec; this run has no "
                     "--exec, so they are dropped",
                     waiting);
    return TRUE;
}

/* The exit status for the alerts the outbox delivers (not counting those that only wait
 * for a retry of the hook: they were counted when first delivered). */
static int
outbox_status(Run *r)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, kt_state_outbox(r->st))
    {
        const cJSON *sev = cJSON_GetObjectItemCaseSensitive(e, "sev");
        if (!hook_only(e) && sev->valuedouble >= (double)r->o->fail_on_sev)
            return KT_EXIT_FINDINGS;
    }
    return KT_EXIT_OK;
}

/* ---- the run ------------------------------------------------------------------------ */

static void
note_newest(Run *r, gint64 t)
{
    if (t != G_MININT64 && t != G_MAXINT64 && t > r->newest_ms)
        r->newest_ms = t;
}

/* Reads what is new into the engine restored from the state. KT_EXIT_* or -1 = go on. */
static int
read_new(Run *r, const char *const *inputs, KtCursorPlan **plan_out)
{
    GError *error = NULL;
    const cJSON *saved = kt_state_engine(r->st);
    if (saved != NULL && !kt_engine_load(r->p->engine, saved, &error)) {
        kt_cli_error("state file '%s': %s; move it away to start again with empty "
                     "baselines",
                     kt_state_path(r->st), error->message);
        g_error_free(error);
        return KT_EXIT_STATE;
    }
    apply_accepted(r);
    KtCursorPlan *plan = kt_cursor_plan(kt_state_cursors(r->st), inputs, &error);
    if (plan != NULL) {
        report_plan(plan, r->o->quiet);
        *plan_out = plan;
        r->plan = plan;
    }
    if (plan == NULL ||
        !kt_cursor_plan_run(plan, read_input, r, r->o->ingest.max_gzip_ratio, &error) ||
        !kt_pipeline_flush(r->p, &error)) {
        kt_cli_error("%s", error->message);
        g_error_free(error);
        return KT_EXIT_INPUT;
    }
    if (!r->o->quiet)
        kt_watch_rejects_report(r->rejects, r->p->ingest, &r->o->report);
    return -1;
}

static gboolean
save(Run *r)
{
    GError *error = NULL;
    if (kt_state_save(r->st, &error))
        return TRUE;
    kt_cli_error("%s", error->message);
    g_error_free(error);
    return FALSE;
}

/*
 * The outbox: (1) this run's alerts are saved as pending together with the advanced
 * cursors and baselines, (2) every pending alert is delivered, (3) the state is saved
 * again without them. A crash before (1) leaves the old state (the next run finds the
 * same alerts again), between (1) and (3) the next run delivers what is pending.
 */
static int
judge_and_save(Run *r, KtCursorPlan *plan)
{
    GError *error = NULL;
    const KtResults *res = kt_engine_results(r->p->engine);
    collect_incidents(r, res);
    collect_anomalies(r, res);
    if (res->events > 0)
        note_newest(r, res->last_ms);
    for (guint i = 0; i < plan->cursors->len; i++)
        note_newest(r, ((const KtCursor *)g_ptr_array_index(plan->cursors, i))->last_ts);
    prune_alerted(r);
    fill_outbox(r);
    kt_state_set_engine(r->st, kt_engine_save(r->p->engine));
    kt_state_set_cursors(r->st, plan->cursors);
    if (!save(r))
        return KT_EXIT_STATE;
    if (cJSON_GetArraySize(kt_state_outbox(r->st)) == 0)
        return KT_EXIT_OK;
    crash_at("after-outbox");
    int status = outbox_status(r);
    g_autofree gboolean *keep = g_new0(gboolean, cJSON_GetArraySize(kt_state_outbox(r->st)));
    if (!deliver(r, keep, &error)) {
        kt_cli_error("%s; the alerts stay pending in the state and the next run delivers "
                     "them",
                     error->message);
        g_error_free(error);
        return KT_EXIT_INPUT;
    }
    crash_at("after-deliver");
    prune_outbox(r, keep);
    return save(r) ? status : KT_EXIT_STATE;
}

static int
run_locked(KtCliOptions *o, WatchOptions *w, int argc, char **argv)
{
    GError *error = NULL;
    g_autoptr(KtState) st = kt_state_load(w->state, &error);
    if (st == NULL) {
        kt_cli_error("%s", error->message);
        g_error_free(error);
        return KT_EXIT_STATE;
    }
    g_autoptr(KtPipeline) p = kt_pipeline_new(o, &error);
    if (p == NULL) {
        kt_cli_error("%s", error->message);
        g_error_free(error);
        return KT_EXIT_USAGE;
    }
    g_autoptr(KtWatchRejects) rejects = kt_watch_rejects_new();
    Run r = { p, o, st, w, g_ptr_array_new_with_free_func((GDestroyNotify)alert_free),
              G_MININT64, NULL, rejects };
    KtCursorPlan *plan = NULL;
    int status = read_new(&r, (const char *const *)argv + 1, &plan);
    if (status < 0)
        status = judge_and_save(&r, plan);
    kt_cursor_plan_free(plan);
    g_ptr_array_unref(r.alerts);
    return status;
}

int
kt_cmd_watch(int argc, char **argv)
{
    KtCliOptions o;
    WatchOptions w = { NULL, 0, NULL, NULL, 30 };
    GError *error = NULL;
    int status;
    kt_cli_options_init(&o);
    signal(SIGPIPE, SIG_IGN); /* an --exec command that exits early must not kill us */
    if (!parse_watch_args(&o, &w, &argc, &argv, &error)) {
        kt_cli_error("%s", error->message);
        status = KT_EXIT_USAGE;
    } else {
        KtStateLock *lock = kt_state_lock(w.state, w.wait, &error);
        if (lock == NULL) {
            kt_cli_error("%s", error->message);
            status = KT_EXIT_STATE;
        } else {
            status = run_locked(&o, &w, argc, argv);
            kt_state_unlock(lock);
        }
    }
    g_clear_error(&error);
    g_free(w.state);
    g_free(w.alerts);
    g_free(w.exec);
    kt_cli_options_clear(&o);
    return status;
}
