/*
 * shards.c - the engine on several threads (scan -j N). The stream of records, in time
 * order from the sorter, is dealt out by entity (key or principal) to N engines, each
 * fed on a thread of its own; each engine sees its entities' records in stream order,
 * and results.c merges the engines' results into those of one engine (why that holds:
 * kt_results_merge()). The caller's thread only routes records, in batches of
 * KT_SHARD_BATCH, through KT_SHARD_DEPTH batches per engine, so memory is fixed and a
 * slow engine holds up the merge rather than piling records up.
 *
 * Batches change hands through queues built on a pthread mutex and condition variable,
 * not GAsyncQueue: GLib's locks are built on futexes that ThreadSanitizer does not see,
 * so with them every record handed over looked like a data race, and `make check-tsan`
 * could not tell a real one (it found lgamma()'s global signgam) from the hand-over.
 */
#include "engine-private.h"

#include <pthread.h>

#define KT_SHARD_BATCH 2048 /* records a thread is handed at once (128 KiB) */
#define KT_SHARD_DEPTH 4    /* batches per engine: one being filled, the rest queued */

typedef struct {
    gsize n;
    KtRecord recs[KT_SHARD_BATCH];
} KtShardBatch;

/* A queue of at most KT_SHARD_DEPTH + 1 batches (every batch of a shard, and the end
 * marker): push never waits, pop waits for a batch. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t ready;
    KtShardBatch *items[KT_SHARD_DEPTH + 1];
    guint head, len;
} KtBatchQueue;

static void
queue_init(KtBatchQueue *q)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->ready, NULL);
    q->head = q->len = 0;
}

static void
queue_clear(KtBatchQueue *q)
{
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->mu);
}

static void
queue_push(KtBatchQueue *q, KtShardBatch *b)
{
    pthread_mutex_lock(&q->mu);
    g_assert(q->len < G_N_ELEMENTS(q->items));
    q->items[(q->head + q->len++) % G_N_ELEMENTS(q->items)] = b;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->mu);
}

static KtShardBatch *
queue_pop(KtBatchQueue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == 0)
        pthread_cond_wait(&q->ready, &q->mu);
    KtShardBatch *b = q->items[q->head];
    q->head = (q->head + 1) % G_N_ELEMENTS(q->items);
    q->len--;
    pthread_mutex_unlock(&q->mu);
    return b;
}

typedef struct {
    KtEngine *engine;
    KtTimeParser *tp;    /* the engine's own copy (parsers cache), nullable */
    GThread *thread;
    KtBatchQueue todo;   /* batches to feed; &shard_end stops the thread */
    KtBatchQueue spare;  /* fed batches, to fill again */
    KtShardBatch *cur;   /* being filled; NULL after kt_engine_shards_finish() */
    KtShardBatch *batches[KT_SHARD_DEPTH];
} KtShard;

struct _KtEngineShards {
    KtEntityMode entity; /* routes each record to the engine of its entity */
    guint n;
    KtShard *shards;
    gboolean finished;
    KtResults res;       /* merged, valid once finished */
    gboolean res_valid;
};

static KtShardBatch shard_end; /* the marker that stops a shard's thread */

static gpointer
shard_main(gpointer data)
{
    KtShard *sh = data;
    for (;;) {
        KtShardBatch *b = queue_pop(&sh->todo);
        if (b == &shard_end)
            return NULL;
        kt_engine_feed_batch(sh->engine, b->recs, b->n);
        b->n = 0;
        queue_push(&sh->spare, b);
    }
}

KtEngineShards *
kt_engine_shards_new(const KtEngineConfig *cfg, KtDict *dict, const KtTimeParser *tp, guint n)
{
    g_return_val_if_fail(cfg != NULL && dict != NULL, NULL);
    g_return_val_if_fail(n >= 2 && n <= KT_ENGINE_SHARDS_MAX, NULL);
    KtEngineShards *s = g_new0(KtEngineShards, 1);
    s->entity = cfg->entity;
    s->n = n;
    s->shards = g_new0(KtShard, n);
    for (guint i = 0; i < n; i++) {
        KtShard *sh = &s->shards[i];
        sh->tp = tp != NULL ? kt_time_parser_copy(tp) : NULL;
        sh->engine = kt_engine_new(cfg, dict, sh->tp);
        queue_init(&sh->todo);
        queue_init(&sh->spare);
        for (guint k = 0; k < KT_SHARD_DEPTH; k++) {
            sh->batches[k] = g_new(KtShardBatch, 1);
            sh->batches[k]->n = 0;
            if (k > 0)
                queue_push(&sh->spare, sh->batches[k]);
        }
        sh->cur = sh->batches[0];
        sh->thread = g_thread_new("kt-engine", shard_main, sh);
    }
    return s;
}

/* The engine of @rec's entity: a hash of the entity id, so that keys spread evenly
 * whatever order their ids were given out in. */
static inline guint
shard_of(const KtEngineShards *s, const KtRecord *rec)
{
    gboolean principal = kt_engine_by_principal(s->entity, rec);
    guint32 id = principal ? rec->principal : rec->key;
    guint64 h = ((guint64)id * 2 + (principal ? 1 : 0)) * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
    return (guint)((h >> 32) * s->n >> 32);
}

void
kt_engine_shards_feed_batch(KtEngineShards *s, const KtRecord *recs, gsize n)
{
    g_return_if_fail(s != NULL && !s->finished && (recs != NULL || n == 0));
    for (gsize i = 0; i < n; i++) {
        if (recs[i].key == 0)
            continue; /* an engine skips these too (kt_engine_feed) */
        KtShard *sh = &s->shards[shard_of(s, &recs[i])];
        sh->cur->recs[sh->cur->n++] = recs[i];
        if (sh->cur->n == KT_SHARD_BATCH) {
            queue_push(&sh->todo, sh->cur);
            sh->cur = queue_pop(&sh->spare);
        }
    }
}

void
kt_engine_shards_finish(KtEngineShards *s)
{
    g_return_if_fail(s != NULL);
    if (s->finished)
        return;
    for (guint i = 0; i < s->n; i++) {
        KtShard *sh = &s->shards[i];
        if (sh->cur->n > 0)
            queue_push(&sh->todo, sh->cur);
        sh->cur = NULL;
        queue_push(&sh->todo, &shard_end);
    }
    for (guint i = 0; i < s->n; i++) {
        g_thread_join(s->shards[i].thread);
        s->shards[i].thread = NULL;
    }
    s->finished = TRUE;
}

gboolean
kt_engine_shards_capped(KtEngineShards *s)
{
    g_return_val_if_fail(s != NULL && s->finished, TRUE);
    guint64 anoms = 0, incs = 0;
    guint32 cap = 0;
    for (guint i = 0; i < s->n; i++) {
        const KtEngine *e = s->shards[i].engine;
        if (e->anoms_dropped > 0)
            return TRUE;
        anoms += e->anoms->len;
        incs += e->incs->len;
        cap = kt_engine_max_findings(e);
    }
    return anoms > cap || incs > cap;
}

const KtResults *
kt_engine_shards_results(KtEngineShards *s)
{
    g_return_val_if_fail(s != NULL && s->finished, NULL);
    if (!s->res_valid) {
        KtEngine *es[KT_ENGINE_SHARDS_MAX];
        for (guint i = 0; i < s->n; i++)
            es[i] = s->shards[i].engine;
        kt_results_merge(es, s->n, &s->res);
        s->res_valid = TRUE;
    }
    return &s->res;
}

void
kt_engine_shards_free(KtEngineShards *s)
{
    if (s == NULL)
        return;
    kt_engine_shards_finish(s);
    if (s->res_valid) {
        g_ptr_array_free(s->res.keys, TRUE);
        g_ptr_array_free(s->res.incidents, TRUE);
        g_ptr_array_free(s->res.anomalies, TRUE);
    }
    for (guint i = 0; i < s->n; i++) {
        KtShard *sh = &s->shards[i];
        kt_engine_free(sh->engine);
        kt_time_parser_free(sh->tp);
        queue_clear(&sh->todo);
        queue_clear(&sh->spare);
        for (guint k = 0; k < KT_SHARD_DEPTH; k++)
            g_free(sh->batches[k]);
    }
    g_free(s->shards);
    g_free(s);
}
