/*
 * addr.c - hand-written IPv4/IPv6 parsing, canonical formatting, masks and CIDR blocks
 * (record stage). Every parser reads only inside the given view and allocates nothing.
 */
#include "keytrail/addr.h"

#include <stdio.h>

static gboolean
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Parses a dotted quad filling all of @p..@end into @out[4]. Octets are decimal, one to
 * three digits, <= 255; a leading zero ("07", "010") is read as decimal and flagged.
 */
static gboolean
parse_v4(const char *p, const char *end, guint8 *out, gboolean *lz)
{
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (p >= end || *p != '.')
                return FALSE;
            p++;
        }
        int v = 0, n = 0;
        const char *start = p;
        while (p < end && is_digit(*p) && n < 4) {
            v = v * 10 + (*p - '0');
            p++;
            n++;
        }
        if (n == 0 || n > 3 || v > 255)
            return FALSE;
        if (n > 1 && *start == '0')
            *lz = TRUE;
        out[i] = (guint8)v;
    }
    return p == end;
}

/* Parses one group of 1-4 hex digits at *@pp; returns -1 when there is none. */
static int
parse_group(const char **pp, const char *end)
{
    const char *p = *pp;
    int v = 0, n = 0;
    while (p < end && n < 5) {
        int h = hex_value(*p);
        if (h < 0)
            break;
        v = (v << 4) | h;
        p++;
        n++;
    }
    if (n == 0 || n > 4)
        return -1;
    *pp = p;
    return v;
}

/* TRUE when the text from @p up to @end contains a '.' before any ':' (IPv4 tail). */
static gboolean
has_v4_tail(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p == '.')
            return TRUE;
        if (*p == ':')
            return FALSE;
    }
    return FALSE;
}

/*
 * Parses IPv6 text (all RFC 4291 forms, including "::" and an IPv4 tail) filling all of
 * @p..@end into @out[16]. A zone suffix ("%eth0") is accepted and ignored.
 */
static gboolean
parse_v6(const char *p, const char *end, guint8 *out, gboolean *lz)
{
    const char *pct = memchr(p, '%', (gsize)(end - p));
    if (pct != NULL) {
        if (pct + 1 == end)
            return FALSE;
        end = pct;
    }
    guint16 words[8] = { 0 };
    int n = 0, gap = -1;
    if (end - p >= 2 && p[0] == ':' && p[1] == ':') {
        gap = 0;
        p += 2;
    } else if (p < end && *p == ':') {
        return FALSE;
    }
    while (p < end) {
        if (n >= 8)
            return FALSE;
        if (has_v4_tail(p, end)) {
            guint8 q[4];
            if (n > 6 || !parse_v4(p, end, q, lz))
                return FALSE;
            words[n++] = (guint16)(q[0] << 8 | q[1]);
            words[n++] = (guint16)(q[2] << 8 | q[3]);
            p = end;
            break;
        }
        int g = parse_group(&p, end);
        if (g < 0)
            return FALSE;
        words[n++] = (guint16)g;
        if (p == end)
            break;
        if (*p != ':')
            return FALSE;
        p++;
        if (p < end && *p == ':') {
            if (gap >= 0)
                return FALSE;
            gap = n;
            p++;
        } else if (p == end) {
            return FALSE; /* trailing single ':' */
        }
    }
    if (gap < 0 && n != 8)
        return FALSE;
    if (gap >= 0 && n > 7)
        return FALSE;
    int fill = 8 - n;
    int w = 0;
    guint16 full[8] = { 0 };
    for (int i = 0; i < n; i++) {
        if (i == gap)
            w += fill;
        full[w++] = words[i];
    }
    for (int i = 0; i < 8; i++) {
        out[2 * i] = (guint8)(full[i] >> 8);
        out[2 * i + 1] = (guint8)(full[i] & 0xff);
    }
    return TRUE;
}

/* TRUE when @p..@end is a decimal port 0..65535. */
static gboolean
is_port(const char *p, const char *end)
{
    if (p >= end || end - p > 5)
        return FALSE;
    guint v = 0;
    for (; p < end; p++) {
        if (!is_digit(*p))
            return FALSE;
        v = v * 10 + (guint)(*p - '0');
    }
    return v <= 65535;
}

/* Stores a parsed IPv6 address, turning IPv4-mapped "::ffff:a.b.c.d" into V4. */
static void
store_v6(KtAddr *out, const guint8 *b)
{
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (memcmp(b, mapped, 12) == 0) {
        out->family = KT_ADDR_V4;
        memcpy(out->bytes, b + 12, 4);
    } else {
        out->family = KT_ADDR_V6;
        memcpy(out->bytes, b, 16);
    }
}

/* Parses the unbracketed forms: IPv4, "ipv4:port", IPv6. */
static gboolean
parse_plain(const char *p, const char *end, KtAddr *out, gboolean *lz)
{
    const char *colon = memchr(p, ':', (gsize)(end - p));
    if (colon == NULL) {
        if (!parse_v4(p, end, out->bytes, lz))
            return FALSE;
        out->family = KT_ADDR_V4;
        return TRUE;
    }
    const char *second = memchr(colon + 1, ':', (gsize)(end - colon - 1));
    if (second == NULL && colon > p && is_port(colon + 1, end)) {
        gboolean lz4 = FALSE;
        if (parse_v4(p, colon, out->bytes, &lz4)) {
            out->family = KT_ADDR_V4;
            *lz = *lz || lz4;
            return TRUE;
        }
    }
    guint8 b[16];
    if (!parse_v6(p, end, b, lz))
        return FALSE;
    store_v6(out, b);
    return TRUE;
}

gboolean
kt_addr_parse(KtStrView s, KtAddr *out, gboolean *leading_zero)
{
    g_return_val_if_fail(out != NULL, FALSE);
    memset(out, 0, sizeof(*out));
    if (leading_zero != NULL)
        *leading_zero = FALSE;
    if (s.ptr == NULL)
        return FALSE;
    const char *p = s.ptr, *end = s.ptr + s.len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end) {
        return FALSE; /* empty or blank: NONE */
    }
    gboolean lz = FALSE, ok;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (gsize)(end - p));
        guint8 b[16];
        ok = rb != NULL && (rb + 1 == end || (rb[1] == ':' && is_port(rb + 2, end))) &&
             parse_v6(p + 1, rb, b, &lz);
        if (ok)
            store_v6(out, b);
    } else {
        ok = parse_plain(p, end, out, &lz);
    }
    if (!ok) {
        memset(out, 0, sizeof(*out));
        out->family = KT_ADDR_NAMED;
        return FALSE;
    }
    if (leading_zero != NULL)
        *leading_zero = lz;
    return TRUE;
}

/* Formats 16 bytes as RFC 5952 text: lower-case hex, longest zero run (>= 2) as "::". */
static void
format_v6(const guint8 *b, char *buf)
{
    guint16 w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (guint16)(b[2 * i] << 8 | b[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (w[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    char *o = buf;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *o++ = ':';
            if (i == 0)
                *o++ = ':';
            i += best_len - 1;
            continue;
        }
        o += sprintf(o, "%x", w[i]);
        if (i < 7)
            *o++ = ':';
    }
    *o = '\0';
}

char *
kt_addr_format(const KtAddr *a, char *buf)
{
    buf[0] = '\0';
    if (a->family == KT_ADDR_V4)
        sprintf(buf, "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
    else if (a->family == KT_ADDR_V6)
        format_v6(a->bytes, buf);
    return buf;
}

void
kt_addr_mask(const KtAddr *a, int bits, KtAddr *out)
{
    int total = a->family == KT_ADDR_V4 ? 32 : a->family == KT_ADDR_V6 ? 128 : 0;
    KtAddr m = *a;
    bits = CLAMP(bits, 0, total);
    for (int i = 0; i < 16; i++) {
        int keep = CLAMP(bits - 8 * i, 0, 8);
        m.bytes[i] &= (guint8)(0xff00u >> keep);
    }
    *out = m;
}

char *
kt_addr_network(const KtAddr *a, char *buf)
{
    buf[0] = '\0';
    if (a->family != KT_ADDR_V4 && a->family != KT_ADDR_V6)
        return buf;
    int bits = a->family == KT_ADDR_V4 ? 24 : 48;
    KtAddr m;
    kt_addr_mask(a, bits, &m);
    kt_addr_format(&m, buf);
    sprintf(buf + strlen(buf), "/%d", bits);
    return buf;
}

gboolean
kt_cidr_parse(const char *s, KtCidr *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return FALSE;
    const char *slash = strchr(s, '/');
    gsize alen = slash != NULL ? (gsize)(slash - s) : strlen(s);
    KtAddr a;
    /* The prefix of a v4-mapped block ("::ffff:10.0.0.0/104") counts from bit 96. */
    gboolean mapped = memchr(s, '.', alen) != NULL && memchr(s, ':', alen) != NULL;
    if (!kt_addr_parse(kt_sv_len(s, alen), &a, NULL))
        return FALSE;
    int total = a.family == KT_ADDR_V4 ? 32 : 128;
    int bits = total;
    if (slash != NULL) {
        const char *p = slash + 1;
        if (*p == '\0' || strlen(p) > 3)
            return FALSE;
        bits = 0;
        for (; *p != '\0'; p++) {
            if (!is_digit(*p))
                return FALSE;
            bits = bits * 10 + (*p - '0');
        }
        if (mapped && a.family == KT_ADDR_V4) {
            if (bits < 96 || bits > 128)
                return FALSE;
            bits -= 96;
        }
        if (bits > total)
            return FALSE;
    }
    kt_addr_mask(&a, bits, &out->base);
    out->bits = bits;
    return TRUE;
}

gboolean
kt_cidr_contains(const KtCidr *c, const KtAddr *a)
{
    if (a->family != c->base.family ||
        (a->family != KT_ADDR_V4 && a->family != KT_ADDR_V6))
        return FALSE;
    KtAddr m;
    kt_addr_mask(a, c->bits, &m);
    return memcmp(m.bytes, c->base.bytes, 16) == 0;
}
