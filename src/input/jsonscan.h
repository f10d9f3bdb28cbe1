/*
 * jsonscan.h - single-pass JSON object extractor (input stage, private to src/input).
 * Validates one JSON object the way cJSON 1.7 parses it (same accepted syntax, same
 * nesting limit) without building a tree, and captures only the members asked for:
 * dotted paths (first occurrence of a name wins, as cJSON_GetObjectItem*), plus an
 * optional visitor called for every member of the objects it chooses to enter.
 *
 * Ownership rule: a KtJsonScan owns its compiled paths and its key buffer; the values it
 * reports are views into the scanned text (strings still escaped) and stay valid as long
 * as that text does. kt_json_unescape() writes into a caller-provided buffer.
 */
#ifndef KEYTRAIL_INPUT_JSONSCAN_H
#define KEYTRAIL_INPUT_JSONSCAN_H

#include "keytrail/common.h"

/* cJSON's CJSON_NESTING_LIMIT: deeper documents are malformed whatever the depth limit. */
#define KT_JSON_NEST_LIMIT 1000

typedef enum {
    KT_JSON_NONE = 0, /* absent */
    KT_JSON_NULL,
    KT_JSON_FALSE,
    KT_JSON_TRUE,
    KT_JSON_NUMBER,
    KT_JSON_STRING,
    KT_JSON_ARRAY,
    KT_JSON_OBJECT,
} KtJsonType;

/* One value as found in the text. */
typedef struct {
    KtJsonType type;
    gboolean esc;  /* STRING: contains backslash escapes; use kt_json_unescape() */
    KtStrView raw; /* STRING: the bytes between the quotes; NUMBER: its text; literals:
                    * the word; ARRAY/OBJECT: the opening bracket only */
} KtJsonValue;

/* What scanning one text found. */
typedef enum {
    KT_JSON_OK,        /* one valid object, then only whitespace */
    KT_JSON_NO_OBJECT, /* the first value does not start with '{' (may be valid JSON) */
    KT_JSON_MALFORMED, /* a syntax error (cJSON would return NULL) */
    KT_JSON_TOO_DEEP,  /* nesting went over the depth limit before any syntax error */
} KtJsonStatus;

/* Where a path led in the last scan. */
typedef enum {
    KT_JSON_PATH_FOUND,   /* the member exists (of any type) */
    KT_JSON_PATH_MISSING, /* some segment is not there */
    KT_JSON_PATH_BLOCKED, /* an intermediate segment is not an object */
} KtJsonPathState;

/*
 * Visitor for the members of the objects it enters (the top-level object always).
 * @depth is 1 for top-level members; @key is unescaped (valid during the call only).
 * For an OBJECT value the call comes before its members; returning TRUE enters it
 * (its members are visited too). The return value is ignored for other values.
 */
typedef gboolean (*KtJsonMemberFn)(gpointer ud, guint depth, KtStrView key,
                                   const KtJsonValue *v);

typedef struct _KtJsonScan KtJsonScan;

KtJsonScan *kt_json_scan_new(void);
void kt_json_scan_free(KtJsonScan *js);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtJsonScan, kt_json_scan_free)

/* Adds the path of @n segments @segs (copied), matched case-insensitively (ASCII, as
 * cJSON_GetObjectItem) when @ci. Returns the path id (0, 1, ...). Cannot fail. */
guint kt_json_scan_add_path(KtJsonScan *js, const char *const *segs, guint n, gboolean ci);

/* Installs (or, with NULL, removes) the member visitor. */
void kt_json_scan_set_visitor(KtJsonScan *js, KtJsonMemberFn fn, gpointer ud);

/*
 * Scans @len bytes at @text (need not be NUL-terminated; never read past @len): a UTF-8
 * BOM and whitespace, one object nested at most @max_depth deep, then only spaces, tabs
 * and line breaks. Captures the paths' values and calls the visitor. Iterative.
 */
KtJsonStatus kt_json_scan_run(KtJsonScan *js, const char *text, gsize len, guint max_depth);

/* The value of path @id in the last KT_JSON_OK scan; *@v is set when FOUND. */
KtJsonPathState kt_json_scan_get(const KtJsonScan *js, guint id, KtJsonValue *v);

/*
 * Unescapes the raw string @raw (@len bytes between the quotes of a string the scanner
 * accepted) into @out, which must hold @len + 1 bytes, as cJSON does, and NUL-terminates
 * it. Returns the length up to the first NUL (\u0000 ends a cJSON string).
 */
gsize kt_json_unescape(const char *raw, gsize len, char *out);

/* The first '"' or '\\' in [@p, @end), or @end. */
const char *kt_json_find_quote(const char *p, const char *end);
/* The same without SIMD, as machines without SSE2 run it (exported for the tests). */
const char *kt_json_find_quote_swar(const char *p, const char *end);

/* The value of a NUMBER's text, as strtod reads it in the C locale. */
double kt_json_number(KtStrView raw);

#endif
