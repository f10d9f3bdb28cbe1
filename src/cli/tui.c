/*
 * tui.c - `keytrail tui`: the interactive dashboard over the same analysis as scan.
 * Reads the inputs through the pipeline (or a watch state file with --state), hands
 * the results to the TUI model and runs the key loop; --follow polls the inputs for
 * appended bytes and refreshes. Test hooks: --tui-frames, KT_TUI_KEYS, KT_TUI_DUMP,
 * KT_TUI_NO_DISPLAY (STYLE.md 7); --bench-redraw times frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keytrail/cli.h"
#include "keytrail/report.h"
#include "keytrail/state.h"
#include "keytrail/tui.h"

typedef struct {
    KtCliOptions opts;
    char *state_path;       /* --state */
    gboolean follow;        /* --follow */
    gint interval;          /* --interval seconds */
    gint frames;            /* --tui-frames */
    char *synthetic;        /* --synthetic KEYS:EVENTS (hidden) */
    gint bench;             /* --bench-redraw N (hidden) */
    KtPipeline *p;          /* nullable: synthetic data */
    KtDict *synth_dict;     /* synthetic data */
    KtTuiSynth *synth;
    GPtrArray *files;       /* char*: expanded inputs (--follow: the files read so far) */
    char **inputs;          /* --follow: the named inputs (borrowed from argv) */
    GPtrArray *cursors;     /* --follow: KtCursor* where each file was read to */
    KtTuiSummary summary;
    char *label;
    guint input_errors;     /* inputs that could not be read */
} KtTuiApp;

static void
app_clear(KtTuiApp *app)
{
    kt_tui_synth_free(app->synth);
    kt_dict_free(app->synth_dict);
    kt_pipeline_free(app->p);
    if (app->files != NULL)
        g_ptr_array_unref(app->files);
    if (app->cursors != NULL)
        g_ptr_array_unref(app->cursors);
    g_free(app->label);
    g_free(app->state_path);
    g_free(app->synthetic);
    kt_cli_options_clear(&app->opts);
}

static const KtDict *
app_dict(const KtTuiApp *app)
{
    return app->p != NULL ? app->p->dict : app->synth_dict;
}

/* ---- the data source behind the model ------------------------------------------------- */

static KtKeyDetail *
src_key_detail(gpointer ud, guint32 entity, gboolean is_principal)
{
    KtTuiApp *app = ud;
    if (app->synth != NULL)
        return kt_tui_synth_key_detail(app->synth, entity, is_principal);
    return kt_engine_key_detail(app->p->engine, entity, is_principal);
}

static void
offer(gpointer ud, const KtRecord *rec)
{
    kt_tui_events_offer(ud, rec);
}

/* Re-reads every input and keeps the records of @ev's scope (bounded by the store). */
static gboolean
src_load_events(gpointer ud, KtTuiEvents *ev, GError **error)
{
    KtTuiApp *app = ud;
    if (app->synth != NULL)
        return kt_tui_synth_load_events(app->synth, ev, error);
    if (app->state_path != NULL || app->files == NULL) {
        g_set_error(error, KT_ERROR, KT_ERROR_INPUT,
                    "a state file keeps no raw events: run tui on the logs to see them");
        return FALSE;
    }
    KtIngestOptions io = *kt_ingest_options(app->p->ingest);
    io.quiet = TRUE;
    g_autoptr(KtIngest) in = kt_ingest_new(&io, app->p->dict, offer, ev, error);
    if (in == NULL)
        return FALSE;
    for (guint i = 0; i < app->files->len; i++) {
        const char *path = g_ptr_array_index(app->files, i);
        if (strcmp(path, "-") == 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_INPUT,
                        "standard input cannot be read again for raw events");
            return FALSE;
        }
        GError *e = NULL;
        if (!kt_ingest_run_path(in, path, 0, NULL, &e))
            g_error_free(e); /* reported when the input was first read */
    }
    kt_tui_events_finish(ev);
    return TRUE;
}

static gboolean
write_all(int fd, const char *buf, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        buf += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* Writes @inc as JSON to a new file: O_EXCL | O_NOFOLLOW, mode 0600, never through a
 * planted symlink and never over an existing file. */
static gboolean
src_export(gpointer ud, const KtIncident *inc, const char *path, GError **error)
{
    KtTuiApp *app = ud;
    KtReportOptions ro = app->opts.report;
    ro.kind = KT_OUTPUT_JSON;
    cJSON *json = kt_report_incident_json(inc, app_dict(app), &ro);
    if (json == NULL)
        g_error("out of memory while writing JSON");
    /* escapes bidi, C1 and invisible characters like the JSON report does */
    g_autoptr(GString) buf = g_string_new(NULL);
    kt_report_json_print(json, TRUE, buf);
    cJSON_Delete(json);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot create %s: %s%s", path,
                    g_strerror(err), err == EEXIST ? " (choose a new file name)" : "");
        return FALSE;
    }
    gboolean ok = write_all(fd, buf->str, buf->len);
    int err = errno;
    ok = close(fd) == 0 && ok;
    if (!ok)
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot write %s: %s", path, g_strerror(err));
    return ok;
}

static const KtTuiSourceOps app_ops = {
    .key_detail = src_key_detail,
    .load_events = src_load_events,
    .export_incident = src_export,
};

/* ---- loading ------------------------------------------------------------------------- */

static void
update_summary(KtTuiApp *app, const KtResults *r)
{
    guint64 events = 0, rejected = 0, lines = 0;
    if (app->p != NULL && app->state_path == NULL)
        kt_ingest_totals(app->p->ingest, &events, &rejected, &lines);
    else
        events = r->events;
    g_free(app->label);
    if (app->state_path != NULL)
        app->label = g_strdup_printf("state %s", app->state_path);
    else if (app->files->len == 1)
        app->label = g_path_get_basename(g_ptr_array_index(app->files, 0));
    else
        app->label = g_strdup_printf("%u files", app->files->len);
    app->summary = (KtTuiSummary){ app->label, lines, events, rejected, r->first_ms, r->last_ms,
                                   app->follow };
}

/* ---- --follow ------------------------------------------------------------------------ */

typedef struct {
    KtTuiApp *app;
    GPtrArray *errors; /* char*: messages for the status line */
} FollowRead;

/* KtCursorReadFn over the pipeline (@ud: FollowRead). A file that cannot be read is noted
 * in the error list and counted as read to its current size, so that a poll does not
 * repeat it. */
static gboolean
follow_read_one(gpointer ud, const char *path, guint64 offset, guint64 *end_offset,
                gint64 *last_ts, GError **error)
{
    FollowRead *fr = ud;
    KtTuiApp *app = fr->app;
    (void)error;
    GError *local = NULL;
    if (!kt_pipeline_read(app->p, path, offset, end_offset, &local)) {
        /* skipped from now on: reading it again would count its first records twice */
        struct stat st;
        *end_offset = stat(path, &st) == 0 ? (guint64)st.st_size : offset;
        g_ptr_array_add(fr->errors, g_strdup_printf("%s (not read again)", local->message));
        g_error_free(local);
    }
    *last_ts = kt_pipeline_last_event_ms(app->p);
    return TRUE;
}

/*
 * Reads what is new in the named inputs with the cursors `watch` uses: appended lines,
 * a file rotated away (its tail, then the new file from the start), copytruncate, new
 * files in named directories. Keeps the cursors in memory only. FALSE (with a message in
 * @errors) when the plan cannot be made, e.g. a named directory cannot be listed.
 */
static gboolean
follow_read(KtTuiApp *app, GPtrArray *errors)
{
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    GError *error = NULL;
    g_autoptr(KtCursorPlan) plan = kt_cursor_plan(app->cursors != NULL ? app->cursors : none,
                                                  (const char *const *)app->inputs, &error);
    FollowRead fr = { app, errors };
    if (plan == NULL ||
        !kt_cursor_plan_run(plan, follow_read_one, &fr, app->opts.ingest.max_gzip_ratio,
                            &error)) {
        g_ptr_array_add(errors, g_strdup(error->message));
        g_error_free(error);
        return FALSE;
    }
    if (app->cursors != NULL)
        g_ptr_array_unref(app->cursors);
    app->cursors = g_ptr_array_ref(plan->cursors);
    /* raw events are re-read from the files as they are named now */
    g_ptr_array_set_size(app->files, 0);
    for (guint i = 0; i < plan->cursors->len; i++)
        g_ptr_array_add(app->files,
                        g_strdup(((const KtCursor *)g_ptr_array_index(plan->cursors, i))->path));
    return TRUE;
}

/* Reads the inputs; returns KT_EXIT_OK, or KT_EXIT_INPUT after printing why. */
static int
read_inputs(KtTuiApp *app, char **paths)
{
    const char *stdin_only[] = { "-", NULL };
    GError *error = NULL;
    app->files = kt_ingest_expand(paths[0] != NULL ? (const char *const *)paths : stdin_only,
                                  &error);
    if (app->files == NULL || app->files->len == 0) {
        kt_cli_error("%s", error != NULL ? error->message : "no log files found");
        g_clear_error(&error);
        return KT_EXIT_INPUT;
    }
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = TRUE;
    g_autoptr(KtProgress) progress = NULL;
    if (app->follow) {
        app->inputs = paths;
        if (!follow_read(app, errors)) {
            kt_cli_error("%s", (const char *)g_ptr_array_index(errors, errors->len - 1));
            return KT_EXIT_INPUT;
        }
    } else {
        progress = kt_progress_new(app->files, app->opts.quiet);
        int jobs = app->opts.jobs > 0 ? app->opts.jobs : (int)g_get_num_processors();
        kt_ingest_set_progress(app->p->ingest, kt_progress_update, progress);
        ok = kt_pipeline_read_all(app->p, app->files, jobs, errors, &error);
        kt_ingest_set_progress(app->p->ingest, NULL, NULL);
    }
    for (guint i = 0; i < errors->len; i++)
        kt_cli_error("%s", (const char *)g_ptr_array_index(errors, i));
    app->input_errors = errors->len;
    guint64 events = 0, rejected = 0, lines = 0;
    kt_ingest_totals(app->p->ingest, &events, &rejected, &lines);
    if (ok && errors->len > 0 && events == 0)
        return KT_EXIT_INPUT; /* nothing could be read: no dashboard */
    if (ok && !kt_pipeline_flush_progress(app->p, progress, &error))
        ok = FALSE;
    if (!ok) {
        kt_cli_error("%s", error->message);
        g_error_free(error);
        return KT_EXIT_INPUT;
    }
    return KT_EXIT_OK;
}

/*
 * Loads what `watch` learned: the state file (checksum and version checked by the state
 * module) and its engine object through kt_engine_load. Read-only: browsing never writes
 * the state, so no lock is taken.
 */
static int
load_state(KtTuiApp *app)
{
    GError *error = NULL;
    g_autoptr(KtState) st = kt_state_load(app->state_path, &error);
    int status = KT_EXIT_OK;
    if (st == NULL) {
        kt_cli_error("%s", error->message);
        g_error_free(error);
        return KT_EXIT_STATE;
    }
    const cJSON *engine = kt_state_engine(st);
    if (!kt_state_existed(st) || engine == NULL) {
        kt_cli_error("%s: no state there yet (run `keytrail watch --state %s` first)",
                     app->state_path, app->state_path);
        status = KT_EXIT_STATE;
    } else if (!kt_engine_load(app->p->engine, engine, &error)) {
        kt_cli_error("cannot load the state %s: %s", app->state_path, error->message);
        g_error_free(error);
        status = KT_EXIT_STATE;
    }
    app->files = g_ptr_array_new_with_free_func(g_free);
    return status;
}

/* Polls the inputs (follow_read); TRUE when there were new events or messages. */
static gboolean
follow_poll(KtTuiApp *app, KtTuiModel *m)
{
    guint64 before = 0, after = 0, rejected = 0, lines = 0;
    kt_ingest_totals(app->p->ingest, &before, &rejected, &lines);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    follow_read(app, errors);
    if (errors->len > 0)
        kt_tui_model_set_message(m, g_ptr_array_index(errors, errors->len - 1), TRUE);
    kt_ingest_totals(app->p->ingest, &after, &rejected, &lines);
    gboolean grew = after != before;
    if (!grew)
        return errors->len > 0;
    g_autoptr(GError) error = NULL;
    if (!kt_pipeline_flush(app->p, &error)) {
        kt_tui_model_set_message(m, error->message, TRUE);
        return TRUE;
    }
    const KtResults *r = kt_engine_results(app->p->engine);
    update_summary(app, r);
    kt_tui_model_set_results(m, r, &app->summary);
    return TRUE;
}

/* ---- the key loop -------------------------------------------------------------------- */

typedef struct {
    KtTuiView *view;
    GArray *replay;    /* KtTuiKey from KT_TUI_KEYS */
    guint next;        /* next replayed key */
    gboolean headless; /* stop when the replay is over */
} KtTuiLoop;

/* Next key: replayed first, then the terminal; FALSE when a headless replay is over. */
static gboolean
next_key(KtTuiApp *app, KtTuiLoop *lp, KtTuiKey *k)
{
    if (lp->next < lp->replay->len) {
        *k = g_array_index(lp->replay, KtTuiKey, lp->next++);
        if (k->code == KT_TUI_KEY_RESIZE && k->width > 0)
            kt_tui_view_resize(lp->view, k->width, k->height);
        return TRUE;
    }
    if (lp->headless)
        return FALSE;
    int timeout = app->follow ? MAX(app->interval, 1) * 1000 : -1;
    *k = kt_tui_view_read_key(lp->view, timeout);
    return TRUE;
}

static void
run_loop(KtTuiApp *app, KtTuiModel *m, KtTuiLoop *lp)
{
    g_autoptr(KtTuiFrame) f = kt_tui_frame_new();
    int frames = 0;
    gboolean dirty = TRUE;
    for (;;) {
        if (dirty) {
            int w, h;
            kt_tui_view_size(lp->view, &w, &h);
            kt_tui_model_render(m, w, h, f);
            kt_tui_view_draw(lp->view, f);
            frames++;
            if (app->frames > 0 && frames >= app->frames)
                return;
        }
        KtTuiKey k;
        if (!next_key(app, lp, &k))
            return;
        if (k.code == KT_TUI_KEY_TIMEOUT) {
            dirty = app->follow && app->p != NULL && follow_poll(app, m);
            continue;
        }
        guint r = kt_tui_model_key(m, &k);
        if (r & KT_TUI_QUIT)
            return;
        dirty = (r & KT_TUI_REDRAW) != 0 || k.code == KT_TUI_KEY_RESIZE;
    }
}

static int
run_dashboard(KtTuiApp *app, const KtResults *r)
{
    g_autoptr(GArray) replay = g_array_new(FALSE, FALSE, sizeof(KtTuiKey));
    g_autoptr(GError) error = NULL;
    const char *keys = g_getenv("KT_TUI_KEYS");
    if (keys != NULL && !kt_tui_keys_parse(keys, replay, &error)) {
        kt_cli_error("%s", error->message);
        return KT_EXIT_USAGE;
    }
    gboolean headless = g_strcmp0(g_getenv("KT_TUI_NO_DISPLAY"), "1") == 0;
    gboolean color = !app->opts.no_color && g_getenv("NO_COLOR") == NULL;
    KtTuiView *view = kt_tui_view_new(headless, color, &error);
    if (view == NULL) {
        kt_cli_error("%s", error->message);
        return KT_EXIT_USAGE;
    }
    g_autoptr(KtTuiModel) m = kt_tui_model_new(&app_ops, app, app_dict(app), kt_tui_view_utf8(view));
    kt_tui_model_set_reveal(m, app->opts.reveal_keys);
    kt_tui_model_set_results(m, r, &app->summary);
    if (app->input_errors > 0) {
        g_autofree char *msg = g_strdup_printf("%u input(s) could not be read: see the messages "
                                               "printed before the dashboard", app->input_errors);
        kt_tui_model_set_message(m, msg, TRUE);
    }
    KtTuiLoop lp = { view, replay, 0, headless };
    run_loop(app, m, &lp);
    const char *dump = g_getenv("KT_TUI_DUMP");
    gboolean ok = dump == NULL || *dump == '\0' || kt_tui_view_dump(view, dump, &error);
    kt_tui_view_free(view);
    if (!ok) {
        kt_cli_error("%s", error->message);
        return KT_EXIT_INPUT;
    }
    return KT_EXIT_OK;
}

/* ---- --bench-redraw -------------------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Times @n frames (render + draw on a headless screen), moving the selection each frame
 * and paging every tenth, and one sort of the key list; prints the numbers. */
static int
run_bench(KtTuiApp *app, const KtResults *r, double load_s)
{
    g_autoptr(GError) error = NULL;
    KtTuiView *view = kt_tui_view_new(TRUE, FALSE, &error);
    if (view == NULL) {
        kt_cli_error("%s", error->message);
        return KT_EXIT_USAGE;
    }
    g_autoptr(KtTuiModel) m = kt_tui_model_new(&app_ops, app, app_dict(app), FALSE);
    kt_tui_model_set_results(m, r, &app->summary);
    g_autoptr(KtTuiFrame) f = kt_tui_frame_new();
    g_autofree double *ms = g_new0(double, app->bench);
    int w, h;
    kt_tui_view_size(view, &w, &h);
    for (int i = 0; i < app->bench; i++) {
        KtTuiKey k = { i % 10 == 9 ? KT_TUI_KEY_PGDN : KT_TUI_KEY_DOWN, 0, 0, 0, 0, 0 };
        gint64 t0 = g_get_monotonic_time();
        if (i > 0)
            kt_tui_model_key(m, &k);
        kt_tui_model_render(m, w, h, f);
        kt_tui_view_draw(view, f);
        ms[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
    }
    KtTuiKey sort = { KT_TUI_KEY_CHAR, 's', 0, 0, 0, 0 };
    gint64 t0 = g_get_monotonic_time();
    kt_tui_model_key(m, &sort);
    kt_tui_model_render(m, w, h, f);
    kt_tui_view_draw(view, f);
    double sort_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
    kt_tui_view_free(view);
    double first = ms[0];
    qsort(ms, (gsize)app->bench, sizeof(double), cmp_double);
    printf("keys %u  events %" G_GUINT64_FORMAT "  incidents %u  screen %dx%d  load %.2f s\n",
           r->keys->len, r->events, r->incidents->len, w, h, load_s);
    printf("redraw: first %.2f ms  median %.2f ms  p95 %.2f ms  max %.2f ms  (%d frames)\n",
           first, ms[app->bench / 2], ms[(gsize)(app->bench * 0.95)], ms[app->bench - 1],
           app->bench);
    printf("sort 's' + redraw: %.2f ms\n", sort_ms);
    return KT_EXIT_OK;
}

/* ---- the command --------------------------------------------------------------------- */

static gboolean
parse_args(KtTuiApp *app, int *argc, char ***argv, GError **error)
{
    GOptionEntry entries[] = {
        { "state", 0, 0, G_OPTION_ARG_FILENAME, &app->state_path,
          "Browse what `watch` learned and found in this state file", "PATH" },
        { "follow", 0, 0, G_OPTION_ARG_NONE, &app->follow,
          "Tail the inputs: read appended lines and refresh", NULL },
        { "interval", 0, 0, G_OPTION_ARG_INT, &app->interval,
          "Seconds between --follow polls (default 1)", "SECONDS" },
        { "tui-frames", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &app->frames,
          "Stop after N frames (tests)", "N" },
        { "synthetic", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &app->synthetic,
          "Generated data instead of inputs (tests, benchmark)", "KEYS:EVENTS" },
        { "bench-redraw", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &app->bench,
          "Time N redraws and exit", "N" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("[FILE|DIR|-]...");
    g_option_context_set_summary(ctx, "Interactive dashboard of keys, incidents, IPs and raw "
                                      "events (keys: ? inside; docs/TUI.md).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_group(ctx, kt_cli_scan_group(&app->opts));
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (app->state_path != NULL && (*argc > 1 || app->follow)) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "--state browses a state file: give no FILE and no --follow with it");
        return FALSE;
    }
    if (app->interval < 0 || app->frames < 0 || app->bench < 0) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "--interval, --tui-frames and "
                                                      "--bench-redraw take a positive number");
        return FALSE;
    }
    if (app->follow) {
        gboolean named = *argc > 1;
        for (int i = 1; i < *argc; i++)
            named = named && strcmp((*argv)[i], "-") != 0;
        if (!named) {
            g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                        "--follow watches named files or directories: standard input cannot "
                        "be followed (write the log to a file and name it)");
            return FALSE;
        }
        app->opts.ingest.hold_partial = TRUE;
    }
    return kt_cli_options_finish(&app->opts, error);
}

static gboolean
make_synthetic(KtTuiApp *app, GError **error)
{
    guint keys = 0;
    guint64 events = 0;
    if (sscanf(app->synthetic, "%u:%" G_GUINT64_FORMAT, &keys, &events) != 2 || keys == 0 ||
        keys > 10000000 || events > G_GUINT64_CONSTANT(10000000000)) {
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE, "--synthetic wants KEYS:EVENTS");
        return FALSE;
    }
    app->synth_dict = kt_dict_new();
    app->synth = kt_tui_synth_new(app->synth_dict, keys, events);
    app->files = g_ptr_array_new_with_free_func(g_free);
    kt_tui_synth_summary(app->synth, &app->summary);
    return TRUE;
}

/* Loads the results from the source the options name; returns an exit status. */
static int
load(KtTuiApp *app, char **paths, const KtResults **out)
{
    g_autoptr(GError) error = NULL;
    if (app->synthetic != NULL) {
        if (!make_synthetic(app, &error)) {
            kt_cli_error("%s", error->message);
            return KT_EXIT_USAGE;
        }
        *out = kt_tui_synth_results(app->synth);
        return KT_EXIT_OK;
    }
    app->p = kt_pipeline_new(&app->opts, &error);
    if (app->p == NULL) {
        kt_cli_error("%s", error->message);
        return KT_EXIT_USAGE;
    }
    int status = app->state_path != NULL ? load_state(app) : read_inputs(app, paths);
    if (status != KT_EXIT_OK)
        return status;
    *out = kt_engine_results(app->p->engine);
    update_summary(app, *out);
    return KT_EXIT_OK;
}

int
kt_cmd_tui(int argc, char **argv)
{
    KtTuiApp app = { 0 };
    kt_cli_options_init(&app.opts);
    app.interval = 1;
    g_autoptr(GError) error = NULL;
    int status = KT_EXIT_OK;
    const KtResults *r = NULL;
    if (!parse_args(&app, &argc, &argv, &error)) {
        kt_cli_error("%s", error->message);
        status = KT_EXIT_USAGE;
    } else {
        gint64 t0 = g_get_monotonic_time();
        status = load(&app, argv + 1, &r);
        double load_s = (double)(g_get_monotonic_time() - t0) / 1e6;
        if (status == KT_EXIT_OK)
            status = app.bench > 0 ? run_bench(&app, r, load_s) : run_dashboard(&app, r);
    }
    app_clear(&app);
    return status;
}
