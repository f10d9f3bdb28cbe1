/*
 * clf-program.h - the compiled form of a web log format string (input stage): literal
 * and field steps, built once by kt_clf_compile() (clf-program.c) and run on every line
 * by kt_clf_run() or, for the preset layouts, kt_clf_fast_run() (clf-match.c). Private
 * to src/input/.
 */
#ifndef KEYTRAIL_CLF_PROGRAM_H
#define KEYTRAIL_CLF_PROGRAM_H

#include "keytrail/format.h"

#define KT_CLF_MAX_STEPS 64     /* steps in one compiled format */
#define KT_CLF_MAX_HEADERS 16   /* %{NAME}i fields in one format */
#define KT_CLF_MAX_FORMAT 4096  /* bytes in a format string */

/* What a field step fills. */
typedef enum {
    F_HOST,    /* %h %a: client address */
    F_IDENT,   /* %l */
    F_USER,    /* %u */
    F_TIME,    /* %t: [10/Oct/2000:13:55:36 -0700] */
    F_ISOTIME, /* %x: ISO 8601 */
    F_REQUEST, /* %r: METHOD PATH PROTO */
    F_METHOD,  /* %m */
    F_PATH,    /* %U */
    F_QUERY,   /* %q */
    F_PROTO,   /* %H */
    F_STATUS,  /* %s %>s */
    F_BYTES,   /* %b %B %O */
    F_VHOST,   /* %v %V */
    F_SKIP,    /* %^ %D %T and other ignored fields */
    F_HEADER,  /* %{NAME}i: request header, index in .arg */
    F_NFIELDS
} KtClfField;

typedef enum { STEP_LIT, STEP_FIELD } KtClfStepKind;

/* How the runner executes a step, chosen once by kt_clf_compile(). */
typedef enum {
    OP_SPACES, /* the literal " ": one or more spaces */
    OP_LIT,    /* another literal (a space in it matches one or more spaces) */
    OP_QUOTED, /* a field between double quotes: ends at an unescaped '"' */
    OP_TIME,   /* a CLF time field: "[...]" or "dd/Mon/yyyy:hh:mm:ss +zzzz" */
    OP_REST,   /* an unquoted request as the last step: the rest of the line */
    OP_PLAIN,  /* another field: ends at its stop byte */
} KtClfOp;

/* Values a program fills: the fields, then the %{NAME}i headers. */
#define KT_CLF_N_OUT (F_NFIELDS + KT_CLF_MAX_HEADERS)

typedef struct {
    guint8 kind;    /* KtClfStepKind */
    guint8 field;   /* KtClfField for STEP_FIELD */
    guint8 quoted;  /* the field sits between double quotes: ends at an unescaped '"' */
    guint8 arg;     /* header index for F_HEADER; 1 on F_PATH when %q follows (%U%q) */
    char stop;      /* an unquoted field ends at this byte (first byte of the next literal) */
    guint16 off;    /* literal: offset in KtClfProgram.text */
    guint16 len;    /* literal: length */
    guint8 op;      /* KtClfOp */
    guint8 slot;    /* field: where its value goes, F_NFIELDS + arg for a header */
} KtClfStep;

/* A compiled format. */
typedef struct {
    KtClfStep steps[KT_CLF_MAX_STEPS];
    guint n_steps;
    guint optional_from;   /* a line may end before this step (combined accepts common) */
    char text[KT_CLF_MAX_FORMAT]; /* literal bytes */
    char headers[KT_CLF_MAX_HEADERS][64]; /* header names, NUL-terminated */
    guint n_headers;
    gboolean has[F_NFIELDS]; /* fields present */
} KtClfProgram;

/* Compiles @fmt (Apache/GoAccess-like %-specifiers) into @pg. Returns FALSE and sets
 * @error (KT_ERROR_FORMAT_SPEC) for an empty, too long or unknown format, or one without a
 * time field. */
gboolean kt_clf_compile(KtClfProgram *pg, const char *fmt, GError **error);

typedef enum { MATCH_OK, MATCH_FAIL, MATCH_UNCLOSED } KtClfMatch;

/* Runs @pg over the line [@p, @end), writing the value of each field step it reaches
 * into @out (KT_CLF_N_OUT views; values of steps not reached are left as they were). */
KtClfMatch kt_clf_run(const KtClfProgram *pg, const char *p, const char *end, KtStrView *out);

/* The shape of a preset-like program that kt_clf_fast_run() matches without running
 * its steps: [%v:%p ]%h %l %u %t "%r" %>s %b[ "%{A}i" "%{B}i"]. */
typedef struct {
    gboolean on;          /* the program has that shape */
    gboolean vhost;       /* it starts with "%v:%p " */
    gboolean tail;        /* it ends with the two quoted headers */
    gboolean tail_optional; /* a line may end before them (optional_from) */
    guint8 tail_slot[2];  /* where the two headers go */
} KtClfFast;

/* Fills @fast for @pg: on only when @pg's steps are exactly the shape above. */
void kt_clf_fast_plan(KtClfFast *fast, const KtClfProgram *pg);

/* For a program planned "on": TRUE when the line is in the usual shape, with @out
 * filled exactly as kt_clf_run() fills it and returns MATCH_OK, and the two header
 * values set to KT_SV_NULL when the line ends before them (the values of the optional
 * steps, which a caller resets before kt_clf_run()); FALSE for any other line, which
 * kt_clf_run() then decides (@out may be partly written: reset it first, as for any
 * line). Never rejects. */
gboolean kt_clf_fast_run(const KtClfFast *fast, const char *p, const char *end, KtStrView *out);

#endif
