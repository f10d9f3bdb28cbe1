/*
 * watch-private.h - what watch.c shares with watch-rejects.c (the rejected lines of a
 * run: their count per cursor and their report with true line numbers). Not a public
 * interface.
 *
 * Ownership rule: a KtWatchRejects owns copies of what it notes; it borrows the ingest
 * stage it is given.
 */
#ifndef KEYTRAIL_WATCH_PRIVATE_H
#define KEYTRAIL_WATCH_PRIVATE_H

#include "keytrail/cli.h"
#include "keytrail/state.h"

typedef struct _KtWatchRejects KtWatchRejects;

/* (transfer full) Nothing noted yet. Cannot fail. */
KtWatchRejects *kt_watch_rejects_new(void);
void kt_watch_rejects_free(KtWatchRejects *wr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtWatchRejects, kt_watch_rejects_free)

/*
 * To call right after @step's file was read into @in (the last input of
 * kt_ingest_stats()) as @path from @offset up to @end (just after the last complete line
 * consumed; @path is a temporary file for a KT_READ_GZIP_TAIL step). Adds the complete
 * lines read to step->cursor->lines (the newlines in [@offset, @end) of @path; for a
 * gzip file read whole, the lines the ingest stage counted) and the rejected ones to
 * step->cursor->rejected, and notes where that input's rejected lines stand in the file.
 * Cannot fail: a file that cannot be read again for counting leaves the cursor's line
 * count unknown.
 */
void kt_watch_rejects_note(KtWatchRejects *wr, KtIngest *in, const KtReadStep *step,
                           const char *path, guint64 offset, guint64 end);

/*
 * Writes to stderr how many of the lines read were rejected (per file when more than one
 * file has rejected lines, then the total) and the first KT_REPORT_REJECTS_SHOWN of them
 * as "FILE:LINE reason (detail): excerpt" with LINE counted from the start of the file
 * ("FILE (line N after byte offset O)" when the state did not know the lines before the
 * resume point), like the scan report: sanitized, keys masked unless o->reveal_keys.
 * Writes nothing when no line was rejected. Cannot fail.
 */
void kt_watch_rejects_report(KtWatchRejects *wr, KtIngest *in, const KtReportOptions *o);

#endif
