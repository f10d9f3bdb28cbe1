/*
 * fuzz_addr.c - libFuzzer target: address and CIDR parsing. An accepted address must
 * format to text that parses back to the same address.
 */
#include <stdlib.h>

#include "keytrail/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    KtAddr a, b;
    gboolean lz;
    if (kt_addr_parse(kt_sv_len((const char *)data, size), &a, &lz)) {
        char buf[KT_ADDR_TEXT_MAX], net[KT_ADDR_TEXT_MAX + 4];
        kt_addr_format(&a, buf);
        if (!kt_addr_parse(kt_sv(buf), &b, NULL) || memcmp(&a, &b, sizeof(a)) != 0)
            abort();
        kt_addr_network(&a, net);
    }
    g_autofree char *z = g_strndup((const char *)data, size);
    KtCidr c;
    if (kt_cidr_parse(z, &c)) {
        KtAddr probe = c.base;
        if (!kt_cidr_contains(&c, &probe))
            abort();
    }
    return 0;
}
