/*
 * addr.h - IP address parsing and formatting for the record stage.
 * Accepts IPv4, IPv4 with leading-zero octets (decimal, flagged), IPv6, IPv4-mapped
 * IPv6 (stored as IPv4), "ip:port", "[v6]:port" and "[v6]". Anything else that is not
 * empty is a named source ("ec2.amazonaws.com", "AWS Internal").
 *
 * Ownership rule: functions write into caller-provided buffers; nothing is allocated.
 */
#ifndef KEYTRAIL_ADDR_H
#define KEYTRAIL_ADDR_H

#include "keytrail/event.h"

#define KT_ADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

/*
 * Parses @s into @out. Returns TRUE and sets family V4/V6 for an IP; sets
 * *@leading_zero (nullable) when an IPv4 octet had a leading zero. Returns FALSE and
 * sets family NAMED for any other non-empty text, NONE for empty text. Never allocates.
 */
gboolean kt_addr_parse(KtStrView s, KtAddr *out, gboolean *leading_zero);

/* Writes the canonical text of an IP (inet_ntop style, IPv6 compressed) into @buf of
 * at least KT_ADDR_TEXT_MAX bytes; "" for NONE/NAMED. Returns @buf. */
char *kt_addr_format(const KtAddr *a, char *buf);

/* Writes the network of @a as "198.51.100.0/24" (IPv4 /24) or "2001:db8:1::/48" (IPv6
 * /48) into @buf of at least KT_ADDR_TEXT_MAX + 4 bytes; "" for non-IPs. Returns @buf. */
char *kt_addr_network(const KtAddr *a, char *buf);

/* Masks @a to its first @bits bits into @out (family kept). */
void kt_addr_mask(const KtAddr *a, int bits, KtAddr *out);

/* A CIDR block. */
typedef struct {
    KtAddr base; /* already masked */
    int bits;    /* prefix length */
} KtCidr;

/* Parses "10.0.0.0/8", "2001:db8::/32" or a bare IP (full-length prefix). */
gboolean kt_cidr_parse(const char *s, KtCidr *out);

/* TRUE when @a lies in @c (same family, prefix matches). */
gboolean kt_cidr_contains(const KtCidr *c, const KtAddr *a);

#endif
