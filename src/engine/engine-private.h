/*
 * engine-private.h - internal structures of the detection engine, shared by the files
 * of src/engine (feed loop, baselines, detectors, incidents, persistence).
 *
 * Ownership rule: the KtEngine owns every entity, value set, anomaly and incident;
 * entities and incidents are referred to by index, values by interned id.
 */
#ifndef KT_ENGINE_PRIVATE_H
#define KT_ENGINE_PRIVATE_H

#include "keytrail/engine.h"

#include "classify.h"

#define KT_MS_HOUR ((gint64)3600 * 1000)
#define KT_MS_DAY (24 * KT_MS_HOUR)

/* Per-entity caps (docs/DETECTORS.md, "Caps and memory"). */
#define KT_CAP_IPS 1024
#define KT_CAP_NETS 256
#define KT_CAP_WIDE 64
#define KT_CAP_OPS 512
#define KT_CAP_UAS 128
#define KT_CAP_INC_OPS 256   /* operations counted per incident */
#define KT_CAP_INC_UAS 32    /* user agents counted per incident */
#define KT_MAX_FINDINGS 100000  /* anomalies kept, and incidents kept, by default */
#define KT_RING_HOURS (28 * 24) /* hourly volume history */
#define KT_TIMELINE_BUCKETS 128
#define KT_TOP_OPS 3            /* per-network top operations (consumers) */

/* Raw values quoted in messages are clipped to this many bytes (with "..."), so a
 * hostile 1 MiB user agent does not become megabytes of anomaly text. */
#define KT_CLIP_BUF 200

/* Detector parameters (docs/DETECTORS.md). */
#define KT_SPIKE_MIN 20               /* volume_spike: least requests in the hour */
#define KT_SPIKE_MIN_BYTES (1024.0 * 1024.0) /* volume_spike: least bytes in the hour */
#define KT_SPIKE_ALPHA 1e-6           /* volume_spike: Poisson tail probability */
#define KT_SPIKE_MIN_HOURS 48         /* volume_spike: hours of history needed */
#define KT_BURST_MIN 10               /* error_burst: least failures in the hour */
#define KT_BURST_ALPHA 1e-6           /* error_burst: binomial tail probability */
#define KT_OFF_SHARE 0.005            /* off_hours: most baseline share of the hours */
#define KT_OFF_SPAN 2                 /* off_hours: hours either side that count */
#define KT_CONCURRENT_MS (5 * 60 * 1000) /* concurrent_use: overlap window */
#define KT_NEW_MASS 0.05              /* new_network: most estimated chance of a new value */

/* Flags of a value-set entry. */
enum {
    KT_VAL_BASE = 1 << 0,  /* part of the baseline (learned) */
    KT_VAL_NEW = 1 << 1,   /* first seen while judging (after learning / leak time) */
};

/* One learned value: an IP, network, operation or user-agent family (24 bytes). */
typedef struct {
    guint32 id;            /* interned id (0 = empty slot) */
    guint32 count;         /* records, saturating at G_MAXUINT32 (kt_val_count()) */
    gint64 first_ms : 61;  /* any time in ms fits 61 bits (kt_val_time() clamps) */
    guint64 flags : 3;     /* KT_VAL_* */
    gint64 last_ms;
} KtVal;
G_STATIC_ASSERT(sizeof(KtVal) == 24);

/* Grows per-id array @a so that it has an element @id (the engine makes these arrays
 * with clear_ set: new elements are zero). */
static inline void
kt_ensure_len(GArray *a, guint32 id)
{
    if (id >= a->len)
        g_array_set_size(a, MAX(id + 1, a->len * 2));
}

/* 1 when @a == @b, else 0, by arithmetic, for tests whose outcome the data makes
 * unpredictable (value-set lookups, votes, sketches): GCC turns an OR of comparisons into
 * a branch each (the subtraction wraps only for 0). */
static inline guint32
kt_eq_bit(guint32 a, guint32 b)
{
    return (guint32)(((guint64)(a ^ b) - 1u) >> 63);
}

/* The index of the lowest set bit of @m (1 to 15). */
static inline guint32
kt_first_bit4(guint32 m)
{
#if defined(__GNUC__)
    return (guint32)__builtin_ctz(m);
#else
    return (m & 1) ? 0 : (m & 2) ? 1 : (m & 4) ? 2 : 3;
#endif
}

/* Counts one more record of @v. */
static inline void
kt_val_count(KtVal *v)
{
    if (v->count != G_MAXUINT32)
        v->count++;
}

/* @ms clamped to what KtVal.first_ms holds (a loaded state may say anything). */
static inline gint64
kt_val_time(gint64 ms)
{
    const gint64 lim = ((gint64)1 << 60) - 1;
    return CLAMP(ms, -lim, lim);
}

/* Who uses a network or range, for the consumer inventory (sets made with extras). */
typedef struct {
    guint32 ua_fam, ua_votes;         /* majority vote of the UA family */
    guint32 top_op[KT_TOP_OPS];       /* Misra-Gries heavy hitters */
    guint32 top_cnt[KT_TOP_OPS];
} KtValExtra;

#define KT_VALSET_COMPACT 4 /* most values a set holds without a hash table (kt_valset_find()
                              compares 4) */
#define KT_VALSET_VIRTUAL 8 /* the table size a compact set stands for */
G_STATIC_ASSERT(KT_VALSET_COMPACT == 4);

/*
 * Open-addressing hash set of KtVal by id, with a cap and churn bookkeeping.
 *
 * Small sets are compact: up to KT_VALSET_COMPACT values in an array of ccap entries (1
 * for the first value, then 4, those past n zero so that kt_valset_find() compares all
 * four without a branch each), in the order of the slots they would have in a
 * KT_VALSET_VIRTUAL-slot table (vpos), so that the table they turn into on the next
 * insertion, and every scan in slot order (eviction ties), is the same as if the table
 * had been there from the start.
 * The KtValExtra of entry i, when the set has extras, follows the entries in the same
 * allocation (kt_valset_extra()).
 */
typedef struct {
    KtVal *slots;       /* table of mask + 1 slots, or compact entries; NULL when empty */
    gint32 min_last_h;  /* no value was last seen before this hour (G_MININT32: unknown,
                           G_MAXINT32: no value), so a daily prune with an earlier cutoff has
                           nothing to do */
    gint32 last_new_day; /* last learned day that added a value, G_MININT32 = none */
    guint16 new_days;   /* learned days (after the first) that added a value, saturating */
    guint16 vpos;       /* compact: virtual slot of entry k in bits 3k..3k+2 */
    guint16 mask;       /* table size - 1 (KT_VALSET_VIRTUAL - 1 when compact) */
    guint16 n;          /* values held */
    guint16 n_base;     /* values flagged KT_VAL_BASE */
    guint16 cap;        /* most values held; the least recently seen is evicted */
    guint8 ccap;        /* compact capacity, 0 = hash table */
    guint8 extras;      /* each value has a KtValExtra */
    guint8 saturated;   /* a baseline value was evicted at the cap */
} KtValSet;

/* A growable list of indices (incidents of an entity, anomalies of an incident); up to
 * two are held inline, without a block of their own. */
typedef struct {
    union {
        guint32 *heap;        /* alloc > 2 */
        guint32 inl[2];       /* alloc <= 2 */
    } u;
    guint32 len, alloc;
} KtIdList;

static inline guint32 *
kt_idlist_data(KtIdList *l)
{
    return l->alloc > 2 ? l->u.heap : l->u.inl;
}

static inline guint32
kt_idlist_at(const KtIdList *l, guint32 i)
{
    return l->alloc > 2 ? l->u.heap[i] : l->u.inl[i];
}

static inline void
kt_idlist_push(KtIdList *l, guint32 id)
{
    if (l->len == l->alloc) {
        guint32 alloc = l->alloc > 2 ? l->alloc * 2 : l->alloc == 2 ? 4 : 2;
        if (alloc > 2) {
            guint32 *heap = g_new(guint32, alloc);
            memcpy(heap, kt_idlist_data(l), sizeof(guint32) * l->len);
            if (l->alloc > 2)
                g_free(l->u.heap);
            l->u.heap = heap;
        }
        l->alloc = alloc;
    }
    kt_idlist_data(l)[l->len++] = id;
}

/* Removes entry @i, moving the last one into its place (as g_array_remove_index_fast). */
static inline void
kt_idlist_remove_fast(KtIdList *l, guint32 i)
{
    guint32 *v = kt_idlist_data(l);
    v[i] = v[--l->len];
}

static inline void
kt_idlist_clear(KtIdList *l)
{
    if (l->alloc > 2)
        g_free(l->u.heap);
    memset(l, 0, sizeof(*l));
}

/* Heap bytes of @l. */
static inline gsize
kt_idlist_bytes(const KtIdList *l)
{
    return l->alloc > 2 ? sizeof(guint32) * l->alloc : 0;
}

/* One hour of the sparse volume history. */
typedef struct {
    guint16 slot;             /* ring slot: the hour is known from ring_last_hour */
    guint16 req;              /* a busier hour makes the history dense */
    float bytes;
} KtHour;

/* The counters of an entity, in one block whose cells widen (1, 2, then 4 bytes) when a
 * count outgrows them; counts saturate at G_MAXUINT32. */
#define KT_CNT_HOW 0                    /* learned events per hour of week (--tz) */
#define KT_CNT_PROF 168                 /* profile collapsed to hour of day x weekend */
#define KT_CNT_TL (168 + 48)            /* timeline: events per bucket */
#define KT_CNT_N (168 + 48 + KT_TIMELINE_BUCKETS)

/* Sparse rings hold at most this many hours, then turn dense (KT_RING_HOURS slots). */
#define KT_RING_SPARSE_MAX 384

/*
 * Per-entity state: baseline, current-window counters and alert bookkeeping. Fields are
 * ordered by size (no padding); counters that cannot reach 2^32 in practice are 32-bit
 * and saturate (docs/DETECTORS.md, "Memory per entity").
 */
typedef struct {
    gint64 first_ms, last_ms;
    gint64 learn_end_ms;      /* records at or after this are judged */
    guint64 events, denied, errors;
    gint64 bytes;
    /* baseline totals (learned records only) */
    guint64 base_events, base_fail, base_bytes_n;
    gint64 base_bytes;
    gint64 cur_day;           /* UTC day number of the last record */
    gint64 base_idle_ms;      /* longest gap before a learned record (dormant_key) */
    guint64 base_how_total;
    KtValSet ips, nets, wide, ops, uas;
    /* hourly volume history (UTC hours), learned hours only: sparse (ring_hours, in hour
       order) until it holds more than KT_RING_SPARSE_MAX hours, then dense (ring_dense:
       KT_RING_HOURS request counts, then as many floats of bytes, by ring slot) */
    KtHour *ring_hours;
    guint32 *ring_dense;
    gint64 ring_first_hour;   /* first hour of history, G_MININT64 = none */
    gint64 ring_last_hour;    /* last hour pushed */
    /* current hour */
    gint64 cur_hour;
    gint64 win_lo, win_hi;    /* times in ms of cur_hour when it lies in cur_day, else empty:
                                 a record in [win_lo, win_hi) starts no hour or day (feed.c) */
    guint64 cur_req, cur_fail;
    gint64 cur_bytes;
    guint64 thr_req;          /* spike threshold this hour, 0 = not computed */
    double lambda_req, thr_bytes, lambda_bytes, unit_bytes;

    /* cached statistics: medians per spike check, concentration per day */
    gint64 stat_day;            /* day of prof48 and the concentration */
    gint64 med_day;             /* day of the medians */
    double med_req, med_bytes;  /* median of non-zero learned hours */
    double share_val;           /* kt_baseline_hour_share() of share_how */
    /* concurrent use */
    gint64 net0_ms;
    gint64 net1_ms;           /* last use of net1 before the switch to net0 */
    guint64 base_overlaps;
    /* timeline for charts */
    gint64 tl_start, tl_width;
    gint64 tl_lo, tl_hi;      /* the last bucket counted into: [tl_lo, tl_hi) (empty when
                                 tl_lo > tl_hi), index tl_idx */
    /* counters (KT_CNT_*), in cells of cnt_width bytes: kt_cnt_get(); 1-byte cells are
       in the entity's own block, after the struct */
    void *cnt;
    /* incidents of this entity (indices into engine->incs) */
    KtIdList incidents;
    KtIdList open;            /* incidents that may still take records */
    gint32 spike_req_anom, spike_bytes_anom; /* anomaly index to update, -1 none */
    guint32 id;               /* key or principal id */
    guint32 index;            /* creation order */
    guint32 key;              /* first key id seen */
    guint32 base_days;        /* distinct UTC days with learned records */
    guint32 hour_src, hour_votes;     /* majority source of this hour's records */
    guint32 fail_src, fail_votes;     /* majority source of this hour's failures */
    guint32 net0, net0_src;   /* network (and source) of the latest IP record */
    guint32 net1;             /* the network used before net0 */
    guint16 ring_n, ring_alloc; /* sparse ring: hours held, allocated */
    gint16 share_how;         /* hour of week of share_val, -1 = none (prof48 changed) */
    guint8 conc_bins;
    guint8 tl_idx;
    guint8 cnt_width;         /* 1, 2 or 4 */
    guint8 is_principal;
    guint8 fired_req, fired_bytes, fired_burst, fired_off;
    guint8 concentrated;
} KtEntity;

/* An incident under construction. */
typedef struct {
    KtIncident pub;
    guint32 index;            /* in engine->incs */
    guint32 ent;              /* entity index */
    guint64 group;            /* (kind << 32) | id: source id or network id */
    guint32 net_id, wide_id;  /* network and range of the source (0 for named ones) */
    guint8 kind_score[KT_DET_COUNT]; /* best score per detector */
    gboolean strong;          /* has evidence beyond weak new-value drift */
    KtValSet ops, uas;        /* counted operations and raw user agents */
    KtIdList anoms;           /* anomaly indices */
} KtInc;

/* An anomaly with its sort keys. */
typedef struct {
    KtAnomaly pub;
    guint32 inc;              /* incident index, G_MAXUINT32 = none */
    guint64 seq;              /* creation order, last tie-break */
    guint8 strong;
    guint8 texts_inline;      /* the texts live in the same block, after the struct */
} KtAnom;

/* Cached classification of a source id. */
enum {
    KT_SRC_DONE = 1 << 0,
    KT_SRC_ALLOW = 1 << 1,
    KT_SRC_BAD = 1 << 2,
    KT_SRC_IP = 1 << 3,
    KT_SRC_LONG = 1 << 4,      /* the source text needs clipping in messages */
};

/* Cached classification of a user-agent id. */
enum {
    KT_UA_DONE = 1 << 0,
    KT_UA_ALLOW = 1 << 1,
    KT_UA_BAD = 1 << 2,       /* built-in attack tool or cfg->bad_uas */
};

/* Facts about one record, computed once by the feed loop and shared by the detectors
 * and the learner. The value pointers stay valid until the learner inserts. */
typedef struct {
    guint8 sf, uaf;            /* KT_SRC_* and KT_UA_* flags */
    guint32 net, wide, fam;    /* network, /16 (/32 for v6) and UA family ids */
    KtVal *v_ip, *v_net, *v_wide, *v_op, *v_ua; /* NULL when new */
    /* values without an entry (new to the entity), as bits: a record of known values
       clears them all at once */
    guint ip_new : 1, net_new : 1, wide_new : 1, fam_new : 1, op_new : 1;
    guint net_alert : 1;       /* new_network fires for this record */
    guint net_churny : 1;      /* the entity's networks change often */
    const char *src;           /* source text, clipped for messages (detectors.c ctx_src():
                                  NULL until a rule needs it) */
    char src_buf[KT_CLIP_BUF]; /* holds a clipped source text */
} KtCtx;

/* Cached classification of one source id and one user-agent id. */
typedef struct {
    guint8 flags;              /* KT_SRC_* */
    guint32 net, wide;
} KtSrcInfo;

typedef struct {
    guint8 flags;              /* KT_UA_* */
    guint32 fam;
} KtUaInfo;

/* One memoized spike threshold (thr 0: empty). */
typedef struct {
    gint64 bits;
    guint64 thr;
} KtThrMemo;
#define KT_THR_MEMO 4096

/* The network and range ids of one IPv4 /24 (key: the 24 prefix bits + 1, 0 = empty). */
typedef struct {
    guint32 key;
    guint32 net, wide;
} KtNetMemo;
#define KT_NET_MEMO 4096

struct _KtEngine {
    KtEngineConfig cfg;       /* lists deep-copied */
    KtDict *dict;             /* borrowed */
    const KtTimeParser *tp;   /* borrowed, nullable (UTC) */
    GPtrArray *ents;          /* KtEntity*, creation order, owned */
    GArray *by_key, *by_principal; /* guint32 entity index + 1 per id, 0 = none */
    /* engine-side interning of network texts and UA families */
    GHashTable *str_ids;      /* char* (owned by strs) -> id */
    GPtrArray *strs;          /* id -> char*, [0] = "" */
    /* caches per dict id */
    GArray *src_info;                       /* KtSrcInfo per source id */
    GArray *ua_info;                        /* KtUaInfo per UA id */
    GArray *op_class;                       /* guint8: class + 1, 0 = unknown */
    GArray *key_revoked;                    /* gint64, G_MAXINT64 none, 0 unknown */
    GHashTable *revoked;      /* char* key -> gint64* revoked_ms (owned) */
    guint n_revoked;          /* size of revoked (fixed at creation) */
    KtThrMemo *thr_memo;      /* KT_THR_MEMO spike thresholds by the bits of lambda,
                                 direct-mapped (bounded: lambdas keep changing) */
    KtNetMemo *net_memo;      /* KT_NET_MEMO /24s, direct-mapped: a new IPv4 source of a
                                 known /24 is classified without formatting and interning
                                 its network and range texts again */
    /* hour-of-week cache: the last 15-minute slot asked for, and its times in ms
       [how_lo, how_hi) (empty when not representable) */
    gint64 how_slot;
    gint64 how_lo, how_hi;
    int how_value;
    /* findings */
    GPtrArray *anoms;         /* KtAnom*, owned */
    GPtrArray *incs;          /* KtInc*, owned */
    guint64 anoms_dropped;
    guint64 seq;
    /* totals */
    guint64 events;
    gint64 first_ms, last_ms;
    /* results of the last kt_engine_results() */
    KtResults res;
    gboolean res_valid;
};

/* --- valueset.c --- */
G_STATIC_ASSERT(sizeof(KtValSet) == 32);
/* An empty set of at most @cap (1..32768) values; with @extras each value has a
 * KtValExtra. Allocates nothing. */
void kt_valset_init(KtValSet *s, guint32 cap, gboolean extras);
void kt_valset_clear(KtValSet *s);
/* The entry of @id, NULL when absent (inline: five lookups per record). */
static inline KtVal *
kt_valset_find(const KtValSet *s, guint32 id)
{
    if (s->slots == NULL || id == 0)
        return NULL;
    if (s->ccap != 0) {
        /* one entry, or KT_VALSET_COMPACT (4) with those past n zero (compress()): each
           compared without a branch of its own, as which one holds @id is not predictable */
        KtVal *sl = s->slots;
        if (s->ccap == 1)
            return sl[0].id == id ? &sl[0] : NULL;
        guint32 m = kt_eq_bit(sl[0].id, id) | kt_eq_bit(sl[1].id, id) << 1 |
                    kt_eq_bit(sl[2].id, id) << 2 | kt_eq_bit(sl[3].id, id) << 3;
        return m != 0 ? &sl[kt_first_bit4(m)] : NULL;
    }
    for (guint32 i = (id * 2654435761u) & s->mask;; i = (i + 1) & s->mask) {
        KtVal *v = &s->slots[i];
        if (v->id == id)
            return v;
        if (v->id == 0)
            return NULL;
    }
}
/* Number of entries of s->slots to scan for values (those with id 0 are empty), in slot
 * order. */
static inline guint32
kt_valset_span(const KtValSet *s)
{
    if (s->slots == NULL)
        return 0;
    return s->ccap != 0 ? s->n : (guint32)s->mask + 1;
}
/* The consumer inventory of @v, an entry of @s (a set made with extras). */
static inline KtValExtra *
kt_valset_extra(const KtValSet *s, const KtVal *v)
{
    guint32 len = s->ccap != 0 ? s->ccap : (guint32)s->mask + 1;
    return (KtValExtra *)(void *)(s->slots + len) + (v - s->slots);
}
/* Inserts @id (absent); at the cap evicts the least recently seen value, preferring
 * values outside the baseline. The returned entry (and the extra, zeroed) is valid until
 * the next insertion or removal in @s. */
KtVal *kt_valset_insert(KtValSet *s, guint32 id, gint64 now_ms);
void kt_valset_remove(KtValSet *s, guint32 id);
/* Removes values last seen before @cutoff_ms. */
void kt_valset_prune(KtValSet *s, gint64 cutoff_ms);
/* Forgets the bound on last_ms (values' last_ms were set directly): the next prune scans. */
void kt_valset_forget_min(KtValSet *s);
/* Number of baseline values. */
guint32 kt_valset_base_count(const KtValSet *s);
/* Sets the flags of @v (in @s), keeping the baseline count. */
void kt_valset_set_flags(KtValSet *s, KtVal *v, guint32 flags);
/* TRUE when new values keep arriving: saturated, or at least 8 learned values with new
 * ones on at least half of @base_days (and at least 3 such days). */
gboolean kt_valset_churny(const KtValSet *s, guint32 base_days);
/* Heap bytes held by @s (entries and extras, without the allocator's overhead). */
gsize kt_valset_bytes(const KtValSet *s);

/* floor(@a / @b) for @b > 0. */
static inline gint64
kt_floor_div(gint64 a, gint64 b)
{
    return a >= 0 ? a / b : -1 - (-a - 1) / b;
}

/* --- engine.c --- */
guint32 kt_engine_intern(KtEngine *e, const char *s);
const char *kt_engine_str(const KtEngine *e, guint32 id);
KtEntity *kt_engine_entity_lookup(KtEngine *e, guint32 id, gboolean is_principal);
/* TRUE when judging against a --leak-time (inline: several tests per record). */
static inline gboolean
kt_engine_leak_mode(const KtEngine *e)
{
    return e->cfg.leak_time_ms != G_MININT64;
}
/* The hour of week (0 = Monday 00:00 in the parser's zone) of @ms: kt_engine_how(),
 * which answers from the cache of the last slot inline, else computes and caches. */
int kt_engine_how_slow(KtEngine *e, gint64 ms);
static inline int
kt_engine_how(KtEngine *e, gint64 ms)
{
    if (ms >= e->how_lo && ms < e->how_hi)
        return e->how_value; /* same 15-minute slot as the last call */
    return kt_engine_how_slow(e, ms);
}
/* kt_stats_poisson_threshold(@lambda, KT_SPIKE_ALPHA, KT_SPIKE_MIN), memoized: the same
 * baselines recur across entities and hours. */
guint64 kt_engine_spike_threshold(KtEngine *e, double lambda);
KtOpClass kt_engine_op_class(KtEngine *e, guint32 op);
const KtSrcInfo *kt_engine_src(KtEngine *e, guint32 src);
const KtUaInfo *kt_engine_ua(KtEngine *e, guint32 ua);
gint64 kt_engine_key_revoked(KtEngine *e, guint32 key);

/* --- baseline.c --- */
/* TRUE when an IP record in network @net interleaves networks: it returns to the network
 * used before the latest one within KT_CONCURRENT_MS (A, B, A). */
static inline gboolean
kt_baseline_interleaves(const KtEntity *ent, guint32 net, gint64 ms)
{
    /* A switch alone (office to VPN) is not concurrency; coming back within the window
     * means both networks were in use at once. */
    return net != 0 && ent->net0 != 0 && net != ent->net0 && net == ent->net1 &&
           ms - ent->net1_ms <= KT_CONCURRENT_MS;
}
KtEntity *kt_entity_new(guint32 id, gboolean is_principal, guint32 index);
void kt_entity_free(KtEntity *ent);
/* Heap bytes of @ent by part (KtEngineMemory fields), without the allocator's overhead. */
void kt_entity_memory(const KtEntity *ent, KtEngineMemory *m);
/* Starts @hour, after the current one: refreshes this hour's spike texts, pushes its
 * counts into the history and clears the hour's counters and alerts (feed.c). */
void kt_baseline_new_hour(KtEngine *e, KtEntity *ent, gint64 hour);
/* Starts @day, after the current one: counts a learned day (@base) and forgets values
 * not seen within forget_ms (online mode). */
void kt_baseline_new_day(KtEngine *e, KtEntity *ent, gint64 day, gboolean base);
/* Counts a record at @ms into the timeline when it falls outside the bucket of the
 * previous one (moving or widening the buckets). */
void kt_timeline_move(KtEntity *ent, gint64 ms);
/* Recomputes the hour-profile concentration when the day changed. */
void kt_baseline_daily(KtEngine *e, KtEntity *ent, gint64 now_ms);
/* TRUE when @ms falls in the day of the last kt_baseline_daily() (so it would do
 * nothing), tested without dividing; FALSE may also mean "not known". */
static inline gboolean
kt_baseline_daily_current(const KtEntity *ent, gint64 ms)
{
    gint64 d = ent->stat_day;
    return d > G_MININT64 / KT_MS_DAY + 1 && d < G_MAXINT64 / KT_MS_DAY - 1 &&
           ms >= d * KT_MS_DAY && ms < (d + 1) * KT_MS_DAY;
}
/* Spike thresholds of the current hour (computed once per hour). */
void kt_baseline_thresholds(KtEngine *e, KtEntity *ent);
/* Share of learned events in the collapsed hour bin of @how and its neighbours. */
double kt_baseline_hour_share(KtEntity *ent, int how);
/* @a + @b, at most G_MAXUINT32. */
static inline guint32
kt_sat_add32(guint32 a, guint64 b)
{
    guint64 s = (guint64)a + b;
    return s > G_MAXUINT32 ? G_MAXUINT32 : (guint32)s;
}

/* Counter @i (KT_CNT_*) of @ent. */
static inline guint32
kt_cnt_get(const KtEntity *ent, guint i)
{
    switch (ent->cnt_width) {
    case 1:
        return ((const guint8 *)ent->cnt)[i];
    case 2:
        return ((const guint16 *)ent->cnt)[i];
    default:
        return ((const guint32 *)ent->cnt)[i];
    }
}
/* Sets counter @i, widening the cells when @v does not fit. */
void kt_cnt_set(KtEntity *ent, guint i, guint32 v);
/* Adds @n to counter @i (saturating). */
static inline void
kt_cnt_add(KtEntity *ent, guint i, guint64 n)
{
    if (ent->cnt_width == 1) {
        guint8 *c = ent->cnt;
        if (c[i] + n <= G_MAXUINT8) {
            c[i] = (guint8)(c[i] + n);
            return;
        }
    } else if (ent->cnt_width == 2) {
        guint16 *c = ent->cnt;
        if (c[i] + n <= G_MAXUINT16) {
            c[i] = (guint16)(c[i] + n);
            return;
        }
    } else {
        guint32 *c = ent->cnt;
        c[i] = kt_sat_add32(c[i], n);
        return;
    }
    kt_cnt_set(ent, i, kt_sat_add32(kt_cnt_get(ent, i), n));
}

/* Adds 1 to counter @i (the per-record case of kt_cnt_add()). */
static inline void
kt_cnt_inc(KtEntity *ent, guint i)
{
    switch (ent->cnt_width) {
    case 1:
        if (G_LIKELY(((guint8 *)ent->cnt)[i] != G_MAXUINT8)) {
            ((guint8 *)ent->cnt)[i]++;
            return;
        }
        break;
    case 2:
        if (G_LIKELY(((guint16 *)ent->cnt)[i] != G_MAXUINT16)) {
            ((guint16 *)ent->cnt)[i]++;
            return;
        }
        break;
    default:
        if (((guint32 *)ent->cnt)[i] != G_MAXUINT32)
            ((guint32 *)ent->cnt)[i]++;
        return;
    }
    kt_cnt_set(ent, i, kt_cnt_get(ent, i) + 1);
}

/* Volume history: walks the hours with a count or bytes, oldest first. */
typedef struct {
    const KtEntity *ent;
    gint64 hour;              /* dense: next hour to look at */
    guint32 i;                /* sparse: next entry */
} KtRingIter;
void kt_ring_iter_init(KtRingIter *it, const KtEntity *ent);
gboolean kt_ring_next(KtRingIter *it, gint64 *hour, guint32 *req, float *bytes);
/* Writes @hour's count and bytes as the newest hour (zero-filling the hours between);
 * an @hour not after ring_last_hour is set in place. */
void kt_ring_push(KtEntity *ent, gint64 hour, guint32 req, float bytes);
/* Sets the count and bytes of @hour, which must lie within the history window
 * (ring_first_hour and ring_last_hour set, @hour in [last - KT_RING_HOURS + 1, last]
 * and not before first); zero removes the hour. */
void kt_ring_set(KtEntity *ent, gint64 hour, guint32 req, float bytes);

/* --- detectors.c --- */
/* Runs detector @kind on @rec (feed.c decides which ones may fire). */
void kt_detect_rule(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtCtx *c, KtDetectorKind kind);
/* Rewrites the texts of this hour's volume spikes with the counts so far. */
void kt_detect_refresh(KtEngine *e, KtEntity *ent);

/* --- incident.c --- */
/* The most anomalies, and the most incidents, @e keeps (KtEngineConfig.max_findings). */
static inline guint32
kt_engine_max_findings(const KtEngine *e)
{
    return e->cfg.max_findings > 0 ? e->cfg.max_findings : KT_MAX_FINDINGS;
}
/* Records an anomaly; takes ownership of the strings. Returns its index or -1 when
 * dropped beyond the cap. */
gint64 kt_incident_add_anomaly(KtEngine *e, KtEntity *ent, const KtRecord *rec,
                               KtDetectorKind kind, int score, gboolean strong,
                               char *observed, char *baseline, char *message);
/* Replaces the texts of @a (takes ownership of the strings). */
void kt_anom_set_texts(KtAnom *a, char *observed, char *baseline, char *message);
/* Frees @a and its texts. */
void kt_anom_free(KtAnom *a);
/* TRUE when the open incident of @rec's source already has @kind. */
gboolean kt_incident_has(KtEngine *e, KtEntity *ent, const KtRecord *rec, KtDetectorKind kind);
/* Counts @rec into the open incident of its source, if any. */
void kt_incident_count(KtEngine *e, KtEntity *ent, const KtRecord *rec);
guint64 kt_incident_group(KtEngine *e, KtEntity *ent, guint32 source);
void kt_incident_free(KtInc *inc);
/* Creates an open incident for a loaded state (persist.c). */
KtInc *kt_incident_restore(KtEngine *e, KtEntity *ent, const KtRecord *rec, guint64 group);
int kt_incident_score(const KtInc *inc);
/* Fills ids, scores, severities and sorted arrays of all anomalies and incidents. */
void kt_incident_finish(KtEngine *e);
/* Merges the results of @n engines fed disjoint entities of one stream (shards.c) into
 * @out, as one engine fed the whole stream would give them: ids, order, links, open
 * incidents and totals. Calls kt_engine_results() on each; @out's arrays (owned by the
 * caller) point into the engines' results. */
void kt_results_merge(KtEngine *const *es, guint n, KtResults *out);
int kt_entity_risk(const KtEngine *e, const KtEntity *ent, guint32 *n_incidents);

/* Whether @rec belongs to a principal's entity rather than its key's under @mode. */
static inline gboolean
kt_engine_by_principal(KtEntityMode mode, const KtRecord *rec)
{
    if (rec->principal == 0)
        return FALSE;
    return mode == KT_ENTITY_PRINCIPAL ||
           (mode == KT_ENTITY_AUTO && (rec->flags & KT_EV_TEMP_KEY));
}

/* --- persist.c uses everything above --- */

/* Text helpers (results.c). */
/* Returns @s, or a copy in @buf (KT_CLIP_BUF bytes) clipped at a UTF-8 boundary + "...". */
const char *kt_engine_clip(const char *s, char *buf);
/* "2024-07-31 14:05" in the parser zone, with the offset when not UTC. */
char *kt_engine_local_time(const KtEngine *e, gint64 ms, char *buf, gsize len);
/* Comma-separated list of up to @max baseline values of @s ("a, b, c (+4 more)"). */
char *kt_engine_list_values(const KtEngine *e, const KtValSet *s, KtSpace space,
                            gboolean engine_strs, guint max);

#endif
