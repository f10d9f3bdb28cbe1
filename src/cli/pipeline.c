/*
 * pipeline.c - wires ingest -> order -> engine for scan, watch and tui.
 */
#include "keytrail/cli.h"

typedef struct {
    KtPipeline pub;    /* what callers see */
    GError *add_error; /* first error from the sorter (temporary files) */
} KtPipelinePriv;

static void
on_record(gpointer ud, const KtRecord *rec)
{
    KtPipelinePriv *p = ud;
    if (p->add_error == NULL)
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
