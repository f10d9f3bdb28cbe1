/*
 * ktgen.h - private interface of ktgen, the seeded generator of realistic API access
 * logs with labelled leak scenarios, and the scorer of keytrail reports against them.
 * Stages: model.c (keys, archetypes) + scenario.c (attacks, drift, labels) -> sim.c
 * (hour by hour events) -> fmt_*.c (one writer per output format) -> sink.c (buffered,
 * optionally gzip'd bytes). score.c reads labels and a keytrail JSON report.
 *
 * Ownership rule: a KgModel owns its keys, scenarios and strings; events are plain
 * values in a buffer the simulator owns and reuses hour after hour (no per-event malloc).
 */
#ifndef KTGEN_H
#define KTGEN_H

#include <cjson/cJSON.h>
#include <gio/gio.h>
#include <glib.h>
#include <stdio.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

/* ---- deterministic randomness (rng.c) ------------------------------------------- */

typedef struct {
    guint64 s; /* splitmix64 state */
} KgRng;

/* Seeds @r from @seed and two stream ids, so every (key, hour) has its own stream and
 * the output does not depend on the order things are generated in. */
void kg_rng_init(KgRng *r, guint64 seed, guint64 a, guint64 b);
guint64 kg_rng_next(KgRng *r);
/* Uniform in [0, n); n > 0. */
guint32 kg_rng_below(KgRng *r, guint32 n);
/* Uniform in [0, 1). */
double kg_rng_unif(KgRng *r);
/* Standard normal. */
double kg_rng_gauss(KgRng *r);
/* Poisson with mean @lambda (normal approximation above 40). */
guint32 kg_rng_poisson(KgRng *r, double lambda);
/* Integer uniform in [lo, hi]. */
int kg_rng_range(KgRng *r, int lo, int hi);

/* ---- civil time and zones (rng.c) -------------------------------------------------- */

#define KG_HOUR_MS ((gint64)3600 * 1000)
#define KG_DAY_MS (24 * KG_HOUR_MS)

typedef enum {
    KG_ZONE_UTC = 0,
    KG_ZONE_BERLIN,   /* CET/CEST, EU DST rules */
    KG_ZONE_NEW_YORK, /* EST/EDT, US DST rules */
    KG_ZONE_N
} KgZone;

gint64 kg_days_from_civil(int y, int m, int d);
void kg_civil_from_days(gint64 days, int *y, int *m, int *d);
/* Offset of @zone from UTC at @ms, seconds. */
int kg_zone_offset(KgZone zone, gint64 ms);
const char *kg_zone_name(KgZone zone);
/* Local hour 0..23 and weekday 0..6 (Monday = 0) of @ms in @zone. */
void kg_local_hour(KgZone zone, gint64 ms, int *hour, int *wday);
/* RFC 3339 UTC with seconds ("2024-03-01T10:00:00Z") into @buf (>= 32 bytes). */
char *kg_time_str(gint64 ms, char *buf);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]Z"; FALSE when malformed. */
gboolean kg_time_parse(const char *s, gint64 *out_ms);

/* ---- families, operations, user agents (catalog.c) ------------------------------- */

typedef enum {
    KG_FAM_AWS = 0, /* CloudTrail */
    KG_FAM_HTTP,    /* csv, jsonl, combined: a Stripe-like REST API */
    KG_FAM_VAULT,
    KG_FAM_CONJUR,
    KG_FAM_GITHUB,
    KG_FAM_GCP,
    KG_FAM_N
} KgFamily;

typedef enum {
    KG_OP_READ = 0, /* everyday reads */
    KG_OP_WRITE,    /* everyday writes */
    KG_OP_RECON,    /* enumeration: list, describe, whoami */
    KG_OP_PRIV,     /* privilege: create users, attach policies, mint keys */
    KG_OP_CRED,     /* credential access: secrets */
    KG_OP_BULK,     /* bulk data reads and exports */
    KG_OP_NCAT
} KgOpCat;

typedef struct {
    const char *a;    /* AWS: eventSource; HTTP: method; Vault: operation; Conjur: operation;
                         GitHub: action; GCP: serviceName */
    const char *b;    /* AWS: eventName; HTTP: path; Vault: path; Conjur: resource kind:id;
                         GitHub: repo; GCP: methodName */
    gboolean global;  /* AWS: a global service logged in us-east-1 (IAM, STS) */
    gboolean read_only;
} KgOp;

/* Operation code: category in the high byte, index (modulo the table) in the low. */
static inline guint16
kg_op_code(KgOpCat cat, guint idx)
{
    return (guint16)((cat << 8) | (idx & 0xff));
}

const KgOp *kg_op(KgFamily fam, guint16 code);
guint kg_op_count(KgFamily fam, KgOpCat cat);

/* User agents: benign ones come in (release, patch bump) pairs; code = 2 * index +
 * patched. Attack tools sit after the benign ones. */
typedef enum {
    KG_UA_ATTACK_TRUFFLEHOG = 0,
    KG_UA_ATTACK_KALI,
    KG_UA_ATTACK_SCRIPT, /* python-requests / curl: not a tool signature by itself */
    KG_UA_ATTACK_N
} KgAttackUa;

guint kg_ua_benign_count(KgFamily fam);
/* Code of benign user agent @idx, patched or not. */
guint16 kg_ua_benign(guint idx, gboolean patched);
/* User agent code of AWS services acting for a principal (CloudFormation). */
#define KG_UA_AWS_SERVICE 0x7fff
/* Code of attack user agent @which. */
guint16 kg_ua_attack(KgAttackUa which);
const char *kg_ua(KgFamily fam, guint16 code);
/* Index of the human-browser-like benign user agents start (for human keys). */
guint kg_ua_human_first(KgFamily fam);

extern const char *const kg_aws_regions[];
guint kg_aws_region_count(void);

/* ---- the model: keys and scenarios (model.c, scenario.c) --------------------------- */

typedef enum {
    KG_ARCH_SERVICE = 0, /* a few fixed IPs, steady diurnal volume */
    KG_ARCH_HUMAN,       /* office hours in a non-UTC zone, office + home IPs */
    KG_ARCH_CI,          /* ephemeral IPs within a few cloud /16s, jobs of a few calls */
    KG_ARCH_BATCH,       /* one IP, a nightly burst */
    KG_ARCH_RARE,        /* a few calls a week */
    KG_ARCH_DORMANT,     /* active only in the first days, then silent */
    KG_ARCH_N
} KgArchetype;

const char *kg_arch_name(KgArchetype a);

#define KG_MAX_IPS 6
#define KG_MAX_OPS 6

typedef struct {
    char *id;                 /* full key as written in the logs */
    char *principal;          /* identity behind it (ARN, email, user), nullable */
    char *account;            /* AWS account / GCP project / org, nullable */
    char *issuer;             /* AWS temporary keys: the role ARN that minted them, nullable */
    char *name;               /* short human-readable owner name */
    gboolean temporary;       /* AWS ASIA session credential */
    KgArchetype arch;
    KgZone zone;
    guint32 ips[KG_MAX_IPS];  /* fixed IPs (CI: /16 prefixes in the high half) */
    guint n_ips;
    guint16 ops[KG_MAX_OPS];  /* op codes, weighted by ops_w */
    float ops_w[KG_MAX_OPS];
    guint n_ops;
    guint16 ua;               /* benign user agent code */
    guint8 region;            /* AWS home region index */
    guint8 batch_hour;        /* local hour of the nightly burst */
    double rate;              /* mean events per active hour (before scaling) */
    double deny_p;            /* benign denied share */
    guint32 bytes_mean;
    gboolean scalable;        /* rate follows --events */
    gint64 active_until;      /* dormant keys: no benign events from here on */
    /* benign drift after the leak (set by scenario.c) */
    guint32 drift_ip;         /* extra IP in a known /24, 0 = none */
    double growth;            /* volume factor after the leak (1.0 = none) */
    gboolean drift_ua;        /* switch to the patched user agent after the leak */
    guint16 drift_op;         /* new op from known IPs after the leak, 0xffff = none */
    gint64 drift_from;        /* when the drift starts */
} KgKey;

typedef enum {
    KG_SC_RECON_BURST = 0,
    KG_SC_LOW_AND_SLOW,
    KG_SC_BULK_READ,
    KG_SC_OFF_HOURS,
    KG_SC_DORMANT_WAKEUP,
    KG_SC_ATTACK_TOOL_UA,
    KG_SC_PRIVILEGE_OPS,
    KG_SC_SAME_CLOUD_16,
    KG_SC_DRIFT_NEW_IP_SAME_24,
    KG_SC_DRIFT_DST_CHANGE,
    KG_SC_DRIFT_TRAFFIC_GROWTH,
    KG_SC_DRIFT_SDK_PATCH,
    KG_SC_DRIFT_NEW_OP_KNOWN_IP,
    KG_SC_LEAK_CHAIN, /* not in "all": one key, three attacker IPs, four phases */
    KG_SC_N
} KgScenarioKind;

#define KG_SC_FIRST_DRIFT KG_SC_DRIFT_NEW_IP_SAME_24
#define KG_SC_ALL_MASK ((1u << KG_SC_LEAK_CHAIN) - 1)
#define KG_SC_ATTACK_MASK (((1u << KG_SC_FIRST_DRIFT) - 1) | (1u << KG_SC_LEAK_CHAIN))
#define KG_SC_DRIFT_MASK (KG_SC_ALL_MASK & ~((1u << KG_SC_FIRST_DRIFT) - 1))
#define KG_CHAIN_PHASES 4
#define KG_MAX_ATTACK_IPS 3

typedef struct {
    KgScenarioKind kind;
    guint key;                       /* index into the model's keys */
    gint64 start_ms, end_ms;         /* active window [start, end) */
    guint32 ips[KG_MAX_ATTACK_IPS];  /* attacker IPs (attacks only) */
    guint n_ips;
    double per_hour;                 /* mean events per active hour */
    double rate_x;                   /* plus this multiple of the key's scaled hourly rate */
    guint16 ops[KG_MAX_OPS];
    guint n_ops;
    guint16 uas[KG_MAX_ATTACK_IPS];  /* user agent per attacker IP */
    double deny_p;
    guint32 bytes_mean;
    gboolean follow_hours;           /* only in the key's usual hours */
    gboolean night_only;             /* only 01:00-05:00 in the key's zone */
    gint64 phase_at[KG_CHAIN_PHASES]; /* leak_chain: start of each phase */
    guint64 events;                  /* counted while generating */
    char *note;                      /* one sentence: what happens */
} KgScenario;

const char *kg_scenario_name(KgScenarioKind k);
gboolean kg_scenario_parse(const char *name, KgScenarioKind *out);
static inline gboolean
kg_scenario_is_attack(KgScenarioKind k)
{
    return k < KG_SC_FIRST_DRIFT || k == KG_SC_LEAK_CHAIN;
}

typedef struct {
    guint64 seed;
    KgFamily family;
    guint n_keys;
    guint days;
    guint64 events;           /* target total of scalable benign events, 0 = natural */
    gint64 start_ms;          /* first hour */
    gint64 leak_ms;           /* leak time */
    guint32 scenarios;        /* bit per KgScenarioKind */
    char **key_file_lines;    /* nullable: "KEYID [PRINCIPAL_ARN [ISSUER_ARN]]" per line */
    gboolean rotate_sessions; /* AWS temporary keys get a new ASIA id every hour */
} KgParams;

typedef struct {
    KgParams p;
    GPtrArray *keys;          /* KgKey* (owned) */
    GPtrArray *scenarios;     /* KgScenario* (owned) */
    double scale;             /* multiplier of scalable rates to meet p.events */
    char *account;            /* AWS account id / GCP project / org name */
} KgModel;

/* Builds keys and scenarios from @p. Returns NULL and sets @error if the parameters
 * cannot make the requested scenarios (too few keys, too short a history). */
KgModel *kg_model_new(const KgParams *p, GError **error);
void kg_model_free(KgModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KgModel, kg_model_free)

/* Internal steps of kg_model_new (model.c calls scenario.c). */
gboolean kg_scenarios_build(KgModel *m, GError **error);
/* Expected benign events of key @k in the hour starting at @hour_ms (unscaled). */
double kg_key_rate(const KgModel *m, const KgKey *k, gint64 hour_ms);
/* Whether local hour @h is one of @k's usual hours. */
gboolean kg_key_usual_hour(const KgKey *k, gint64 ms);
/* The key id @k shows in logs for session @session (the hour index): its id, or with
 * --rotate-sessions a derived ASIA id for temporary keys. Writes into @buf (>= 64). */
const char *kg_key_id_at(const KgModel *m, const KgKey *k, guint32 session, char *buf);
/* The role ARN that minted temporary key @k into @buf (>= 512); NULL for other keys. */
const char *kg_key_issuer(const KgModel *m, const KgKey *k, char *buf);
/* Writes the labels document to @path. */
gboolean kg_labels_write(const KgModel *m, const char *format_name, const char *path,
                         GError **error);

/* ---- events and the simulator (sim.c) ---------------------------------------------- */

enum {
    KG_EV_DENIED = 1 << 0,
    KG_EV_ATTACK = 1 << 1,
};

typedef struct {
    gint64 ms;
    guint32 ip;      /* IPv4, host order */
    guint32 bytes;
    guint32 seq;     /* generation order within the hour: a stable tiebreak */
    guint32 session; /* hour index of the session credential used (--rotate-sessions) */
    guint16 key;
    guint16 op;      /* kg_op_code */
    guint16 ua;      /* kg_ua code */
    guint16 status;  /* HTTP-like status: 200, 201, 204, 401, 403, 404, 429, 500 */
    guint8 region;
    guint8 flags;
} KgEvent;

/* Length of each leak_chain phase in minutes, and what happens in it (sim.c). */
extern const double kg_chain_minutes[KG_CHAIN_PHASES];
extern const char *const kg_chain_what[KG_CHAIN_PHASES];

typedef struct _KgWriter KgWriter;

/* Runs the hour loop over the model and hands each hour's events to @w. */
gboolean kg_sim_run(KgModel *m, KgWriter *w, GError **error);

/* ---- output (sink.c, fmt_*.c) ------------------------------------------------------ */

typedef struct {
    FILE *fp;
    GConverter *gz;    /* nullable: gzip compressor */
    char *buf;         /* pending plain bytes */
    gsize len, cap;
    char *zbuf;        /* compressed output scratch */
    gsize zcap;
    gboolean failed;
    char *path;
    gint64 day_cache;  /* day number whose "YYYY-MM-DDT" is in day_text */
    char day_text[16];
    gint64 clf_cache;  /* local day number whose "DD/Mon/YYYY:" is in clf_text */
    char clf_text[16];
} KgSink;

/* Opens @path ("-" = stdout) for writing, gzip'd when @gzip. */
KgSink *kg_sink_open(const char *path, gboolean gzip, GError **error);
/* Flushes, closes and frees; returns FALSE and sets @error on a write error. */
gboolean kg_sink_close(KgSink *s, GError **error);
/* Makes room for @n more bytes (flushing when needed). */
void kg_sink_reserve(KgSink *s, gsize n);
void kg_sink_flush(KgSink *s, gboolean finish);

static inline void
kg_put_c(KgSink *s, char c)
{
    s->buf[s->len++] = c;
}

static inline void
kg_put_n(KgSink *s, const char *p, gsize n)
{
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static inline void
kg_put(KgSink *s, const char *str)
{
    kg_put_n(s, str, strlen(str));
}

void kg_put_u64(KgSink *s, guint64 v);
/* Addresses are IPv4 in host order, except two reserved ranges ktgen never draws:
 * 240.0.0.0/4 stands for an IPv6 address (2a02:8109:G3:G4::H, its /48 from the low
 * 28 bits) and 224.0.0.1 for CloudFormation calling on a role's behalf (a named source). */
#define KG_IP_V6_TAG 0xf0000000u
#define KG_IP_CFN 0xe0000001u
/* Text of @ip into @buf (at least 48 bytes); returns @buf. */
char *kg_ip_text(guint32 ip, char *buf);
void kg_put_ip(KgSink *s, guint32 ip);
/* RFC 3339 UTC; @frac_digits 0, 3 or 6 digits of fraction. */
void kg_put_time(KgSink *s, gint64 ms, int frac_digits);
/* CLF "[10/Oct/2000:13:55:36 +0100]" in Europe/Berlin local time. */
void kg_put_clf_time(KgSink *s, gint64 ms);
/* Appends @str as the inside of a JSON string (escaping quotes, backslashes, controls). */
void kg_put_json_str(KgSink *s, const char *str);
/* Lower-case hex of @n bytes derived from @h (deterministic ids). */
void kg_put_hex(KgSink *s, guint64 h, guint n);
/* A UUID-shaped string derived from @a and @b. */
void kg_put_uuid(KgSink *s, guint64 a, guint64 b);

typedef enum {
    KG_FMT_CSV = 0,
    KG_FMT_JSONL,
    KG_FMT_JSONL_FLAT,
    KG_FMT_CLOUDTRAIL,
    KG_FMT_COMBINED,
    KG_FMT_COMBINED_USER,
    KG_FMT_VAULT,
    KG_FMT_CONJUR,
    KG_FMT_GITHUB,
    KG_FMT_GCP,
    KG_FMT_N
} KgFormat;

const char *kg_format_name(KgFormat f);
gboolean kg_format_parse(const char *name, KgFormat *out);
KgFamily kg_format_family(KgFormat f);

struct _KgWriter {
    KgFormat format;
    const KgModel *model;
    char *out;            /* output path or directory */
    gboolean gzip;
    gboolean out_is_dir;  /* cloudtrail: S3 layout */
    KgSink *sink;         /* single-file output */
    guint64 written;      /* events written */
    guint64 files;        /* files written */
    gboolean first;       /* cloudtrail single file: no comma before the first record */
    guint file_hours;     /* cloudtrail directory: hours per delivered file (default 1) */
    GArray *pending;      /* cloudtrail directory: KgEvents of the file being collected */
    gint64 pending_from;  /* first hour in pending */
    GError *error;        /* first error */
};

KgWriter *kg_writer_new(KgFormat f, const KgModel *m, const char *out, gboolean gzip,
                        GError **error);
/* Writes one hour of events (sorted by time except for cloudtrail, which shuffles
 * each file as S3 deliveries are). */
gboolean kg_writer_hour(KgWriter *w, gint64 hour_ms, KgEvent *ev, gsize n, GError **error);
gboolean kg_writer_finish(KgWriter *w, GError **error);
void kg_writer_free(KgWriter *w);

/* Line writers (fmt_http.c, fmt_audit.c) and the CloudTrail record (fmt_cloudtrail.c). */
void kg_fmt_csv_header(KgSink *s);
void kg_fmt_csv(KgSink *s, const KgModel *m, const KgEvent *e);
void kg_fmt_jsonl(KgSink *s, const KgModel *m, const KgEvent *e, gboolean flat);
void kg_fmt_combined(KgSink *s, const KgModel *m, const KgEvent *e, gboolean key_in_user);
void kg_fmt_vault(KgSink *s, const KgModel *m, const KgEvent *e);
void kg_fmt_conjur(KgSink *s, const KgModel *m, const KgEvent *e);
void kg_fmt_github(KgSink *s, const KgModel *m, const KgEvent *e);
void kg_fmt_gcp(KgSink *s, const KgModel *m, const KgEvent *e);
void kg_fmt_cloudtrail_record(KgSink *s, const KgModel *m, const KgEvent *e);
gboolean kg_cloudtrail_hour_dir(KgWriter *w, gint64 from_ms, gint64 span_ms, KgEvent *ev,
                                gsize n, GError **error);

/* A deterministic 64-bit digest of an event (ids in records). */
guint64 kg_event_hash(const KgEvent *e);

/* ---- scoring (score.c) --------------------------------------------------------------- */

/* `ktgen score`: prints the score table; returns the process exit status. */
int kg_cmd_score(int argc, char **argv);

#endif
