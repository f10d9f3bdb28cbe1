/*
 * preset-private.h - the mapper's internals shared by preset.c (preset table, detection,
 * hooks, CSV) and preset-json.c (JSON through cJSON and the single-pass scanner).
 * Private to src/input/.
 */
#ifndef KEYTRAIL_PRESET_PRIVATE_H
#define KEYTRAIL_PRESET_PRIVATE_H

#include "jsonscan.h"
#include "preset.h"
#include "webpath.h"

/* Longest normalized name the generic preset compares. */
#define NORM_MAX 64

/* Entries (a power of two) and longest raw key of the generic preset's name cache. */
#define FZ_CACHE 512
#define FZ_KEY_MAX 40

/* What one raw member name resolves to in the generic preset (cached per mapper: the
 * same names come back in every record). */
typedef struct {
    guint64 parent;     /* 0: a top-level member; else the id of the parent's entry */
    guint64 id;         /* this entry's id (names children when it is a parent) */
    guint code;         /* fuzzy code (1 + slot * 256 + rank), 0 = none */
    gboolean used;      /* filled */
    gboolean norm_ok;   /* the name normalizes (short enough) */
    gboolean is_parent; /* an object member of this name is looked into */
    guint len;          /* raw name length */
    char key[FZ_KEY_MAX]; /* raw name */
} KtFzEntry;

typedef enum { KT_VAL_NONE = 0, KT_VAL_STR, KT_VAL_NUM } KtValKind;

/* One mapped value: text (possibly formatted from a JSON number) and its number. */
typedef struct {
    KtStrView s;    /* text; borrowed from the record or the mapper's scratch */
    double num;     /* the JSON number when kind == KT_VAL_NUM */
    KtValKind kind; /* none, text, number */
} KtVal;

typedef KtMapResult (*KtPresetHook)(KtMapper *m, KtEventView *ev);

/* A preset: candidate sources per slot, in priority order. */
typedef struct {
    const char *name;                        /* --preset name */
    const char *summary;                     /* one line for `keytrail formats` */
    const char *const *paths[KT_SLOT_COUNT]; /* NULL-terminated candidates, or NULL */
    gboolean fuzzy;       /* match names case-insensitively, ignoring ' ', '_', '-' */
    gboolean status_grpc; /* status is a gRPC code */
    KtPresetHook hook;    /* nullable: what the table cannot say */
    const char *notes;    /* nullable: the hook in words */
} KtPresetDef;

/* A compiled dotted path. */
typedef struct {
    char *full;         /* as written */
    char **segs;        /* split at dots */
    guint nsegs;
    guint id[2], id_full[2]; /* scanner path ids [case-sensitive, -insensitive]; G_MAXUINT
                              * when not registered; id_full: the whole name as one key */
} KtPath;

struct _KtMapper {
    const KtFormatOptions *opts;          /* borrowed */
    const KtPresetDef *fallback;          /* used when detection finds nothing */
    const KtPresetDef *preset;            /* NULL until chosen */
    const char *override[KT_SLOT_FIELDS]; /* --field sources, borrowed; NULL = none */
    KtPath *override_path[KT_SLOT_FIELDS];
    GPtrArray *paths[KT_SLOT_COUNT]; /* KtPath* of the preset (exact presets) */
    GHashTable *fuzzy;               /* normalized name -> 1 + slot * 256 + rank */
    GHashTable *fuzzy_parents;       /* normalized object names to look inside */
    GArray *cols[KT_SLOT_COUNT];     /* CSV: candidate column indices (guint) */
    KtVal vals[KT_SLOT_COUNT];       /* values of the current record */
    guint rank[KT_SLOT_COUNT];       /* generic: rank of the current value */
    char num[KT_SLOT_COUNT][40];     /* formatted JSON numbers */
    GString *op_buf;                 /* composed operation */
    KtWebOpMemo *op_memo;            /* normalized method + path operations */
    /* the single-pass JSON path (kt_mapper_scan) */
    KtJsonScan *scan;                /* paths of the preset, the overrides, the wrapper */
    guint id_wrapped, id_event_time; /* CloudTrailEvent, eventTime (any case) */
    GString *scratch;                /* unescaped strings of the current record */
    gsize scratch_used;              /* bytes of it handed out */
    GPtrArray *spill;                /* unescaped strings that did not fit (rare) */
    GString *inner;                  /* the unwrapped CloudTrailEvent text */
    char fz_parent[NORM_MAX + 1];    /* generic: the entered parent, normalized */
    gsize fz_plen;                   /* its length */
    guint64 fz_parent_id;            /* its cache id */
    char fz_praw[FZ_KEY_MAX];        /* its raw name when fz_parent is still to be set */
    gsize fz_prawlen;                /* that name's length */
    gboolean fz_pdirty;              /* fz_parent must be computed from fz_praw */
    guint64 fz_next_id;              /* last cache id handed out */
    KtFzEntry fz_cache[FZ_CACHE];    /* raw member names resolved */
};

static const char *const slot_names[KT_SLOT_FIELDS] = {
    "key", "principal", "time", "ip", "op", "status", "bytes", "ua",
};

typedef gboolean (*KtHasFn)(gconstpointer ctx, const char *name);

/* Writes the normalized form of @len bytes at @s into @out (NORM_MAX bytes): ASCII lower
 * case, without spaces, '_' and '-'. Returns FALSE when it does not fit. */
gboolean kt_preset_norm_name(const char *s, gsize len, char *out);

/* Chooses the preset from the first record when none is set (@has tells which names the
 * record has). */
void kt_mapper_choose(KtMapper *m, KtHasFn has, gconstpointer ctx);

/* Fills @ev from m->vals, runs the preset hook and checks the required fields. */
KtMapResult kt_mapper_finish(KtMapper *m, KtEventView *ev, KtReject *reason);

/* The generic preset's member visitor for the single-pass scanner (preset-json.c). */
gboolean kt_mapper_scan_fuzzy_member(gpointer ud, guint depth, KtStrView key,
                                     const KtJsonValue *v);

#endif
