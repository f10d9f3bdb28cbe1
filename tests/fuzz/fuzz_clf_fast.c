/*
 * fuzz_clf_fast.c - libFuzzer target: the one-pass matcher for the preset layouts
 * (kt_clf_fast_run) against the general program runner (kt_clf_run) on one line, for
 * each preset program: a line the fast matcher accepts must be accepted by the general
 * runner with the same views (abort otherwise).
 */
#include "../../src/input/clf-program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    KtClfProgram pg;
    KtClfFast fast;
} FastProg;

/* The presets as fmt_clf.c compiles them (optional_from after the common prefix). */
static void
setup(FastProg *fp, const char *format, const char *optional_after)
{
    if (!kt_clf_compile(&fp->pg, format, NULL))
        abort();
    if (optional_after != NULL) {
        KtClfProgram prefix;
        if (!kt_clf_compile(&prefix, optional_after, NULL))
            abort();
        fp->pg.optional_from = prefix.n_steps;
    }
    kt_clf_fast_plan(&fp->fast, &fp->pg);
    if (!fp->fast.on)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FastProg progs[4];
    static gboolean ready;
    if (!ready) {
        setup(&progs[0], "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"",
              "%h %l %u %t \"%r\" %>s %b");
        setup(&progs[1], "%h %l %u %t \"%r\" %>s %b", NULL);
        setup(&progs[2], "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-agent}i\"",
              "%v:%p %h %l %u %t \"%r\" %>s %O");
        setup(&progs[3], "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"", NULL);
        ready = TRUE;
    }
    const char *line = (const char *)data, *end = line + size;
    for (gsize i = 0; i < G_N_ELEMENTS(progs); i++) {
        KtStrView a[KT_CLF_N_OUT], b[KT_CLF_N_OUT];
        memset(a, 0, sizeof(a));
        memset(b, 0, sizeof(b));
        if (!kt_clf_fast_run(&progs[i].fast, line, end, a))
            continue;
        if (kt_clf_run(&progs[i].pg, line, end, b) != MATCH_OK || memcmp(a, b, sizeof(a)) != 0)
            abort();
    }
    return 0;
}
