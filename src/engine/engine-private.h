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
#define KT_MAX_ANOMALIES 100000
#define KT_MAX_INCIDENTS 100000
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

/* One learned value: an IP, network, operation or user-agent family. */
typedef struct {
    guint32 id;        /* interned id (0 = empty slot) */
    guint32 flags;     /* KT_VAL_* */
    guint64 count;
    gint64 first_ms, last_ms;
    /* networks and ranges only: who uses it, for the consumer inventory */
    guint32 ua_fam, ua_votes;         /* majority vote of the UA family */
    guint32 top_op[KT_TOP_OPS];       /* Misra-Gries heavy hitters */
    guint32 top_cnt[KT_TOP_OPS];
} KtVal;

/* Open-addressing hash set of KtVal by id, with a cap and churn bookkeeping. */
typedef struct {
    KtVal *slots;       /* power-of-two table, NULL when empty */
    guint32 mask;       /* table size - 1 */
    guint32 n;          /* values held */
    guint32 n_base;     /* values flagged KT_VAL_BASE */
    guint32 cap;        /* most values held; the least recently seen is evicted */
    guint32 new_days;   /* learned days (after the first) that added a value */
    gint64 last_new_day;
    gboolean saturated; /* a baseline value was evicted at the cap */
    gint64 min_last;    /* no value has last_ms below this (G_MININT64: unknown), so a
                           daily prune with an earlier cutoff has nothing to do */
} KtValSet;

/* Per-entity state: baseline, current-window counters and alert bookkeeping. */
typedef struct {
    guint32 id;               /* key or principal id */
    gboolean is_principal;
    guint32 index;            /* creation order */
    guint32 key;              /* first key id seen */
    gint64 first_ms, last_ms;
    gint64 learn_end_ms;      /* records at or after this are judged */
    guint64 events, denied, errors;
    gint64 bytes;
    /* baseline totals (learned records only) */
    guint64 base_events, base_fail, base_bytes_n;
    gint64 base_bytes;
    guint32 base_days;        /* distinct UTC days with learned records */
    gint64 cur_day;           /* UTC day number of the last record */
    KtValSet ips, nets, wide, ops, uas;
    guint64 how[168];         /* learned events per hour of week (--tz) */
    guint64 base_how_total;
    /* hourly volume history (UTC hours), learned hours only */
    guint32 *ring_req;        /* KT_RING_HOURS */
    float *ring_bytes;        /* KT_RING_HOURS */
    gint64 ring_first_hour;   /* first hour of history, G_MININT64 = none */
    gint64 ring_last_hour;    /* last hour pushed */
    /* current hour */
    gint64 cur_hour;
    gboolean cur_base;        /* the current hour is learned */
    guint64 cur_req, cur_fail;
    gint64 cur_bytes;
    guint64 thr_req;          /* spike threshold this hour, 0 = not computed */
    double lambda_req, thr_bytes, lambda_bytes, unit_bytes;
    gboolean fired_req, fired_bytes, fired_burst, fired_off;
    gint64 spike_req_anom, spike_bytes_anom; /* anomaly index to update, -1 none */
    guint32 hour_src, hour_votes;     /* majority source of this hour's records */
    guint32 fail_src, fail_votes;     /* majority source of this hour's failures */
    /* cached statistics: medians per spike check, concentration per day */
    gint64 stat_day;            /* day of prof48 and the concentration */
    guint64 prof48[48];         /* hour profile collapsed to hour of day x weekend */
    gint64 med_day;             /* day of the medians */
    double med_req, med_bytes;  /* median of non-zero learned hours */
    gboolean concentrated;
    guint conc_bins;
    int share_how;              /* hour of week of share_val, -1 = none (prof48 changed) */
    double share_val;           /* kt_baseline_hour_share() of share_how */
    /* concurrent use */
    guint32 net0, net0_src;   /* network (and source) of the latest IP record */
    gint64 net0_ms;
    guint32 net1;             /* the network used before net0 */
    gint64 net1_ms;           /* its last use before the switch to net0 */
    guint64 base_overlaps;
    /* timeline for charts */
    guint64 tl[KT_TIMELINE_BUCKETS];
    gint64 tl_start, tl_width;
    gint64 tl_lo, tl_hi;      /* the last bucket counted into: [tl_lo, tl_hi) (empty when
                                 tl_lo > tl_hi), index tl_idx */
    guint tl_idx;
    /* incidents of this entity (indices into engine->incidents) */
    GArray *incidents;        /* guint32 */
    GArray *open;             /* guint32, incidents that may still take records */
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
    GArray *anoms;            /* guint32 anomaly indices */
} KtInc;

/* An anomaly with its sort keys. */
typedef struct {
    KtAnomaly pub;
    guint32 inc;              /* incident index, G_MAXUINT32 = none */
    guint64 seq;              /* creation order, last tie-break */
    gboolean strong;
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
    gboolean ip_new, net_new, wide_new, fam_new, op_new;
    gboolean net_alert;        /* new_network fires for this record */
    gboolean net_churny;       /* the entity's networks change often */
    const char *src;           /* source text, clipped for messages */
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
    GHashTable *thr_memo;     /* gint64* (bits of lambda) -> guint64* spike threshold */
    /* detectors to run per record, in table order (see kt_detect_record) */
    guint32 rules_mask;       /* cfg.enabled the lists were built for, 0 = not built */
    guint8 rules_all[KT_DET_COUNT], rules_sig[KT_DET_COUNT]; /* all / signature only */
    guint n_rules_all, n_rules_sig;
    /* hour-of-week cache */
    gint64 how_slot;
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
void kt_valset_init(KtValSet *s, guint32 cap);
void kt_valset_clear(KtValSet *s);
/* The entry of @id, NULL when absent (inline: five lookups per record). */
static inline KtVal *
kt_valset_find(const KtValSet *s, guint32 id)
{
    if (s->slots == NULL || id == 0)
        return NULL;
    for (guint32 i = (id * 2654435761u) & s->mask;; i = (i + 1) & s->mask) {
        KtVal *v = &s->slots[i];
        if (v->id == id)
            return v;
        if (v->id == 0)
            return NULL;
    }
}
/* Inserts @id (absent); at the cap evicts the least recently seen value, preferring
 * values outside the baseline. */
KtVal *kt_valset_insert(KtValSet *s, guint32 id, gint64 now_ms);
void kt_valset_remove(KtValSet *s, guint32 id);
/* Removes values last seen before @cutoff_ms. */
void kt_valset_prune(KtValSet *s, gint64 cutoff_ms);
/* Number of baseline values. */
guint32 kt_valset_base_count(const KtValSet *s);
/* Sets the flags of @v (in @s), keeping the baseline count. */
void kt_valset_set_flags(KtValSet *s, KtVal *v, guint32 flags);
/* TRUE when new values keep arriving: saturated, or at least 8 learned values with new
 * ones on at least half of @base_days (and at least 3 such days). */
gboolean kt_valset_churny(const KtValSet *s, guint32 base_days);

/* --- engine.c --- */
guint32 kt_engine_intern(KtEngine *e, const char *s);
const char *kt_engine_str(const KtEngine *e, guint32 id);
KtEntity *kt_engine_entity_lookup(KtEngine *e, guint32 id, gboolean is_principal);
gboolean kt_engine_leak_mode(const KtEngine *e);
int kt_engine_how(KtEngine *e, gint64 ms);
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
gboolean kt_baseline_interleaves(const KtEntity *ent, guint32 net, gint64 ms);
KtEntity *kt_entity_new(guint32 id, gboolean is_principal, guint32 index);
void kt_entity_free(KtEntity *ent);
/* Advances hour/day windows to @rec's time (pushing finished hours into history). */
void kt_baseline_advance(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean base);
/* Learns @rec into the baseline (@base) or only into alert bookkeeping. */
void kt_baseline_learn(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean base,
                       const KtCtx *c);
/* Counts @rec in totals, current-hour counters and the timeline. */
void kt_baseline_count(KtEngine *e, KtEntity *ent, const KtRecord *rec);
/* Recomputes the hour-profile concentration when the day changed. */
void kt_baseline_daily(KtEngine *e, KtEntity *ent, gint64 now_ms);
/* Spike thresholds of the current hour (computed once per hour). */
void kt_baseline_thresholds(KtEngine *e, KtEntity *ent);
/* Share of learned events in the collapsed hour bin of @how and its neighbours. */
double kt_baseline_hour_share(KtEntity *ent, int how);

/* --- detectors.c --- */
/* Fills @c for @rec: classifications and the entity's values (forgetting stale ones). */
void kt_detect_prepare(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean judge, KtCtx *c);
void kt_detect_record(KtEngine *e, KtEntity *ent, const KtRecord *rec, gboolean judged, KtCtx *c);
/* Rewrites the texts of this hour's volume spikes with the counts so far. */
void kt_detect_refresh(KtEngine *e, KtEntity *ent);

/* --- incident.c --- */
/* Records an anomaly; takes ownership of the strings. Returns its index or -1 when
 * dropped beyond the cap. */
gint64 kt_incident_add_anomaly(KtEngine *e, KtEntity *ent, const KtRecord *rec,
                               KtDetectorKind kind, int score, gboolean strong,
                               char *observed, char *baseline, char *message);
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
int kt_entity_risk(const KtEngine *e, const KtEntity *ent, guint32 *n_incidents);

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
