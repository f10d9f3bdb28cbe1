/*
 * preset.h - source presets for the structured formats (csv, jsonl, cloudtrail) and the
 * JSON helpers they share (input stage, private to src/input). A preset maps the
 * normalized event fields to candidate JSON paths or CSV columns, plus hooks for what a
 * table cannot say (composed operations, temporary keys, Vault request halves).
 *
 * Ownership rule: a KtMapper borrows its KtFormatOptions; the KtEventView it fills
 * borrows the mapped record (cJSON tree, scanned JSON text or CSV row) and the mapper's
 * scratch buffers, and is valid until the next call on the same mapper.
 */
#ifndef KEYTRAIL_INPUT_PRESET_H
#define KEYTRAIL_INPUT_PRESET_H

#include <cjson/cJSON.h>

#include "keytrail/format.h"
#include "jsonscan.h"

/* Value slots a preset fills: the event fields, then three preset-specific helpers. */
typedef enum {
    KT_SLOT_KEY,
    KT_SLOT_PRINCIPAL,
    KT_SLOT_TIME,
    KT_SLOT_IP,
    KT_SLOT_OP,
    KT_SLOT_STATUS,
    KT_SLOT_BYTES,
    KT_SLOT_UA,
    KT_SLOT_FIELDS, /* number of user-visible fields (--field names) */
    KT_SLOT_A =
        KT_SLOT_FIELDS, /* cloudtrail eventSource, vault request.operation, generic method */
    KT_SLOT_B,          /* cloudtrail eventName, vault request.path, generic path */
    KT_SLOT_C,          /* cloudtrail userIdentity.type, vault type, generic low-rank op */
    KT_SLOT_COUNT,
} KtSlot;

/* What mapping one record produced. */
typedef enum {
    KT_MAP_EVENT,  /* @ev is filled */
    KT_MAP_SKIP,   /* not an event, not bad (Vault request half) */
    KT_MAP_REJECT, /* @reason says why */
} KtMapResult;

typedef struct _KtMapper KtMapper;

/*
 * Creates a mapper for @opts->preset and @opts->fields. @fallback is the preset used
 * when opts->preset is NULL and the first record matches no specific preset
 * ("generic" for csv/jsonl, "cloudtrail" for cloudtrail). Returns NULL and sets @error
 * (KT_ERROR_FORMAT_SPEC, listing the valid names) for an unknown preset or --field name.
 */
KtMapper *kt_mapper_new(const KtFormatOptions *opts, const char *fallback, GError **error);
void kt_mapper_free(KtMapper *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtMapper, kt_mapper_free)

/* (transfer none, static) The preset in use, or NULL while it is still to be chosen
 * from the first record. */
const char *kt_mapper_preset_name(const KtMapper *m);

/* Maps one JSON object (transfer none) into @ev. Chooses the preset on the first call
 * when none was given. On KT_MAP_REJECT sets *@reason. Cannot fail otherwise. */
KtMapResult kt_mapper_json(KtMapper *m, const cJSON *obj, KtEventView *ev, KtReject *reason);

/*
 * The single-pass JSON path (no tree): scans the object @text (@len bytes, see
 * kt_json_scan_run) capturing what the preset and the overrides need; @text must stay
 * valid until the record is mapped. Only once the preset is chosen (the first record
 * goes through kt_mapper_json). The caller rejects NUL bytes first.
 */
KtJsonStatus kt_mapper_scan(KtMapper *m, const char *text, gsize len, guint max_depth);

/* After a KT_JSON_OK scan: TRUE when the record wraps a lookup-events CloudTrailEvent
 * string (and has no eventTime); *@inner is its unescaped text, held by the mapper
 * (or by the scanned text) until the next scan. */
gboolean kt_mapper_scan_unwrap(KtMapper *m, KtStrView *inner);

/* Maps the record of the last KT_JSON_OK scan into @ev, as kt_mapper_json() would map
 * its cJSON tree. */
KtMapResult kt_mapper_scanned(KtMapper *m, KtEventView *ev, KtReject *reason);

/* Binds the CSV header @cols (@n names) to slots, choosing the preset when none was
 * given. Must be called before kt_mapper_csv_row(). */
void kt_mapper_csv_header(KtMapper *m, const KtStrView *cols, guint n);

/* Maps one CSV row of @n fields (the header's width) into @ev. */
KtMapResult kt_mapper_csv_row(KtMapper *m, const KtStrView *fields, guint n, KtEventView *ev,
                              KtReject *reason);

/* Writes every preset and its mapping, indented, for `keytrail formats`; @columns
 * words the sources as CSV columns instead of JSON paths. */
void kt_preset_describe(GString *out, gboolean columns);

/* TRUE when @s (@len bytes) nests arrays/objects deeper than @max_depth. Iterative,
 * string and escape aware; does not validate. */
gboolean kt_json_too_deep(const char *s, gsize len, guint max_depth);

/*
 * Parses one JSON record (@len bytes at @text, need not be NUL-terminated), maps it
 * with @m and makes exactly one @sink call for it as @line: event, skip, or reject
 * (binary, json_too_deep, malformed, not_an_object, missing_key, missing_time). A record
 * holding a "CloudTrailEvent" JSON string (aws cloudtrail lookup-events) is unwrapped.
 */
void kt_json_emit_record(KtMapper *m, const KtSink *sink, const char *text, gsize len, guint64 line,
                         guint max_depth);

/* kt_json_emit_record() through a cJSON tree: the reference the single-pass path must
 * match (differential test), used for a first record and for non-objects. */
void kt_json_emit_record_cjson(KtMapper *m, const KtSink *sink, const char *text, gsize len,
                               guint64 line, guint max_depth);

/*
 * Streaming splitter for JSON documents: {"Records":[...]}, {"Events":[...]}, bare
 * arrays, and top-level objects (each one record); several documents may follow each
 * other. Calls @fn for every element (memory bounded by one element, --max-line) and
 * rejects over-long, over-deep, truncated elements and garbage between documents.
 */
typedef struct _KtJsonSplitter KtJsonSplitter;
typedef void (*KtJsonElemFn)(gpointer ud, const char *text, gsize len, guint64 index);
KtJsonSplitter *kt_json_splitter_new(gsize max_len, guint max_depth, KtJsonElemFn fn,
                                     const KtSink *sink, gpointer ud);
void kt_json_splitter_feed(KtJsonSplitter *js, const char *buf, gsize len);
/* End of input: a record cut off mid-way is rejected as truncated. */
void kt_json_splitter_finish(KtJsonSplitter *js);
void kt_json_splitter_free(KtJsonSplitter *js);
/* For tests: FALSE reads elements byte by byte only, so that the 64-byte skip can be
 * compared with it (default TRUE; not thread-safe). */
void kt_json_splitter_set_simd(gboolean on);

#endif
