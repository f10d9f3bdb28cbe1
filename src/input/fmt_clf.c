/* fmt_clf.c - placeholder until the clf format lands (input stage). */
#include "keytrail/format.h"

static int sniff_none(const char *buf, gsize len) { return 0; }
static gpointer new_none(const KtFormatOptions *o, const KtSink *s, GError **error)
{
    g_set_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC, "format clf is not built yet");
    return NULL;
}
static void feed_none(gpointer p, const char *buf, gsize len) {}
static void finish_none(gpointer p) {}
static void free_none(gpointer p) {}
static void describe_none(GString *out) {}

const KtFormatOps kt_format_clf = {
    "clf", "(not built yet)", sniff_none, new_none, feed_none, finish_none, free_none, describe_none,
};
