/*
 * jsonsplit.c - JSON helpers of the input stage: the nesting pre-scan, parsing and
 * mapping one JSON record, and the streaming splitter that cuts CloudTrail documents
 * ({"Records":[...]}, {"Events":[...]}, bare arrays, concatenated objects) into records
 * without holding more than one record in memory.
 */
#include "preset.h"

/* Bytes of a rejected record kept for its excerpt. */
#define EXCERPT_LEN 80

gboolean
kt_json_too_deep(const char *s, gsize len, guint max_depth)
{
    guint depth = 0;
    gboolean in_str = FALSE;
    for (gsize i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = FALSE;
            continue;
        }
        if (c == '"') {
            in_str = TRUE;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return TRUE;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return FALSE;
}

static gboolean
is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Parses exactly @len bytes as one JSON value; NULL when malformed or followed by
 * anything but whitespace. (transfer full) */
static cJSON *
parse_exact(const char *text, gsize len)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, FALSE);
    if (root == NULL)
        return NULL;
    while (end != NULL && end < text + len && is_ws(*end))
        end++;
    if (end == NULL || end != text + len) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static void
emit_reject(const KtSink *sink, guint64 line, KtReject r, const char *detail, const char *text,
            gsize len)
{
    sink->reject(sink->ud, line, r, detail, kt_sv_len(text, MIN(len, (gsize)EXCERPT_LEN)));
}

/* Checks and parses one record's text; on failure makes the reject call and returns
 * NULL. (transfer full) */
static cJSON *
parse_record(const KtSink *sink, const char *text, gsize len, guint64 line, guint max_depth)
{
    if (memchr(text, '\0', len) != NULL) {
        emit_reject(sink, line, KT_REJECT_BINARY, "NUL byte", text, len);
        return NULL;
    }
    if (kt_json_too_deep(text, len, max_depth)) {
        emit_reject(sink, line, KT_REJECT_TOO_DEEP, "nested deeper than --max-json-depth", text,
                    len);
        return NULL;
    }
    cJSON *root = parse_exact(text, len);
    if (root == NULL) {
        emit_reject(sink, line, KT_REJECT_MALFORMED, "invalid JSON", text, len);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        emit_reject(sink, line, KT_REJECT_NOT_OBJECT, "JSON value is not an object", text, len);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* Makes the sink call for a mapping result @r (@ev filled for an event, @reason for a
 * reject, which quotes @text). */
static void
deliver(const KtSink *sink, KtMapResult r, const KtEventView *ev, KtReject reason,
        const char *text, gsize len, guint64 line)
{
    switch (r) {
    case KT_MAP_EVENT:
        sink->event(sink->ud, ev, line);
        break;
    case KT_MAP_SKIP:
        sink->skip(sink->ud, line);
        break;
    case KT_MAP_REJECT:
        emit_reject(sink, line, reason, NULL, text, len);
        break;
    }
}

/* Maps @obj and makes the sink call for it. */
static void
emit_mapped(KtMapper *m, const KtSink *sink, const cJSON *obj, const char *text, gsize len,
            guint64 line)
{
    KtEventView ev;
    KtReject reason = KT_REJECT_MALFORMED;
    KtMapResult r = kt_mapper_json(m, obj, &ev, &reason);
    deliver(sink, r, &ev, reason, text, len, line);
}

void
kt_json_emit_record_cjson(KtMapper *m, const KtSink *sink, const char *text, gsize len,
                          guint64 line, guint max_depth)
{
    /* cJSON has no autoptr cleanup of its own; defining one here could clash with
     * another stage's, so the trees are deleted explicitly. */
    cJSON *root = parse_record(sink, text, len, line, max_depth);
    if (root == NULL)
        return;
    /* aws cloudtrail lookup-events: the record is a JSON string inside the event */
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(root, "CloudTrailEvent");
    if (cJSON_IsString(ct) && ct->valuestring != NULL && !cJSON_HasObjectItem(root, "eventTime")) {
        cJSON *inner =
            parse_record(sink, ct->valuestring, strlen(ct->valuestring), line, max_depth);
        if (inner != NULL)
            emit_mapped(m, sink, inner, text, len, line);
        cJSON_Delete(inner);
    } else {
        emit_mapped(m, sink, root, text, len, line);
    }
    cJSON_Delete(root);
}

/* Makes the reject call for a failed scan of @text; FALSE unless @st is KT_JSON_OK.
 * A syntax error in a record that also nests too deep is json_too_deep, as before. */
static gboolean
scan_ok(const KtSink *sink, KtJsonStatus st, const char *text, gsize len, guint64 line,
        guint max_depth)
{
    if (st == KT_JSON_MALFORMED && kt_json_too_deep(text, len, max_depth))
        st = KT_JSON_TOO_DEEP;
    if (st == KT_JSON_TOO_DEEP)
        emit_reject(sink, line, KT_REJECT_TOO_DEEP, "nested deeper than --max-json-depth", text,
                    len);
    else if (st == KT_JSON_MALFORMED)
        emit_reject(sink, line, KT_REJECT_MALFORMED, "invalid JSON", text, len);
    return st == KT_JSON_OK;
}

void
kt_json_emit_record(KtMapper *m, const KtSink *sink, const char *text, gsize len, guint64 line,
                    guint max_depth)
{
    if (kt_mapper_preset_name(m) == NULL) {
        kt_json_emit_record_cjson(m, sink, text, len, line, max_depth);
        return;
    }
    if (memchr(text, '\0', len) != NULL) {
        emit_reject(sink, line, KT_REJECT_BINARY, "NUL byte", text, len);
        return;
    }
    KtJsonStatus st = kt_mapper_scan(m, text, len, max_depth);
    if (st == KT_JSON_NO_OBJECT) {
        kt_json_emit_record_cjson(m, sink, text, len, line, max_depth);
        return;
    }
    if (!scan_ok(sink, st, text, len, line, max_depth))
        return;
    KtStrView in;
    if (kt_mapper_scan_unwrap(m, &in)) {
        st = kt_mapper_scan(m, in.ptr, in.len, max_depth);
        if (st == KT_JSON_NO_OBJECT) {
            /* not an object: cJSON words the reject (or, never, maps it) */
            cJSON *inner = parse_record(sink, in.ptr, in.len, line, max_depth);
            if (inner != NULL)
                emit_mapped(m, sink, inner, text, len, line);
            cJSON_Delete(inner);
            return;
        }
        if (!scan_ok(sink, st, in.ptr, in.len, line, max_depth))
            return;
    }
    KtEventView ev;
    KtReject reason = KT_REJECT_MALFORMED;
    KtMapResult r = kt_mapper_scanned(m, &ev, &reason);
    deliver(sink, r, &ev, reason, text, len, line);
}

/* ---- streaming splitter ------------------------------------------------------------- */

typedef enum {
    JS_TOP,     /* between documents */
    JS_GARBAGE, /* skipping a line that is no JSON document */
    JS_OBJECT,  /* inside a top-level object: one record, or an envelope */
    JS_ARRAY,   /* inside the records array, between elements */
    JS_ELEMENT, /* inside one element of the records array */
} KtJsState;

struct _KtJsonSplitter {
    gsize max_len;      /* longest record, bytes */
    guint max_depth;    /* deepest record nesting */
    KtJsonElemFn fn;    /* receives each record */
    const KtSink *sink; /* for rejects */
    gpointer ud;        /* passed to fn */
    KtJsState state;
    guint64 depth;               /* nesting in the current document */
    guint64 arr_depth;           /* depth of the records array's elements (0 = none) */
    gboolean in_str, esc;        /* inside a string; after a backslash */
    gboolean key_expected;       /* the next string at depth 1 is a key */
    gboolean in_key;             /* reading a key at depth 1 */
    char key[8];                 /* its first bytes */
    guint keylen;                /* its length (may exceed sizeof key) */
    gboolean env_key;            /* the current depth-1 key is Records or Events */
    gboolean envelope;           /* the current top-level object holds a records array */
    gboolean capturing;          /* the current record continues into the next block */
    gboolean too_long, too_deep; /* the current record's faults */
    gboolean scalar;             /* the current element is not an object or array */
    GString *buf;                /* the current record (at most max_len bytes) */
    guint64 index;               /* records seen */
};

KtJsonSplitter *
kt_json_splitter_new(gsize max_len, guint max_depth, KtJsonElemFn fn, const KtSink *sink,
                     gpointer ud)
{
    KtJsonSplitter *js = g_new0(KtJsonSplitter, 1);
    js->max_len = max_len ? max_len : KT_MAX_LINE_DEFAULT;
    js->max_depth = max_depth ? max_depth : KT_MAX_JSON_DEPTH_DEFAULT;
    js->fn = fn;
    js->sink = sink;
    js->ud = ud;
    js->buf = g_string_sized_new(4096);
    return js;
}

void
kt_json_splitter_free(KtJsonSplitter *js)
{
    if (js == NULL)
        return;
    g_string_free(js->buf, TRUE);
    g_free(js);
}

/* Appends @n bytes at @p to the current record, keeping only an excerpt once the record
 * is over the limit. */
static void
js_append(KtJsonSplitter *js, const char *p, gsize n)
{
    if (js->too_long || js->too_deep) {
        if (js->buf->len < EXCERPT_LEN)
            g_string_append_len(js->buf, p, (gssize)MIN(n, EXCERPT_LEN - js->buf->len));
        return;
    }
    if (js->buf->len + n > js->max_len) {
        js->too_long = TRUE;
        js_append(js, p, n);
        return;
    }
    g_string_append_len(js->buf, p, (gssize)n);
}

static void
js_begin(KtJsonSplitter *js)
{
    g_string_truncate(js->buf, 0);
    js->too_long = js->too_deep = FALSE;
    js->capturing = TRUE;
}

/* The current record is complete in js->buf: hand it on or reject it. */
static void
js_deliver(KtJsonSplitter *js)
{
    js->index++;
    js->capturing = FALSE;
    if (js->too_deep)
        emit_reject(js->sink, js->index, KT_REJECT_TOO_DEEP, "nested deeper than --max-json-depth",
                    js->buf->str, js->buf->len);
    else if (js->too_long)
        emit_reject(js->sink, js->index, KT_REJECT_TOO_LONG, "record longer than --max-line",
                    js->buf->str, js->buf->len);
    else
        js->fn(js->ud, js->buf->str, js->buf->len, js->index);
    if (js->buf->allocated_len > 2 * KT_MAX_LINE_DEFAULT) {
        g_string_free(js->buf, TRUE);
        js->buf = g_string_sized_new(4096);
    } else {
        g_string_truncate(js->buf, 0);
    }
}

/* Handles a string's closing quote. */
static void
js_string_end(KtJsonSplitter *js)
{
    js->in_str = FALSE;
    if (!js->in_key)
        return;
    js->in_key = FALSE;
    js->env_key = (js->keylen == 7 && memcmp(js->key, "Records", 7) == 0) ||
                  (js->keylen == 6 && memcmp(js->key, "Events", 6) == 0);
}

/* One byte outside strings at the top level. Returns TRUE when a record starts here. */
static gboolean
js_top(KtJsonSplitter *js, const char *p, gsize avail)
{
    unsigned char c = (unsigned char)*p;
    if (is_ws((char)c) || c == 0xEF || c == 0xBB || c == 0xBF) /* whitespace, BOM */
        return FALSE;
    if (c == '{') {
        js->state = JS_OBJECT;
        js->depth = 1;
        js->key_expected = TRUE;
        js->env_key = js->envelope = FALSE;
        js_begin(js);
        return TRUE;
    }
    if (c == '[') {
        js->state = JS_ARRAY;
        js->depth = js->arr_depth = 1;
        return FALSE;
    }
    js->index++;
    emit_reject(js->sink, js->index, KT_REJECT_MALFORMED, "not a JSON document", p, avail);
    js->state = JS_GARBAGE;
    return FALSE;
}

/* One byte outside strings inside a top-level object. Returns TRUE when the object
 * turned out to be an envelope (stop capturing it). */
static gboolean
js_object(KtJsonSplitter *js, char c)
{
    if (c == '"') {
        js->in_str = TRUE;
        if (js->depth == 1 && js->key_expected) {
            js->in_key = TRUE;
            js->keylen = 0;
        }
        return FALSE;
    }
    if (js->depth == 1 && c == ':') {
        js->key_expected = FALSE;
        return FALSE;
    }
    if (js->depth == 1 && c == ',') {
        js->key_expected = TRUE;
        js->env_key = FALSE;
        return FALSE;
    }
    if (c == '[' && js->depth == 1 && js->env_key) {
        js->envelope = TRUE;
        js->depth = js->arr_depth = 2;
        js->state = JS_ARRAY;
        js->env_key = FALSE;
        return TRUE;
    }
    if (c == '{' || c == '[') {
        if (++js->depth > js->max_depth)
            js->too_deep = TRUE;
    } else if (c == '}' || c == ']') {
        js->depth--;
    }
    if (!is_ws(c) && js->depth <= 1)
        js->env_key = FALSE;
    return FALSE;
}

/* Closes the records array at its closing bracket. */
static void
js_array_close(KtJsonSplitter *js)
{
    js->arr_depth = 0;
    js->depth--;
    js->state = js->depth == 0 ? JS_TOP : JS_OBJECT;
    js->key_expected = FALSE;
}

/*
 * One byte outside strings inside an element. Returns 1 when the element ended after
 * this byte, -1 when it ended before it (a scalar followed by ',' ']' or space), else 0.
 */
static int
js_element(KtJsonSplitter *js, char c)
{
    if (js->depth == js->arr_depth && (c == ',' || c == ']' || is_ws(c)) && js->scalar)
        return -1;
    if (c == '"') {
        js->in_str = TRUE;
    } else if (c == '{' || c == '[') {
        if (++js->depth - js->arr_depth > js->max_depth)
            js->too_deep = TRUE;
    } else if (c == '}' || c == ']') {
        if (js->depth == js->arr_depth)
            return -1;
        if (--js->depth == js->arr_depth)
            return 1;
    }
    return 0;
}

/* Processes one byte outside strings; @cap is the start of the captured part of this
 * block (NULL when not capturing); returns the updated one. */
static const char *
js_step(KtJsonSplitter *js, const char *p, const char *end, const char *cap)
{
    char c = *p;
    switch (js->state) {
    case JS_TOP:
        return js_top(js, p, (gsize)(end - p)) ? p : NULL;
    case JS_GARBAGE:
        if (c == '\n')
            js->state = JS_TOP;
        return NULL;
    case JS_OBJECT:
        if (js_object(js, c)) {
            /* an envelope: its records are captured one by one instead */
            js->capturing = FALSE;
            g_string_truncate(js->buf, 0);
            return NULL;
        }
        if (js->depth == 0) {
            js->state = JS_TOP;
            if (js->envelope)
                return NULL;
            js_append(js, cap, (gsize)(p + 1 - cap));
            js_deliver(js);
            return NULL;
        }
        return js->envelope ? NULL : cap;
    case JS_ARRAY:
        if (is_ws(c) || c == ',')
            return NULL;
        if (c == ']') {
            js_array_close(js);
            return NULL;
        }
        js->state = JS_ELEMENT;
        js->scalar = c != '{' && c != '[';
        js_begin(js);
        js_element(js, c); /* an element cannot end on its first byte */
        return p;
    case JS_ELEMENT: {
        int r = js_element(js, c);
        if (r == 0)
            return cap;
        js_append(js, cap, (gsize)(p + (r > 0 ? 1 : 0) - cap));
        js_deliver(js);
        js->state = JS_ARRAY;
        if (r < 0 && c == ']')
            js_array_close(js);
        return NULL;
    }
    }
    return NULL;
}

/* Bytes that can change the state inside an object or array element. */
static const guint8 elem_stop[256] = {['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1};

static gboolean simd_skip = TRUE; /* kt_json_splitter_set_simd() */

void
kt_json_splitter_set_simd(gboolean on)
{
    simd_skip = on;
}

#if defined(__SSE2__) && defined(__GNUC__) && G_BYTE_ORDER == G_LITTLE_ENDIAN
#include <emmintrin.h>
#define KT_JS_SIMD 1

/* Bit i set where byte i of the 64 at @p equals @c, or @c with bit 5 clear when @fold
 * ('{' and '[' are 0x7b and 0x5b, '}' and ']' 0x7d and 0x5d; no other byte ORed with
 * 0x20 gives 0x7b or 0x7d). */
static inline guint64
eq64(const __m128i v[4], char c, gboolean fold)
{
    const __m128i want = _mm_set1_epi8(c), bit5 = _mm_set1_epi8(0x20);
    guint64 m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i x = fold ? _mm_or_si128(v[k], bit5) : v[k];
        m |= (guint64)(guint16)_mm_movemask_epi8(_mm_cmpeq_epi8(x, want)) << (16 * k);
    }
    return m;
}

/* Bit i set when an odd number of bits 0..i of @x are. */
static inline guint64
prefix_xor(guint64 x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The bytes a backslash escapes, from the backslashes @bs of a block; *@carry is 1 when
 * the block's first byte is escaped (a run of backslashes of odd length ended the last
 * block) and is set for the next. A run of backslashes escapes every other byte from its
 * second on: the byte after an odd-length run is escaped, after an even one it is not.
 * Runs are told apart by the parity of where they start. */
static inline guint64
escaped_bytes(guint64 bs, guint64 *carry)
{
    const guint64 even = 0x5555555555555555ULL;
    bs &= ~*carry; /* an escaped backslash starts no run */
    guint64 follows = bs << 1 | *carry;
    guint64 odd_starts = bs & ~even & ~follows;
    guint64 even_runs;
    *carry = __builtin_add_overflow(odd_starts, bs, &even_runs);
    return (even ^ (even_runs << 1)) & follows;
}
#endif

/*
 * Inside an object or array element (js->state JS_ELEMENT, not a scalar), 64 bytes at a
 * time: finds the first byte at or after @p that ends the element (a '}' or ']' outside
 * strings at the element's own depth, which js_element() then closes), keeping in_str,
 * esc, depth and too_deep as the byte loop would for the bytes before it. Returns it and
 * sets *@found, or returns where the byte loop must take over: at the last 63 bytes of
 * the buffer, or at a block with a backslash outside strings (malformed JSON, where the
 * byte loop's reading of it is the reference) that the byte loop then reads.
 *
 * Per block: masks of quotes, backslashes, openers and closers; the bytes backslashes
 * escape; strings as the running parity of the other quotes (a string's bytes are from
 * its opening quote to before its closing one); then each opener and closer outside
 * strings, in order, adjusts the depth.
 */
static const char *
js_skip_element(KtJsonSplitter *js, const char *p, const char *end, gboolean *found)
{
    *found = FALSE;
#ifdef KT_JS_SIMD
    guint64 in_str = js->in_str ? ~0ULL : 0, carry = js->esc ? 1 : 0;
    while (end - p >= 64) {
        __m128i v[4];
        for (int k = 0; k < 4; k++)
            v[k] = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        guint64 bs = eq64(v, '\\', FALSE), next_carry = carry;
        guint64 quotes = eq64(v, '"', FALSE) & ~escaped_bytes(bs, &next_carry);
        guint64 inside = prefix_xor(quotes) ^ in_str;
        if ((bs & ~inside) != 0)
            break; /* not JSON: the byte loop reads this block */
        guint64 open = eq64(v, '{', TRUE), structural = (open | eq64(v, '}', TRUE)) & ~inside;
        for (; structural != 0; structural &= structural - 1) {
            int i = __builtin_ctzll(structural);
            if ((open >> i) & 1) {
                if (++js->depth - js->arr_depth > js->max_depth)
                    js->too_deep = TRUE;
            } else if (js->depth <= js->arr_depth + 1) {
                js->in_str = js->esc = FALSE;
                *found = TRUE;
                return p + i;
            } else {
                js->depth--;
            }
        }
        in_str = (guint64)((gint64)inside >> 63);
        carry = next_carry;
        p += 64;
    }
    js->in_str = in_str != 0;
    js->esc = carry != 0;
#else
    (void)js;
    (void)end;
#endif
    return p;
}

void
kt_json_splitter_feed(KtJsonSplitter *js, const char *buf, gsize len)
{
    const char *p = buf, *end = buf + len;
    const char *cap = js->capturing ? buf : NULL;
    const char *bytewise = buf; /* the byte loop reads up to here before skipping again */
    for (; p < end; p++) {
        if (js->state == JS_ELEMENT && !js->scalar && simd_skip && p >= bytewise) {
            gboolean found;
            const char *q = js_skip_element(js, p, end, &found);
            if (!found)
                bytewise = q + 64;
            p = q;
            if (p >= end)
                break;
        }
        /* fast paths: string bodies, and container elements between structural bytes */
        if (js->in_str && !js->esc && !js->in_key) {
            p = kt_json_find_quote(p, end);
            if (p >= end)
                break;
        } else if (!js->in_str && js->state == JS_ELEMENT && !js->scalar) {
            while (p < end && !elem_stop[(unsigned char)*p])
                p++;
            if (p >= end)
                break;
        }
        if (js->in_str) {
            char c = *p;
            if (js->esc) {
                js->esc = FALSE;
            } else if (c == '\\') {
                js->esc = TRUE;
            } else if (c == '"') {
                js_string_end(js);
            } else if (js->in_key) {
                if (js->keylen < sizeof(js->key))
                    js->key[js->keylen] = c;
                js->keylen++;
            }
            continue;
        }
        cap = js_step(js, p, end, cap);
    }
    if (cap != NULL && js->capturing)
        js_append(js, cap, (gsize)(end - cap));
}

void
kt_json_splitter_finish(KtJsonSplitter *js)
{
    gboolean cut = js->state == JS_ELEMENT || (js->state == JS_OBJECT && !js->envelope);
    if (cut) {
        js->index++;
        emit_reject(js->sink, js->index, KT_REJECT_TRUNCATED, "input ends inside a record",
                    js->buf->str, js->buf->len);
    }
    g_string_truncate(js->buf, 0);
    js->state = JS_TOP;
    js->depth = js->arr_depth = 0;
    js->in_str = js->esc = js->in_key = js->capturing = FALSE;
}
