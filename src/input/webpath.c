/*
 * webpath.c - request lines, operation normalization, query parameters and header
 * values for the web log format (input stage). See webpath.h.
 */
#include "webpath.h"

#include "clf-scan.h"
#include "keytrail/bytes.h"

static gboolean
is_hex(char c)
{
    return g_ascii_isxdigit(c);
}

/* TRUE for path segments that name one object rather than an endpoint: all digits,
 * UUIDs, hex of 8+ characters, and long tokens that mix letters and digits. */
gboolean
kt_web_is_id_segment(const char *s, gsize n)
{
    if (n == 0)
        return FALSE;
    if (n < 8) { /* short: only all-digit segments are ids */
        for (gsize i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return FALSE;
        }
        return TRUE;
    }
    gsize digits = 0, hex = 0, switches = 0;
    int prev = 0; /* 1 letter, 2 digit */
    for (gsize i = 0; i < n; i++) {
        char c = s[i];
        int cls = g_ascii_isdigit(c) ? 2 : g_ascii_isalpha(c) ? 1 : 0;
        if (cls == 0 && c != '_' && c != '-')
            return FALSE; /* '.', '%', ...: a file name or text, never an id */
        digits += cls == 2;
        hex += is_hex(c);
        if (cls != 0 && prev != 0 && cls != prev)
            switches++;
        if (cls != 0)
            prev = cls;
    }
    if (digits == n)
        return TRUE;
    if (n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && hex == 32)
        return TRUE;
    if (hex == n)
        return TRUE;
    return n >= 10 && digits > 0 && switches >= 2;
}

/* Appends @n bytes to the operation buffer at *@o, never past its end. */
static void
op_append(char *buf, gsize cap, gsize *o, const char *s, gsize n)
{
    gsize room = cap - *o;
    n = MIN(n, room);
    if (n == 0)
        return;
    memcpy(buf + *o, s, n);
    *o += n;
}

KtStrView
kt_web_normalize_op(char *buf, gsize cap, KtStrView method, KtStrView path)
{
    gsize o = 0;
    op_append(buf, cap, &o, method.ptr, method.len);
    op_append(buf, cap, &o, " ", 1);
    if (path.ptr == NULL)
        return kt_sv_len(buf, o);
    const char *p = path.ptr, *end = path.ptr + path.len;
    const char *scheme = path.len > 8 ? memchr(p, ':', MIN(path.len, (gsize)8)) : NULL;
    if (scheme != NULL && end - scheme > 3 && scheme[1] == '/' && scheme[2] == '/') {
        const char *slash = memchr(scheme + 3, '/', (gsize)(end - scheme - 3));
        p = slash != NULL ? slash : end; /* absolute-form request: keep the path */
    }
    for (const char *q = p; q < end; q++) {
        if (*q == '?' || *q == '#') {
            end = q;
            break;
        }
    }
    while (p < end) {
        const char *seg_end = p;
        while (seg_end < end && *seg_end != '/')
            seg_end++;
        gsize n = (gsize)(seg_end - p);
        if (kt_web_is_id_segment(p, n))
            op_append(buf, cap, &o, "{id}", 4);
        else
            op_append(buf, cap, &o, p, n);
        if (seg_end < end)
            op_append(buf, cap, &o, "/", 1);
        p = seg_end + 1;
    }
    return kt_sv_len(buf, o);
}

/* A byte of an HTTP method token. */
static inline gboolean
is_method_byte(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

gboolean
kt_web_is_method(KtStrView m)
{
    if (m.len == 0 || m.len > 16)
        return FALSE;
    for (gsize i = 0; i < m.len; i++) {
        if (!is_method_byte(m.ptr[i]))
            return FALSE;
    }
    return TRUE;
}

gboolean
kt_web_request_cut(KtStrView r, KtWebRequest *rq)
{
    if (r.ptr == NULL || r.len == 0)
        return FALSE;
    /* the bytes before the first space are a kt_web_is_method() token exactly when
     * 1-16 method bytes are followed by that space */
    const char *end = r.ptr + r.len, *lim = r.ptr + MIN(r.len, (gsize)17), *sp = r.ptr;
    while (sp < lim && is_method_byte(*sp))
        sp++;
    if (sp == r.ptr || sp == lim || *sp != ' ')
        return FALSE;
    rq->method = kt_sv_len(r.ptr, (gsize)(sp - r.ptr));
    const char *ps = sp + 1;
    const char *pe = memchr(ps, ' ', (gsize)(end - ps));
    if (pe == NULL)
        pe = end;
    rq->path = kt_sv_len(ps, (gsize)(pe - ps));
    rq->qmark = memchr(ps, '?', (gsize)(pe - ps));
    const char *cut = rq->qmark != NULL ? rq->qmark : pe;
    const char *hash = memchr(ps, '#', (gsize)(cut - ps));
    rq->plen = (gsize)((hash != NULL ? hash : cut) - ps);
    return rq->path.len > 0;
}

KtStrView
kt_web_query_param(KtStrView qs, const char *name, gsize nlen)
{
    if (qs.ptr == NULL || qs.len == 0)
        return KT_SV_NULL;
    const char *p = qs.ptr, *end = qs.ptr + qs.len;
    if (p < end && *p == '?')
        p++;
    while (p < end) {
        const char *amp = memchr(p, '&', (gsize)(end - p));
        const char *pe = amp != NULL ? amp : end;
        const char *hash = memchr(p, '#', (gsize)(pe - p));
        if (hash != NULL)
            pe = hash;
        if ((gsize)(pe - p) > nlen && p[nlen] == '=' && memcmp(p, name, nlen) == 0)
            return kt_sv_len(p + nlen + 1, (gsize)(pe - p - nlen - 1));
        if (hash != NULL)
            break;
        p = pe + 1;
    }
    return KT_SV_NULL;
}

/* ---- remembered operations ----------------------------------------------------------- */

#define KT_WEB_MEMO_SETS 64     /* 2-way sets: 128 operations remembered */
#define KT_WEB_MEMO_KEY 120     /* longest method + path remembered */
#define KT_WEB_MEMO_OP 256      /* longest operation remembered */

/* A remembered operation: kt_web_normalize_op() of a method and a path without query
 * (APIs call a handful of endpoints over and over; normalizing walks every segment). */
typedef struct {
    guint64 hash;              /* of method and path, 0 = empty entry */
    guint16 mlen, plen;        /* key: method bytes then path bytes */
    guint16 oplen;
    char key[KT_WEB_MEMO_KEY + 1]; /* method, ' ', path: as in the request line */
    char op[KT_WEB_MEMO_OP];
} KtWebMemoEntry;

struct _KtWebOpMemo {
    gsize cap;                  /* bytes of an operation (truncated beyond) */
    char *buf;                  /* cap bytes: an operation not remembered */
    KtWebMemoEntry *ents;       /* 2 * KT_WEB_MEMO_SETS, allocated on first use */
};

KtWebOpMemo *
kt_web_op_memo_new(gsize cap)
{
    KtWebOpMemo *m = g_new0(KtWebOpMemo, 1);
    m->cap = cap;
    m->buf = g_malloc(MAX(cap, (gsize)1));
    return m;
}

void
kt_web_op_memo_free(KtWebOpMemo *m)
{
    if (m == NULL)
        return;
    g_free(m->ents);
    g_free(m->buf);
    g_free(m);
}

/* The first 8 bytes at @p (fewer, zero-filled, when @n < 8) as a little-endian number;
 * @avail (at least @n) bytes at @p may be read: 8 of them allow one load, masked. */
static inline guint64
memo_word(const char *p, gsize n, gsize avail)
{
    if (n >= 8)
        return kt_scan_load(p);
    if (avail >= 8)
        return kt_scan_load(p) & ((1ull << (8 * n)) - 1);
    guint64 v = 0;
    for (gsize i = 0; i < n; i++)
        v |= (guint64)(guint8)p[i] << (8 * i);
    return v;
}

/* A cheap hash of the memo key (entries are compared in full): lengths, the first
 * bytes of the method and the first and last 8 bytes of the path; @mavail and @pavail
 * bytes may be read at the method and the path (see memo_word). */
static inline guint64
memo_hash(KtStrView method, gsize mavail, const char *path, gsize plen, gsize pavail)
{
    guint64 h = (method.len * 0x9e3779b97f4a7c15ull) ^ plen;
    h = (h ^ memo_word(method.ptr, method.len, mavail)) * 0xc4ceb9fe1a85ec53ull;
    h = (h ^ memo_word(path, plen, pavail)) * 0x9e3779b97f4a7c15ull;
    if (plen > 8)
        h = (h ^ memo_word(path + plen - 8, 8, 8)) * 0xc4ceb9fe1a85ec53ull;
    return (h ^ (h >> 29)) | 1;
}

/* TRUE when entry @m holds @method and the @plen bytes at @path; @joined: the path
 * follows the method after one space in the same buffer, compared in one go. */
static inline gboolean
memo_is(const KtWebMemoEntry *m, guint64 h, KtStrView method, const char *path, gsize plen,
        gboolean joined)
{
    if (m->hash != h || m->mlen != method.len || m->plen != plen)
        return FALSE;
    if (joined)
        return kt_bytes_eq(m->key, method.ptr, method.len + 1 + plen);
    return kt_bytes_eq(m->key, method.ptr, method.len) &&
           kt_bytes_eq(m->key + method.len + 1, path, plen);
}

/* The memo entry for @h and a key: a hit, else the entry to replace (2-way). */
static inline KtWebMemoEntry *
memo_find(KtWebOpMemo *wm, guint64 h, KtStrView method, const char *path, gsize plen,
          gboolean joined, gboolean *hit)
{
    KtWebMemoEntry *set = &wm->ents[(h >> 40) % KT_WEB_MEMO_SETS * 2];
    for (int w = 0; w < 2; w++) {
        KtWebMemoEntry *m = &set[w];
        if (memo_is(m, h, method, path, plen, joined)) {
            *hit = TRUE;
            return m;
        }
    }
    *hit = FALSE;
    /* replace the way not used last: way 1 moves to way 0, the new key goes to way 1 */
    set[0] = set[1];
    return &set[1];
}

/* TRUE when the first 8 bytes of @path (fewer when shorter) hold a ':' (a scheme). */
static inline gboolean
has_scheme_colon(KtStrView path)
{
    if (path.len >= 8) {
        guint64 v;
        memcpy(&v, path.ptr, 8);
        v ^= 0x3a3a3a3a3a3a3a3aull; /* ':' bytes become zero bytes */
        return ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
    }
    for (gsize i = 0; i < path.len; i++) {
        if (path.ptr[i] == ':')
            return TRUE;
    }
    return FALSE;
}

/* The operation of @method and the @plen bytes of @path before '?' or '#', from the
 * memo or normalized and remembered; @h is memo_hash() of them, @joined as memo_is(). */
static inline KtStrView
memo_lookup(KtWebOpMemo *wm, guint64 h, KtStrView method, const char *path, gsize plen,
            gboolean joined)
{
    if (wm->ents == NULL)
        wm->ents = g_new0(KtWebMemoEntry, 2 * KT_WEB_MEMO_SETS);
    gboolean hit;
    KtWebMemoEntry *m = memo_find(wm, h, method, path, plen, joined, &hit);
    if (hit)
        return kt_sv_len(m->op, m->oplen);
    KtStrView op = kt_web_normalize_op(wm->buf, wm->cap, method, kt_sv_len(path, plen));
    if (op.len > KT_WEB_MEMO_OP)
        return op; /* too long to remember: the entry stays empty */
    m->hash = h;
    m->mlen = (guint16)method.len;
    m->plen = (guint16)plen;
    memcpy(m->key, method.ptr, method.len);
    m->key[method.len] = ' ';
    memcpy(m->key + method.len + 1, path, plen);
    m->oplen = (guint16)op.len;
    memcpy(m->op, op.ptr, op.len);
    return op;
}

KtStrView
kt_web_op_memo_get(KtWebOpMemo *wm, KtStrView method, KtStrView path, const char **qmark)
{
    const char *q = path.len > 0 ? memchr(path.ptr, '?', path.len) : NULL;
    if (qmark != NULL)
        *qmark = q;
    if (path.ptr == NULL || has_scheme_colon(path))
        return kt_web_normalize_op(wm->buf, wm->cap, method, path);
    gsize plen = q != NULL ? (gsize)(q - path.ptr) : path.len;
    const char *hash = plen > 0 ? memchr(path.ptr, '#', plen) : NULL;
    if (hash != NULL)
        plen = (gsize)(hash - path.ptr); /* the path before '?' or '#' */
    if (method.len + plen > KT_WEB_MEMO_KEY)
        return kt_web_normalize_op(wm->buf, wm->cap, method, path);
    guint64 h = memo_hash(method, method.len, path.ptr, plen, plen);
    return memo_lookup(wm, h, method, path.ptr, plen, FALSE);
}

KtStrView
kt_web_op_memo_request(KtWebOpMemo *wm, const KtWebRequest *rq)
{
    KtStrView method = rq->method, path = rq->path;
    if (has_scheme_colon(path) || method.len + rq->plen > KT_WEB_MEMO_KEY)
        return kt_web_normalize_op(wm->buf, wm->cap, method, path);
    /* method, space and path are one run of the request line: the hash may load whole
     * words across them */
    guint64 h = memo_hash(method, method.len + 1 + path.len, path.ptr, rq->plen, path.len);
    return memo_lookup(wm, h, method, path.ptr, rq->plen, TRUE);
}
