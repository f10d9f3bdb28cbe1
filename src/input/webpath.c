/*
 * webpath.c - request lines, operation normalization, query parameters and header
 * values for the web log format (input stage). See webpath.h.
 */
#include "webpath.h"

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

gboolean
kt_web_is_method(KtStrView m)
{
    if (m.len == 0 || m.len > 16)
        return FALSE;
    for (gsize i = 0; i < m.len; i++) {
        if (!(g_ascii_isupper(m.ptr[i]) || m.ptr[i] == '-' || m.ptr[i] == '_'))
            return FALSE;
    }
    return TRUE;
}

gboolean
kt_web_split_request(KtStrView r, KtStrView *method, KtStrView *path)
{
    if (r.ptr == NULL || r.len == 0)
        return FALSE;
    const char *end = r.ptr + r.len;
    const char *sp = r.len > 0 ? memchr(r.ptr, ' ', r.len) : NULL;
    if (sp == NULL)
        return FALSE;
    *method = kt_sv_len(r.ptr, (gsize)(sp - r.ptr));
    const char *ps = sp + 1;
    const char *pe = memchr(ps, ' ', (gsize)(end - ps));
    *path = kt_sv_len(ps, (gsize)((pe != NULL ? pe : end) - ps));
    return kt_web_is_method(*method) && path->len > 0;
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

KtStrView
kt_web_header_item(KtStrView v)
{
    if (v.ptr == NULL)
        return v;
    const char *comma = memchr(v.ptr, ',', v.len);
    if (comma != NULL)
        v.len = (gsize)(comma - v.ptr);
    if (v.len > 7 && (v.ptr[0] | 0x20) == 'b' && g_ascii_strncasecmp(v.ptr, "Bearer ", 7) == 0) {
        v.ptr += 7;
        v.len -= 7;
    }
    while (v.len > 0 && *v.ptr == ' ') {
        v.ptr++;
        v.len--;
    }
    while (v.len > 0 && v.ptr[v.len - 1] == ' ')
        v.len--;
    return v;
}

