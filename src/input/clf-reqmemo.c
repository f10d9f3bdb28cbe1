/*
 * clf-reqmemo.c - request lines remembered by their exact bytes (input stage); see
 * clf-reqmemo.h. A fixed table of 2-way sets: memory does not grow with the input.
 */
#include "clf-reqmemo.h"

#include "clf-scan.h"
#include "keytrail/bytes.h"

#define KT_REQ_SETS 2048          /* 2-way: 4096 requests, about 1 MB */
#define KT_REQ_WINDOW 8192        /* lookups between hit-rate checks */
#define KT_REQ_REST 65536         /* lookups skipped when a window hit under 1/8 */
#define KT_REQ_WARMUP 1024        /* requests before the table is allocated: a small
                                   * input (one of many files) does not pay for it */
#define KT_REQ_QUICK_BITS 14      /* quick index: 16,384 slots of 2 bytes, 32 KB */
#define KT_REQ_QUICK_NONE 0xffff
G_STATIC_ASSERT(2 * KT_REQ_SETS < KT_REQ_QUICK_NONE);

G_STATIC_ASSERT(KT_CLF_REQ_MAX + KT_CLF_REQ_OP <= sizeof(((KtClfReqEntry *)NULL)->data));
G_STATIC_ASSERT(sizeof(KtClfReqEntry) == 256);

struct _KtClfReqMemo {
    KtClfReqEntry *ents;   /* 2 * KT_REQ_SETS, allocated after the warm-up */
    guint64 *tags;         /* per entry: its request's hash, 0 = empty; 32 KB that stay
                            * cached, so that a lookup reads an entry (1 MB in all) only
                            * when its hash is the request's */
    guint8 *mru;           /* per set: the way used last */
    guint16 *quick;        /* by quick_hash(): the entry that last held a request with
                            * that quick hash, KT_REQ_QUICK_NONE when none */
    guint64 hash;          /* of the request last looked up */
    guint quick_slot;      /* its quick index slot */
    guint lookups, hits;   /* in the current window */
    guint resting;         /* lookups still to skip */
    guint warmup;          /* requests seen before the table was allocated */
};

KtClfReqMemo *
kt_clf_req_memo_new(void)
{
    return g_new0(KtClfReqMemo, 1);
}

void
kt_clf_req_memo_free(KtClfReqMemo *m)
{
    if (m == NULL)
        return;
    g_aligned_free(m->ents);
    g_free(m->tags);
    g_free(m->mru);
    g_free(m->quick);
    g_free(m);
}

/* A hash of all @n (>= 8) bytes at @p, 16 at a time in two independent lanes (half
 * the multiply chain of one lane); the last words overlap. */
static inline guint64
req_hash(const char *p, gsize n)
{
    guint64 a = n * 0x9e3779b97f4a7c15ull, b = 0x632be59bd9b4e019ull;
    gsize i = 0;
    for (; i + 16 < n; i += 16) {
        a = (a ^ kt_scan_load(p + i)) * 0xc4ceb9fe1a85ec53ull;
        b = (b ^ kt_scan_load(p + i + 8)) * 0xff51afd7ed558ccdull;
    }
    a = (a ^ kt_scan_load(p + (n >= 16 ? n - 16 : 0))) * 0x9e3779b97f4a7c15ull;
    b = (b ^ kt_scan_load(p + n - 8)) * 0xc4ceb9fe1a85ec53ull;
    guint64 h = a ^ (b >> 29) ^ (b << 35);
    return (h ^ (h >> 31)) | 1;
}

/*
 * The quick index. Why: hashing all of a request (~55 instructions for 70 bytes) and the
 * set's bookkeeping cost more than the comparison that proves a hit. A hash of five
 * words spread over the request (the start, the end and three between, enough to tell
 * apart the paths, ids and keys of one API's requests) picks a slot that names the entry
 * that last held such a request; when that entry holds exactly these bytes it is a hit.
 * What keeps it equal to the full lookup: an entry's facts are a function of the bytes
 * it holds (kept by kt_clf_req_memo_keep() and filled before the next lookup), so an
 * entry whose bytes equal the request is the request's, however it was found. A quick
 * miss (requests alike in the sampled words, or an entry since reused) costs the hash
 * and a comparison that fails early, then the full lookup.
 */
static inline guint
quick_hash(const char *p, gsize n)
{
    gsize q = (n - 8) / 4; /* n >= 8: the five words lie in [p, p + n) */
    guint64 a = (n ^ kt_scan_load(p)) * 0x9e3779b97f4a7c15ull;
    guint64 b = kt_scan_load(p + q) * 0xc4ceb9fe1a85ec53ull;
    a = (a ^ kt_scan_load(p + 2 * q)) * 0xff51afd7ed558ccdull;
    b = (b ^ kt_scan_load(p + 3 * q)) * 0x9e3779b97f4a7c15ull;
    a = (a ^ b ^ kt_scan_load(p + n - 8)) * 0xc4ceb9fe1a85ec53ull;
    return (guint)(a >> (64 - KT_REQ_QUICK_BITS));
}

/* Counts a lookup; TRUE when the memo should rest (most requests were new). */
static gboolean
req_rest(KtClfReqMemo *m, gboolean hit)
{
    m->hits += hit;
    if (++m->lookups < KT_REQ_WINDOW)
        return FALSE;
    gboolean poor = m->hits < KT_REQ_WINDOW / 8;
    m->lookups = m->hits = 0;
    if (poor)
        m->resting = KT_REQ_REST;
    return poor;
}

/* The full lookup of @r (quick index slot m->quick_slot) after a quick miss. */
G_NO_INLINE static KtClfReqEntry *
find_full(KtClfReqMemo *m, KtStrView r, gboolean *hit)
{
    guint64 h = req_hash(r.ptr, r.len);
    m->hash = h;
    gsize si = (h >> 32) % KT_REQ_SETS;
    KtClfReqEntry *set = &m->ents[si * 2];
    const guint64 *tag = &m->tags[si * 2];
    for (guint w = 0; w < 2; w++) {
        KtClfReqEntry *e = &set[w];
        if (tag[w] == h && e->rlen == r.len && kt_bytes_eq(e->data, r.ptr, r.len)) {
            *hit = TRUE;
            m->mru[si] = (guint8)w;
            m->quick[m->quick_slot] = (guint16)(si * 2 + w);
            req_rest(m, TRUE);
            return e;
        }
    }
    if (req_rest(m, FALSE))
        return NULL;
    guint w = 1u - m->mru[si]; /* the way not used last goes */
    m->mru[si] = (guint8)w;
    m->tags[si * 2 + w] = 0;
    return &set[w];
}

/* A lookup that is not a quick hit: resting, warm-up, then the full lookup. */
G_NO_INLINE static KtClfReqEntry *
find_slow(KtClfReqMemo *m, KtStrView r, gboolean *hit)
{
    if (m->resting > 0) {
        m->resting--;
        return NULL;
    }
    if (r.len < 8 || r.len > KT_CLF_REQ_MAX)
        return NULL;
    if (m->ents == NULL) {
        if (++m->warmup < KT_REQ_WARMUP)
            return NULL;
        m->ents = g_aligned_alloc0(2 * KT_REQ_SETS, sizeof(KtClfReqEntry), 64);
        m->tags = g_new0(guint64, 2 * KT_REQ_SETS);
        m->mru = g_new0(guint8, KT_REQ_SETS);
        m->quick = g_new(guint16, 1u << KT_REQ_QUICK_BITS);
        memset(m->quick, 0xff, sizeof(guint16) << KT_REQ_QUICK_BITS);
    }
    m->quick_slot = quick_hash(r.ptr, r.len);
    return find_full(m, r, hit);
}

/* The quick hit inline, everything else in find_slow() and find_full() (functions of
 * their own, so that this path saves and restores few registers). */
KtClfReqEntry *
kt_clf_req_memo_find(KtClfReqMemo *m, KtStrView r, gboolean *hit)
{
    *hit = FALSE;
    if (m->resting > 0 || m->quick == NULL || r.len < 8 || r.len > KT_CLF_REQ_MAX)
        return find_slow(m, r, hit);
    guint qs = quick_hash(r.ptr, r.len);
    guint qi = m->quick[qs];
    m->quick_slot = qs;
    if (qi == KT_REQ_QUICK_NONE || m->ents[qi].rlen != r.len ||
        !kt_bytes_eq(m->ents[qi].data, r.ptr, r.len))
        return find_full(m, r, hit);
    *hit = TRUE;
    m->mru[qi / 2] = (guint8)(qi % 2);
    req_rest(m, TRUE);
    return &m->ents[qi];
}

void
kt_clf_req_memo_keep(KtClfReqMemo *m, KtClfReqEntry *e, KtStrView r)
{
    m->tags[e - m->ents] = m->hash;
    m->quick[m->quick_slot] = (guint16)(e - m->ents);
    e->rlen = (guint16)r.len;
    memcpy(e->data, r.ptr, r.len);
    e->has_op = FALSE;
    e->key_known = FALSE;
    e->oplen = 0;
    e->path_off = e->qmark_off = KT_CLF_REQ_NONE;
    e->path_len = e->key_off = e->key_len = 0;
    e->key_id = e->op_id = e->ua_id = 0; /* the ids were the previous request's */
}
