/*
 * clf-match.c - runs a compiled web log format (clf-program.h) over one line (input
 * stage): kt_clf_run() executes any program step by step; kt_clf_fast_run() matches
 * the preset layouts (combined, common, vhost_combined) in one straight pass and hands
 * every line it is not sure about back to kt_clf_run().
 */
#include "clf-program.h"
#include "clf-scan.h"

/* ---- the general runner ---------------------------------------------------------- */

/* Matches a literal; a space in it matches one or more spaces. Returns the end or NULL. */
static const char *
match_lit_slow(const KtClfProgram *pg, const KtClfStep *st, const char *p, const char *end)
{
    const char *l = pg->text + st->off, *le = l + st->len;
    while (l < le) {
        if (p >= end)
            return NULL;
        if (*l == ' ') {
            if (*p != ' ')
                return NULL;
            while (p < end && *p == ' ')
                p++;
            while (l < le && *l == ' ')
                l++;
            continue;
        }
        if (*p != *l)
            return NULL;
        p++;
        l++;
    }
    return p;
}

/* match_lit_slow() for the usual line, whose literal bytes (one space for each run of
 * spaces) are there as written: compared directly, then the spaces a trailing space
 * also matches are skipped. Anything else takes the byte-by-byte walk. */
static inline const char *
match_lit(const KtClfProgram *pg, const KtClfStep *st, const char *p, const char *end)
{
    const char *l = pg->text + st->off;
    gsize n = st->len;
    if ((gsize)(end - p) < n)
        return match_lit_slow(pg, st, p, end);
    for (gsize i = 0; i < n; i++) {
        if (p[i] != l[i])
            return match_lit_slow(pg, st, p, end);
    }
    p += n;
    if (n > 0 && l[n - 1] == ' ') {
        while (p < end && *p == ' ')
            p++;
    }
    return p;
}

/* Finds the closing unescaped '"' from @p; NULL when the quotes do not close. */
static const char *
find_close_quote_slow(const char *p, const char *end)
{
    while (p < end) {
        const char *q = memchr(p, '"', (gsize)(end - p));
        if (q == NULL)
            return NULL;
        gsize bs = 0;
        for (const char *b = q; b > p && b[-1] == '\\'; b--)
            bs++;
        if (bs % 2 == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

/* find_close_quote_slow() for the usual field, whose first '"' has no backslash before
 * it (then the loop there would return it as well): one memchr call, inline. */
static inline const char *
find_close_quote(const char *p, const char *end)
{
    const char *q = memchr(p, '"', (gsize)(end - p));
    if (q == NULL || q == p || q[-1] != '\\')
        return q;
    return find_close_quote_slow(p, end);
}

/* Cuts a CLF time field: "[...]" or "dd/Mon/yyyy:hh:mm:ss +zzzz". */
static const char *
cut_time(const char *p, const char *end, char stop, KtStrView *v)
{
    if (p < end && *p == '[') {
        const char *rb = memchr(p, ']', (gsize)(end - p));
        if (rb == NULL)
            return NULL;
        *v = kt_sv_len(p + 1, (gsize)(rb - p - 1));
        return rb + 1;
    }
    const char *e = memchr(p, stop, (gsize)(end - p));
    if (e == NULL)
        e = end;
    if (stop == ' ' && end - e >= 6 && (e[1] == '+' || e[1] == '-'))
        e = e + 6 <= end ? e + 6 : end; /* the zone after the space */
    *v = kt_sv_len(p, (gsize)(e - p));
    return e;
}

/* Cuts the value of field step @st (not a literal) at @p into *@v; returns the end, or
 * NULL with *@m set when the line does not match. */
static inline const char *
cut_field(const KtClfProgram *pg, guint i, const char *p, const char *end, KtStrView *v,
          KtClfMatch *m)
{
    const KtClfStep *st = &pg->steps[i];
    switch (st->op) {
    case OP_QUOTED: {
        const char *q = find_close_quote(p, end);
        if (q == NULL) {
            *m = MATCH_UNCLOSED;
            return NULL;
        }
        *v = kt_sv_len(p, (gsize)(q - p));
        return q;
    }
    case OP_TIME:
        return cut_time(p, end, st->stop, v);
    case OP_REST:
        *v = kt_sv_len(p, (gsize)(end - p)); /* an unquoted request ends the line */
        return end;
    default: {
        const char *e = p; /* short fields: a plain loop beats a memchr call */
        while (e < end && *e != st->stop)
            e++;
        if (e == end && i + 1 < pg->n_steps && i + 1 < pg->optional_from)
            return NULL;
        *v = kt_sv_len(p, (gsize)(e - p));
        return e;
    }
    }
}

KtClfMatch
kt_clf_run(const KtClfProgram *pg, const char *p, const char *end, KtStrView *out)
{
    for (guint i = 0; i < pg->n_steps; i++) {
        const KtClfStep *st = &pg->steps[i];
        if (p == end && i >= pg->optional_from)
            return MATCH_OK;
        if (st->op == OP_SPACES) {
            if (p >= end || *p != ' ')
                return MATCH_FAIL; /* as match_lit: one or more spaces */
            do
                p++;
            while (p < end && *p == ' ');
            continue;
        }
        if (st->op == OP_LIT) {
            p = match_lit(pg, st, p, end);
            if (p == NULL)
                return MATCH_FAIL;
            continue;
        }
        KtStrView v;
        KtClfMatch m = MATCH_FAIL;
        p = cut_field(pg, i, p, end, &v, &m);
        if (p == NULL)
            return m;
        if (st->field == F_PATH && st->arg == 1) {
            const char *q = v.len > 0 ? memchr(v.ptr, '?', v.len) : NULL;
            if (q != NULL) {
                out[F_QUERY] = kt_sv_len(q, (gsize)(v.ptr + v.len - q));
                v.len = (gsize)(q - v.ptr);
            }
        }
        out[st->slot] = v;
    }
    /* Text after the last step is accepted after a space (extra fields such as
     * nginx's "$http_x_forwarded_for" or Apache's %I %O). */
    return p == end || *p == ' ' ? MATCH_OK : MATCH_FAIL;
}

/* ---- the preset layouts ---------------------------------------------------------- */

/*
 * Why: stepping through the program costs a dispatch, a store and a bounds check per
 * step and a byte loop per short field, about 1,000 instructions on a combined line.
 * The presets are one fixed shape, so their lines are cut in one straight pass.
 *
 * What keeps it equal to kt_clf_run(): kt_clf_fast_plan() turns it on only for a
 * program whose steps are exactly the shape below (ops, stop bytes, literals, slots,
 * optional_from), and kt_clf_fast_run() repeats, for that shape, what each step does
 * on a line where every literal is present byte for byte; at the first byte where a
 * step could do anything else (a missing separator, extra spaces before a quote, the
 * line ending early, no closing quote or bracket) it gives up and kt_clf_run() decides
 * the line. So it never rejects, and it accepts only lines kt_clf_run() accepts with
 * the same views. tests/unit/test-clf-fast.c checks both on random and mutated lines.
 */

typedef struct {
    guint8 kind;    /* KtClfStepKind */
    guint8 field;   /* STEP_FIELD: KtClfField */
    guint8 op;      /* KtClfOp */
    char stop;      /* STEP_FIELD: stop byte */
    const char *lit; /* STEP_LIT: its bytes */
} KtClfShape;

#define SHAPE_FIELD(f, op, stop) { STEP_FIELD, f, op, stop, NULL }
#define SHAPE_LIT(op, s) { STEP_LIT, 0, op, 0, s }

/* "%v:%p " */
static const KtClfShape shape_vhost[] = {
    SHAPE_FIELD(F_VHOST, OP_PLAIN, ':'), SHAPE_LIT(OP_LIT, ":"),
    SHAPE_FIELD(F_SKIP, OP_PLAIN, ' '),  SHAPE_LIT(OP_SPACES, " "),
};

/* "%h %l %u %t \"%r\" %>s %b" */
static const KtClfShape shape_common[] = {
    SHAPE_FIELD(F_HOST, OP_PLAIN, ' '),      SHAPE_LIT(OP_SPACES, " "),
    SHAPE_FIELD(F_IDENT, OP_PLAIN, ' '),     SHAPE_LIT(OP_SPACES, " "),
    SHAPE_FIELD(F_USER, OP_PLAIN, ' '),      SHAPE_LIT(OP_SPACES, " "),
    SHAPE_FIELD(F_TIME, OP_TIME, ' '),       SHAPE_LIT(OP_LIT, " \""),
    SHAPE_FIELD(F_REQUEST, OP_QUOTED, '"'),  SHAPE_LIT(OP_LIT, "\" "),
    SHAPE_FIELD(F_STATUS, OP_PLAIN, ' '),    SHAPE_LIT(OP_SPACES, " "),
    SHAPE_FIELD(F_BYTES, OP_PLAIN, ' '),
};

/* " \"%{A}i\" \"%{B}i\"" */
static const KtClfShape shape_tail[] = {
    SHAPE_LIT(OP_LIT, " \""), SHAPE_FIELD(F_HEADER, OP_QUOTED, '"'), SHAPE_LIT(OP_LIT, "\" \""),
    SHAPE_FIELD(F_HEADER, OP_QUOTED, '"'), SHAPE_LIT(OP_LIT, "\""),
};

/* TRUE when the steps of @pg from *@i on are @shape (@n steps); advances *@i past them. */
static gboolean
match_shape(const KtClfProgram *pg, guint *i, const KtClfShape *shape, gsize n)
{
    if (*i + n > pg->n_steps)
        return FALSE;
    for (gsize k = 0; k < n; k++) {
        const KtClfStep *st = &pg->steps[*i + k];
        const KtClfShape *sh = &shape[k];
        if (st->kind != sh->kind || st->op != sh->op)
            return FALSE;
        if (sh->kind == STEP_LIT) {
            if (st->len != strlen(sh->lit) || memcmp(pg->text + st->off, sh->lit, st->len) != 0)
                return FALSE;
        } else if (st->field != sh->field || st->stop != sh->stop ||
                   (sh->field != F_HEADER && (st->slot != sh->field || st->arg != 0))) {
            return FALSE;
        }
    }
    *i += (guint)n;
    return TRUE;
}

void
kt_clf_fast_plan(KtClfFast *fast, const KtClfProgram *pg)
{
    memset(fast, 0, sizeof(*fast));
    guint i = 0;
    fast->vhost = match_shape(pg, &i, shape_vhost, G_N_ELEMENTS(shape_vhost));
    if (!match_shape(pg, &i, shape_common, G_N_ELEMENTS(shape_common)))
        return;
    guint tail_from = i;
    fast->tail = match_shape(pg, &i, shape_tail, G_N_ELEMENTS(shape_tail));
    if (i != pg->n_steps)
        return;
    if (pg->optional_from == pg->n_steps)
        fast->tail_optional = FALSE;
    else if (fast->tail && pg->optional_from == tail_from)
        fast->tail_optional = TRUE;
    else
        return;
    if (fast->tail) {
        fast->tail_slot[0] = pg->steps[tail_from + 1].slot;
        fast->tail_slot[1] = pg->steps[tail_from + 3].slot;
    }
    fast->on = TRUE;
}

/* A field step that ends at @stop followed by a " " step: cuts [@p, stop) into *@v and
 * returns the byte after the spaces; NULL when the line has no @stop (kt_clf_run()
 * then rejects it, or, for the last step, decides). A field of the usual width @w
 * (a constant, 1 or 3: "-" for no ident or user, a status) is taken without a scan when
 * its stop byte is there and none before it, where the scan would stop too. */
static inline const char *
cut_word(const char *p, const char *end, char stop, gsize w, KtStrView *v)
{
    const char *e;
    if (w == 1 && end - p > 1 && p[1] == stop && p[0] != stop)
        e = p + 1;
    else if (w == 3 && end - p > 3 && p[3] == stop && p[0] != stop && p[1] != stop &&
             p[2] != stop)
        e = p + 3;
    else
        e = kt_scan_byte(p, end, stop);
    if (e == NULL)
        return NULL;
    *v = kt_sv_len(p, (gsize)(e - p));
    do
        e++;
    while (e < end && *e == ' ');
    return e;
}

/* A quoted field step at @p (after its opening quote): the view up to the closing
 * quote; returns that quote, NULL when the quotes do not close. */
static inline const char *
cut_quoted(const char *p, const char *end, KtStrView *v)
{
    const char *q;
    /* "" and "-" (a header not sent): the first quote is among the first two bytes
     * with no backslash before it, which is what find_close_quote() returns */
    if (end - p >= 2 && p[0] == '"')
        q = p;
    else if (end - p >= 2 && p[1] == '"' && p[0] != '\\')
        q = p + 1;
    else
        q = find_close_quote(p, end);
    if (q != NULL)
        *v = kt_sv_len(p, (gsize)(q - p));
    return q;
}

/* The two quoted headers after %b at @p (on its stop space). */
static gboolean
fast_tail(const KtClfFast *fast, const char *p, const char *end, KtStrView *out)
{
    if (end - p < 2 || p[1] != '"') /* literal " \"" as written */
        return FALSE;
    p = cut_quoted(p + 2, end, &out[fast->tail_slot[0]]);
    if (p == NULL || end - p < 3 || p[1] != ' ' || p[2] != '"') /* "\" \"" */
        return FALSE;
    p = cut_quoted(p + 3, end, &out[fast->tail_slot[1]]);
    if (p == NULL)
        return FALSE;
    p++; /* literal "\"" */
    return p == end || *p == ' ';
}

gboolean
kt_clf_fast_run(const KtClfFast *fast, const char *p, const char *end, KtStrView *out)
{
    if (fast->vhost) {
        const char *colon = kt_scan_byte(p, end, ':'); /* %v, then the literal ":" */
        if (colon == NULL)
            return FALSE;
        out[F_VHOST] = kt_sv_len(p, (gsize)(colon - p));
        p = cut_word(colon + 1, end, ' ', 1, &out[F_SKIP]);
    }
    p = p != NULL ? cut_word(p, end, ' ', 1, &out[F_HOST]) : NULL;
    p = p != NULL ? cut_word(p, end, ' ', 1, &out[F_IDENT]) : NULL;
    p = p != NULL ? cut_word(p, end, ' ', 1, &out[F_USER]) : NULL;
    if (p == NULL || p >= end || *p != '[')
        return FALSE;
    const char *rb = memchr(p, ']', (gsize)(end - p)); /* 27 bytes on: a memchr call pays */
    if (rb == NULL)
        return FALSE;
    out[F_TIME] = kt_sv_len(p + 1, (gsize)(rb - p - 1));
    p = rb + 1;
    if (end - p < 2 || p[0] != ' ' || p[1] != '"') /* literal " \"" as written */
        return FALSE;
    p = cut_quoted(p + 2, end, &out[F_REQUEST]);
    if (p == NULL || end - p < 2 || p[1] != ' ') /* literal "\" " as written */
        return FALSE;
    p += 2;
    while (p < end && *p == ' ')
        p++;
    p = cut_word(p, end, ' ', 3, &out[F_STATUS]);
    if (p == NULL)
        return FALSE;
    const char *e = kt_scan_byte(p, end, ' ');
    if (e == NULL) { /* the line ends with %b: accepted where the tail is optional */
        out[F_BYTES] = kt_sv_len(p, (gsize)(end - p));
        if (fast->tail) { /* the values the optional steps did not set */
            out[fast->tail_slot[0]] = KT_SV_NULL;
            out[fast->tail_slot[1]] = KT_SV_NULL;
        }
        return !fast->tail || fast->tail_optional;
    }
    out[F_BYTES] = kt_sv_len(p, (gsize)(e - p));
    return fast->tail ? fast_tail(fast, e, end, out) : TRUE;
}
