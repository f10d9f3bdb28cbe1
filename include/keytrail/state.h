/*
 * state.h - what `keytrail watch` keeps between runs: the versioned, checksummed state
 * file (cursors, engine baselines, alert bookkeeping, accepted findings), its exclusive
 * lock, and the per-input cursors that make a run read exactly the bytes that are new
 * (append, rename rotation, compression of rotated files, copytruncate, new and removed
 * files). Sits beside the pipeline: cursors decide what ingest reads, the state keeps
 * what the engine learned.
 *
 * Ownership rule: a KtState owns its cursors and its cJSON members; accessors return
 * borrowed pointers valid until the next setter or kt_state_free(). A KtCursorPlan owns
 * its steps and its new cursor list. Nothing here reads the wall clock.
 */
#ifndef KEYTRAIL_STATE_H
#define KEYTRAIL_STATE_H

#include <cjson/cJSON.h>

#include "keytrail/common.h"

#define KT_STATE_FORMAT "keytrail-state"
#define KT_STATE_VERSION 1
#define KT_CURSOR_FP_MAX 4096 /* bytes of an input's start that identify it */

/* ---- cursors ------------------------------------------------------------------------ */

/* Where a run stopped in one input. */
typedef struct {
    char *path;           /* where the file was last seen */
    guint64 dev, inode;   /* identity of the file (survives renames) */
    guint64 size;         /* size when last read (compressed size for gzip) */
    guint64 offset;       /* bytes consumed, just after the last complete line */
    char fingerprint[65]; /* hex SHA-256 of the first fp_len bytes (decompressed for gzip) */
    guint32 fp_len;       /* bytes fingerprinted, <= KT_CURSOR_FP_MAX; 0 = nothing yet */
    gint64 last_ts;       /* newest event time read from it (ms), G_MININT64 = none */
    gboolean gzip;        /* a gzip file: read whole once, then done */
    guint64 lines;        /* complete lines before offset (decompressed ones for gzip),
                             KT_CURSOR_LINES_UNKNOWN when a state written before keytrail
                             counted them resumed inside the file; kept by the reader of
                             the plan (watch), reset to 0 when the file is read from 0 */
    guint64 rejected;     /* rejected lines among them, counted since the file was first
                             read (or since the state had this member), same resets */
} KtCursor;

#define KT_CURSOR_LINES_UNKNOWN G_MAXUINT64

/* (transfer full) A cursor for @path with nothing read. Cannot fail. */
KtCursor *kt_cursor_new(const char *path);
/* (transfer full) A deep copy of @c. */
KtCursor *kt_cursor_copy(const KtCursor *c);
void kt_cursor_free(KtCursor *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtCursor, kt_cursor_free)

/* (transfer full) @c as a JSON object (dev and inode as decimal strings; "lines" only
 * when known). */
cJSON *kt_cursor_to_json(const KtCursor *c);
/* (transfer full) Reads what kt_cursor_to_json() wrote; NULL and KT_ERROR_STATE_CORRUPT
 * when a member is missing or out of range. "lines" and "rejected" are optional (states
 * written before they existed): missing, they read as KT_CURSOR_LINES_UNKNOWN and 0. */
KtCursor *kt_cursor_from_json(const cJSON *o, GError **error);

/* How one plan step reads its file. */
typedef enum {
    KT_READ_PLAIN,      /* uncompressed: from step->offset to the end */
    KT_READ_GZIP_WHOLE, /* gzip read whole by the reader (offset 0) */
    KT_READ_GZIP_TAIL,  /* a rotated file that was compressed: its decompressed bytes from
                           step->offset, handed to the reader as a temporary plain file */
} KtReadKind;

typedef struct {
    KtReadKind kind;
    char *path;         /* file to read */
    guint64 offset;     /* first byte to read (decompressed bytes for GZIP_TAIL) */
    guint64 dev, inode; /* identity seen when planning; checked before and after reading */
    const char *why;    /* static: "new", "append", "rotated", "truncated", "compressed" */
    KtCursor *cursor;   /* (transfer none) the cursor in plan->cursors this step advances */
} KtReadStep;

typedef struct {
    GPtrArray *steps;   /* KtReadStep*, in reading order (older data first) */
    GPtrArray *cursors; /* KtCursor*: every input's cursor after the plan runs */
    GPtrArray *dropped; /* KtCursor*: cursors whose file is gone (removed, or truncated
                           with no copy left): bytes after their offset were never read */
    GPtrArray *warnings; /* char*: named inputs missing, subdirectories not listable */
    const KtReadStep *current; /* the step whose KtCursorReadFn call is running (during
                                  kt_cursor_plan_run), NULL otherwise */
} KtCursorPlan;

/*
 * Matches @old (KtCursor*, borrowed) against the files now present: @inputs (files are
 * read; directories are walked recursively in name order and every regular file in them
 * is read) and, for each named file, its rotated siblings in the same directory
 * ("app.log.1", "app.log.2.gz", "app.log-20240101"), which are only used to find where a
 * known file went. Never reads a byte twice and never skips one: an unknown file is
 * read from 0, a known one from its cursor; a file whose start changed or that shrank
 * below its cursor is read from 0 (after finishing the tail of its copy when a rotated
 * sibling holds it). A file that is a copy of a file still read under another name (a
 * rotated file being compressed) is left alone until the original is gone. A missing
 * named input is a warning (during a rotation it may briefly not exist). Returns NULL
 * and sets @error (KT_ERROR_IO) when a named directory cannot be listed.
 */
KtCursorPlan *kt_cursor_plan(GPtrArray *old, const char *const *inputs, GError **error);
void kt_cursor_plan_free(KtCursorPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtCursorPlan, kt_cursor_plan_free)

/*
 * Reads @path (plain, or gzip for KT_READ_GZIP_WHOLE) from @offset to its end and stores
 * in *@end_offset the offset just after the last complete line consumed, and in *@last_ts
 * the newest event time read (G_MININT64 when none). Returns FALSE and sets @error when
 * the file cannot be read.
 */
typedef gboolean (*KtCursorReadFn)(gpointer ud, const char *path, guint64 offset,
                                   guint64 *end_offset, gint64 *last_ts, GError **error);

/*
 * Runs every step of @plan through @fn and advances the cursors. Checks the identity of
 * each file before and after reading it: a file replaced while being read fails the run
 * (KT_ERROR_IO, "run again") so that the caller saves nothing. Decompresses
 * KT_READ_GZIP_TAIL steps into an unlinked-after-use temporary file (at most
 * @max_gzip_ratio times the compressed size; 0 = unlimited; KT_ERROR_INPUT beyond).
 * Returns FALSE and sets @error on the first failure. While @fn runs, plan->current is
 * the step it reads for: @fn may add to plan->current->cursor's lines and rejected
 * (nothing here counts lines), which the plan leaves as they are.
 */
gboolean kt_cursor_plan_run(KtCursorPlan *plan, KtCursorReadFn fn, gpointer ud,
                            guint max_gzip_ratio, GError **error);

/* ---- the state file ---------------------------------------------------------------- */

typedef struct _KtState KtState;

/* (transfer full) An empty state that will be saved at @path. Cannot fail. */
KtState *kt_state_new(const char *path);
void kt_state_free(KtState *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtState, kt_state_free)

/*
 * (transfer full) Loads the state at @path; a missing file gives an empty state (see
 * kt_state_existed()). Returns NULL and sets @error, with a message naming the file and
 * what to do, when it is a symbolic link or not a regular file (KT_ERROR_IO), unreadable
 * (KT_ERROR_IO), damaged: bad JSON, wrong format, checksum mismatch
 * (KT_ERROR_STATE_CORRUPT), or written by a newer keytrail (KT_ERROR_STATE_VERSION).
 * The file is never modified.
 */
KtState *kt_state_load(const char *path, GError **error);

/*
 * Writes @st atomically: a new temporary file (O_EXCL, mode 0600) in the same directory,
 * fsync, rename over the path, fsync of the directory. A crash at any moment leaves the
 * old file or the new one. Refuses (KT_ERROR_IO) when the path is a symbolic link or not
 * a regular file. Removes temporary files left by killed saves, so call it with the lock
 * held. Returns FALSE and sets @error on failure; the old file is then intact.
 */
gboolean kt_state_save(KtState *st, GError **error);

/* (transfer full) The document kt_state_save() writes (with its checksum). */
char *kt_state_serialize(KtState *st);

const char *kt_state_path(const KtState *st);
/* TRUE when kt_state_load() found a file. */
gboolean kt_state_existed(const KtState *st);

/* (transfer none) KtCursor*, owned by the state. */
GPtrArray *kt_state_cursors(KtState *st);
/* Replaces the cursors with copies of @cursors (KtCursor*, borrowed). */
void kt_state_set_cursors(KtState *st, GPtrArray *cursors);

/* (transfer none, nullable) The engine's saved object (kt_engine_save), NULL when none. */
const cJSON *kt_state_engine(const KtState *st);
/* Replaces the engine object; takes @engine (transfer full, nullable). */
void kt_state_set_engine(KtState *st, cJSON *engine);

/* (transfer none) The alert bookkeeping: an object, mutable in place (see watch.c). */
cJSON *kt_state_alerted(KtState *st);
/* (transfer none) Accepted findings: an array of {key, cidr|ua}, mutable in place. */
cJSON *kt_state_accepted(KtState *st);

/*
 * (transfer none) The outbox: alerts saved but not yet delivered, oldest first, an array
 * of {"id": alert id, "sev": severity, "alert": the alert object}, mutable in place
 * (watch.c removes what it delivered). See docs/WATCH.md.
 */
cJSON *kt_state_outbox(KtState *st);

/*
 * Appends @alert (transfer full, an object) with @severity to the outbox under a new
 * alert id, unique across runs and states ("<random hex of this state>-<sequence>"),
 * which is also added to @alert as its last member "alert_id". The sequence is saved
 * with the state. Returns the id (transfer none, valid while the entry is in the
 * outbox). Cannot fail.
 */
const char *kt_state_outbox_add(KtState *st, cJSON *alert, int severity);

/* ---- delivering the outbox (src/state/outbox.c) ---------------------------------------- */

/*
 * Opens @path for appending alerts (and reading them back): created with mode 0600,
 * never through a symbolic link, a regular file only. *@created tells whether it did
 * not exist before. Returns the descriptor, or -1 and sets @error (KT_ERROR_IO).
 */
int kt_outbox_open_file(const char *path, gboolean *created, GError **error);

/*
 * (transfer full) The set (id -> id) of "alert_id" members of the complete JSON lines in
 * the last @window bytes (at most 64 MiB) of the file behind @fd: the alerts an earlier,
 * crashed run already appended. *@partial is TRUE when the file does not end with a
 * newline (a torn last line). Returns NULL and sets @error (KT_ERROR_IO) when the file
 * cannot be read.
 */
GHashTable *kt_outbox_file_ids(int fd, guint64 window, gboolean *partial, GError **error);

/*
 * Runs @argv (searched in PATH) in its own process group with @text on its stdin, and
 * kills the group when it runs longer than @timeout_s seconds (0 = no limit). Returns
 * FALSE and sets @error when it could not start (a GSpawnError), timed out and was
 * killed (G_IO_ERROR_TIMED_OUT), failed or did not read @text (KT_ERROR_IO).
 */
gboolean kt_outbox_exec(char **argv, const char *text, guint timeout_s, GError **error);

/* ---- the lock ---------------------------------------------------------------------- */

typedef struct _KtStateLock KtStateLock;

/*
 * (transfer full) Takes the exclusive lock of the state at @state_path (flock on
 * "@state_path.lock", mode 0600, not followed when a symbolic link) and writes our pid
 * into it. When another process holds it: waits up to @wait_seconds (< 0 = forever,
 * 0 = not at all), then returns NULL and sets KT_ERROR_LOCKED with the holder's pid.
 * Returns NULL and sets KT_ERROR_IO when the lock file cannot be opened.
 */
KtStateLock *kt_state_lock(const char *state_path, int wait_seconds, GError **error);
/* Releases the lock (the lock file stays, so that the lock is never split). */
void kt_state_unlock(KtStateLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtStateLock, kt_state_unlock)

#endif
