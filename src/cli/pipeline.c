/*
 * pipeline.c - wires ingest -> order -> engine for scan, watch and tui.
 */
#include "keytrail/cli.h"

typedef struct {
    KtPipeline pub;    /* what callers see */
    GError *add_error; /* first error from the sorter (temporary files) */
    gboolean parse_only; /* --stats: records are counted by ingest, not kept */
} KtPipelinePriv;

static void
on_record(gpointer ud, const KtRecord *rec)
{
    KtPipelinePriv *p = ud;
    if (p->add_error == NULL && !p->parse_only)
        kt_sorter_add(p->pub.sorter, rec, &p->add_error);
}

static void
to_engine(gpointer ud, const KtRecord *rec)
{
    kt_engine_feed(ud, rec);
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

gboolean
kt_pipeline_flush(KtPipeline *pub, GError **error)
{
    KtPipelinePriv *p = (KtPipelinePriv *)pub;
    if (p->add_error != NULL) {
        g_propagate_error(error, p->add_error);
        p->add_error = NULL;
        return FALSE;
    }
    return kt_sorter_drain(pub->sorter, to_engine, pub->engine, error);
}

/* ---- parallel reading --------------------------------------------------------------- */

typedef struct {
    KtPipelinePriv *p;       /* the pipeline (main ingest, options) */
    GPtrArray *files;        /* char* */
    gint next;               /* next file index to take (atomic) */
    guint32 base;            /* index of the first file in the main ingest's statistics */
} KtShared;

typedef struct {
    KtShared *sh;
    KtIngest *in;            /* own ingest with its own dict */
    KtSorter *sorter;        /* own records, input = global index */
    GArray *map;             /* guint32: local input index -> global index */
    guint32 cur;             /* global index of the file being read */
    GPtrArray *errors;       /* char*: messages of unreadable inputs, with index prefix */
    GError *fatal;           /* sorter spill failure */
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
        if (i >= (gint)sh->files->len || w->fatal != NULL)
            break;
        w->cur = sh->base + (guint32)i;
        guint32 gi = w->cur;
        g_array_append_val(w->map, gi);
        GError *error = NULL;
        if (!kt_ingest_run_path(w->in, g_ptr_array_index(sh->files, i), 0, NULL, &error)) {
            g_ptr_array_add(w->errors, g_strdup_printf("%08d%s", i, error->message));
            g_error_free(error);
        }
    }
    return NULL;
}

typedef struct {
    KtSorter *dst;
    guint32 *remap[KT_SPACE_COUNT]; /* worker id -> pipeline id, per space */
    GError **fatal;
} KtRemap;

static void
remap_record(gpointer ud, const KtRecord *rec)
{
    KtRemap *m = ud;
    if (*m->fatal != NULL)
        return;
    KtRecord r = *rec;
    r.key = m->remap[KT_SPACE_KEY][r.key];
    r.principal = m->remap[KT_SPACE_PRINCIPAL][r.principal];
    r.source = m->remap[KT_SPACE_SOURCE][r.source];
    r.op = m->remap[KT_SPACE_OP][r.op];
    r.ua = m->remap[KT_SPACE_UA][r.ua];
    kt_sorter_add(m->dst, &r, m->fatal);
}

/* Moves a finished worker's records, statistics and errors into the pipeline. */
static gboolean
absorb_worker(KtPipelinePriv *p, KtWorker *w, GPtrArray *all_errors, GError **error)
{
    KtDict *wd = kt_ingest_dict(w->in);
    GError *fatal = NULL;
    KtRemap m = { p->pub.sorter, { NULL }, &fatal };
    for (int s = 0; s < KT_SPACE_COUNT; s++) {
        guint32 n = kt_dict_size(wd, (KtSpace)s);
        m.remap[s] = g_new0(guint32, n);
        for (guint32 id = 1; id < n; id++)
            m.remap[s][id] = kt_dict_intern(p->pub.dict, (KtSpace)s,
                                            kt_sv(kt_dict_str(wd, (KtSpace)s, id)));
    }
    if (w->fatal != NULL)
        fatal = g_steal_pointer(&w->fatal);
    else if (!kt_sorter_drain(w->sorter, remap_record, &m, &fatal) && fatal == NULL)
        fatal = g_error_new(KT_ERROR, KT_ERROR_IO, "cannot merge parsed records");
    gboolean ok = fatal == NULL;
    if (!ok)
        g_propagate_error(error, fatal);
    kt_ingest_absorb(p->pub.ingest, w->in, &g_array_index(w->map, guint32, 0));
    for (guint i = 0; i < w->errors->len; i++)
        g_ptr_array_add(all_errors, g_steal_pointer(&g_ptr_array_index(w->errors, i)));
    for (int s = 0; s < KT_SPACE_COUNT; s++)
        g_free(m.remap[s]);
    return ok;
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean
kt_pipeline_read_all(KtPipeline *pub, GPtrArray *files, int jobs, GPtrArray *errors,
                     GError **error)
{
    KtPipelinePriv *p = (KtPipelinePriv *)pub;
    if (jobs <= 1 || files->len < 2) {
        for (guint i = 0; i < files->len; i++) {
            GError *e = NULL;
            if (!kt_ingest_run_path(pub->ingest, g_ptr_array_index(files, i), 0, NULL, &e)) {
                g_ptr_array_add(errors, g_strdup(e->message));
                g_error_free(e);
            }
            if (p->add_error != NULL) {
                g_propagate_error(error, g_steal_pointer(&p->add_error));
                return FALSE;
            }
        }
        return TRUE;
    }
    jobs = MIN(jobs, (int)files->len);
    KtShared sh = { p, files, 0, kt_ingest_stats(pub->ingest)->len };
    KtWorker *w = g_new0(KtWorker, jobs);
    GThread **threads = g_new0(GThread *, jobs);
    gboolean ok = TRUE;
    for (int i = 0; i < jobs; i++) {
        w[i].sh = &sh;
        w[i].in = kt_ingest_new(kt_ingest_options(pub->ingest), NULL, worker_record, &w[i], NULL);
        w[i].sorter = kt_sorter_new(0);
        w[i].map = g_array_new(FALSE, FALSE, sizeof(guint32));
        w[i].errors = g_ptr_array_new_with_free_func(g_free);
        threads[i] = g_thread_new("kt-parse", worker_main, &w[i]);
    }
    for (int i = 0; i < jobs; i++)
        g_thread_join(threads[i]);
    g_autoptr(GPtrArray) errs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < jobs; i++) {
        if (ok && !absorb_worker(p, &w[i], errs, error))
            ok = FALSE;
        kt_ingest_free(w[i].in);
        kt_sorter_free(w[i].sorter);
        g_array_free(w[i].map, TRUE);
        g_ptr_array_free(w[i].errors, TRUE);
        g_clear_error(&w[i].fatal);
    }
    /* errors in file order, as the sequential reader reports them */
    g_ptr_array_sort(errs, cmp_str);
    for (guint i = 0; i < errs->len; i++)
        g_ptr_array_add(errors, g_strdup((const char *)g_ptr_array_index(errs, i) + 8));
    g_free(w);
    g_free(threads);
    return ok;
}
