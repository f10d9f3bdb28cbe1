/*
 * linesplit.h - private to the line-based formats (input stage): what the line splitter
 * knows about the block a line came from, so that a format need not scan each line for
 * a byte the whole block lacks.
 */
#ifndef KEYTRAIL_LINESPLIT_H
#define KEYTRAIL_LINESPLIT_H

#include "keytrail/format.h"

/* TRUE when the @len bytes at @line (a line passed to the splitter's callback) contain
 * @byte. Answers from one memchr over the block being split when the line lies inside
 * it and the block lacks @byte; scans the line otherwise (a line assembled from two
 * blocks, or a block that has the byte). Never reads outside the line or the block. */
gboolean kt_line_splitter_line_has(KtLineSplitter *ls, const char *line, gsize len, char byte);

#endif
