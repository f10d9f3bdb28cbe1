/*
 * sanitize.h - making attacker-controlled log fields and secrets safe to show.
 * Every string that came from a log passes through kt_sanitize() before it reaches a
 * terminal, a text report, an error message or the TUI; keys pass through
 * kt_mask_key() unless the user asked for --reveal-keys.
 *
 * Ownership rule: functions append to or return newly allocated strings (transfer full).
 */
#ifndef KEYTRAIL_SANITIZE_H
#define KEYTRAIL_SANITIZE_H

#include "keytrail/common.h"

/*
 * Appends @s to @out with every C0/C1 control character, DEL, ESC sequence start,
 * bidi override/isolate (U+202A-202E, U+2066-2069), zero-width and other invisible
 * format characters written as visible escapes (\x1b, \r, \u202e), and invalid
 * UTF-8 bytes as \xNN. Backslashes are kept as they are. Cannot fail.
 */
void kt_sanitize_append(GString *out, const char *s, gsize len);

/* TRUE when kt_sanitize_append() escapes the code point @c (controls, DEL, bidi and
 * invisible format characters, separators); the JSON reporter uses it to write them as
 * \uXXXX. Cannot fail. */
gboolean kt_sanitize_needs_escape(gunichar c);

/* (transfer full) The sanitized copy of @s (NUL-terminated input). */
char *kt_sanitize(const char *s);

/* (transfer full) A valid UTF-8 copy of @s for JSON output: invalid bytes become
 * U+FFFD; control characters are left for the JSON encoder to escape. */
char *kt_utf8_valid(const char *s, gsize len);

/*
 * (transfer full) @text (nullable: "") with every secret-looking token masked like
 * kt_mask_key(): a run of 16 or more characters of [A-Za-z0-9_+-] mixing letters and
 * digits (AKIA..., sk_live_..., ghp_..., hex tokens). The copy is unchanged when @reveal.
 * Used for every string from a log that is shown (reports, alerts, TUI, state export).
 * Cannot fail.
 */
char *kt_redact_secrets(const char *text, gboolean reveal);

/* (transfer full) @key masked to its first 4 and last 4 characters ("AKIA...MG0M"), or
 * "****" for keys of 12 characters or fewer (too short to show 8); the full key when @reveal. */
char *kt_mask_key(const char *key, gboolean reveal);

#endif
