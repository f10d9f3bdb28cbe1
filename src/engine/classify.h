/*
 * classify.h - value classifiers of the detection engine (private to src/engine and
 * its unit tests): user-agent families, attack-tool user agents, operation categories.
 * Each is computed once per distinct interned value and cached by the engine.
 *
 * Ownership rule: functions write into caller buffers and allocate nothing.
 */
#ifndef KT_ENGINE_CLASSIFY_H
#define KT_ENGINE_CLASSIFY_H

#include <glib.h>

#define KT_UA_FAMILY_MAX 64 /* bytes of a family, NUL included */

/*
 * Writes the family (product/major version) of user agent @ua into @buf (at least
 * KT_UA_FAMILY_MAX bytes): "aws-cli/2.13.5 Python/3.11" -> "aws-cli/2", "Boto3/1.28.1
 * md/Botocore#1.31.1" -> "Boto3/1", browsers -> "Chrome/120", "Firefox/121", a
 * product without a version -> the product ("TruffleHog"). "" for an empty agent.
 * Returns @buf.
 */
char *kt_ua_family(const char *ua, char *buf);

/* TRUE when @ua names a clear attack tool or offensive distribution (TruffleHog,
 * sqlmap, nuclei, masscan, zgrab, nikto, Pacu, Kali / Parrot / Pentoo builds), matched
 * case-insensitively as whole words. Sets *@tool (nullable) to the matched name. */
gboolean kt_ua_is_attack_tool(const char *ua, const char **tool);

/* TRUE when @hay contains @needle, ignoring ASCII case ("" never matches). */
gboolean kt_str_contains_ci(const char *hay, const char *needle);

typedef enum {
    KT_OP_OTHER = 0,
    KT_OP_DATA,              /* reads and writes of data: GetObject, GET /v1/items */
    KT_OP_RECON,             /* enumeration: List*, Describe*, GetCallerIdentity */
    KT_OP_CREDENTIAL_ACCESS, /* secrets: GetSecretValue, Vault read secret/..., Conjur fetch */
    KT_OP_PRIVILEGE,         /* identity and permission changes: iam:CreateUser, AssumeRole */
    KT_OP_DESTRUCTIVE,       /* deletion, disabling logging: Delete*, StopLogging, DELETE */
    KT_OP_CLASS_COUNT,
} KtOpClass;

/* Lower-case name of @c ("recon", "credential_access", ...). */
const char *kt_op_class_name(KtOpClass c);

/* Classifies operation @op: CloudTrail-style "service:Action", "service.Action",
 * "service.amazonaws.com:Action" or a bare "Action"; HTTP "METHOD /path"; Vault
 * "read|list|create|update|delete path"; Conjur "fetch ...". Cannot fail. */
KtOpClass kt_op_classify(const char *op);

#endif
