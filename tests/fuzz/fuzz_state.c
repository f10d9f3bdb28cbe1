/*
 * fuzz_state.c - libFuzzer target for the watch state file loader (kt_state_load) and,
 * behind it, the engine restore (kt_engine_load). The first byte picks a mode: bit 0 seals
 * the rest with a correct checksum (so that the fuzzer gets past the checksum check to the
 * cursor, member and engine parsing), bit 1 also restores the engine object. A state that
 * loads must serialize, load again and serialize to the same bytes (canonical form).
 */
#include <stdlib.h>
#include <unistd.h>

#include "keytrail/dict.h"
#include "keytrail/engine.h"
#include "keytrail/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The one file every run loads: created once, rewritten in place. */
static char *state_path;
static int state_fd = -1;

static void
remove_file(void)
{
    if (state_path != NULL)
        unlink(state_path);
}

static void
put_file(const char *text, gsize len)
{
    if (ftruncate(state_fd, 0) != 0 || pwrite(state_fd, text, len, 0) != (ssize_t)len)
        abort();
}

/* (transfer full, nullable) @data parsed as JSON with "checksum" replaced by the correct
 * one, as kt_state_serialize() computes it; NULL when it is not a JSON object. */
static char *
seal(const char *data, gsize len)
{
    cJSON *doc = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "checksum");
    char *body = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (body == NULL)
        return NULL;
    g_autofree char *sum =
        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)body, strlen(body));
    gsize n = strlen(body);
    char *out;
    if (n == 2) /* "{}" */
        out = g_strdup_printf("{\"checksum\":\"%s\"}", sum);
    else
        out = g_strdup_printf("%.*s,\"checksum\":\"%s\"}", (int)(n - 1), body, sum);
    cJSON_free(body);
    return out;
}

static void
restore_engine(KtState *st)
{
    const cJSON *obj = kt_state_engine(st);
    if (obj == NULL)
        return;
    KtEngineConfig cfg;
    kt_engine_config_init(&cfg);
    g_autoptr(KtDict) dict = kt_dict_new();
    g_autoptr(KtEngine) e = kt_engine_new(&cfg, dict, NULL);
    g_autoptr(GError) error = NULL;
    if (kt_engine_load(e, obj, &error)) {
        cJSON *again = kt_engine_save(e);
        if (again == NULL)
            abort();
        cJSON_Delete(again);
    } else if (error == NULL) {
        abort(); /* FALSE without an error */
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (state_fd < 0) {
        state_fd = g_file_open_tmp("kt-fuzz-state-XXXXXX", &state_path, NULL);
        if (state_fd < 0)
            abort();
        atexit(remove_file);
    }
    guint8 mode = data[0];
    const char *text = (const char *)data + 1;
    gsize len = size - 1;
    g_autofree char *sealed = (mode & 1) ? seal(text, len) : NULL;
    if (sealed != NULL)
        put_file(sealed, strlen(sealed));
    else
        put_file(text, len);

    g_autoptr(GError) error = NULL;
    g_autoptr(KtState) st = kt_state_load(state_path, &error);
    if (st == NULL) {
        if (error == NULL)
            abort(); /* NULL without an error */
        return 0;
    }
    for (guint i = 0; i < kt_state_cursors(st)->len; i++)
        cJSON_Delete(kt_cursor_to_json(g_ptr_array_index(kt_state_cursors(st), i)));
    if (mode & 2)
        restore_engine(st);

    /* canonical: what loads serializes, loads again and serializes the same */
    g_autofree char *once = kt_state_serialize(st);
    put_file(once, strlen(once));
    g_autoptr(GError) error2 = NULL;
    g_autoptr(KtState) st2 = kt_state_load(state_path, &error2);
    if (st2 == NULL)
        abort();
    g_autofree char *twice = kt_state_serialize(st2);
    if (strcmp(once, twice) != 0)
        abort();
    return 0;
}
