/*
 * pipeline.c - wires ingest -> order -> engine for scan, watch and tui.
 */
#include "keytrail/cli.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

typedef struct {
    KtPipeline pub;    /* what callers see */
    GError *add_error; /* first error from the sorter (temporary files) */
    gboolean parse_only; /* --stats: records are counted by ingest, not kept */
    KtReorder *stream;   /* nullable: records go to the engine through it (kt_pipeline_stream) */
    gboolean stream_broken; /* it met a record out of its order; reading stopped */
} KtPipelinePriv;

/* in blocks, so that the engine prefetches the state of the records to come */
static void
to_engine(gpointer ud, const KtRecord *recs, gsize n)
{
    kt_engine_feed_batch(ud, recs, n);
}

static void
on_record(gpointer ud, const KtRecord *rec)
{
    KtPipelinePriv *p = ud;
    if (p->stream != NULL) {
        if (!kt_reorder_add(p->stream, rec) && !p->stream_broken) {
            p->stream_broken = TRUE;
            kt_ingest_stop(p->pub.ingest);
        }
        return;
    }
    if (p->add_error == NULL && !p->parse_only)
        kt_sorter_add(p->pub.sorter, rec, &p->add_error);
}

void
kt_pipeline_stream(KtPipeline *pub, gsize window)
{
    KtPipelinePriv *p = (KtPipelinePriv *)pub;
    g_return_if_fail(p->stream == NULL && pub->shards == NULL && !p->parse_only);
    p->stream =
        kt_reorder_new(window > 0 ? window : KT_REORDER_WINDOW_DEFAULT, to_engine, pub->engine);
}

gboolean
kt_pipeline_stream_broken(KtPipeline *pub)
{
    return ((KtPipelinePriv *)pub)->stream_broken;
}

static void
to_shards(gpointer ud, const KtRecord *recs, gsize n)
{
    kt_engine_shards_feed_batch(ud, recs, n);
}

KtPipeline *
kt_pipeline_new(const KtCliOptions *o, GError **error)
{
    KtPipelinePriv *p = g_new0(KtPipelinePriv, 1);
    p->parse_only = o->stats;
    p->pub.dict = kt_dict_new();
    p->pub.ingest = kt_ingest_new(&o->ingest, p->pub.dict, on_record, p, error);
    if (p->pub.ingest == NULL) {
        kt_dict_free(p->pub.dict);
        g_free(p);
        return NULL;
    }
    p->pub.sorter = kt_sorter_new(0);
    p->pub.engine = kt_engine_new(&o->engine, p->pub.dict, kt_ingest_time_parser(p->pub.ingest));
    return &p->pub;
}

void
kt_pipeline_free(KtPipeline *pub)
{
    if (pub == NULL)
        return;
    KtPipelinePriv *p = (KtPipelinePriv *)pub;
    kt_reorder_free(p->stream);
    kt_engine_shards_free(pub->shards);
    kt_engine_free(pub->engine);
    kt_sorter_free(pub->sorter);
    kt_ingest_free(pub->ingest);
    kt_dict_free(pub->dict);
    g_clear_error(&p->add_error);
    g_free(p);
}

gboolean
kt_pipeline_read(KtPipeline *pub, const char *path, guint64 offset, guint64 *end_offset,
                 GError **error)
{
    KtPipelinePriv *p = (KtPipelinePriv *)pub;
    gboolean ok = kt_ingest_run_path(pub->ingest, path, offset, end_offset, error);
    if (ok && p->add_error != NULL) {
        g_propagate_error(error, p->add_error);
        p->add_error = NULL;
        return FALSE;
    }
    return ok;
}

gint64
kt_pipeline_last_event_ms(KtPipeline *p)
{
    GPtrArray *stats = kt_ingest_stats(p->ingest);
    const KtInputStats *s = stats->len > 0 ? g_ptr_array_index(stats, stats->len - 1) : NULL;
    return s != NULL && s->events > 0 ? s->last_ms : G_MININT64;
}

/* Where the records go while flushing, and the progress they are counted on. */
typedef struct {
    KtRecordBatchFn fn;
    gpointer ud;
    KtProgress *progress;
} KtFlushTo;

static void
to_engine_counted(gpointer ud, const KtRecord *recs, gsize n)
{
    KtFlushTo *t = ud;
    t->fn(t->ud, recs, n);
    kt_progress_judged(t->progress, n);
}

gboolean
kt_pipeline_flush_progress(KtPipeline *pub, KtProgress *progress, GError **error)
{
    KtPipelinePriv *p = (KtPipelinePriv *)pub;
    if (p->add_error != NULL) {
        g_propagate_error(error, p->add_error);
        p->add_error = NULL;
        return FALSE;
    }
    if (p->stream != NULL)
        kt_reorder_finish(p->stream);
    KtFlushTo t = { to_engine, pub->engine, progress };
    if (pub->shards != NULL)
        t = (KtFlushTo){ to_shards, pub->shards, progress };
    /* streamed records were judged while read: the reading line said it all */
    if (progress != NULL && p->stream == NULL)
        kt_progress_judging(progress, kt_sorter_count(pub->sorter));
    gboolean ok = progress != NULL ? kt_sorter_drain_batch(pub->sorter, to_engine_counted, &t, error)
                                   : kt_sorter_drain_batch(pub->sorter, t.fn, t.ud, error);
    if (pub->shards != NULL)
        kt_engine_shards_finish(pub->shards);
    return ok;
}

gboolean
kt_pipeline_flush(KtPipeline *pub, GError **error)
{
    return kt_pipeline_flush_progress(pub, NULL, error);
}

void
kt_pipeline_use_shards(KtPipeline *p, const KtCliOptions *o, guint n)
{
    g_return_if_fail(p != NULL && p->shards == NULL);
    p->shards = kt_engine_shards_new(&o->engine, p->dict, kt_ingest_time_parser(p->ingest),
                                     CLAMP(n, 2, KT_ENGINE_SHARDS_MAX));
}

const KtResults *
kt_pipeline_results(KtPipeline *p)
{
    return p->shards != NULL ? kt_engine_shards_results(p->shards) : kt_engine_results(p->engine);
}

/* ---- parallel reading --------------------------------------------------------------- */

/*
 * With -j N, files and parts of large files (kt_ingest_split_plan) are tasks, taken in
 * order by N threads. Each thread parses into its own ingest stage (own dictionary) and
 * sorter; a record's input field holds its task until the merge. Afterwards the threads'
 * strings are interned into the pipeline's dictionary and their sorted runs handed to
 * the pipeline's sorter with a map (ids, task -> input and line offset), so the engine
 * gets one k-way merge and nothing is sorted twice. When the result could differ from
 * reading in one thread (a quoted CSV record across a cut, a part that failed, or a
 * --max-keys / value cap reached), everything is read again in one thread.
 */

#define KT_SPLIT_MIN_DEFAULT (8u << 20) /* bytes per part at least */
#define KT_WORKER_SPILL 16384           /* records a thread spills before handing over */

typedef struct {
    guint32 input;     /* index in the pipeline ingest's statistics */
    guint file;        /* index in the file list */
    KtSplitPlan *plan; /* nullable: the file is read whole */
    guint part;
    /* written by the thread that reads the task: */
    gint worker;       /* which thread */
    guint32 first[KT_SPACE_COUNT], end[KT_SPACE_COUNT]; /* the ids its dict gave out */
} KtTask;

typedef struct {
    KtPipelinePriv *p;  /* the pipeline (main ingest, options) */
    GPtrArray *files;   /* char* */
    GArray *tasks;      /* KtTask */
    gint next;          /* next task to take (atomic) */
    gint failed;        /* a part failed: read everything again in one thread (atomic) */
} KtShared;

typedef struct {
    KtShared *sh;
    gint index;         /* of the thread */
    KtIngest *in;       /* own ingest with its own dict */
    KtSorter *sorter;   /* own records, input = task index */
    GArray *done;       /* guint32: task of each input of in, in reading order */
    guint32 cur;        /* task being read */
    GPtrArray *errors;  /* char*: messages of unreadable inputs, with index prefix */
    GError *fatal;      /* sorter spill failure */
} KtWorker;

static void
worker_record(gpointer ud, const KtRecord *rec)
{
    KtWorker *w = ud;
    if (w->fatal != NULL || w->sh->p->parse_only)
        return;
    KtRecord r = *rec;
    r.input = w->cur;
    kt_sorter_add(w->sorter, &r, &w->fatal);
}

static gpointer
worker_main(gpointer ud)
{
    KtWorker *w = ud;
    KtShared *sh = w->sh;
    for (;;) {
        gint i = g_atomic_int_add(&sh->next, 1);
        if (i >= (gint)sh->tasks->len || w->fatal != NULL || g_atomic_int_get(&sh->failed))
            break;
        KtTask *t = &g_array_index(sh->tasks, KtTask, i);
        KtDict *d = kt_ingest_dict(w->in);
        w->cur = (guint32)i;
        g_array_append_val(w->done, w->cur);
        t->worker = w->index;
        for (int s = 0; s < KT_SPACE_COUNT; s++)
            t->first[s] = kt_dict_size(d, (KtSpace)s);
        GError *error = NULL;
        if (t->plan != NULL) {
            if (!kt_ingest_run_part(w->in, t->plan, t->part, &error)) {
                g_atomic_int_set(&sh->failed, 1);
                g_error_free(error);
            }
        } else if (!kt_ingest_run_path(w->in, g_ptr_array_index(sh->files, t->file), 0, NULL,
                                       &error)) {
            g_ptr_array_add(w->errors, g_strdup_printf("%08u%s", t->file, error->message));
            g_error_free(error);
        }
        for (int s = 0; s < KT_SPACE_COUNT; s++)
            t->end[s] = kt_dict_size(d, (KtSpace)s);
    }
    if (w->fatal == NULL)
        kt_sorter_spill(w->sorter, KT_WORKER_SPILL, &w->fatal);
    return NULL;
}

/* Distinct strings of @space over the pipeline's dict and the threads' dicts, counted
 * exactly only when the sum could exceed @limit. */
static gboolean
space_within(KtPipelinePriv *p, KtWorker *w, int jobs, KtSpace space, guint64 limit)
{
    guint64 sum = kt_dict_size(p->pub.dict, space) - 1;
    for (int i = 0; i < jobs; i++)
        sum += kt_dict_size(kt_ingest_dict(w[i].in), space) - 1;
    if (sum <= limit)
        return TRUE;
    guint64 n = kt_dict_size(p->pub.dict, space) - 1;
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < jobs && n <= limit; i++) {
        KtDict *d = kt_ingest_dict(w[i].in);
        for (guint32 id = 1; id < kt_dict_size(d, space) && n <= limit; id++) {
            const char *str = kt_dict_str(d, space, id);
            if (kt_dict_lookup(p->pub.dict, space, kt_sv(str)) == 0 &&
                g_hash_table_add(seen, (gpointer)str))
                n++;
        }
    }
    g_hash_table_destroy(seen);
    return n <= limit;
}

/* TRUE when no thread's dictionary nor their union reaches --max-keys or the value cap,
 * so one thread would have capped nothing either. */
static gboolean
limits_untouched(KtPipelinePriv *p, KtWorker *w, int jobs)
{
    const KtIngestOptions *o = kt_ingest_options(p->pub.ingest);
    for (int s = 0; s < KT_SPACE_COUNT; s++) {
        guint64 limit = s == KT_SPACE_KEY ? o->max_keys : o->max_values;
        if (!space_within(p, w, jobs, (KtSpace)s, limit))
            return FALSE;
    }
    return TRUE;
}

/*
 * The maps of the threads' ids into the pipeline's dict (transfer full, one per thread).
 * Strings are interned task by task in input order, each task's new strings in the
 * order its thread first saw them: the order in which one thread reading every input
 * would have met them, so every id is the one -j 1 gives (the engine may order ties by
 * id).
 */
static KtSorterMap **
intern_in_order(KtPipelinePriv *p, KtWorker *w, int jobs, GArray *tasks)
{
    KtSorterMap **maps = g_new0(KtSorterMap *, jobs);
    for (int i = 0; i < jobs; i++) {
        KtDict *d = kt_ingest_dict(w[i].in);
        maps[i] = kt_sorter_map_new();
        for (int s = 0; s < KT_SPACE_COUNT; s++) {
            maps[i]->n_ids[s] = kt_dict_size(d, (KtSpace)s);
            maps[i]->ids[s] = g_new0(guint32, maps[i]->n_ids[s]);
        }
    }
    for (guint t = 0; t < tasks->len; t++) {
        const KtTask *task = &g_array_index(tasks, KtTask, t);
        KtDict *d = kt_ingest_dict(w[task->worker].in);
        KtSorterMap *m = maps[task->worker];
        for (int s = 0; s < KT_SPACE_COUNT; s++) {
            for (guint32 id = task->first[s]; id < task->end[s]; id++)
                m->ids[s][id] = kt_dict_intern(p->pub.dict, (KtSpace)s,
                                               kt_sv(kt_dict_str(d, (KtSpace)s, id)));
        }
    }
    return maps;
}

/* Moves a finished thread's records, statistics and errors into the pipeline. */
static gboolean
absorb_worker(KtPipelinePriv *p, KtWorker *w, KtSorterMap *m, const guint32 *task_input,
              const guint64 *task_line, guint32 n_tasks, GPtrArray *all_errors, GError **error)
{
    m->n_tasks = n_tasks;
    m->task_input = g_memdup2(task_input, n_tasks * sizeof(guint32));
    m->task_line = g_memdup2(task_line, n_tasks * sizeof(guint64));
    gboolean ok = TRUE;
    if (w->fatal != NULL) {
        g_propagate_error(error, g_steal_pointer(&w->fatal));
        kt_sorter_map_free(m);
        ok = FALSE;
    } else {
        ok = kt_sorter_absorb(p->pub.sorter, w->sorter, m, error);
    }
    guint32 *in_map = g_new(guint32, w->done->len);
    guint64 *line_map = g_new(guint64, w->done->len);
    for (guint i = 0; i < w->done->len; i++) {
        guint32 t = g_array_index(w->done, guint32, i);
        in_map[i] = task_input[t];
        line_map[i] = task_line[t];
    }
    kt_ingest_absorb_parts(p->pub.ingest, w->in, in_map, line_map);
    g_free(in_map);
    g_free(line_map);
    for (guint i = 0; i < w->errors->len; i++)
        g_ptr_array_add(all_errors, g_steal_pointer(&g_ptr_array_index(w->errors, i)));
    return ok;
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean
read_sequential(KtPipelinePriv *p, GPtrArray *files, GPtrArray *errors, GError **error)
{
    for (guint i = 0; i < files->len; i++) {
        GError *e = NULL;
        if (!kt_ingest_run_path(p->pub.ingest, g_ptr_array_index(files, i), 0, NULL, &e)) {
            g_ptr_array_add(errors, g_strdup(e->message));
            g_error_free(e);
        }
        if (p->add_error != NULL) {
            g_propagate_error(error, g_steal_pointer(&p->add_error));
            return FALSE;
        }
        if (p->stream_broken)
            break;
    }
    return TRUE;
}

/* The tasks for @files: one per file, or one per part of a large line-based file. */
static GArray *
plan_tasks(KtPipelinePriv *p, GPtrArray *files, int jobs, guint32 base)
{
    GArray *tasks = g_array_new(FALSE, TRUE, sizeof(KtTask));
    guint64 total = 0;
    guint64 *sizes = g_new0(guint64, files->len);
    for (guint i = 0; i < files->len; i++) {
        GStatBuf st;
        if (g_stat(g_ptr_array_index(files, i), &st) == 0 && S_ISREG(st.st_mode))
            sizes[i] = (guint64)st.st_size;
        total += sizes[i];
    }
    /* parts small enough that the threads finish together, large enough to be cheap */
    const char *env = g_getenv("KT_SPLIT_MIN");
    guint64 min_part = env != NULL ? g_ascii_strtoull(env, NULL, 10) : KT_SPLIT_MIN_DEFAULT;
    guint64 part = MAX(MAX(min_part, total / ((guint64)jobs * 4)), (guint64)4096);
    for (guint i = 0; i < files->len; i++) {
        KtSplitPlan *plan = NULL;
        if (sizes[i] >= 2 * part)
            plan = kt_ingest_split_plan(p->pub.ingest, g_ptr_array_index(files, i),
                                        (guint)MIN(sizes[i] / part, (guint64)256), part);
        guint n = plan != NULL ? kt_split_plan_parts(plan) : 1;
        for (guint k = 0; k < n; k++) {
            KtTask t = { .input = base + i, .file = i, .plan = plan, .part = k };
            g_array_append_val(tasks, t);
        }
    }
    g_free(sizes);
    return tasks;
}

static void
free_tasks(GArray *tasks)
{
    for (guint i = 0; i < tasks->len; i++) {
        KtTask *t = &g_array_index(tasks, KtTask, i);
        if (t->part == 0)
            kt_split_plan_free(t->plan);
    }
    g_array_free(tasks, TRUE);
}

/* Line offsets of every task; FALSE when a split file must be read whole. */
static gboolean
task_lines(GArray *tasks, guint64 *task_line)
{
    gboolean ok = TRUE;
    for (guint i = 0; i < tasks->len; i++) {
        KtTask *t = &g_array_index(tasks, KtTask, i);
        if (t->plan == NULL)
            task_line[i] = 0;
        else if (t->part == 0)
            ok &= kt_split_plan_line_offsets(t->plan, task_line + i);
    }
    return ok;
}

/* Runs @jobs threads over the tasks of @sh until all are read; returns them (transfer
 * full, free with free_workers). */
static KtWorker *
run_workers(KtShared *sh, int jobs)
{
    KtWorker *w = g_new0(KtWorker, jobs);
    GThread **threads = g_new0(GThread *, jobs);
    for (int i = 0; i < jobs; i++) {
        w[i].sh = sh;
        w[i].index = i;
        w[i].in = kt_ingest_new(kt_ingest_options(sh->p->pub.ingest), NULL, worker_record,
                                &w[i], NULL);
        w[i].sorter = kt_sorter_new(MAX(KT_SORTER_RUN_DEFAULT / jobs, KT_WORKER_SPILL));
        w[i].done = g_array_new(FALSE, FALSE, sizeof(guint32));
        w[i].errors = g_ptr_array_new_with_free_func(g_free);
        threads[i] = g_thread_new("kt-parse", worker_main, &w[i]);
    }
    for (int i = 0; i < jobs; i++)
        g_thread_join(threads[i]);
    g_free(threads);
    return w;
}

static void
free_workers(KtWorker *w, int jobs)
{
    for (int i = 0; i < jobs; i++) {
        kt_ingest_free(w[i].in);
        kt_sorter_free(w[i].sorter);
        g_array_free(w[i].done, TRUE);
        g_ptr_array_free(w[i].errors, TRUE);
        g_clear_error(&w[i].fatal);
    }
    g_free(w);
}

/* Moves what the threads read into the pipeline, or sets *@redo when one thread must
 * read everything again. Returns FALSE and sets @error on a temporary-file error. */
static gboolean
merge_workers(KtPipelinePriv *p, KtShared *sh, KtWorker *w, int jobs, gboolean *redo,
              GPtrArray *errors, GError **error)
{
    GArray *tasks = sh->tasks;
    g_autofree guint32 *task_input = g_new(guint32, tasks->len);
    g_autofree guint64 *task_line = g_new(guint64, tasks->len);
    for (guint i = 0; i < tasks->len; i++)
        task_input[i] = g_array_index(tasks, KtTask, i).input;
    /* a spill failure (w[i].fatal) stops everything instead, in absorb_worker */
    gboolean fatal = FALSE;
    for (int i = 0; i < jobs; i++)
        fatal |= w[i].fatal != NULL;
    *redo = !fatal && (g_atomic_int_get(&sh->failed) || !task_lines(tasks, task_line) ||
                       !limits_untouched(p, w, jobs));
    if (*redo)
        return TRUE;
    g_autoptr(GPtrArray) errs = g_ptr_array_new_with_free_func(g_free);
    KtSorterMap **maps = intern_in_order(p, w, jobs, tasks);
    gboolean ok = TRUE;
    for (int i = 0; i < jobs; i++) {
        if (ok)
            ok = absorb_worker(p, &w[i], g_steal_pointer(&maps[i]), task_input, task_line,
                               tasks->len, errs, error);
        kt_sorter_map_free(maps[i]);
    }
    g_free(maps);
    /* errors in file order, as the sequential reader reports them */
    g_ptr_array_sort(errs, cmp_str);
    for (guint e = 0; ok && e < errs->len; e++)
        g_ptr_array_add(errors, g_strdup((const char *)g_ptr_array_index(errs, e) + 8));
    return ok;
}

gboolean
kt_pipeline_read_all(KtPipeline *pub, GPtrArray *files, int jobs, GPtrArray *errors,
                     GError **error)
{
    KtPipelinePriv *p = (KtPipelinePriv *)pub;
    if (jobs <= 1 || files->len == 0)
        return read_sequential(p, files, errors, error);
    GArray *tasks = plan_tasks(p, files, jobs, kt_ingest_stats(pub->ingest)->len);
    if (tasks->len < 2) {
        free_tasks(tasks);
        return read_sequential(p, files, errors, error);
    }
    jobs = MIN(jobs, (int)tasks->len);
    KtShared sh = { p, files, tasks, 0, 0 };
    KtWorker *w = run_workers(&sh, jobs);
    gboolean redo = FALSE;
    gboolean ok = merge_workers(p, &sh, w, jobs, &redo, errors, error);
    free_workers(w, jobs);
    free_tasks(tasks);
    if (ok && redo)
        return read_sequential(p, files, errors, error);
    return ok;
}
