/*
 * ingest.c - the input stage: opens inputs (files, stdin, gzip by magic bytes),
 * detects their format, feeds blocks to the format's push parser and normalizes each
 * event into a KtRecord for the next stage. Bad lines are counted and sampled.
 */
#include "keytrail/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keytrail/addr.h"
#include "keytrail/sanitize.h"
#include "ingest-private.h"




void
kt_ingest_options_init(KtIngestOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    kt_format_options_init(&opts->fmt);
    opts->max_gzip_ratio = KT_MAX_GZIP_RATIO_DEFAULT;
    opts->reject_samples = KT_REJECT_SAMPLES;
    opts->max_keys = KT_MAX_KEYS_DEFAULT;
    opts->max_values = KT_MAX_VALUES_DEFAULT;
}

void
kt_input_stats_free(gpointer p)
{
    KtInputStats *s = p;
    if (s == NULL)
        return;
    g_free(s->path);
    g_free(s->error);
    if (s->keys != NULL)
        g_hash_table_destroy(s->keys);
    g_free(s);
}

static void
reject_sample_free(gpointer p)
{
    KtRejectSample *r = p;
    if (r == NULL)
        return;
    g_free(r->path);
    g_free(r->detail);
    g_free(r->excerpt);
    g_free(r);
}

/* ---- sink callbacks ------------------------------------------------------------------ */

static void
add_reject(KtIngest *in, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    KtInputStats *s = in->cur;
    s->rejected++;
    s->by_reason[reason]++;
    if (in->rejects->len >= in->opts.reject_samples)
        return;
    KtRejectSample *r = g_new0(KtRejectSample, 1);
    r->path = g_strdup(s->path);
    r->line = line;
    r->reason = reason;
    r->detail = g_strdup(detail);
    gsize n = excerpt.ptr != NULL ? MIN(excerpt.len, (gsize)80) : 0;
    r->excerpt = g_strndup(n > 0 ? excerpt.ptr : "", n);
    r->input = in->cur_index;
    g_ptr_array_add(in->rejects, r);
}

static guint16
http_status(KtStrView st)
{
    if (st.len != 3)
        return 0;
    int v = 0;
    for (int i = 0; i < 3; i++) {
        if (st.ptr[i] < '0' || st.ptr[i] > '9')
            return 0;
        v = v * 10 + (st.ptr[i] - '0');
    }
    return (v >= 100 && v <= 599) ? (guint16)v : 0;
}

/*
 * Sets the status and outcome of @r from @ev. A bare three-digit HTTP status (nearly
 * every web log and CSV line) is read once and its outcome memoised per code, and the
 * last such text is remembered with its answer (most lines repeat the status before):
 * this path exists because http_status and kt_outcome_classify cost more than the rest
 * of the record's bookkeeping; kt_outcome_classify is a pure function of the text, so
 * the memos hold its own answers, and a three-digit code is what http_status reads.
 */
static void
set_status(KtIngest *in, const KtEventView *ev, KtRecord *r)
{
    KtStrView st = ev->status;
    if (!ev->status_grpc && !ev->outcome_set && st.len == 3 && st.ptr != NULL) {
        const guchar *u = (const guchar *)st.ptr;
        guint32 text = (guint32)u[0] | (guint32)u[1] << 8 | (guint32)u[2] << 16;
        if (text == in->last_status_text) {
            r->status = in->last_status;
            r->outcome = in->last_outcome;
            return;
        }
        guint a = (guint)u[0] - '0', b = (guint)u[1] - '0', c = (guint)u[2] - '0';
        if (a <= 9 && b <= 9 && c <= 9) {
            guint code = a * 100 + b * 10 + c;
            r->status = (guint16)(code >= 100 && code <= 599 ? code : 0);
            if (in->outcome_memo[code] == 0)
                in->outcome_memo[code] = (guint8)(kt_outcome_classify(st, FALSE) + 1);
            r->outcome = (guint8)(in->outcome_memo[code] - 1);
            in->last_status_text = text;
            in->last_status = r->status;
            in->last_outcome = r->outcome;
            return;
        }
    }
    r->status = ev->status_grpc ? 0 : http_status(st);
    r->outcome = (guint8)(ev->outcome_set ? ev->outcome : kt_outcome_classify(st, ev->status_grpc));
}

/* Adds @key to the current input's key set once per input (a hash insert per event
 * would cost more than the rest of the record's bookkeeping). */
static void
note_key(KtIngest *in, KtInputStats *s, guint32 key)
{
    if (key >= in->key_seen->len)
        g_array_set_size(in->key_seen, MAX(key + 1, in->key_seen->len * 2));
    guint32 *seen = &g_array_index(in->key_seen, guint32, key);
    if (*seen != in->cur_serial) {
        *seen = in->cur_serial;
        g_hash_table_add(s->keys, GUINT_TO_POINTER(key));
    }
}

void
kt_ingest_sink_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    KtIngest *in = ud;
    if (G_UNLIKELY(in->warm)) {
        in->warm_events++;
        return;
    }
    KtInputStats *s = in->cur;
    s->lines++;
    if (kt_sv_empty(ev->key)) {
        add_reject(in, line, KT_REJECT_NO_KEY, "no API key in this record", KT_SV_NULL);
        return;
    }
    KtRecord r = { 0 };
    if (ev->flags & KT_EV_TIME_SET) {
        r.time_ms = ev->time_ms;
    } else if (kt_sv_empty(ev->time_text)) {
        add_reject(in, line, KT_REJECT_NO_TIME, "no timestamp in this record", KT_SV_NULL);
        return;
    } else if (!kt_time_parse(in->tp, ev->time_text, &r.time_ms)) {
        add_reject(in, line, KT_REJECT_BAD_TIME, "timestamp not understood", ev->time_text);
        return;
    }
    guint64 h[KT_SPACE_COUNT];
    gboolean lz;
    if (!kt_dict_intern_event(in->dict, ev, &in->limits, &r, h, &lz)) {
        add_reject(in, line, KT_REJECT_KEY_LIMIT, "more distinct keys than --max-keys",
                   KT_SV_NULL);
        return;
    }
    r.bytes = ev->bytes;
    r.line = line;
    r.input = in->cur_index;
    set_status(in, ev, &r);
    r.flags = (guint8)(ev->flags & ~(guint32)KT_EV_TIME_SET);
    if (lz) {
        r.flags |= KT_EV_IP_LEADING_ZERO;
        s->ip_warnings++;
    }
    /* content hash from the interned strings' hashes (kt_dict_hash, returned by the
     * interning): equal events from different inputs order the same way whatever the
     * order of the inputs */
    guint64 t = h[KT_SPACE_KEY];
    t = (t ^ h[KT_SPACE_PRINCIPAL]) * 0x9e3779b97f4a7c15ull;
    t = (t ^ h[KT_SPACE_SOURCE]) * 0x9e3779b97f4a7c15ull;
    t = (t ^ h[KT_SPACE_OP]) * 0x9e3779b97f4a7c15ull;
    t = (t ^ h[KT_SPACE_UA]) * 0x9e3779b97f4a7c15ull;
    t = (t ^ ((guint64)r.status << 8 | r.outcome)) * 0x9e3779b97f4a7c15ull;
    t ^= (guint64)r.bytes * 0xc4ceb9fe1a85ec53ull;
    r.tiebreak = t ^ (t >> 31);

    s->events++;
    if (r.time_ms < s->first_ms)
        s->first_ms = r.time_ms;
    if (r.time_ms > s->last_ms)
        s->last_ms = r.time_ms;
    note_key(in, s, r.key);
    in->fn(in->ud, &r);
}

void
kt_ingest_sink_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    KtIngest *in = ud;
    if (G_UNLIKELY(in->warm))
        return;
    in->cur->lines++;
    add_reject(in, line, reason, detail, excerpt);
}

void
kt_ingest_sink_skip(gpointer ud, guint64 line)
{
    KtIngest *in = ud;
    if (G_UNLIKELY(in->warm))
        return;
    in->cur->lines++;
    in->cur->skipped++;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

KtIngest *
kt_ingest_new(const KtIngestOptions *opts, KtDict *dict, KtRecordFn fn, gpointer ud,
              GError **error)
{
    g_return_val_if_fail(opts != NULL && fn != NULL, NULL);
    if (opts->format != NULL && kt_format_find(opts->format) == NULL) {
        GString *names = g_string_new(NULL);
        for (const KtFormatOps *const *f = kt_format_all(); *f != NULL; f++)
            g_string_append_printf(names, "%s%s", names->len ? ", " : "", (*f)->name);
        g_set_error(error, KT_ERROR, KT_ERROR_USAGE,
                    "unknown --format '%s'; known formats: %s (see 'keytrail formats')",
                    opts->format, names->str);
        g_string_free(names, TRUE);
        return NULL;
    }
    KtTimeParser *tp = kt_time_parser_new(opts->tz, error);
    if (tp == NULL) {
        g_prefix_error(error, "--tz: ");
        return NULL;
    }
    KtIngest *in = g_new0(KtIngest, 1);
    in->opts = *opts;
    in->limits = (KtDictLimits){ opts->max_keys, opts->max_values };
    in->last_status_text = KT_STATUS_TEXT_NONE;
    in->tp = tp;
    in->own_dict = dict == NULL;
    in->dict = dict != NULL ? dict : kt_dict_new();
    in->fn = fn;
    in->ud = ud;
    in->stats = g_ptr_array_new_with_free_func(kt_input_stats_free);
    in->rejects = g_ptr_array_new_with_free_func(reject_sample_free);
    in->key_seen = g_array_new(FALSE, TRUE, sizeof(guint32));
    in->sink = (KtSink){ kt_ingest_sink_event, kt_ingest_sink_reject, kt_ingest_sink_skip, in };
    return in;
}

void
kt_ingest_free(KtIngest *in)
{
    if (in == NULL)
        return;
    if (in->own_dict)
        kt_dict_free(in->dict);
    kt_time_parser_free(in->tp);
    g_ptr_array_free(in->stats, TRUE);
    g_ptr_array_free(in->rejects, TRUE);
    g_array_free(in->key_seen, TRUE);
    g_free(in);
}

void
kt_ingest_stop(KtIngest *in)
{
    in->stop = TRUE;
}

GPtrArray *
kt_ingest_stats(KtIngest *in)
{
    return in->stats;
}

GPtrArray *
kt_ingest_rejects(KtIngest *in)
{
    return in->rejects;
}

KtDict *
kt_ingest_dict(KtIngest *in)
{
    return in->dict;
}

void
kt_ingest_set_progress(KtIngest *in, KtProgressFn fn, gpointer ud)
{
    in->opts.progress = fn;
    in->opts.progress_ud = ud;
}

const KtIngestOptions *
kt_ingest_options(KtIngest *in)
{
    return &in->opts;
}

KtTimeParser *
kt_ingest_time_parser(KtIngest *in)
{
    return in->tp;
}

void
kt_ingest_totals(KtIngest *in, guint64 *events, guint64 *rejected, guint64 *lines)
{
    guint64 e = 0, r = 0, l = 0;
    for (guint i = 0; i < in->stats->len; i++) {
        const KtInputStats *s = g_ptr_array_index(in->stats, i);
        if (s == NULL)
            continue;
        e += s->events;
        r += s->rejected;
        l += s->lines;
    }
    if (events != NULL)
        *events = e;
    if (rejected != NULL)
        *rejected = r;
    if (lines != NULL)
        *lines = l;
}

static gint
cmp_reject(gconstpointer a, gconstpointer b)
{
    const KtRejectSample *x = *(KtRejectSample *const *)a, *y = *(KtRejectSample *const *)b;
    if (x->input != y->input)
        return x->input < y->input ? -1 : 1;
    return x->line < y->line ? -1 : (x->line > y->line ? 1 : 0);
}

/* Adds the counts of @s (a part of the same input) to @d. */
static void
stats_merge(KtInputStats *d, const KtInputStats *s)
{
    d->gzip |= s->gzip;
    d->gzip_whole |= s->gzip_whole;
    if (d->preset == NULL)
        d->preset = s->preset;
    d->bytes += s->bytes;
    d->lines += s->lines;
    d->events += s->events;
    d->skipped += s->skipped;
    d->rejected += s->rejected;
    for (int r = 0; r < KT_REJECT_COUNT; r++)
        d->by_reason[r] += s->by_reason[r];
    d->ip_warnings += s->ip_warnings;
    d->first_ms = MIN(d->first_ms, s->first_ms);
    d->last_ms = MAX(d->last_ms, s->last_ms);
    if (d->error == NULL && s->error != NULL)
        d->error = g_strdup(s->error);
}

void
kt_ingest_absorb_parts(KtIngest *dst, KtIngest *src, const guint32 *input_map,
                       const guint64 *line_offset)
{
    for (guint i = 0; i < src->stats->len; i++) {
        KtInputStats *s = g_ptr_array_index(src->stats, i);
        g_ptr_array_index(src->stats, i) = NULL;
        guint32 at = input_map[i];
        if (dst->stats->len <= at)
            g_ptr_array_set_size(dst->stats, at + 1);
        KtInputStats *d = g_ptr_array_index(dst->stats, at);
        GHashTable *src_keys = s->keys;
        s->keys = NULL;
        if (d == NULL) {
            s->keys = g_hash_table_new(g_direct_hash, g_direct_equal);
            d = s;
            g_ptr_array_index(dst->stats, at) = d;
        } else {
            stats_merge(d, s);
            kt_input_stats_free(s);
        }
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, src_keys);
        while (g_hash_table_iter_next(&it, &k, NULL)) {
            const char *str = kt_dict_str(src->dict, KT_SPACE_KEY, GPOINTER_TO_UINT(k));
            guint32 id = kt_dict_intern(dst->dict, KT_SPACE_KEY, kt_sv(str));
            g_hash_table_add(d->keys, GUINT_TO_POINTER(id));
        }
        g_hash_table_destroy(src_keys);
    }
    g_ptr_array_set_size(src->stats, 0);
    for (guint i = 0; i < src->rejects->len; i++) {
        KtRejectSample *r = g_ptr_array_index(src->rejects, i);
        g_ptr_array_index(src->rejects, i) = NULL;
        if (line_offset != NULL)
            r->line += line_offset[r->input];
        r->input = input_map[r->input];
        g_ptr_array_add(dst->rejects, r);
    }
    g_ptr_array_set_size(src->rejects, 0);
    g_ptr_array_sort(dst->rejects, cmp_reject);
    if (dst->rejects->len > dst->opts.reject_samples)
        g_ptr_array_set_size(dst->rejects, dst->opts.reject_samples);
}

void
kt_ingest_absorb(KtIngest *dst, KtIngest *src, const guint32 *input_map)
{
    kt_ingest_absorb_parts(dst, src, input_map, NULL);
}

/* ---- path expansion ------------------------------------------------------------------ */

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the regular files under @dir (recursively, name order, hidden entries skipped). */
static gboolean
expand_dir(const char *dir, GPtrArray *out, int depth, GError **error)
{
    if (depth > 64) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "%s: directories nested too deep", dir);
        return FALSE;
    }
    GDir *d = g_dir_open(dir, 0, error);
    if (d == NULL)
        return FALSE;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        if (name[0] != '.')
            g_ptr_array_add(names, g_strdup(name));
    }
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_str);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        struct stat st;
        if (stat(path, &st) != 0)
            continue; /* dangling link: nothing to read */
        if (S_ISDIR(st.st_mode)) {
            if (!expand_dir(path, out, depth + 1, error))
                return FALSE;
        } else if (S_ISREG(st.st_mode)) {
            g_ptr_array_add(out, g_steal_pointer(&path));
        }
    }
    return TRUE;
}

GPtrArray *
kt_ingest_expand(const char *const *paths, GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    for (gsize i = 0; paths != NULL && paths[i] != NULL; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!expand_dir(paths[i], out, 0, error))
                return NULL;
        } else {
            g_ptr_array_add(out, g_strdup(paths[i]));
        }
    }
    return g_steal_pointer(&out);
}
