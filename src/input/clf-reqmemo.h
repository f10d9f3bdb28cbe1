/*
 * clf-reqmemo.h - private to the web log format (input stage): what a request line
 * yields (its operation, where its path and query are, the key in its query string),
 * remembered by the request's exact bytes, so that a request seen before costs one
 * hash and one comparison instead of splitting, normalizing and a parameter search.
 * API clients repeat the same requests (same endpoint, same key in the query) over and
 * over; a log where most requests are new turns the memo off for a while.
 */
#ifndef KEYTRAIL_CLF_REQMEMO_H
#define KEYTRAIL_CLF_REQMEMO_H

#include "keytrail/common.h"

#define KT_CLF_REQ_MAX 128  /* longest request remembered */
#define KT_CLF_REQ_OP 96    /* longest operation remembered */
#define KT_CLF_REQ_NONE 0xffff /* an offset that is not there */

/* The facts of one request; offsets are into the request's bytes. 256 bytes, starting a
 * cache line; a hit reads the 28-byte head and the request, which lie together at the
 * front (two cache lines for a request of 100 bytes); the operation after them is read
 * only by an ingest that does not have its id yet. */
typedef struct {
    guint16 rlen;       /* request bytes */
    guint8 has_op;      /* op is the operation; FALSE: the request has none */
    guint8 key_known;   /* key_off and key_len are filled */
    guint16 oplen;
    guint16 path_off, path_len; /* the path with its query; path_off NONE: no path */
    guint16 qmark_off;  /* the path's first '?', NONE when none */
    guint16 key_off, key_len; /* the key found in the query string, key_len 0: none */
    guint32 key_id, op_id; /* slots for the interned ids of that key and of the operation
                            * (KtInternHints): 0 until the ingest writes them */
    guint32 ua_id;      /* the id of the user agent last seen with the request (a guess) */
    char data[228];     /* the request (rlen bytes), then the operation (oplen bytes) */
} KtClfReqEntry;

typedef struct _KtClfReqMemo KtClfReqMemo;

/* A memo of fixed size (allocated on first use). Cannot fail. */
KtClfReqMemo *kt_clf_req_memo_new(void);
void kt_clf_req_memo_free(KtClfReqMemo *memo);

/* The entry for request @r: *@hit is TRUE when it holds @r's facts. On a miss, an
 * empty entry that kt_clf_req_memo_keep() can make @r's, or NULL when @r is not
 * remembered (too long, or the memo is resting after many misses). */
KtClfReqEntry *kt_clf_req_memo_find(KtClfReqMemo *memo, KtStrView r, gboolean *hit);

/* Makes @e, the entry a miss of @r returned, hold @r (facts cleared: the caller
 * fills them before the next find). */
void kt_clf_req_memo_keep(KtClfReqMemo *memo, KtClfReqEntry *e, KtStrView r);

/* Where the operation of @e is (after its request's bytes). */
static inline char *
kt_clf_req_entry_op(KtClfReqEntry *e)
{
    return e->data + e->rlen;
}

#endif
