/*
 * clf-program.c - compiles a web log format string once into a program of literal and
 * field steps (input stage); fmt_clf.c runs the program on every line.
 */
#include "clf-program.h"

/* Maps a one-letter specifier to a field; returns FALSE for an unknown letter. */
static gboolean
field_for_letter(char c, KtClfField *f)
{
    static const char letters[] = "hauUltxrmqHsbBOvVD^TAkpPLXRfIeCn";
    static const guint8 fields[] = {
        F_HOST,  F_HOST,   F_USER,    F_PATH,  F_IDENT, F_TIME,  F_ISOTIME, F_REQUEST,
        F_METHOD, F_QUERY, F_PROTO,   F_STATUS, F_BYTES, F_BYTES, F_BYTES,  F_VHOST,
        F_VHOST, F_SKIP,   F_SKIP,    F_SKIP,  F_SKIP,  F_SKIP,  F_SKIP,    F_SKIP,
        F_SKIP,  F_SKIP,   F_SKIP,    F_SKIP,  F_SKIP,  F_SKIP,  F_SKIP,    F_SKIP,
    };
    G_STATIC_ASSERT(sizeof(letters) - 1 == sizeof(fields));
    const char *hit = c != '\0' ? strchr(letters, c) : NULL;
    if (hit == NULL)
        return FALSE;
    *f = (KtClfField)fields[hit - letters];
    return TRUE;
}

static gboolean
add_step(KtClfProgram *pg, KtClfStep st, GError **error)
{
    if (pg->n_steps >= KT_CLF_MAX_STEPS) {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "log format has more than %d parts", KT_CLF_MAX_STEPS);
        return FALSE;
    }
    pg->steps[pg->n_steps++] = st;
    return TRUE;
}

/* Reads "%{NAME}X" at @p (just after '%' and modifiers); returns the end or NULL. */
static const char *
compile_braced(KtClfProgram *pg, const char *p, KtClfStep *st, GError **error)
{
    const char *close = strchr(p, '}');
    if (close == NULL || close[1] == '\0' || close - p - 1 <= 0 || close - p - 1 >= 64) {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "log format: bad %%{NAME}i specifier near '%.20s'", p - 1);
        return NULL;
    }
    char kind = close[1];
    if (kind != 'i') {
        st->field = F_SKIP; /* %{...}t/e/C/o/n/x: present but not used */
        return close + 2;
    }
    if (pg->n_headers >= KT_CLF_MAX_HEADERS) {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "log format: more than %d %%{NAME}i fields", KT_CLF_MAX_HEADERS);
        return NULL;
    }
    gsize n = (gsize)(close - p - 1);
    memcpy(pg->headers[pg->n_headers], p + 1, n);
    pg->headers[pg->n_headers][n] = '\0';
    st->field = F_HEADER;
    st->arg = (guint8)pg->n_headers++;
    return close + 2;
}

/* Compiles one specifier at @p (just after '%'); returns the end or NULL. */
static const char *
compile_spec(KtClfProgram *pg, const char *p, GError **error)
{
    KtClfStep st = { .kind = STEP_FIELD };
    while (*p == '>' || *p == '<' || *p == '!' || *p == ',' || (*p >= '0' && *p <= '9'))
        p++; /* Apache modifiers: %>s, %400,501{X}i */
    if (*p == '{') {
        p = compile_braced(pg, p, &st, error);
        if (p == NULL)
            return NULL;
    } else {
        KtClfField f;
        if (!field_for_letter(*p, &f)) {
            g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                        "log format: unknown specifier '%%%c' (see 'keytrail formats')",
                        *p != '\0' ? *p : '?');
            return NULL;
        }
        st.field = (guint8)f;
        p++;
    }
    KtClfStep *prev = pg->n_steps > 0 ? &pg->steps[pg->n_steps - 1] : NULL;
    if (prev != NULL && prev->kind == STEP_FIELD && prev->field == F_PATH &&
        st.field == F_QUERY && prev->arg == 0) {
        prev->arg = 1; /* "%U%q": the path step cuts the query off at '?' */
        pg->has[F_QUERY] = TRUE;
        return p;
    }
    if (prev != NULL && prev->kind == STEP_FIELD) {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "log format: two fields without a separator near '%.20s'", p);
        return NULL;
    }
    pg->has[st.field] = TRUE;
    return add_step(pg, st, error) ? p : NULL;
}

/* Fills each field's stop byte and quoting from its neighbouring literals, and each
 * step's opcode and output slot. */
static void
link_steps(KtClfProgram *pg)
{
    for (guint i = 0; i < pg->n_steps; i++) {
        KtClfStep *st = &pg->steps[i];
        if (st->kind != STEP_FIELD) {
            st->op = st->len == 1 && pg->text[st->off] == ' ' ? OP_SPACES : OP_LIT;
            continue;
        }
        const KtClfStep *prev = i > 0 ? &pg->steps[i - 1] : NULL;
        const KtClfStep *next = i + 1 < pg->n_steps ? &pg->steps[i + 1] : NULL;
        st->stop = next != NULL ? pg->text[next->off] : ' ';
        st->quoted = prev != NULL && next != NULL && prev->len > 0 &&
                     pg->text[prev->off + prev->len - 1] == '"' && st->stop == '"';
        st->slot = (guint8)(st->field == F_HEADER ? F_NFIELDS + st->arg : st->field);
        if (st->quoted)
            st->op = OP_QUOTED;
        else if (st->field == F_TIME)
            st->op = OP_TIME;
        else if (st->field == F_REQUEST && i + 1 == pg->n_steps)
            st->op = OP_REST;
        else
            st->op = OP_PLAIN;
    }
}

gboolean
kt_clf_compile(KtClfProgram *pg, const char *fmt, GError **error)
{
    memset(pg, 0, sizeof(*pg));
    gsize used = 0;
    if (fmt == NULL || *fmt == '\0' || strlen(fmt) >= KT_CLF_MAX_FORMAT) {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "log format is empty or longer than %d bytes", KT_CLF_MAX_FORMAT - 1);
        return FALSE;
    }
    const char *p = fmt;
    while (*p != '\0') {
        if (*p == '%' && p[1] != '%') {
            p = compile_spec(pg, p + 1, error);
            if (p == NULL)
                return FALSE;
            continue;
        }
        /* a literal run; "%%" is a literal '%' */
        KtClfStep st = { .kind = STEP_LIT, .off = (guint16)used };
        while (*p != '\0' && !(*p == '%' && p[1] != '%')) {
            if (*p == '%')
                p++;
            pg->text[used++] = *p++;
        }
        st.len = (guint16)(used - st.off);
        if (!add_step(pg, st, error))
            return FALSE;
    }
    if (!pg->has[F_TIME] && !pg->has[F_ISOTIME]) {
        g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC,
                    "log format has no time field (%%t or %%x)");
        return FALSE;
    }
    link_steps(pg);
    pg->optional_from = pg->n_steps;
    return TRUE;
}

