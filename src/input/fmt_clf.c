/*
 * fmt_clf.c - web access logs (input stage): common, combined and vhost_combined log
 * formats and custom layouts written with Apache/GoAccess-like %-specifiers. The format
 * string is compiled once into a program of literal and field steps; each line is cut
 * by that program in place (views into the line, no per-field allocation).
 * Specifiers, presets and key sources are documented in docs/formats-web-syslog.md.
 */
#include "clf-program.h"
#include "clf-reqmemo.h"
#include "linesplit.h"
#include "webpath.h"
#include "keytrail/bytes.h"

#define KT_CLF_OP_MAX 256       /* bytes of a normalized operation */
#define KT_CLF_RAW_OP_MAX 64    /* bytes of an unparsable request kept as the operation */

/* Where a mapped value (key, principal, ip, ua) comes from. */
typedef enum {
    SRC_NONE,
    SRC_USER,   /* %u */
    SRC_HOST,   /* %h */
    SRC_VHOST,  /* %v */
    SRC_IDENT,  /* %l */
    SRC_QUERY,  /* a query-string parameter of the request path */
    SRC_HEADER, /* a %{NAME}i field (first comma-separated item) */
} KtClfSourceKind;

typedef struct {
    KtClfSourceKind kind;
    guint slot;     /* KtClfParser.out[slot]: the plain field's value (SRC_NONE: the last,
                     * never set), SRC_HEADER the header's value; SRC_QUERY: unused */
    guint header;   /* SRC_HEADER: index */
    char name[64];  /* SRC_QUERY: parameter name */
    gsize name_len;
} KtClfSource;

typedef struct {
    KtClfProgram prog;
    KtClfFast fast;         /* the one-pass matcher for preset layouts (clf-match.c) */
    const char *preset;     /* static preset name, NULL for a custom format */
    gboolean auto_preset;   /* no preset given: choose combined/vhost_combined on line 1 */
    gboolean decided;       /* auto choice made */
    KtClfSource key, principal, ip, ua;
    gboolean key_default;   /* no --field key: fall back to well-known query parameters */
    const KtSink *sink;
    KtLineSplitter *ls;
    KtStrView out[KT_CLF_N_OUT + 1]; /* values of the line: fields, then headers; the
                                      * last is never set (the value of SRC_NONE) */
    guint8 clear[KT_CLF_N_OUT];     /* values a matching line may leave unset (see */
    guint n_clear;                  /* plan_clearing): reset before each line */
    KtEventView ev;                 /* fields clf never sets stay as cleared once */
    KtWebOpMemo *memo;        /* normalized operations, KT_CLF_OP_MAX - 1 bytes at most */
    KtClfReqMemo *reqmemo;    /* what each %r request yields; NULL when the format has %q */
    KtInternHints hints;      /* the id slots of the line's memo entry (entry_hints) */
    guint time_slot;          /* F_TIME, else F_ISOTIME */
} KtClfParser;

static const struct {
    const char *name, *format;
    const char *optional_after; /* the format prefix after which the rest may be missing */
} presets[] = {
    { "combined", "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"",
      "%h %l %u %t \"%r\" %>s %b" },
    { "common", "%h %l %u %t \"%r\" %>s %b", NULL },
    { "vhost_combined", "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-agent}i\"",
      "%v:%p %h %l %u %t \"%r\" %>s %O" },
};

/* ---- values ---------------------------------------------------------------------- */

/* The request path of the current line and, once looked for, its first '?'. After a
 * memo hit, path and qmark are read from the entry only when a query is looked at
 * (the key usually comes from the entry itself). */
typedef struct {
    KtStrView path;      /* with its query string; %U for a %m %U format */
    const char *qmark;   /* first '?' in path, NULL when none */
    gboolean qknown;     /* qmark was looked for */
    gboolean from_ent;   /* path and qmark are still to be read from ent */
    KtClfReqEntry *ent;  /* the %r request's memo entry (facts filled), or NULL */
    const char *req;     /* the %r request, which the entry's offsets are into */
    guint32 *key_slot;   /* ent's key id slot once the event's key is ent's key */
} KtClfReq;

/* The operation of %r request @r; fills @rq with its path. */
static KtStrView
request_op(KtClfParser *cp, KtStrView r, KtClfReq *rq)
{
    KtWebRequest wr;
    if (kt_web_request_cut(r, &wr)) {
        rq->path = wr.path;
        rq->qmark = wr.qmark;
        rq->qknown = TRUE;
        return kt_web_op_memo_request(cp->memo, &wr);
    }
    rq->path = KT_SV_NULL;
    if (r.len == 0 || kt_sv_eq(r, "-"))
        return KT_SV_NULL;
    /* kept raw, but never with a query string (it may hold a key) */
    const char *q = memchr(r.ptr, '?', r.len);
    gsize n = q != NULL ? (gsize)(q - r.ptr) : r.len;
    return kt_sv_len(r.ptr, MIN(n, (gsize)KT_CLF_RAW_OP_MAX));
}

/* request_op() through the request memo: a hit gives what request_op() gave for the
 * same bytes (the operation, the path and its '?' as offsets); a miss remembers it. */
static KtStrView
request_op_memo(KtClfParser *cp, KtStrView r, KtClfReq *rq)
{
    gboolean hit;
    KtClfReqEntry *e = kt_clf_req_memo_find(cp->reqmemo, r, &hit);
    rq->req = r.ptr;
    if (hit) {
        rq->ent = e;
        rq->from_ent = TRUE;
        return e->has_op ? kt_sv_len(kt_clf_req_entry_op(e), e->oplen) : KT_SV_NULL;
    }
    KtStrView op = request_op(cp, r, rq);
    if (e == NULL || op.len > KT_CLF_REQ_OP)
        return op; /* not remembered (a new entry stays empty) */
    kt_clf_req_memo_keep(cp->reqmemo, e, r);
    e->has_op = op.ptr != NULL;
    e->oplen = (guint16)op.len;
    if (op.len > 0)
        memcpy(kt_clf_req_entry_op(e), op.ptr, op.len);
    if (rq->path.ptr != NULL) {
        e->path_off = (guint16)(rq->path.ptr - r.ptr);
        e->path_len = (guint16)rq->path.len;
    }
    if (rq->qknown && rq->qmark != NULL)
        e->qmark_off = (guint16)(rq->qmark - r.ptr);
    rq->ent = e;
    return op;
}

/* The operation of the current line; fills @rq with its path. */
static KtStrView
build_op(KtClfParser *cp, KtClfReq *rq)
{
    KtStrView r = cp->out[F_REQUEST];
    if (r.ptr != NULL)
        return cp->reqmemo != NULL ? request_op_memo(cp, r, rq) : request_op(cp, r, rq);
    KtStrView method = cp->out[F_METHOD], path = cp->out[F_PATH];
    if (!kt_web_is_method(method) || path.len == 0) {
        rq->path = path;
        return KT_SV_NULL;
    }
    rq->path = path;
    rq->qknown = TRUE;
    return kt_web_op_memo_get(cp->memo, method, path, &rq->qmark);
}

/* The path and '?' a memo hit remembered, as request_op() found them. */
static void
req_from_entry(KtClfReq *rq)
{
    const KtClfReqEntry *e = rq->ent;
    rq->path = e->path_off == KT_CLF_REQ_NONE ? KT_SV_NULL
                                               : kt_sv_len(rq->req + e->path_off, e->path_len);
    rq->qmark = e->qmark_off == KT_CLF_REQ_NONE ? NULL : rq->req + e->qmark_off;
    rq->qknown = TRUE;
    rq->from_ent = FALSE;
}

/* The query string of the request path, else %q. */
static KtStrView
query_of(const KtClfParser *cp, KtClfReq *rq)
{
    if (rq->from_ent)
        req_from_entry(rq);
    KtStrView path = rq->path;
    if (!rq->qknown) {
        rq->qmark = path.len > 0 ? memchr(path.ptr, '?', path.len) : NULL;
        rq->qknown = TRUE;
    }
    if (rq->qmark != NULL)
        return kt_sv_len(rq->qmark, (gsize)(path.ptr + path.len - rq->qmark));
    return cp->out[F_QUERY];
}

/* Without --field key and with no remote user: the first well-known API key query
 * parameter of the request (api_key, apikey, api-key, key, access_token, token). */
static KtStrView
key_from_query(KtClfParser *cp, KtClfReq *rq)
{
    static const char *const names[] = { "api_key", "apikey", "api-key",
                                         "key",     "access_token", "token" };
    KtStrView q = query_of(cp, rq);
    if (q.len == 0)
        return KT_SV_NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        KtStrView v = kt_web_query_param(q, names[i], strlen(names[i]));
        if (v.len > 0 && !kt_sv_eq(v, "-"))
            return v;
    }
    return KT_SV_NULL;
}

/* The key memo entry @e remembered for the request (its key_known set); the event's key
 * is then the entry's, so its id slot is offered (entry_hints). */
static inline KtStrView
entry_key(KtClfReq *rq, KtClfReqEntry *e)
{
    rq->key_slot = &e->key_id;
    return e->key_len > 0 ? kt_sv_len(rq->req + e->key_off, e->key_len) : KT_SV_NULL;
}

/* The key found in the query string: the --field key=query:NAME parameter, or (without
 * --field key) key_from_query(). With a request memo entry it is looked for once per
 * distinct request and kept as an offset into the request's bytes. */
static KtStrView
key_in_query(KtClfParser *cp, KtClfReq *rq)
{
    KtClfReqEntry *e = rq->ent;
    if (e != NULL && e->key_known)
        return entry_key(rq, e);
    if (e != NULL)
        rq->key_slot = &e->key_id;
    KtStrView v = cp->key.kind == SRC_QUERY
                      ? kt_web_query_param(query_of(cp, rq), cp->key.name, cp->key.name_len)
                      : key_from_query(cp, rq);
    if (e != NULL) {
        e->key_known = TRUE;
        e->key_off = v.len > 0 ? (guint16)(v.ptr - rq->req) : 0;
        e->key_len = (guint16)v.len;
    }
    return v.len > 0 ? v : KT_SV_NULL;
}

/* An empty value or "-" (none) as KT_SV_NULL. */
static inline KtStrView
value_or_null(KtStrView v)
{
    return v.len == 0 || (v.len == 1 && v.ptr[0] == '-') ? KT_SV_NULL : v;
}

/* The value of a query-string source (see resolve); the key a memo hit remembered is
 * read here, inline, the common case. */
static inline KtStrView
query_source(KtClfParser *cp, const KtClfSource *src, KtClfReq *rq)
{
    KtClfReqEntry *e = rq->ent;
    if (src != &cp->key)
        return kt_web_query_param(query_of(cp, rq), src->name, src->name_len);
    if (e != NULL && e->key_known)
        return entry_key(rq, e);
    return key_in_query(cp, rq);
}

/* The value of @src on the current line, KT_SV_NULL for an empty one or "-". Always
 * inlined into emit_event() (four times), whatever the compiler's size estimate:
 * called, it cost ~25 instructions a call. */
static KT_INLINE KtStrView
resolve(KtClfParser *cp, const KtClfSource *src, KtClfReq *rq)
{
    KtStrView v = cp->out[src->slot];
    if (src->kind == SRC_HEADER)
        v = kt_web_header_item(v);
    else if (src->kind == SRC_QUERY)
        v = query_source(cp, src, rq);
    return value_or_null(v);
}

/*
 * The id slots of the line's request memo entry (see KtInternHints), NULL without an
 * entry. Why: the ingest then skips hashing and finding the key and the operation (most
 * lines' requests are memo hits). What keeps the ids right: a slot is offered only for
 * a value that is a function of the entry's bytes: the operation whenever the line has
 * the entry, the key only when it was read from the entry (query_source, key_in_query:
 * not a key from %u or a header); the memo clears the slots when it gives the entry to
 * another request. The user agent is not a function of the request, so its slot only
 * guesses (see KtInternHints). The parser feeds one ingest, so one dictionary (KtInternHints.dict
 * checks it).
 */
static inline KtInternHints *
entry_hints(KtClfParser *cp, const KtClfReq *rq)
{
    if (rq->ent == NULL)
        return NULL;
    cp->hints.key = rq->key_slot;
    cp->hints.op = &rq->ent->op_id;
    cp->hints.ua = &rq->ent->ua_id; /* a guess, verified by the dictionary */
    return &cp->hints;
}


static void
emit_event(KtClfParser *cp, guint64 lineno)
{
    /* every field set here is set on every line; the others keep kt_event_view_clear()'s
     * values from clf_new (a per-line clear of the whole view cost more than the rest) */
    KtEventView *ev = &cp->ev;
    KtClfReq rq = { KT_SV_NULL, NULL, FALSE, FALSE, NULL, NULL, NULL };
    ev->op = build_op(cp, &rq);
    ev->key = resolve(cp, &cp->key, &rq);
    if (ev->key.len == 0 && cp->key_default)
        ev->key = key_in_query(cp, &rq);
    ev->principal = resolve(cp, &cp->principal, &rq);
    ev->source = resolve(cp, &cp->ip, &rq);
    ev->ua = resolve(cp, &cp->ua, &rq);
    ev->time_text = cp->out[cp->time_slot];
    ev->status = cp->out[F_STATUS];
    if (ev->status.len == 1 && ev->status.ptr[0] == '-')
        ev->status = KT_SV_NULL;
    ev->bytes = kt_sv_parse_count(cp->out[F_BYTES]);
    ev->hints = entry_hints(cp, &rq);
    cp->sink->event(cp->sink->ud, ev, lineno);
}

/* ---- set-up ---------------------------------------------------------------------- */

/*
 * Which values to reset before each line. A line that matches runs every step before
 * optional_from, so the values those steps write are always rewritten, and values no
 * step writes stay empty: only the values of optional steps and the query cut from a
 * "%U%q" path are reset (the same views as clearing them all, for a fraction of it).
 */
static void
plan_clearing(KtClfParser *cp)
{
    const KtClfProgram *pg = &cp->prog;
    gboolean always[KT_CLF_N_OUT] = { FALSE }, written[KT_CLF_N_OUT] = { FALSE };
    for (guint i = 0; i < pg->n_steps; i++) {
        const KtClfStep *st = &pg->steps[i];
        if (st->kind != STEP_FIELD)
            continue;
        written[st->slot] = TRUE;
        if (st->field == F_PATH && st->arg == 1)
            written[F_QUERY] = TRUE; /* sometimes: when the path has a '?' */
        if (i < pg->optional_from)
            always[st->slot] = TRUE;
    }
    cp->n_clear = 0;
    for (guint k = 0; k < KT_CLF_N_OUT; k++) {
        if (written[k] && !always[k])
            cp->clear[cp->n_clear++] = (guint8)k;
    }
    memset(cp->out, 0, sizeof(cp->out));
    cp->time_slot = pg->has[F_TIME] ? F_TIME : F_ISOTIME;
    kt_clf_fast_plan(&cp->fast, pg);
}

/* Compiles preset @i, with the combined extras optional after its common prefix. */
static gboolean
compile_preset(KtClfParser *cp, gsize i, GError **error)
{
    if (!kt_clf_compile(&cp->prog, presets[i].format, error))
        return FALSE;
    cp->preset = presets[i].name;
    if (presets[i].optional_after != NULL) {
        KtClfProgram prefix;
        if (!kt_clf_compile(&prefix, presets[i].optional_after, error))
            return FALSE;
        cp->prog.optional_from = prefix.n_steps;
    }
    plan_clearing(cp);
    return TRUE;
}

static gint
find_header(const KtClfProgram *pg, const char *name, gsize n)
{
    for (guint i = 0; i < pg->n_headers; i++) {
        if (strlen(pg->headers[i]) == n && g_ascii_strncasecmp(pg->headers[i], name, n) == 0)
            return (gint)i;
    }
    return -1;
}

/* Parses a --field source for this format: user, host, vhost, ident, query:NAME,
 * header:NAME. */
static gboolean
parse_source(const KtClfProgram *pg, const char *field, const char *s, KtClfSource *out,
             GError **error)
{
    memset(out, 0, sizeof(*out));
    static const struct {
        const char *name;
        KtClfSourceKind kind;
    } simple[] = {
        { "user", SRC_USER }, { "host", SRC_HOST },   { "ip", SRC_HOST },
        { "client", SRC_HOST }, { "vhost", SRC_VHOST }, { "ident", SRC_IDENT },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(simple); i++) {
        if (g_ascii_strcasecmp(s, simple[i].name) == 0) {
            out->kind = simple[i].kind;
            return TRUE;
        }
    }
    const char *arg = NULL;
    if (g_ascii_strncasecmp(s, "query:", 6) == 0) {
        out->kind = SRC_QUERY;
        arg = s + 6;
    } else if (g_ascii_strncasecmp(s, "header:", 7) == 0) {
        out->kind = SRC_HEADER;
        arg = s + 7;
    }
    gsize n = arg != NULL ? strlen(arg) : 0;
    if (arg == NULL || n == 0 || n >= sizeof(out->name)) {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "--field %s=%s: web logs take user, host, vhost, ident, query:NAME or "
                    "header:NAME",
                    field, s);
        return FALSE;
    }
    memcpy(out->name, arg, n);
    out->name_len = n;
    if (out->kind == SRC_HEADER) {
        gint h = find_header(pg, arg, n);
        if (h < 0) {
            g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                        "--field %s=%s: the log format has no %%{%s}i field; give one with "
                        "--log-format",
                        field, s, arg);
            return FALSE;
        }
        out->header = (guint)h;
    }
    return TRUE;
}

/* Where resolve() reads @src: the field's or the header's value slot; the slot never
 * set for SRC_NONE and SRC_QUERY (computed from the request). */
static guint
source_slot(const KtClfSource *src)
{
    switch (src->kind) {
    case SRC_USER:
        return F_USER;
    case SRC_HOST:
        return F_HOST;
    case SRC_VHOST:
        return F_VHOST;
    case SRC_IDENT:
        return F_IDENT;
    case SRC_HEADER:
        return F_NFIELDS + src->header;
    default:
        return KT_CLF_N_OUT;
    }
}

/* Default mapping, then --field overrides (key, principal, ip, ua). */
static gboolean
setup_sources(KtClfParser *cp, const KtFormatOptions *opts, GError **error)
{
    cp->key.kind = SRC_USER;
    cp->key_default = TRUE;
    cp->ip.kind = SRC_HOST;
    gint ua = find_header(&cp->prog, "User-agent", 10);
    if (ua >= 0) {
        cp->ua.kind = SRC_HEADER;
        cp->ua.header = (guint)ua;
    }
    for (guint i = 0; opts->fields != NULL && i < opts->fields->len; i++) {
        const KtFieldOverride *fo = g_ptr_array_index(opts->fields, i);
        KtClfSource *dst = NULL;
        if (g_strcmp0(fo->name, "key") == 0) {
            dst = &cp->key;
            cp->key_default = FALSE;
        }
        else if (g_strcmp0(fo->name, "principal") == 0)
            dst = &cp->principal;
        else if (g_strcmp0(fo->name, "ip") == 0)
            dst = &cp->ip;
        else if (g_strcmp0(fo->name, "ua") == 0)
            dst = &cp->ua;
        if (dst == NULL) {
            g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                        "--field %s: web logs map only key, principal, ip and ua (time, op, "
                        "status and bytes come from the log format)",
                        fo->name);
            return FALSE;
        }
        if (!parse_source(&cp->prog, fo->name, fo->source, dst, error))
            return FALSE;
    }
    /* The remote user is the principal when the key comes from somewhere else. */
    if (cp->key.kind != SRC_USER && cp->principal.kind == SRC_NONE && cp->prog.has[F_USER])
        cp->principal.kind = SRC_USER;
    KtClfSource *all[] = { &cp->key, &cp->principal, &cp->ip, &cp->ua };
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
        all[i]->slot = source_slot(all[i]);
    return TRUE;
}

/* On the first line of an input without a preset: "vhost:port host ..." lines (four
 * fields before '[') are vhost_combined; everything else stays combined. */
static void
decide_preset(KtClfParser *cp, const char *line, gsize len)
{
    cp->decided = TRUE;
    const char *br = memchr(line, '[', MIN(len, (gsize)512));
    if (br == NULL)
        return;
    int spaces = 0;
    for (const char *p = line; p < br; p++)
        spaces += *p == ' ';
    const char *colon = memchr(line, ':', (gsize)(br - line));
    const char *sp = memchr(line, ' ', (gsize)(br - line));
    if (spaces == 4 && colon != NULL && sp != NULL && colon < sp)
        compile_preset(cp, 2, NULL); /* cannot fail: a built-in format */
}

static gboolean
line_is_blank(const char *line, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if (line[i] != ' ' && line[i] != '\t')
            return FALSE;
    }
    return TRUE;
}

/* Resets the values a matching line may leave unset (see plan_clearing). */
static inline void
clear_values(KtClfParser *cp)
{
    for (guint i = 0; i < cp->n_clear; i++)
        cp->out[cp->clear[i]] = KT_SV_NULL;
}

/* The general program for a line the fast matcher did not take; TRUE when it matches,
 * else the line is rejected here. */
static gboolean
run_program(KtClfParser *cp, const char *line, gsize len, guint64 lineno, KtStrView excerpt)
{
    clear_values(cp);
    KtClfMatch m = kt_clf_run(&cp->prog, line, line + len, cp->out);
    if (m == MATCH_OK)
        return TRUE;
    gboolean eof = kt_line_splitter_at_eof(cp->ls);
    const char *detail = m == MATCH_UNCLOSED ? "no closing quote" : "does not match the log format";
    cp->sink->reject(cp->sink->ud, lineno, eof ? KT_REJECT_TRUNCATED : KT_REJECT_MALFORMED,
                     detail, excerpt);
    return FALSE;
}

static void
on_line(gpointer ud, const char *line, gsize len, guint64 lineno)
{
    KtClfParser *cp = ud;
    const KtSink *sink = cp->sink;
    if ((len == 0 || line[0] == ' ' || line[0] == '\t') && line_is_blank(line, len)) {
        sink->skip(sink->ud, lineno);
        return;
    }
    KtStrView excerpt = kt_sv_len(line, MIN(len, (gsize)80));
    if (kt_line_splitter_line_has(cp->ls, line, len, '\0')) {
        sink->reject(sink->ud, lineno, KT_REJECT_BINARY, "NUL bytes in the line", excerpt);
        return;
    }
    if (cp->auto_preset && !cp->decided)
        decide_preset(cp, line, len);
    /* the fast matcher resets the values of optional steps itself (the tail's) */
    if (!(cp->fast.on && kt_clf_fast_run(&cp->fast, line, line + len, cp->out)) &&
        !run_program(cp, line, len, lineno, excerpt))
        return;
    emit_event(cp, lineno);
}

static gpointer
clf_new(const KtFormatOptions *opts, const KtSink *sink, GError **error)
{
    g_autofree KtClfParser *cp = g_new0(KtClfParser, 1);
    cp->sink = sink;
    kt_event_view_clear(&cp->ev);
    if (opts->log_format != NULL && *opts->log_format != '\0') {
        gsize i = 0;
        while (i < G_N_ELEMENTS(presets) && g_ascii_strcasecmp(opts->log_format, presets[i].name))
            i++;
        if (i < G_N_ELEMENTS(presets) ? !compile_preset(cp, i, error)
                                      : !kt_clf_compile(&cp->prog, opts->log_format, error))
            return NULL;
        plan_clearing(cp);
    } else if (opts->preset != NULL && *opts->preset != '\0') {
        gsize i = 0;
        while (i < G_N_ELEMENTS(presets) && g_ascii_strcasecmp(opts->preset, presets[i].name))
            i++;
        if (i == G_N_ELEMENTS(presets)) {
            g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                        "unknown web log preset '%s'; use combined, common, vhost_combined "
                        "or --log-format",
                        opts->preset);
            return NULL;
        }
        if (!compile_preset(cp, i, error))
            return NULL;
    } else {
        if (!compile_preset(cp, 0, error))
            return NULL;
        cp->auto_preset = TRUE;
    }
    if (!setup_sources(cp, opts, error))
        return NULL;
    cp->memo = kt_web_op_memo_new(KT_CLF_OP_MAX - 1);
    /* a %q field is not part of the request's bytes: what the query holds would not
     * be a function of them */
    if (!cp->prog.has[F_QUERY])
        cp->reqmemo = kt_clf_req_memo_new();
    cp->ls = kt_line_splitter_new(opts->max_line, on_line, sink, cp);
    return g_steal_pointer(&cp);
}

static void
clf_feed(gpointer parser, const char *buf, gsize len)
{
    KtClfParser *cp = parser;
    kt_line_splitter_feed(cp->ls, buf, len);
}

static void
clf_finish(gpointer parser)
{
    KtClfParser *cp = parser;
    kt_line_splitter_finish(cp->ls);
}

static void
clf_free(gpointer parser)
{
    KtClfParser *cp = parser;
    if (cp == NULL)
        return;
    kt_line_splitter_free(cp->ls);
    kt_web_op_memo_free(cp->memo);
    kt_clf_req_memo_free(cp->reqmemo);
    g_free(cp);
}

static const char *
clf_preset_name(gpointer parser)
{
    const KtClfParser *cp = parser;
    return cp->preset != NULL ? cp->preset : "custom";
}

/* Skips a run of non-space bytes and one space; NULL at the end. */
static const char *
skip_token(const char *p, const char *end)
{
    while (p < end && *p != ' ')
        p++;
    return p < end ? p + 1 : NULL;
}

/* "[dd/Mon/yyyy:hh:mm:ss +zzzz] \"" at @p. */
static gboolean
looks_like_clf_time(const char *p, const char *end)
{
    static const char shape[] = "[00/Aaa/0000:00:00:00 +0000] \"";
    gsize n = sizeof(shape) - 1;
    if ((gsize)(end - p) < n)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        char s = shape[i], c = p[i];
        gboolean ok = s == '0'   ? g_ascii_isdigit(c)
                      : s == 'A' ? g_ascii_isalpha(c)
                      : s == 'a' ? g_ascii_isalpha(c)
                      : s == '+' ? (c == '+' || c == '-')
                                 : c == s;
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static int
clf_sniff(const char *buf, gsize len)
{
    const char *end = buf + MIN(len, (gsize)8192);
    const char *nl = memchr(buf, '\n', (gsize)(end - buf));
    if (nl != NULL)
        end = nl;
    const char *p = buf;
    for (int tokens = 0; tokens < 4 && p != NULL; tokens++) {
        p = skip_token(p, end);
        if (p != NULL && tokens >= 2 && looks_like_clf_time(p, end))
            return tokens == 2 ? 90 : 85;
    }
    return 0;
}

static void
clf_describe(GString *out)
{
    g_string_append(out, "  presets (--preset or --log-format NAME):\n");
    for (gsize i = 0; i < G_N_ELEMENTS(presets); i++)
        g_string_append_printf(out, "    %-15s %s\n", presets[i].name, presets[i].format);
    g_string_append(out,
                    "  specifiers: %h client IP, %l ident, %u remote user, %t [CLF time],\n"
                    "    %x ISO 8601 time, %r request line, %m method, %U path, %q query,\n"
                    "    %H protocol, %s/%>s status, %b/%B/%O bytes, %v vhost,\n"
                    "    %{NAME}i request header, %^ %D %T %p and others: skipped\n"
                    "  mapping: key = %u (- = none), principal = %u when the key comes from\n"
                    "    elsewhere, ip = %h, op = METHOD + normalized path, status = %s,\n"
                    "    bytes = %b, ua = %{User-agent}i\n"
                    "  --field key|principal|ip|ua=SOURCE: user, host, vhost, ident,\n"
                    "    query:NAME (request parameter), header:NAME (a %{NAME}i field)\n");
}

const KtFormatOps kt_format_clf = {
    .name = "clf",
    .summary = "web access logs: common, combined, vhost_combined or --log-format",
    .sniff = clf_sniff,
    .new = clf_new,
    .feed = clf_feed,
    .finish = clf_finish,
    .free = clf_free,
    .describe = clf_describe,
    .preset_name = clf_preset_name,
};
