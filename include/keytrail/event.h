/*
 * event.h - the normalized API access event, in two shapes:
 *   KtEventView: what a format parser fills, with borrowed views into its line buffer;
 *   KtRecord:    the compact, interned form that flows through sorting, baselines and
 *                detectors (fixed size, no pointers, cheap to spill and to keep).
 *
 * Ownership rule: a KtEventView borrows everything; it is valid only during the sink
 * callback that receives it. A KtRecord owns nothing; its ids refer to a KtDict.
 */
#ifndef KEYTRAIL_EVENT_H
#define KEYTRAIL_EVENT_H

#include "keytrail/common.h"

/* Outcome class of one request. */
typedef enum {
    KT_OUTCOME_OK = 0, /* success, or unknown outcome */
    KT_OUTCOME_DENIED, /* 401/403, AccessDenied*, Unauthorized*, permission denied, ... */
    KT_OUTCOME_ERROR,  /* other client or server errors (4xx other than 401/403, 5xx, ...) */
} KtOutcome;

const char *kt_outcome_name(KtOutcome o);

/*
 * Classifies an outcome from a status or error text, which may be an HTTP status
 * ("403"), an error code ("AccessDenied", "UnauthorizedOperation", "api_key_expired"),
 * a message ("permission denied"), a gRPC/GCP status code ("7") when @grpc is TRUE,
 * or a result word ("success", "failure"). Empty means OK. Cannot fail.
 */
KtOutcome kt_outcome_classify(KtStrView status, gboolean grpc);

/* Address family of a source. */
typedef enum {
    KT_ADDR_NONE = 0, /* no source given */
    KT_ADDR_NAMED,    /* a non-IP source such as "ec2.amazonaws.com" or "AWS Internal" */
    KT_ADDR_V4,
    KT_ADDR_V6,
} KtAddrFamily;

/* A parsed source address. IPv4 and IPv4-mapped IPv6 are stored as V4. */
typedef struct {
    guint8 family;    /* KtAddrFamily */
    guint8 bytes[16]; /* network order; V4 uses the first 4 bytes */
} KtAddr;

/* Flags a parser or the normalizer may set on an event. */
enum {
    KT_EV_IP_LEADING_ZERO = 1 << 0, /* an IPv4 octet had leading zeros (warning) */
    KT_EV_TIME_SET = 1 << 1,        /* time_ms is already set; time_text is ignored */
    KT_EV_TEMP_KEY = 1 << 2,        /* a temporary credential (CloudTrail ASIA..., session) */
};

/*
 * Interned ids a parser keeps for values it sees again (optional, see KtEventView.hints).
 * The web log's request memo keeps, with each remembered request, the ids of its
 * operation and of the key found in its query: both depend only on the request's bytes,
 * so kt_dict_intern_event() takes an id from such a slot instead of hashing and looking
 * the value up again, and writes the id it found into a slot still 0. The parser's
 * promise for @key and @op: a slot belongs to the very bytes the view holds for its
 * field this event (it clears a slot when it reuses it for other bytes). @ua is only a
 * guess (the user agent last seen with the request: clients repeat theirs), verified
 * against the id's text before use and rewritten when wrong. Ids are per dictionary:
 * @dict names the one the slots' ids are of, set by the first write; another dictionary
 * ignores the slots.
 */
typedef struct {
    gconstpointer dict; /* the KtDict whose ids the slots hold; NULL until one is written */
    guint32 *key;       /* this event's key slot, NULL: none; a slot holding 0: not known */
    guint32 *op;        /* this event's operation slot, the same way */
    guint32 *ua;        /* a slot with a guess at the user agent's id, the same way */
} KtInternHints;

/* One event as a parser sees it: views into the current line or record. */
typedef struct {
    KtStrView key;       /* API key / token id / accessor (required) */
    KtStrView principal; /* identity that minted the key (ARN, session issuer, email), opt. */
    KtStrView time_text; /* timestamp text, any supported format */
    gint64 time_ms;      /* UTC epoch ms, when KT_EV_TIME_SET */
    KtStrView source;    /* source IP (any supported form) or named source */
    KtStrView op;        /* operation: "iam.CreateUser", "GET /v1/charges", "read secret/x" */
    KtStrView status;    /* status or error text, classified by kt_outcome_classify */
    gboolean status_grpc; /* status is a gRPC/GCP numeric code, not HTTP */
    KtOutcome outcome;   /* set by the parser only when outcome_set */
    gboolean outcome_set;
    guint32 flags;       /* KT_EV_* */
    gint64 bytes;        /* response bytes, -1 when unknown */
    KtStrView ua;        /* user agent, raw */
    KtInternHints *hints; /* ids the parser keeps for these values, NULL: none (the
                           * parser's, written by the dictionary) */
} KtEventView;

/* Resets every field of @ev to "absent". */
void kt_event_view_clear(KtEventView *ev);

/*
 * The compact interned event. Field ids index the KtDict spaces named in
 * keytrail/dict.h; id 0 always means "absent".
 */
typedef struct {
    gint64 time_ms;   /* UTC epoch milliseconds */
    gint64 bytes;     /* response bytes, -1 unknown */
    guint64 line;     /* line (or record index) in its input, 1-based */
    guint64 tiebreak; /* content hash, orders events with equal times independently of
                         input order */
    guint32 key;      /* KT_SPACE_KEY */
    guint32 principal; /* KT_SPACE_PRINCIPAL, 0 when none */
    guint32 source;   /* KT_SPACE_SOURCE (address kept beside the string) */
    guint32 op;       /* KT_SPACE_OP */
    guint32 ua;       /* KT_SPACE_UA */
    guint32 input;    /* index of the input file in the run */
    guint16 status;   /* HTTP status when known, else 0 */
    guint8 outcome;   /* KtOutcome */
    guint8 flags;     /* KT_EV_* (low bits) */
    guint32 reserved; /* zero; makes the size 64 bytes with no implicit padding */
} KtRecord;

G_STATIC_ASSERT(sizeof(KtRecord) == 64);

#endif
