/*
 * kt-count-only.c - the bench's awk count-only script (`awk -F, 'NR>1 {n[$2]++} END {for
 * (k in n) print k, n[k]}'`) written in plain C, as a yardstick: block reads, lines and
 * the first two fields split with memchr, one open-addressing table of the second field.
 * No quoting, no timestamps, nothing else. It prints each value and its count (in table
 * order) and, on stderr, the lines read.
 *
 * Why it exists: it is about the least a program can do to answer the awk script's
 * question, so its time says how much room any CSV tool has. The bench sets it beside
 * mawk, keytrail's parse floor and the engine alone (docs/PERFORMANCE.md, "mawk").
 * Like the awk script, it splits on every comma: a quoted field holding one before the
 * second field would shift it, which the bench's CSV never has.
 *
 * usage: kt-count-only FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (1u << 20) /* bytes read at a time */

typedef struct {
    char *text; /* NULL = empty slot */
    size_t len;
    uint64_t hash;
    unsigned long count;
} Slot;

typedef struct {
    Slot *slots;
    size_t mask; /* capacity - 1, a power of two */
    size_t used;
} Table;

static uint64_t
hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL) {
        fprintf(stderr, "kt-count-only: out of memory\n");
        exit(2);
    }
    return p;
}

static void table_add(Table *t, const char *p, size_t n);

static void
table_grow(Table *t)
{
    Table bigger = { xcalloc((t->mask + 1) * 2, sizeof(Slot)), t->mask * 2 + 1, 0 };
    for (size_t i = 0; i <= t->mask; i++) {
        Slot *s = &t->slots[i];
        if (s->text == NULL)
            continue;
        size_t j = s->hash & bigger.mask;
        while (bigger.slots[j].text != NULL)
            j = (j + 1) & bigger.mask;
        bigger.slots[j] = *s;
        bigger.used++;
    }
    free(t->slots);
    *t = bigger;
}

static void
table_add(Table *t, const char *p, size_t n)
{
    uint64_t h = hash_bytes(p, n);
    size_t i = h & t->mask;
    for (;;) {
        Slot *s = &t->slots[i];
        if (s->text == NULL)
            break;
        if (s->hash == h && s->len == n && memcmp(s->text, p, n) == 0) {
            s->count++;
            return;
        }
        i = (i + 1) & t->mask;
    }
    Slot *s = &t->slots[i];
    s->text = xcalloc(n + 1, 1);
    memcpy(s->text, p, n);
    s->len = n;
    s->hash = h;
    s->count = 1;
    if (++t->used * 10 > (t->mask + 1) * 7)
        table_grow(t);
}

/* Counts the second comma-separated field of the line [p, end) (past the header). */
static void
count_line(Table *t, const char *p, const char *end)
{
    const char *c1 = memchr(p, ',', (size_t)(end - p));
    if (c1 == NULL) { /* awk's $2 is then empty: counted under "" */
        table_add(t, p, 0);
        return;
    }
    const char *c2 = memchr(c1 + 1, ',', (size_t)(end - c1 - 1));
    if (c2 == NULL)
        c2 = end;
    table_add(t, c1 + 1, (size_t)(c2 - c1 - 1));
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: kt-count-only FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "kt-count-only: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    Table t = { xcalloc(1024, sizeof(Slot)), 1023, 0 };
    size_t cap = BLOCK, have = 0;
    char *buf = xcalloc(cap, 1);
    unsigned long lines = 0;
    for (;;) {
        if (have == cap) { /* a line longer than the buffer */
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL) {
                fprintf(stderr, "kt-count-only: out of memory\n");
                return 2;
            }
        }
        ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "kt-count-only: %s: %s\n", argv[1], strerror(errno));
            return 2;
        }
        if (r == 0 && have > 0) { /* a last line without a newline */
            if (lines++ > 0)
                count_line(&t, buf, buf + have);
            have = 0;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        const char *p = buf, *end = buf + have;
        for (const char *nl; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1)
            if (lines++ > 0)
                count_line(&t, p, nl);
        have = (size_t)(end - p);
        memmove(buf, p, have);
    }
    close(fd);
    for (size_t i = 0; i <= t.mask; i++) {
        if (t.slots[i].text != NULL)
            printf("%s %lu\n", t.slots[i].text, t.slots[i].count);
        free(t.slots[i].text);
    }
    free(t.slots);
    free(buf);
    fprintf(stderr, "%lu lines\n", lines);
    return fflush(stdout) == 0 ? 0 : 2;
}
