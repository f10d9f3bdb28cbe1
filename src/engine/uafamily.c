/*
 * uafamily.c - user-agent families (product and major version), so that an SDK patch
 * bump is not a new agent, and the built-in attack-tool list of known_bad.
 */
#include <string.h>

#include "classify.h"

/* Generic leading products that say nothing about the client; the next one is used. */
static const char *const skip_products[] = { "APN", "exec-env", NULL };

/* Browser products, most specific first (Edge and Opera also claim Chrome/Safari). */
static const char *const browser_products[] = { "Edg", "EdgA", "OPR", "Firefox", "Chrome",
                                                "CriOS", "FxiOS", NULL };

static gboolean
is_token_char(char c)
{
    return c != '\0' && c != ' ' && c != '\t' && c != '(' && c != ')' && c != '[' &&
           c != ']' && c != ';' && c != ',';
}

/* Writes "product/major" for the token at @s (product up to '/', major = leading digits
 * of the version) into @buf; the bare product when there is no version. */
static void
token_family(const char *s, gsize len, char *buf)
{
    const char *slash = memchr(s, '/', len);
    gsize plen = slash != NULL ? (gsize)(slash - s) : len;
    plen = MIN(plen, (gsize)KT_UA_FAMILY_MAX - 12);
    memcpy(buf, s, plen);
    gsize o = plen;
    if (slash != NULL) {
        const char *v = slash + 1, *end = s + len;
        gsize digits = 0;
        while (v + digits < end && digits < 8 && g_ascii_isdigit(v[digits]))
            digits++;
        if (digits > 0) {
            buf[o++] = '/';
            memcpy(buf + o, v, digits);
            o += digits;
        }
    }
    buf[o] = '\0';
}

/* Finds "Product/" as a whole token in @ua; returns the token start or NULL. */
static const char *
find_product(const char *ua, const char *product)
{
    gsize n = strlen(product);
    for (const char *p = strstr(ua, product); p != NULL; p = strstr(p + 1, product)) {
        if ((p == ua || !is_token_char(p[-1])) && p[n] == '/')
            return p;
    }
    return NULL;
}

static gboolean
browser_family(const char *ua, char *buf)
{
    for (int i = 0; browser_products[i] != NULL; i++) {
        const char *p = find_product(ua, browser_products[i]);
        if (p != NULL) {
            gsize len = 0;
            while (is_token_char(p[len]))
                len++;
            token_family(p, len, buf);
            return TRUE;
        }
    }
    const char *safari = find_product(ua, "Safari");
    const char *version = find_product(ua, "Version");
    if (safari != NULL && version != NULL) {
        char tmp[KT_UA_FAMILY_MAX];
        gsize len = 0;
        while (is_token_char(version[len]))
            len++;
        token_family(version, len, tmp);
        /* "Version/17" -> "Safari/17" */
        g_snprintf(buf, KT_UA_FAMILY_MAX, "Safari%s", tmp + strlen("Version"));
        return TRUE;
    }
    return FALSE;
}

static gboolean
is_skipped(const char *s, gsize len)
{
    for (int i = 0; skip_products[i] != NULL; i++) {
        gsize n = strlen(skip_products[i]);
        if (len > n && strncmp(s, skip_products[i], n) == 0 && s[n] == '/')
            return TRUE;
    }
    return FALSE;
}

char *
kt_ua_family(const char *ua, char *buf)
{
    buf[0] = '\0';
    if (ua == NULL)
        return buf;
    const char *p = ua;
    for (;;) {
        while (*p != '\0' && !is_token_char(*p))
            p++;
        if (*p == '\0')
            return buf;
        gsize len = 0;
        while (is_token_char(p[len]))
            len++;
        if (len > 8 && strncmp(p, "Mozilla/", 8) == 0 && browser_family(ua, buf))
            return buf;
        token_family(p, len, buf);
        if (!is_skipped(p, len))
            return buf;
        p += len;
    }
}

gboolean
kt_str_contains_ci(const char *hay, const char *needle)
{
    gsize n = strlen(needle);
    if (n == 0 || hay == NULL)
        return FALSE;
    for (const char *p = hay; *p != '\0'; p++) {
        if (g_ascii_strncasecmp(p, needle, n) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Attack tools and offensive distributions, matched as words (not inside a letter run). */
static const char *const attack_tools[] = { "trufflehog", "sqlmap", "nuclei", "masscan",
                                            "zgrab", "nikto", "pacu", "kali", "parrot",
                                            "pentoo", NULL };

gboolean
kt_ua_is_attack_tool(const char *ua, const char **tool)
{
    if (ua == NULL)
        return FALSE;
    for (int i = 0; attack_tools[i] != NULL; i++) {
        gsize n = strlen(attack_tools[i]);
        for (const char *p = ua; *p != '\0'; p++) {
            if (g_ascii_strncasecmp(p, attack_tools[i], n) != 0)
                continue;
            gboolean left = p == ua || !g_ascii_isalpha(p[-1]);
            gboolean right = !g_ascii_isalpha(p[n]);
            if (left && right) {
                if (tool != NULL)
                    *tool = attack_tools[i];
                return TRUE;
            }
        }
    }
    return FALSE;
}
