/*
 * engine.h - baselines, detectors and incidents: the one engine behind `scan`,
 * `watch` and `tui`. It consumes KtRecords in time order (see keytrail/order.h),
 * learns a baseline per entity (key, or the principal that minted it), judges each
 * record against what was learned before it, and groups anomalies into incidents.
 *
 * Two ways to learn: with leak_time set, records before it only learn and the baseline
 * is frozen at it; records from it on are only judged. Without it, each entity learns
 * for learn_ms from its first record, then is judged online while it keeps learning,
 * and values unseen for forget_ms age out.
 *
 * Ownership rule: the engine borrows its KtDict and KtTimeParser (both must outlive
 * it) and owns everything else. Results returned by kt_engine_results() are owned by
 * the engine and valid until the next kt_engine_feed()/kt_engine_free().
 */
#ifndef KEYTRAIL_ENGINE_H
#define KEYTRAIL_ENGINE_H

#include <cjson/cJSON.h>

#include "keytrail/addr.h"
#include "keytrail/common.h"
#include "keytrail/dict.h"
#include "keytrail/event.h"
#include "keytrail/timeparse.h"

/* Detectors. X-macro: enum value, name (CLI, JSON `kind`, docs/DETECTORS.md). */
#define KT_DETECTORS(X)                                                                        \
    X(KT_DET_NEW_IP, "new_ip")                                                                 \
    X(KT_DET_NEW_NETWORK, "new_network")                                                       \
    X(KT_DET_NEW_USER_AGENT, "new_user_agent")                                                 \
    X(KT_DET_NEW_OP, "new_op")                                                                 \
    X(KT_DET_OFF_HOURS, "off_hours")                                                           \
    X(KT_DET_VOLUME_SPIKE, "volume_spike")                                                     \
    X(KT_DET_ERROR_BURST, "error_burst")                                                       \
    X(KT_DET_DORMANT_KEY, "dormant_key")                                                       \
    X(KT_DET_CONCURRENT_USE, "concurrent_use")                                                 \
    X(KT_DET_KNOWN_BAD, "known_bad")                                                           \
    X(KT_DET_REVOKED_KEY, "revoked_key")

#define KT_DET_ENUM(e, s) e,
typedef enum { KT_DETECTORS(KT_DET_ENUM) KT_DET_COUNT } KtDetectorKind;
#undef KT_DET_ENUM

const char *kt_detector_name(KtDetectorKind k);
/* Returns FALSE for an unknown name. */
gboolean kt_detector_parse(const char *name, KtDetectorKind *out);

typedef enum {
    KT_ENTITY_KEY = 0,   /* judge each key id on its own */
    KT_ENTITY_PRINCIPAL, /* judge by the principal / role session issuer (falls back to key) */
    KT_ENTITY_AUTO,      /* principal for temporary keys (KT_EV_TEMP_KEY), key otherwise */
} KtEntityMode;

/* A revoked or decoy key (--revoked FILE). */
typedef struct {
    char *key;          /* full key id */
    gint64 revoked_ms;  /* any use at or after this time is critical; G_MININT64 = always */
} KtRevoked;

/* Engine configuration; owned by the caller, copied by kt_engine_new(). */
typedef struct {
    KtEntityMode entity;
    gint64 leak_time_ms;      /* G_MININT64 = online mode */
    gint64 learn_ms;          /* default 7 days */
    gint64 forget_ms;         /* default 30 days */
    gint64 dormant_ms;        /* default 30 days */
    gint64 quiet_ms;          /* incident split, default 30 minutes */
    guint32 enabled;          /* bit (1 << KtDetectorKind) per enabled detector */
    GArray *allow_cidrs;      /* nullable: KtCidr, suppress findings from these sources */
    GPtrArray *allow_uas;     /* nullable: char*, case-insensitive substrings */
    GArray *bad_cidrs;        /* nullable: KtCidr, known bad networks (Tor exits ...) */
    GPtrArray *bad_uas;       /* nullable: char*, extra attack-tool UA substrings */
    GPtrArray *revoked;       /* nullable: KtRevoked* */
    guint32 max_findings;     /* anomalies kept, and incidents kept, each; 0 = 100,000 */
} KtEngineConfig;

/* Fills @cfg with the documented defaults (all detectors on, online mode). */
void kt_engine_config_init(KtEngineConfig *cfg);

/* One anomaly: a record or a window that departs from the baseline. */
typedef struct {
    guint64 id;          /* 1-based, assigned in (time, entity, kind) order at finish */
    KtDetectorKind kind;
    guint32 entity;      /* key id, or principal id in principal mode */
    gboolean entity_is_principal; /* entity indexes KT_SPACE_PRINCIPAL, not KT_SPACE_KEY */
    guint32 key;         /* the key id used */
    guint32 source;      /* source id */
    gint64 time_ms;
    KtSeverity severity;
    int score;           /* 0..100 */
    char *observed;      /* "41 calls 10:00-11:00" */
    char *baseline;      /* "p99 3 calls/hour" */
    char *message;       /* one sentence that explains itself */
    guint64 incident;    /* id of the incident it belongs to */
} KtAnomaly;

/* A count per interned value (operation, user agent). */
typedef struct {
    guint32 id;
    guint64 count;
} KtCount;

/* Anomalies of one entity from one source, split by quiet_ms of quiet. */
typedef struct {
    guint64 id;            /* 1-based, in (first_seen, entity, source) order */
    guint32 entity;
    gboolean entity_is_principal;
    guint32 key;           /* first key id the source used */
    guint32 source;        /* source id (IP or named source) */
    char network[64];      /* "198.51.100.0/24", "" for named sources */
    gint64 first_ms, last_ms;
    guint64 events, denied, errors;
    gint64 bytes;
    GArray *ops;           /* KtCount, by count desc then name */
    GArray *uas;           /* KtCount */
    guint32 reasons;       /* bit per KtDetectorKind present */
    GArray *anomalies;     /* guint64 anomaly ids */
    int score;             /* 0..100 */
    KtSeverity severity;
    gboolean open;         /* still within quiet_ms of the last event (watch) */
} KtIncident;

/* One legitimate consumer of a key: what breaks when the key is revoked. */
typedef struct {
    char network[64];      /* "198.51.100.0/24" or named source */
    char *ua_family;       /* "aws-cli/2", "Boto3/1"; in results, owned by the engine */
    GArray *ops;           /* KtCount, top operations */
    guint64 events;
    gint64 first_ms, last_ms;
} KtConsumer;

/* Summary of one entity. */
typedef struct {
    guint32 entity;
    gboolean entity_is_principal;
    guint32 key;              /* first key id seen */
    gint64 first_ms, last_ms;
    guint64 events, denied, errors;
    guint32 distinct_ips, distinct_networks;
    guint32 incidents;
    int risk;                 /* 0..100, combines incidents */
    KtSeverity severity;
    GPtrArray *consumers;     /* KtConsumer* */
} KtKeySummary;

typedef struct {
    GPtrArray *keys;       /* KtKeySummary*, by risk desc, then key */
    GPtrArray *incidents;  /* KtIncident*, by id */
    GPtrArray *anomalies;  /* KtAnomaly*, by id */
    gint64 first_ms, last_ms;
    guint64 events;
    guint64 anomalies_dropped; /* beyond the anomaly cap (counted, not kept) */
} KtResults;

typedef struct _KtEngine KtEngine;

/* Creates an engine; @dict and @tp are borrowed. Cannot fail. */
KtEngine *kt_engine_new(const KtEngineConfig *cfg, KtDict *dict, const KtTimeParser *tp);
void kt_engine_free(KtEngine *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtEngine, kt_engine_free)

/* Judges and learns one record. Records should come in time order; a record older
 * than the last one is still judged, against the baseline as it is. */
void kt_engine_feed(KtEngine *e, const KtRecord *rec);

/* Feeds @n records in order, exactly as @n calls of kt_engine_feed() would; faster, as
 * it prefetches the state of the records to come while it feeds each one. */
void kt_engine_feed_batch(KtEngine *e, const KtRecord *recs, gsize n);

/* (transfer none) Computes ids, scores, summaries and consumers for everything fed so
 * far. May be called repeatedly (tui --follow, watch). */
const KtResults *kt_engine_results(KtEngine *e);

/*
 * The engine on several threads (scan -j N): each record goes by its entity (the key, or
 * the principal: KtEntityMode) to one of @n engines, each fed in stream order on a
 * thread of its own, and their results are merged. An engine judges an entity only
 * against that entity's own history, so the merged results are those of one engine fed
 * the whole stream, as long as no engine reached the finding caps (max_findings; then
 * kt_engine_shards_capped() says so, and the caller feeds one engine instead).
 */
typedef struct _KtEngineShards KtEngineShards;

#define KT_ENGINE_SHARDS_MAX 8 /* more engines than this add merge cost and caches, not speed */

/* Creates and starts @n (2..KT_ENGINE_SHARDS_MAX) engines; @dict is borrowed and must not
 * change until kt_engine_shards_finish(); @tp (nullable) is copied for each thread. */
KtEngineShards *kt_engine_shards_new(const KtEngineConfig *cfg, KtDict *dict,
                                     const KtTimeParser *tp, guint n);
void kt_engine_shards_free(KtEngineShards *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtEngineShards, kt_engine_shards_free)
/* Hands @n records, in stream order, to the engines of their entities (a KtRecordBatchFn). */
void kt_engine_shards_feed_batch(KtEngineShards *s, const KtRecord *recs, gsize n);
/* Waits until every engine has judged every record; then no more records. */
void kt_engine_shards_finish(KtEngineShards *s);
/* Whether an engine reached a finding cap, so that the merge could differ from one
 * engine's results. Only after kt_engine_shards_finish(). */
gboolean kt_engine_shards_capped(KtEngineShards *s);
/* (transfer none) The merged results. Only after kt_engine_shards_finish(). */
const KtResults *kt_engine_shards_results(KtEngineShards *s);

/* Heap bytes held by an engine, by part (kt_engine_memory()). Sizes are what the engine
 * asked the allocator for; the allocator's own overhead (about 8-16 bytes per block) and
 * the results of kt_engine_results() are not counted. */
typedef struct {
    gsize entities;        /* fixed part of each entity (baseline counters, hour profile,
                              timeline) and its incident lists */
    gsize value_sets;      /* learned values of the entities: IPs, networks, ranges,
                              operations, user-agent families */
    gsize rings;           /* hourly volume histories (sparse or dense) */
    gsize incidents;       /* incidents with their counted operations and user agents */
    gsize anomalies;       /* anomalies with their texts */
    gsize other;           /* per-id caches, engine strings, threshold memo */
    guint32 n_entities, n_values, n_incidents, n_anomalies;
} KtEngineMemory;

/* Fills @m (nullable) and returns the total of its byte fields. Cannot fail. */
gsize kt_engine_memory(const KtEngine *e, KtEngineMemory *m);

/* Per-entity detail for the TUI and reports. */
typedef struct {
    guint32 id;            /* source id, op id or ua id */
    char *label;           /* network text or UA family when not an interned value */
    gint64 first_ms, last_ms;
    guint64 count;
    gboolean is_new;       /* first seen after learning / leak time */
} KtValueStat;

typedef struct {
    guint32 entity;
    GPtrArray *ips;        /* KtValueStat*, by count desc */
    GPtrArray *networks;   /* KtValueStat* (label set) */
    GPtrArray *ops;        /* KtValueStat* */
    GPtrArray *uas;        /* KtValueStat* (label = family) */
    guint64 hour_of_week[168]; /* event counts in --tz */
    GArray *timeline;      /* guint64 counts per bucket, oldest first */
    gint64 timeline_start_ms, timeline_bucket_ms;
} KtKeyDetail;

/* (transfer full) Detail of @entity (a principal id when @is_principal), or NULL if
 * unknown. */
KtKeyDetail *kt_engine_key_detail(KtEngine *e, guint32 entity, gboolean is_principal);
void kt_key_detail_free(KtKeyDetail *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtKeyDetail, kt_key_detail_free)

/* Watch support: serializes baselines, open incidents and alert bookkeeping into a
 * cJSON object (transfer full), with strings (not ids) so a new dict can load it. */
cJSON *kt_engine_save(KtEngine *e);
/* Restores what kt_engine_save() wrote. Returns FALSE and sets @error
 * (KT_ERROR_STATE_CORRUPT) when @obj is not a valid engine state. */
gboolean kt_engine_load(KtEngine *e, const cJSON *obj, GError **error);

/* Watch support (`keytrail accept`): marks findings of key @key (full key id, or the
 * principal in principal mode) from @cidr (nullable) or with a user agent containing @ua
 * (nullable, case-insensitive) as benign: they are allowed for that key only and learned
 * into its baseline. Called after kt_engine_load(), before records are fed. Cannot fail.
 * Unknown keys are ignored (nothing learned yet). Implemented in src/engine/accept.c. */
void kt_engine_accept(KtEngine *e, const char *key, const KtCidr *cidr, const char *ua);

#endif
