/*
 * dict.h - string interning for the record stage: every key, principal, source,
 * operation and user agent becomes a guint32 id (0 = absent), so records are fixed
 * size and baselines compare integers.
 *
 * Ownership rule: the KtDict owns every interned string; pointers returned by
 * kt_dict_str() stay valid until kt_dict_free(). Memory grows with distinct values,
 * never with events.
 */
#ifndef KEYTRAIL_DICT_H
#define KEYTRAIL_DICT_H

#include "keytrail/common.h"
#include "keytrail/event.h"

typedef enum {
    KT_SPACE_KEY = 0,
    KT_SPACE_PRINCIPAL,
    KT_SPACE_SOURCE,
    KT_SPACE_OP,
    KT_SPACE_UA,
    KT_SPACE_COUNT,
} KtSpace;

typedef struct _KtDict KtDict;

KtDict *kt_dict_new(void);
void kt_dict_free(KtDict *dict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtDict, kt_dict_free)

/* Interns @s in @space; returns its id (>= 1), or 0 when @s is empty. Cannot fail. */
guint32 kt_dict_intern(KtDict *dict, KtSpace space, KtStrView s);

/* Looks @s up without adding it; returns 0 when absent. */
guint32 kt_dict_lookup(const KtDict *dict, KtSpace space, KtStrView s);

/* (transfer none) The string for @id, "" for 0 or an unknown id. */
const char *kt_dict_str(const KtDict *dict, KtSpace space, guint32 id);

/* The content hash of the string of @id (0 for id 0): the same string has the same hash
 * in every dict, so it can order records independently of interning order. */
guint64 kt_dict_hash(const KtDict *dict, KtSpace space, guint32 id);

/* Number of ids in @space, including the reserved 0. */
guint32 kt_dict_size(const KtDict *dict, KtSpace space);

/* (transfer none) The parsed address of a source id (family NONE for 0). */
const KtAddr *kt_dict_addr(const KtDict *dict, guint32 source_id);

/* Interns a source: parses @s as an address (see keytrail/addr.h), stores the canonical
 * text for IPs (so "010.0.0.1", "::ffff:10.0.0.1" and "10.0.0.1:443" share one id) and
 * the text as is for named sources. Sets *@leading_zero when an IPv4 octet had one. */
guint32 kt_dict_intern_source(KtDict *dict, KtStrView s, gboolean *leading_zero);

/* Limits on distinct values, as ids per space (counting the reserved 0). */
typedef struct {
    guint32 max_keys;   /* keys: past it an unknown key is not interned */
    guint32 max_values; /* other spaces: past it an unknown value becomes "(other)" */
} KtDictLimits;

/*
 * Interns the values of @ev into @r (key, principal, source as by kt_dict_intern_source,
 * op, ua; in that order) and sets @hash[space] to kt_dict_hash() of each id: the ingest
 * hot path, one call per event. Once a space holds more ids than its limit in @lim, known
 * values keep their ids (a source looked up as given), an unknown key makes the call
 * return FALSE with nothing else interned, and any other unknown value gets the id of
 * "(other)". Sets *@leading_zero when an IPv4 octet of the source had one. The key and
 * op ids come from @ev->hints' slots when they hold them for this dict (the same ids
 * and hashes a lookup gives: a value's id never changes), and the ids found for them
 * are written into slots still 0 (a value's own id only, never that of "(other)");
 * the ua slot's id is used when its text is the user agent's, else rewritten.
 */
gboolean kt_dict_intern_event(KtDict *dict, const KtEventView *ev, const KtDictLimits *lim,
                              KtRecord *r, guint64 *hash, gboolean *leading_zero);

#endif
