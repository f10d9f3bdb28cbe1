/*
 * fmt_syslog.c - RFC 5424 syslog lines with structured data (input stage), with an
 * optional RFC 6587 octet-count prefix. Fields come from the header (host, app, procid,
 * msgid, timestamp), from SD parameters ("SDID.param") or from the message. The
 * conjur-audit preset maps CyberArk Conjur's audit events (docs/formats-web-syslog.md).
 */
#include "keytrail/format.h"

#define KT_SL_NAME_MAX 64   /* bytes of an SD-ID or parameter name in a source */
#define KT_SL_VALUE_MAX 512 /* unescaped SD value buffer; longer values stay raw */

/* Where a mapped value comes from. */
typedef enum {
    SRC_NONE,
    SRC_SD,     /* an SD parameter */
    SRC_MSG,    /* the free-form message */
    SRC_APP,    /* APP-NAME */
    SRC_HOST,   /* HOSTNAME */
    SRC_MSGID,  /* MSGID */
    SRC_PROCID, /* PROCID */
    SRC_TIME,   /* TIMESTAMP */
} KtSlSourceKind;

typedef struct {
    KtSlSourceKind kind;
    char sdid[KT_SL_NAME_MAX];
    gsize sdid_len;
    char param[KT_SL_NAME_MAX];
    gsize param_len;
} KtSlSource;

/* Event fields a source can fill; *_ALT are fallbacks used when the first is absent. */
typedef enum {
    T_KEY, T_KEY_ALT, T_PRINCIPAL, T_PRINCIPAL_ALT, T_IP, T_OP, T_OP_ALT, T_STATUS, T_UA,
    T_TIME, T_BYTES, T_COUNT
} KtSlTarget;

/* The header fields of one line. */
typedef struct {
    KtStrView time, host, app, procid, msgid, msg;
} KtSlHeader;

typedef struct {
    KtSlSource src[T_COUNT];
    gboolean conjur;        /* conjur-audit: "failure" results are denied */
    const char *preset;     /* static name */
    gboolean auto_preset;   /* choose conjur-audit or generic on the first event line */
    gboolean decided;
    const KtSink *sink;
    KtLineSplitter *ls;
    KtStrView val[T_COUNT];                 /* per line */
    char buf[T_COUNT][KT_SL_VALUE_MAX];     /* unescaped SD values */
} KtSlParser;

typedef enum { SL_OK, SL_BAD, SL_UNCLOSED } KtSlResult;

/* ---- sources --------------------------------------------------------------------- */

/* Parses "msg", "app", "host", "msgid", "procid", "timestamp" or "SDID.param". */
static gboolean
parse_source(const char *field, const char *s, KtSlSource *out, GError **error)
{
    static const struct {
        const char *name;
        KtSlSourceKind kind;
    } simple[] = {
        { "msg", SRC_MSG },     { "message", SRC_MSG }, { "app", SRC_APP },
        { "host", SRC_HOST },   { "hostname", SRC_HOST }, { "msgid", SRC_MSGID },
        { "procid", SRC_PROCID }, { "timestamp", SRC_TIME }, { "time", SRC_TIME },
    };
    memset(out, 0, sizeof(*out));
    for (gsize i = 0; i < G_N_ELEMENTS(simple); i++) {
        if (g_ascii_strcasecmp(s, simple[i].name) == 0) {
            out->kind = simple[i].kind;
            return TRUE;
        }
    }
    const char *dot = strrchr(s, '.');
    gsize il = dot != NULL ? (gsize)(dot - s) : 0;
    gsize pl = dot != NULL ? strlen(dot + 1) : 0;
    if (dot == NULL || il == 0 || pl == 0 || il >= KT_SL_NAME_MAX || pl >= KT_SL_NAME_MAX) {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "--field %s=%s: syslog takes SDID.param (e.g. action@43868.result), msg, "
                    "app, host, msgid, procid or timestamp",
                    field, s);
        return FALSE;
    }
    out->kind = SRC_SD;
    memcpy(out->sdid, s, il);
    out->sdid_len = il;
    memcpy(out->param, dot + 1, pl);
    out->param_len = pl;
    return TRUE;
}

/* Sets a built-in source; cannot fail. */
static void
builtin(KtSlParser *sp, KtSlTarget t, const char *source)
{
    gboolean ok = parse_source("", source, &sp->src[t], NULL);
    g_assert(ok);
}

/* conjur-audit: key and principal = auth@43868 user, else subject@43868 role; ip =
 * client@43868 ip; op = action@43868 operation, else MSGID; status = action@43868
 * result. Based on cyberark/conjur docs/audit.md and its cucumber audit features. */
static void
use_conjur(KtSlParser *sp)
{
    builtin(sp, T_KEY, "auth@43868.user");
    builtin(sp, T_KEY_ALT, "subject@43868.role");
    builtin(sp, T_PRINCIPAL, "auth@43868.user");
    builtin(sp, T_PRINCIPAL_ALT, "subject@43868.role");
    builtin(sp, T_IP, "client@43868.ip");
    builtin(sp, T_OP, "action@43868.operation");
    builtin(sp, T_OP_ALT, "msgid");
    builtin(sp, T_STATUS, "action@43868.result");
    builtin(sp, T_TIME, "timestamp");
    sp->conjur = TRUE;
    sp->preset = "conjur-audit";
}

/* generic: time = TIMESTAMP, op = MSGID; the key must be given with --field. */
static void
use_generic(KtSlParser *sp)
{
    builtin(sp, T_OP, "msgid");
    builtin(sp, T_TIME, "timestamp");
    sp->conjur = FALSE;
    sp->preset = "generic";
}

static gboolean
apply_overrides(KtSlParser *sp, GPtrArray *fields, GError **error)
{
    static const struct {
        const char *name;
        KtSlTarget t, alt;
    } names[] = {
        { "key", T_KEY, T_KEY_ALT },     { "principal", T_PRINCIPAL, T_PRINCIPAL_ALT },
        { "ip", T_IP, T_IP },            { "op", T_OP, T_OP_ALT },
        { "status", T_STATUS, T_STATUS }, { "ua", T_UA, T_UA },
        { "time", T_TIME, T_TIME },      { "bytes", T_BYTES, T_BYTES },
    };
    for (guint i = 0; fields != NULL && i < fields->len; i++) {
        const KtFieldOverride *fo = g_ptr_array_index(fields, i);
        gsize j = 0;
        while (j < G_N_ELEMENTS(names) && g_strcmp0(fo->name, names[j].name) != 0)
            j++;
        if (j == G_N_ELEMENTS(names)) {
            g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                        "--field %s: syslog maps key, principal, ip, op, status, ua, time "
                        "and bytes",
                        fo->name);
            return FALSE;
        }
        if (!parse_source(fo->name, fo->source, &sp->src[names[j].t], error))
            return FALSE;
        if (names[j].alt != names[j].t)
            sp->src[names[j].alt].kind = SRC_NONE; /* an override replaces the fallback */
    }
    return TRUE;
}

/* ---- line parsing ---------------------------------------------------------------- */

/* Cuts one space-terminated header token at *@pp. */
static gboolean
cut_token(const char **pp, const char *end, KtStrView *out)
{
    const char *p = *pp;
    const char *sp = memchr(p, ' ', (gsize)(end - p));
    if (sp == NULL || sp == p)
        return FALSE;
    *out = kt_sv_len(p, (gsize)(sp - p));
    *pp = sp + 1;
    return TRUE;
}

/* "<PRI>VERSION " after an optional octet count; returns the rest or NULL. */
static const char *
parse_pri(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && q - p < 10 && g_ascii_isdigit(*q))
        q++;
    if (q > p && q < end && *q == ' ')
        p = q + 1; /* RFC 6587 octet counting */
    if (p >= end || *p != '<')
        return NULL;
    int pri = 0, n = 0;
    for (p++; p < end && g_ascii_isdigit(*p) && n < 4; p++, n++)
        pri = pri * 10 + (*p - '0');
    if (n == 0 || n > 3 || pri > 191 || p >= end || *p != '>')
        return NULL;
    p++;
    n = 0;
    for (; p < end && g_ascii_isdigit(*p) && n < 3; p++, n++) {
    }
    if (n == 0 || n > 2 || p >= end || *p != ' ' || p[-n] == '0')
        return NULL;
    return p + 1;
}

static gboolean
sv_is_nil(KtStrView v)
{
    return v.len == 1 && v.ptr[0] == '-';
}

/* Stores an SD value for target @t: unescaped into the target's buffer when it holds
 * escapes and fits, else the raw view. */
static void
store_value(KtSlParser *sp, KtSlTarget t, const char *v, gsize n)
{
    if (memchr(v, '\\', n) == NULL || n > KT_SL_VALUE_MAX) {
        sp->val[t] = kt_sv_len(v, n);
        return;
    }
    char *o = sp->buf[t];
    gsize k = 0;
    for (gsize i = 0; i < n; i++) {
        if (v[i] == '\\' && i + 1 < n && (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == ']'))
            i++;
        o[k++] = v[i];
    }
    sp->val[t] = kt_sv_len(o, k);
}

/* Offers one SD parameter to every target that wants it (first occurrence wins). */
static void
offer_param(KtSlParser *sp, KtStrView id, KtStrView name, const char *v, gsize n)
{
    for (int t = 0; t < T_COUNT; t++) {
        const KtSlSource *s = &sp->src[t];
        if (s->kind != SRC_SD || sp->val[t].ptr != NULL || s->param_len != name.len ||
            s->sdid_len != id.len || memcmp(s->param, name.ptr, name.len) != 0 ||
            memcmp(s->sdid, id.ptr, id.len) != 0)
            continue;
        store_value(sp, (KtSlTarget)t, v, n);
    }
}

/* Finds the closing unescaped '"' of a PARAM-VALUE. */
static const char *
value_end(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        else if (*p == '"')
            return p;
    }
    return NULL;
}

/* Parses one SD-ELEMENT "[id k="v" ...]" at *@pp. */
static KtSlResult
parse_element(KtSlParser *sp, const char **pp, const char *end)
{
    const char *p = *pp + 1; /* after '[' */
    const char *id0 = p;
    while (p < end && *p != ' ' && *p != ']' && *p != '"' && *p != '=')
        p++;
    if (p == id0 || p >= end)
        return p >= end ? SL_UNCLOSED : SL_BAD;
    KtStrView id = kt_sv_len(id0, (gsize)(p - id0));
    while (p < end && *p == ' ') {
        p++;
        const char *n0 = p;
        while (p < end && *p != '=' && *p != ' ' && *p != ']' && *p != '"')
            p++;
        if (p == n0 || p + 1 >= end || *p != '=' || p[1] != '"')
            return p + 1 >= end ? SL_UNCLOSED : SL_BAD;
        KtStrView name = kt_sv_len(n0, (gsize)(p - n0));
        const char *v0 = p + 2;
        const char *ve = value_end(v0, end);
        if (ve == NULL)
            return SL_UNCLOSED;
        offer_param(sp, id, name, v0, (gsize)(ve - v0));
        p = ve + 1;
    }
    if (p >= end)
        return SL_UNCLOSED;
    if (*p != ']')
        return SL_BAD;
    *pp = p + 1;
    return SL_OK;
}

/* Parses STRUCTURED-DATA and the message after it. */
static KtSlResult
parse_sd(KtSlParser *sp, const char *p, const char *end, KtStrView *msg)
{
    *msg = KT_SV_NULL;
    if (p < end && *p == '-') {
        p++;
    } else {
        if (p >= end || *p != '[')
            return SL_BAD;
        while (p < end && *p == '[') {
            KtSlResult r = parse_element(sp, &p, end);
            if (r != SL_OK)
                return r;
        }
    }
    if (p == end)
        return SL_OK;
    if (*p != ' ')
        return SL_BAD;
    p++;
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* BOM before a UTF-8 MSG */
    *msg = kt_sv_len(p, (gsize)(end - p));
    return SL_OK;
}

static KtSlResult
parse_line(KtSlParser *sp, const char *line, gsize len, KtSlHeader *h)
{
    const char *end = line + len;
    const char *p = parse_pri(line, end);
    if (p == NULL)
        return SL_BAD;
    if (!cut_token(&p, end, &h->time) || !cut_token(&p, end, &h->host) ||
        !cut_token(&p, end, &h->app) || !cut_token(&p, end, &h->procid) ||
        !cut_token(&p, end, &h->msgid))
        return SL_BAD;
    return parse_sd(sp, p, end, &h->msg);
}

/* ---- events ---------------------------------------------------------------------- */

static KtStrView
header_value(const KtSlHeader *h, KtSlSourceKind kind)
{
    switch (kind) {
    case SRC_MSG:
        return h->msg;
    case SRC_APP:
        return h->app;
    case SRC_HOST:
        return h->host;
    case SRC_MSGID:
        return h->msgid;
    case SRC_PROCID:
        return h->procid;
    case SRC_TIME:
        return h->time;
    case SRC_NONE:
    case SRC_SD:
        break;
    }
    return KT_SV_NULL;
}

/* The value of target @t, else of @alt; NILVALUE and empty mean absent. */
static KtStrView
value(const KtSlParser *sp, const KtSlHeader *h, KtSlTarget t, KtSlTarget alt)
{
    KtSlTarget order[2] = { t, alt };
    for (int i = 0; i < (t == alt ? 1 : 2); i++) {
        KtSlTarget x = order[i];
        KtStrView v = sp->src[x].kind == SRC_SD ? sp->val[x] : header_value(h, sp->src[x].kind);
        if (v.len > 0 && !sv_is_nil(v))
            return v;
    }
    return KT_SV_NULL;
}


static void
emit_event(KtSlParser *sp, const KtSlHeader *h, guint64 lineno)
{
    KtEventView ev;
    kt_event_view_clear(&ev);
    ev.key = value(sp, h, T_KEY, T_KEY_ALT);
    ev.principal = value(sp, h, T_PRINCIPAL, T_PRINCIPAL_ALT);
    ev.source = value(sp, h, T_IP, T_IP);
    ev.op = value(sp, h, T_OP, T_OP_ALT);
    ev.status = value(sp, h, T_STATUS, T_STATUS);
    ev.ua = value(sp, h, T_UA, T_UA);
    ev.time_text = value(sp, h, T_TIME, T_TIME);
    ev.bytes = kt_sv_parse_count(value(sp, h, T_BYTES, T_BYTES));
    if (sp->conjur && ev.status.len > 0) {
        ev.outcome_set = TRUE;
        gboolean failure =
            ev.status.len == 7 && g_ascii_strncasecmp(ev.status.ptr, "failure", 7) == 0;
        ev.outcome = failure ? KT_OUTCOME_DENIED : kt_outcome_classify(ev.status, FALSE);
    }
    sp->sink->event(sp->sink->ud, &ev, lineno);
}

/* ---- format ops ------------------------------------------------------------------ */

typedef struct {
    KtSlParser sp;
    const KtFormatOptions *opts; /* borrowed for the parser's life */
} KtSlState;

static void
decide_preset(KtSlState *st, const char *line, gsize len)
{
    KtSlParser *sp = &st->sp;
    sp->decided = TRUE;
    gboolean conjur = g_strstr_len(line, (gssize)MIN(len, (gsize)4096), "@43868") != NULL;
    if (conjur)
        return; /* set up by new() */
    memset(sp->src, 0, sizeof(sp->src));
    use_generic(sp);
    apply_overrides(sp, st->opts->fields, NULL); /* validated in new() */
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

static void
on_line(gpointer ud, const char *line, gsize len, guint64 lineno)
{
    KtSlState *st = ud;
    KtSlParser *sp = &st->sp;
    const KtSink *sink = sp->sink;
    if (line_is_blank(line, len)) {
        sink->skip(sink->ud, lineno);
        return;
    }
    KtStrView excerpt = kt_sv_len(line, MIN(len, (gsize)80));
    if (memchr(line, '\0', len) != NULL) {
        sink->reject(sink->ud, lineno, KT_REJECT_BINARY, "NUL bytes in the line", excerpt);
        return;
    }
    if (sp->auto_preset && !sp->decided)
        decide_preset(st, line, len);
    memset(sp->val, 0, sizeof(sp->val));
    KtSlHeader h = { 0 };
    KtSlResult r = parse_line(sp, line, len, &h);
    if (r == SL_OK) {
        emit_event(sp, &h, lineno);
        return;
    }
    gboolean eof = kt_line_splitter_at_eof(sp->ls);
    const char *detail = r == SL_UNCLOSED ? "structured data not closed"
                                          : "not an RFC 5424 line (<PRI>1 TIMESTAMP HOST ...)";
    sink->reject(sink->ud, lineno, eof ? KT_REJECT_TRUNCATED : KT_REJECT_MALFORMED, detail,
                 excerpt);
}

static gpointer
syslog_new(const KtFormatOptions *opts, const KtSink *sink, GError **error)
{
    g_autofree KtSlState *st = g_new0(KtSlState, 1);
    KtSlParser *sp = &st->sp;
    st->opts = opts;
    sp->sink = sink;
    const char *preset = opts->preset;
    if (preset == NULL || *preset == '\0') {
        sp->auto_preset = TRUE;
        use_conjur(sp);
    } else if (g_ascii_strcasecmp(preset, "conjur-audit") == 0 ||
               g_ascii_strcasecmp(preset, "conjur") == 0) {
        use_conjur(sp);
    } else if (g_ascii_strcasecmp(preset, "generic") == 0) {
        use_generic(sp);
    } else {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "unknown syslog preset '%s'; use conjur-audit or generic", preset);
        return NULL;
    }
    if (!apply_overrides(sp, opts->fields, error))
        return NULL;
    sp->ls = kt_line_splitter_new(opts->max_line, on_line, sink, st);
    return g_steal_pointer(&st);
}

static void
syslog_feed(gpointer parser, const char *buf, gsize len)
{
    KtSlState *st = parser;
    kt_line_splitter_feed(st->sp.ls, buf, len);
}

static void
syslog_finish(gpointer parser)
{
    KtSlState *st = parser;
    kt_line_splitter_finish(st->sp.ls);
}

static void
syslog_free(gpointer parser)
{
    KtSlState *st = parser;
    if (st == NULL)
        return;
    kt_line_splitter_free(st->sp.ls);
    g_free(st);
}

static const char *
syslog_preset_name(gpointer parser)
{
    const KtSlState *st = parser;
    return st->sp.preset;
}

static int
syslog_sniff(const char *buf, gsize len)
{
    const char *end = buf + MIN(len, (gsize)512);
    const char *nl = memchr(buf, '\n', (gsize)(end - buf));
    const char *rest = parse_pri(buf, nl != NULL ? nl : end);
    if (rest == NULL)
        return 0;
    return rest[-2] == '1' && rest[-3] == '>' ? 90 : 40; /* version 1, or another */
}

static void
syslog_describe(GString *out)
{
    g_string_append(out,
                    "  RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD-ID k=\"v\"...] MSG\n"
                    "    (optional octet-count prefix; NILVALUE '-' = absent)\n"
                    "  presets:\n"
                    "    conjur-audit  key = auth@43868.user, else subject@43868.role;\n"
                    "                  principal = the same; ip = client@43868.ip;\n"
                    "                  op = action@43868.operation, else MSGID;\n"
                    "                  status = action@43868.result (failure = denied)\n"
                    "    generic       time = TIMESTAMP, op = MSGID; key from --field\n"
                    "  (no preset: conjur-audit when the first line has @43868 SD-IDs)\n"
                    "  --field NAME=SOURCE: SDID.param, msg, app, host, msgid, procid,\n"
                    "    timestamp; NAME: key, principal, ip, op, status, ua, time, bytes\n");
}

const KtFormatOps kt_format_syslog = {
    .name = "syslog",
    .summary = "RFC 5424 syslog with structured data (Conjur audit)",
    .sniff = syslog_sniff,
    .new = syslog_new,
    .feed = syslog_feed,
    .finish = syslog_finish,
    .free = syslog_free,
    .describe = syslog_describe,
    .preset_name = syslog_preset_name,
};
