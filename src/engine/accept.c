/*
 * accept.c - teaching the engine that a source or user agent of a key is benign
 * (`keytrail accept`, applied by watch after loading its state): the value joins the
 * key's baseline, so it is judged as known from then on.
 */
#include "classify.h"
#include "engine-private.h"

/* Makes @id part of @s's baseline (inserting it when absent). */
static void
learn_accepted(KtValSet *s, guint32 id, gint64 now_ms)
{
    if (id == 0)
        return;
    KtVal *v = kt_valset_find(s, id);
    if (v == NULL)
        v = kt_valset_insert(s, id, now_ms);
    kt_valset_set_flags(s, v, (v->flags | KT_VAL_BASE) & ~(guint32)KT_VAL_NEW);
}

static KtEntity *
find_entity(KtEngine *e, const char *key)
{
    guint32 id = kt_dict_lookup(e->dict, KT_SPACE_KEY, kt_sv(key));
    KtEntity *ent = id != 0 ? kt_engine_entity_lookup(e, id, FALSE) : NULL;
    if (ent == NULL) {
        id = kt_dict_lookup(e->dict, KT_SPACE_PRINCIPAL, kt_sv(key));
        ent = id != 0 ? kt_engine_entity_lookup(e, id, TRUE) : NULL;
    }
    return ent;
}

static void
accept_cidr(KtEngine *e, KtEntity *ent, const KtCidr *c)
{
    const KtAddr *a = &c->base;
    gboolean v4 = a->family == KT_ADDR_V4;
    if (a->family != KT_ADDR_V4 && a->family != KT_ADDR_V6)
        return;
    char buf[KT_ADDR_TEXT_MAX + 8];
    if (c->bits == (v4 ? 32 : 128)) {
        kt_addr_format(a, buf);
        learn_accepted(&ent->ips, kt_dict_intern_source(e->dict, kt_sv(buf), NULL), ent->last_ms);
    }
    /* the /24 (/48) network when the block lies inside one; the /16 (/32) range too */
    if (c->bits >= (v4 ? 24 : 48))
        learn_accepted(&ent->nets, kt_engine_intern(e, kt_addr_network(a, buf)), ent->last_ms);
    if (c->bits >= (v4 ? 16 : 32)) {
        KtAddr m;
        kt_addr_mask(a, v4 ? 16 : 32, &m);
        kt_addr_format(&m, buf);
        g_strlcat(buf, v4 ? "/16" : "/32", sizeof(buf));
        learn_accepted(&ent->wide, kt_engine_intern(e, buf), ent->last_ms);
    }
}

void
kt_engine_accept(KtEngine *e, const char *key, const KtCidr *cidr, const char *ua)
{
    g_return_if_fail(e != NULL && key != NULL);
    KtEntity *ent = find_entity(e, key);
    if (ent == NULL)
        return; /* nothing learned for this key yet: watch keeps suppressing its alerts */
    if (cidr != NULL)
        accept_cidr(e, ent, cidr);
    if (ua != NULL) {
        char fam[KT_UA_FAMILY_MAX];
        learn_accepted(&ent->uas, kt_engine_intern(e, kt_ua_family(ua, fam)), ent->last_ms);
    }
    e->res_valid = FALSE;
}
