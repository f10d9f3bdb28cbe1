/*
 * cursor-private.h - helpers shared by cursor.c (cursors, file heads, gzip) and
 * plan.c (matching cursors to files, running the read plan). Not a public interface.
 */
#ifndef KEYTRAIL_CURSOR_PRIVATE_H
#define KEYTRAIL_CURSOR_PRIVATE_H

#include "keytrail/state.h"

/* Receives decompressed bytes; returns FALSE to stop (setting @error only on failure). */
typedef gboolean (*GzSinkFn)(gpointer ud, const guchar *data, gsize len, GError **error);

/* TRUE when the file behind @fd starts with the gzip magic bytes. */
gboolean kt_cursor_is_gzip_fd(int fd);

/* Decompresses every member of the gzip file behind @fd into @sink; more than @max_out
 * bytes (0 = unlimited) is an error. Returns FALSE and sets @error (KT_ERROR_INPUT) on
 * a corrupt or truncated stream or a sink failure. */
gboolean kt_cursor_gz_stream(int fd, const char *path, guint64 max_out, GzSinkFn sink,
                             gpointer ud, GError **error);

/* (transfer full) Up to KT_CURSOR_FP_MAX first bytes (decompressed when @gzip). */
GByteArray *kt_cursor_read_head(int fd, const char *path, gboolean gzip, GError **error);

/* Hex SHA-256 of the first @len bytes of @head into @out (65 bytes; "" for 0). */
void kt_cursor_fingerprint(const GByteArray *head, guint32 len, char *out);

/* TRUE when @head starts with the bytes @c fingerprinted. */
gboolean kt_cursor_head_matches(const KtCursor *c, const GByteArray *head);

/* (transfer full) Rotation stem of a base name: "app.log.2.gz" -> "app.log". */
char *kt_cursor_stem(const char *basename);

#endif
