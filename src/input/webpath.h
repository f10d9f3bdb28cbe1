/*
 * webpath.h - private to the web log format (input stage): request-line splitting,
 * operation normalization (id-like path segments become "{id}"), query-string and
 * header value lookup. Everything works on views and caller buffers; nothing allocates.
 */
#ifndef KEYTRAIL_WEBPATH_H
#define KEYTRAIL_WEBPATH_H

#include "keytrail/common.h"

/* TRUE for a path segment that names one object: all digits, a UUID, hex of 8+
 * characters, or a long token mixing letters and digits ("ch_3Nx9abcDEF12"). */
gboolean kt_web_is_id_segment(const char *s, gsize n);

/* TRUE for an HTTP method token (upper-case letters, '-', '_'; 1-16 bytes). */
gboolean kt_web_is_method(KtStrView m);

/* A request line cut once for the operation memo and the query lookups. */
typedef struct {
    KtStrView method;   /* up to the first space */
    KtStrView path;     /* the second token, with its query string */
    gsize plen;         /* bytes of path before its first '?' or '#' */
    const char *qmark;  /* the first '?' in path, NULL when none */
} KtWebRequest;

/* Cuts request line "METHOD PATH [PROTO]" @r into @rq: the method (a kt_web_is_method()
 * token) before the first space, the path (with its query string) up to the next space
 * or the end, its first '?' and its length before the first '?' or '#'. Returns FALSE
 * when the line has no method and path. */
gboolean kt_web_request_cut(KtStrView r, KtWebRequest *rq);

/* Writes "METHOD /normalized/path" (query and fragment removed, scheme and host of an
 * absolute-form request removed, id-like segments as "{id}") into @buf of @cap bytes,
 * truncating; returns the view of what was written. */
KtStrView kt_web_normalize_op(char *buf, gsize cap, KtStrView method, KtStrView path);

/* The value of parameter @name (@nlen bytes) in query string @qs (with or without
 * the leading '?'); an empty view when absent. Values are returned raw (not decoded). */
KtStrView kt_web_query_param(KtStrView qs, const char *name, gsize nlen);

/* A header value used as a key or address: the first comma-separated item, trimmed,
 * without a "Bearer " scheme. Inline: web logs take the user agent through it on
 * every line. */
static inline KtStrView
kt_web_header_item(KtStrView v)
{
    if (v.len == 0)
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

/* Remembers the operations of the method and path pairs seen last (a fixed number), so
 * that an API's few endpoints are normalized once, not on every line. */
typedef struct _KtWebOpMemo KtWebOpMemo;

/* A memo for operations of at most @cap bytes (longer ones are truncated, as by
 * kt_web_normalize_op()). Cannot fail. */
KtWebOpMemo *kt_web_op_memo_new(gsize cap);
void kt_web_op_memo_free(KtWebOpMemo *memo);

/* kt_web_normalize_op(@method, @path) with the memo's cap; the view stays valid until
 * the next call. Remembered by method and path when the path has no scheme (no ':' in
 * its first 8 bytes): the operation is then a function of the method and the path
 * before '?' or '#' alone, so the query (often a key) is not part of what is kept.
 * Sets *@qmark (nullable) to the first '?' of @path, NULL when none. */
KtStrView kt_web_op_memo_get(KtWebOpMemo *memo, KtStrView method, KtStrView path,
                             const char **qmark);

/* kt_web_op_memo_get(@memo, @rq->method, @rq->path, NULL) for a request cut by
 * kt_web_request_cut(), whose method, one space and path lie in one request line. */
KtStrView kt_web_op_memo_request(KtWebOpMemo *memo, const KtWebRequest *rq);

#endif
