/*
 * jsonscan.c - single-pass JSON object extractor (input stage): validates a record with
 * cJSON 1.7's grammar (whitespace is any byte up to 0x20, numbers are what strtod reads,
 * escapes as parse_string handles them) and captures the members a compiled path trie
 * or a visitor asks for, as views into the text. No allocation per record.
 */
#include "jsonscan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define NO_NODE G_MAXUINT

/* A trie node: one path segment below its parent. Nodes 0 and 1 are the case-sensitive
 * and case-insensitive roots. */
typedef struct {
    char *name;        /* segment, lower case when ci */
    gsize len;         /* its length */
    guint first_child; /* NO_NODE when a leaf */
    guint next;        /* next sibling, NO_NODE at the end */
    gboolean found;    /* seen in the current record (first occurrence) */
    KtJsonValue val;   /* its value when found */
    gboolean ci;       /* below the case-insensitive root */
} KtJsonNode;

/* A live object: one whose members are compared with the trie or visited. */
typedef struct {
    guint cs, ci;   /* trie nodes whose children are matched here (NO_NODE: none) */
    gboolean visit; /* members go to the visitor */
} KtJsonFrame;

/* One slot of the child index: (parent, name) -> child. */
typedef struct {
    guint parent, child; /* child NO_NODE: empty slot */
} KtJsonSlot;

struct _KtJsonScan {
    GArray *nodes;      /* KtJsonNode */
    KtJsonSlot *index;  /* open addressing over every node but the roots */
    guint index_mask;   /* slots - 1 */
    GArray *path_nodes; /* guint: the node of each segment, paths one after another */
    GArray *paths;      /* guint pairs: offset into path_nodes, segment count */
    KtJsonMemberFn fn;  /* nullable visitor */
    gpointer fn_ud;
    GString *keybuf;                            /* unescaped keys */
    KtJsonFrame frames[KT_JSON_NEST_LIMIT + 2]; /* live objects by depth */
    guint8 is_obj[KT_JSON_NEST_LIMIT + 2];      /* container kind by depth */
};

/* ---- paths --------------------------------------------------------------------------- */

static KtJsonNode *
node_at(const KtJsonScan *js, guint i)
{
    return &g_array_index(js->nodes, KtJsonNode, i);
}

static void index_rebuild(KtJsonScan *js);

KtJsonScan *
kt_json_scan_new(void)
{
    KtJsonScan *js = g_new0(KtJsonScan, 1);
    js->nodes = g_array_new(FALSE, TRUE, sizeof(KtJsonNode));
    js->path_nodes = g_array_new(FALSE, FALSE, sizeof(guint));
    js->paths = g_array_new(FALSE, FALSE, sizeof(guint));
    js->keybuf = g_string_sized_new(64);
    KtJsonNode root = {NULL, 0, NO_NODE, NO_NODE, FALSE, {0}, FALSE};
    g_array_append_val(js->nodes, root);
    root.ci = TRUE;
    g_array_append_val(js->nodes, root);
    index_rebuild(js);
    return js;
}

void
kt_json_scan_free(KtJsonScan *js)
{
    if (js == NULL)
        return;
    for (guint i = 0; i < js->nodes->len; i++)
        g_free(node_at(js, i)->name);
    g_array_unref(js->nodes);
    g_free(js->index);
    g_array_unref(js->path_nodes);
    g_array_unref(js->paths);
    g_string_free(js->keybuf, TRUE);
    g_free(js);
}

/* The child of @parent named @name (@len bytes), created when missing. */
static guint
node_child(KtJsonScan *js, guint parent, const char *name, gsize len)
{
    guint last = NO_NODE;
    for (guint c = node_at(js, parent)->first_child; c != NO_NODE; c = node_at(js, c)->next) {
        const KtJsonNode *n = node_at(js, c);
        if (n->len == len && memcmp(n->name, name, len) == 0)
            return c;
        last = c;
    }
    KtJsonNode child = {g_strndup(name, len), len, NO_NODE, NO_NODE, FALSE, {0},
                        node_at(js, parent)->ci};
    g_array_append_val(js->nodes, child);
    guint id = js->nodes->len - 1;
    if (last == NO_NODE)
        node_at(js, parent)->first_child = id;
    else
        node_at(js, last)->next = id;
    return id;
}

/* Hash of a member name below @parent; ASCII case folded below the ci root's tree. */
static guint
key_hash(guint parent, const char *k, gsize len, gboolean ci)
{
    guint a = 0, b = 0, c = 0;
    if (len > 0) {
        a = (guchar)k[0];
        b = (guchar)k[len - 1];
        c = (guchar)k[len / 2];
        if (ci) {
            a = (guint)g_ascii_tolower((gchar)a);
            b = (guint)g_ascii_tolower((gchar)b);
            c = (guint)g_ascii_tolower((gchar)c);
        }
    }
    guint h = parent * 2654435761u ^ (guint)len * 40503u ^ a * 31u ^ b * 131u ^ c * 7919u;
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    return h ^ (h >> 12);
}

/* Rebuilds the child index for the current nodes (at least 4 slots per node). */
static void
index_rebuild(KtJsonScan *js)
{
    guint size = 16;
    while (size < 4 * js->nodes->len)
        size *= 2;
    g_free(js->index);
    js->index = g_new(KtJsonSlot, size);
    js->index_mask = size - 1;
    for (guint i = 0; i < size; i++)
        js->index[i] = (KtJsonSlot){NO_NODE, NO_NODE};
    for (guint p = 0; p < js->nodes->len; p++) {
        gboolean ci = FALSE;
        for (guint c = node_at(js, p)->first_child; c != NO_NODE; c = node_at(js, c)->next) {
            const KtJsonNode *n = node_at(js, c);
            ci = n->ci;
            guint h = key_hash(p, n->name, n->len, ci) & js->index_mask;
            while (js->index[h].child != NO_NODE)
                h = (h + 1) & js->index_mask;
            js->index[h] = (KtJsonSlot){p, c};
        }
    }
}

guint
kt_json_scan_add_path(KtJsonScan *js, const char *const *segs, guint n, gboolean ci)
{
    g_return_val_if_fail(js != NULL && n > 0, 0);
    guint off = js->path_nodes->len, cur = ci ? 1 : 0;
    for (guint i = 0; i < n; i++) {
        g_autofree char *seg = ci ? g_ascii_strdown(segs[i], -1) : g_strdup(segs[i]);
        cur = node_child(js, cur, seg, strlen(seg));
        g_array_append_val(js->path_nodes, cur);
    }
    g_array_append_val(js->paths, off);
    g_array_append_val(js->paths, n);
    index_rebuild(js);
    return js->paths->len / 2 - 1;
}

void
kt_json_scan_set_visitor(KtJsonScan *js, KtJsonMemberFn fn, gpointer ud)
{
    js->fn = fn;
    js->fn_ud = ud;
}

KtJsonPathState
kt_json_scan_get(const KtJsonScan *js, guint id, KtJsonValue *v)
{
    g_return_val_if_fail(id < js->paths->len / 2, KT_JSON_PATH_MISSING);
    guint off = g_array_index(js->paths, guint, 2 * id);
    guint n = g_array_index(js->paths, guint, 2 * id + 1);
    const KtJsonNode *prev = NULL;
    for (guint i = 0; i < n; i++) {
        if (prev != NULL && prev->val.type != KT_JSON_OBJECT)
            return KT_JSON_PATH_BLOCKED;
        prev = node_at(js, g_array_index(js->path_nodes, guint, off + i));
        if (!prev->found)
            return KT_JSON_PATH_MISSING;
    }
    if (prev == NULL)
        return KT_JSON_PATH_MISSING;
    *v = prev->val;
    return KT_JSON_PATH_FOUND;
}

/* ---- strings and numbers ------------------------------------------------------------- */

/* The value of four hex digits; 0 when any is not one (as cJSON's parse_hex4). */
static guint
hex4(const char *s)
{
    guint h = 0;
    for (guint i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(s[i]);
        if (d < 0)
            return 0;
        h = (h << 4) | (guint)d;
    }
    return h;
}

/* Writes @cp as UTF-8 at @out (when not NULL); returns the byte count. */
static guint
utf8_put(guint32 cp, char *out)
{
    guint n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const guint8 mark[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    if (out == NULL)
        return n;
    for (guint i = n - 1; i > 0; i--) {
        out[i] = (char)((cp & 0x3F) | 0x80);
        cp >>= 6;
    }
    out[0] = (char)(n == 1 ? cp : (cp | mark[n]));
    return n;
}

/* A \u escape at @p (string ends at @e): the input bytes it takes (6 or 12), 0 when
 * cJSON rejects it; writes its UTF-8 at @out (nullable) and adds its size to *@olen. */
static guint
utf16_escape(const char *p, const char *e, char *out, gsize *olen)
{
    if (e - p < 6)
        return 0;
    guint32 cp = hex4(p + 2);
    guint step = 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return 0;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        const char *q = p + 6;
        if (e - q < 6 || q[0] != '\\' || q[1] != 'u')
            return 0;
        guint32 lo = hex4(q + 2);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
        step = 12;
    }
    *olen += utf8_put(cp, out);
    return step;
}

/*
 * cJSON's unescape loop over the string body [@s, @e) (@e is the closing quote, which
 * may be read as the second byte of an escape, exactly as cJSON does). Writes to @out
 * when not NULL. Returns FALSE for an escape cJSON rejects.
 */
static gboolean
unescape_body(const char *s, const char *e, char *out, gsize *olen)
{
    static const char simple[256] = {
        ['b'] = '\b', ['f'] = '\f', ['n'] = '\n', ['r'] = '\r',
        ['t'] = '\t', ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',
    };
    gsize n = 0;
    const char *p = s;
    while (p < e) {
        if (*p != '\\') {
            if (out != NULL)
                out[n] = *p;
            n++;
            p++;
            continue;
        }
        unsigned char c = (unsigned char)p[1];
        if (c == 'u') {
            guint step = utf16_escape(p, e, out != NULL ? out + n : NULL, &n);
            if (step == 0)
                return FALSE;
            p += step;
            continue;
        }
        if (simple[c] == 0)
            return FALSE;
        if (out != NULL)
            out[n] = simple[c];
        n++;
        p += 2;
    }
    *olen = n;
    return TRUE;
}

gsize
kt_json_unescape(const char *raw, gsize len, char *out)
{
    gsize n = 0;
    if (!unescape_body(raw, raw + len, out, &n))
        n = 0; /* not reached for strings the scanner accepted */
    out[n] = '\0';
    const char *nul = memchr(out, '\0', n);
    return nul != NULL ? (gsize)(nul - out) : n;
}

/* Bytes that stop the fast string loop. */
static const guint8 str_stop[256] = {['"'] = 1, ['\\'] = 1};

/* kt_json_find_quote without SIMD: eight bytes at a time where words are little-endian
 * (SWAR zero-byte test; its false positives only ever sit above a true match), then byte
 * by byte. */
static inline const char *
find_quote_swar(const char *p, const char *end)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN && defined(__GNUC__)
    const guint64 ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        guint64 v;
        memcpy(&v, p, 8);
        guint64 a = v ^ (ones * '"'), b = v ^ (ones * '\\');
        guint64 hit = (((a - ones) & ~a) | ((b - ones) & ~b)) & highs;
        if (hit != 0)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
#endif
    while (p < end && !str_stop[(unsigned char)*p])
        p++;
    return p;
}

const char *
kt_json_find_quote_swar(const char *p, const char *end)
{
    return find_quote_swar(p, end);
}

const char *
kt_json_find_quote(const char *p, const char *end)
{
#if defined(__SSE2__) && defined(__GNUC__)
    /* sixteen bytes at a time: one compare per stop byte, the lowest set mask bit */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        int m =
            _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
        if (m != 0)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    return find_quote_swar(p, end);
}

/*
 * Scans a string whose opening quote is at @p[-1]. Returns the closing quote, or NULL
 * when the string is unterminated or has a bad escape; sets *@esc when it has escapes.
 */
static const char *
string_end(const char *p, const char *end, gboolean *esc)
{
    const char *s = p;
    p = kt_json_find_quote(p, end);
    if (p < end && *p == '"') {
        *esc = FALSE;
        return p;
    }
    /* a backslash: cJSON's end search skips the byte after each one */
    while (p < end && *p != '"') {
        if (*p == '\\' && ++p >= end)
            return NULL;
        p++;
    }
    if (p >= end)
        return NULL;
    gsize n = 0;
    *esc = TRUE;
    return unescape_body(s, p, NULL, &n) ? p : NULL;
}

static gboolean
is_num_byte(char c)
{
    return g_ascii_isdigit(c) || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.';
}

static const char *
digits(const char *p, const char *q)
{
    while (p < q && g_ascii_isdigit(*p))
        p++;
    return p;
}

/*
 * A number starting at @p ('-' or a digit): cJSON takes the run of [0-9+-eE.] and lets
 * strtod read it; anything strtod leaves over is a syntax error right after. Returns
 * the end of the run when strtod reads all of it, else NULL.
 */
static const char *
number_end(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && is_num_byte(*q))
        q++;
    const char *s = p + (*p == '-');
    const char *a = digits(s, q);
    gsize nd = (gsize)(a - s);
    if (a < q && *a == '.') {
        const char *b = digits(a + 1, q);
        nd += (gsize)(b - a - 1);
        a = b;
    }
    if (nd == 0)
        return NULL;
    if (a < q && (*a == 'e' || *a == 'E')) {
        const char *x = a + 1;
        if (x < q && (*x == '+' || *x == '-'))
            x++;
        const char *y = digits(x, q);
        if (y == x)
            return NULL;
        a = y;
    }
    return a == q ? q : NULL;
}

double
kt_json_number(KtStrView raw)
{
    char small[64];
    char *buf = raw.len < sizeof small ? small : g_malloc(raw.len + 1);
    memcpy(buf, raw.ptr, raw.len);
    buf[raw.len] = '\0';
    double d = g_ascii_strtod(buf, NULL);
    if (buf != small)
        g_free(buf);
    return d;
}

/* ---- the scanner --------------------------------------------------------------------- */

static const char *
skip_ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= 32)
        p++;
    return p;
}

/* Reads a scalar at @p into @v; returns the byte after it or NULL when malformed. */
static const char *
scalar(const char *p, const char *end, KtJsonValue *v)
{
    static const struct {
        const char *word;
        gsize len;
        KtJsonType type;
    } words[] = {{"null", 4, KT_JSON_NULL}, {"false", 5, KT_JSON_FALSE}, {"true", 4, KT_JSON_TRUE}};
    char c = *p;
    if (c == '"') {
        const char *q = string_end(p + 1, end, &v->esc);
        if (q == NULL)
            return NULL;
        v->type = KT_JSON_STRING;
        v->raw = kt_sv_len(p + 1, (gsize)(q - p - 1));
        return q + 1;
    }
    if (c == '-' || g_ascii_isdigit(c)) {
        const char *q = number_end(p, end);
        if (q == NULL)
            return NULL;
        v->type = KT_JSON_NUMBER;
        v->raw = kt_sv_len(p, (gsize)(q - p));
        return q;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
        if ((gsize)(end - p) >= words[i].len && memcmp(p, words[i].word, words[i].len) == 0) {
            v->type = words[i].type;
            v->raw = kt_sv_len(p, words[i].len);
            return p + words[i].len;
        }
    }
    return NULL;
}

/* The key of a live member, unescaped when needed (cJSON keys end at a \u0000). */
static KtStrView
member_key(KtJsonScan *js, KtStrView raw, gboolean esc)
{
    if (!esc)
        return raw;
    g_string_set_size(js->keybuf, raw.len + 1);
    gsize n = kt_json_unescape(raw.ptr, raw.len, js->keybuf->str);
    return kt_sv_len(js->keybuf->str, n);
}

static gboolean
key_eq_ci(const KtJsonNode *n, KtStrView key)
{
    if (n->len != key.len)
        return FALSE;
    for (gsize i = 0; i < key.len; i++) {
        if (g_ascii_tolower(key.ptr[i]) != n->name[i])
            return FALSE;
    }
    return TRUE;
}

/* The child of @parent named @key (ASCII case-insensitively when @ci), or NO_NODE. */
static guint
find_child(const KtJsonScan *js, guint parent, KtStrView key, gboolean ci)
{
    guint h = key_hash(parent, key.ptr, key.len, ci) & js->index_mask;
    for (; js->index[h].child != NO_NODE; h = (h + 1) & js->index_mask) {
        if (js->index[h].parent != parent)
            continue;
        const KtJsonNode *n = node_at(js, js->index[h].child);
        if (ci ? key_eq_ci(n, key)
               : n->len == key.len && (key.len == 0 || memcmp(n->name, key.ptr, key.len) == 0))
            return js->index[h].child;
    }
    return NO_NODE;
}

/* Records a member of the live object at @depth; returns TRUE when @v is an object to
 * enter, with frames[depth + 1] set up. */
static gboolean
member(KtJsonScan *js, guint depth, KtStrView rawkey, gboolean kesc, const KtJsonValue *v)
{
    KtJsonFrame *f = &js->frames[depth];
    KtStrView key = member_key(js, rawkey, kesc);
    KtJsonFrame next = {NO_NODE, NO_NODE, FALSE};
    for (int world = 0; world < 2; world++) {
        guint parent = world == 0 ? f->cs : f->ci;
        if (parent == NO_NODE)
            continue;
        guint c = find_child(js, parent, key, world == 1);
        if (c == NO_NODE)
            continue;
        KtJsonNode *n = node_at(js, c);
        if (!n->found) {
            n->found = TRUE;
            n->val = *v;
            if (v->type == KT_JSON_OBJECT && n->first_child != NO_NODE)
                *(world == 0 ? &next.cs : &next.ci) = c;
        }
    }
    if (f->visit && js->fn != NULL)
        next.visit = js->fn(js->fn_ud, depth, key, v) && v->type == KT_JSON_OBJECT;
    if (v->type != KT_JSON_OBJECT || (next.cs == NO_NODE && next.ci == NO_NODE && !next.visit))
        return FALSE;
    js->frames[depth + 1] = next;
    return TRUE;
}

/* Scan state shared by the steps below. */
typedef struct {
    const char *p, *end;
    guint depth;     /* current nesting, 0 = outside the object */
    guint live;      /* deepest live object (objects 1..live are live) */
    guint max_depth; /* the caller's limit */
    KtStrView key;   /* key of the member being read (live objects) */
    gboolean kesc;   /* it has escapes */
    gboolean opened; /* the last value read opened a container */
} KtScanState;

/* Opens a container at st->p; FALSE when it is too deep. */
static KtJsonStatus
open_container(KtJsonScan *js, KtScanState *st, gboolean obj)
{
    if (st->depth + 1 > st->max_depth)
        return KT_JSON_TOO_DEEP;
    if (st->depth + 1 > KT_JSON_NEST_LIMIT)
        return KT_JSON_MALFORMED;
    st->depth++;
    js->is_obj[st->depth] = (guint8)obj;
    st->p = skip_ws(st->p + 1, st->end);
    return KT_JSON_OK;
}

/* Reads a member's key and colon; leaves st->p on the value. */
static gboolean
read_key(KtScanState *st)
{
    if (st->p >= st->end || *st->p != '"')
        return FALSE;
    const char *q = string_end(st->p + 1, st->end, &st->kesc);
    if (q == NULL)
        return FALSE;
    st->key = kt_sv_len(st->p + 1, (gsize)(q - st->p - 1));
    st->p = skip_ws(q + 1, st->end);
    if (st->p >= st->end || *st->p != ':')
        return FALSE;
    st->p = skip_ws(st->p + 1, st->end);
    return TRUE;
}

/*
 * Reads one value at st->p. Scalars are consumed; a container is opened (and, when
 * it is an object member of a live object that asks for it, made live). Returns OK,
 * MALFORMED or TOO_DEEP.
 */
static KtJsonStatus
read_value(KtJsonScan *js, KtScanState *st)
{
    const char *p = st->p;
    if (p >= st->end)
        return KT_JSON_MALFORMED;
    gboolean live = st->depth == st->live && js->is_obj[st->depth];
    KtJsonValue v = {KT_JSON_NONE, FALSE, {p, 1}};
    st->opened = *p == '{' || *p == '[';
    if (st->opened) {
        gboolean obj = *p == '{';
        v.type = obj ? KT_JSON_OBJECT : KT_JSON_ARRAY;
        if (live && member(js, st->depth, st->key, st->kesc, &v))
            st->live = st->depth + 1;
        return open_container(js, st, obj);
    }
    const char *q = scalar(p, st->end, &v);
    if (q == NULL)
        return KT_JSON_MALFORMED;
    if (live)
        member(js, st->depth, st->key, st->kesc, &v);
    st->p = q;
    return KT_JSON_OK;
}

/* After a value or an opening bracket: reads separators and closing brackets until the
 * next value is due. Returns OK with st->depth == 0 when the object is complete. */
static KtJsonStatus
next_value(KtScanState *st, const guint8 *is_obj, gboolean after_open)
{
    for (;;) {
        if (!after_open)
            st->p = skip_ws(st->p, st->end);
        if (st->p >= st->end)
            return KT_JSON_MALFORMED;
        char c = *st->p;
        gboolean obj = is_obj[st->depth];
        if (c == (obj ? '}' : ']')) {
            st->p++;
            if (st->live == st->depth)
                st->live--;
            if (--st->depth == 0)
                return KT_JSON_OK;
            after_open = FALSE;
            continue;
        }
        if (!after_open) {
            if (c != ',')
                return KT_JSON_MALFORMED;
            st->p = skip_ws(st->p + 1, st->end);
        }
        if (obj && !read_key(st))
            return KT_JSON_MALFORMED;
        return KT_JSON_OK;
    }
}

KtJsonStatus
kt_json_scan_run(KtJsonScan *js, const char *text, gsize len, guint max_depth)
{
    g_return_val_if_fail(js != NULL && (text != NULL || len == 0), KT_JSON_MALFORMED);
    for (guint i = 0; i < js->nodes->len; i++)
        node_at(js, i)->found = FALSE;
    if (len == 0)
        return KT_JSON_NO_OBJECT;
    KtScanState st = {text, text + len, 0, 1, max_depth, KT_SV_NULL, FALSE, FALSE};
    if (len >= 5 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        st.p += 3;
    st.p = skip_ws(st.p, st.end);
    if (st.p >= st.end || *st.p != '{')
        return KT_JSON_NO_OBJECT;
    js->frames[1] = (KtJsonFrame){0, 1, TRUE};
    KtJsonStatus r = open_container(js, &st, TRUE);
    gboolean after_open = TRUE;
    while (r == KT_JSON_OK) {
        r = next_value(&st, js->is_obj, after_open);
        if (r != KT_JSON_OK || st.depth == 0)
            break;
        r = read_value(js, &st);
        after_open = st.opened;
    }
    if (r != KT_JSON_OK)
        return r;
    while (st.p < st.end && (*st.p == ' ' || *st.p == '\t' || *st.p == '\r' || *st.p == '\n'))
        st.p++;
    return st.p == st.end ? KT_JSON_OK : KT_JSON_MALFORMED;
}
