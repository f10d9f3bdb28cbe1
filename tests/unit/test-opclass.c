/*
 * test-opclass.c - operation categories for CloudTrail names, HTTP operations and
 * secret stores.
 */
#include "../../src/engine/classify.h"

typedef struct {
    const char *op;
    KtOpClass cls;
} OpCase;

static const OpCase op_cases[] = {
    { "iam:CreateUser", KT_OP_PRIVILEGE },
    { "iam.CreateUser", KT_OP_PRIVILEGE },
    { "iam.amazonaws.com:AttachUserPolicy", KT_OP_PRIVILEGE },
    { "iam:CreateAccessKey", KT_OP_PRIVILEGE },
    { "iam:ListUsers", KT_OP_RECON },
    { "iam:GetUser", KT_OP_RECON },
    { "iam:DeleteUser", KT_OP_DESTRUCTIVE },
    { "sts:GetCallerIdentity", KT_OP_RECON },
    { "sts.GetCallerIdentity", KT_OP_RECON },
    { "GetCallerIdentity", KT_OP_RECON },
    { "sts:AssumeRole", KT_OP_PRIVILEGE },
    { "sts:GetSessionToken", KT_OP_CREDENTIAL_ACCESS },
    { "s3:ListBuckets", KT_OP_RECON },
    { "s3:GetObject", KT_OP_DATA },
    { "s3:PutObject", KT_OP_DATA },
    { "s3:PutBucketPolicy", KT_OP_PRIVILEGE },
    { "s3:DeleteBucket", KT_OP_DESTRUCTIVE },
    { "ec2:DescribeInstances", KT_OP_RECON },
    { "ec2:TerminateInstances", KT_OP_DESTRUCTIVE },
    { "ec2:GetPasswordData", KT_OP_CREDENTIAL_ACCESS },
    { "secretsmanager:GetSecretValue", KT_OP_CREDENTIAL_ACCESS },
    { "secretsmanager.amazonaws.com:GetSecretValue", KT_OP_CREDENTIAL_ACCESS },
    { "secretsmanager:ListSecrets", KT_OP_RECON },
    { "ssm:GetParameters", KT_OP_CREDENTIAL_ACCESS },
    { "cloudtrail:StopLogging", KT_OP_DESTRUCTIVE },
    { "GET /v1/charges", KT_OP_DATA },
    { "POST /v1/charges", KT_OP_DATA },
    { "DELETE /v1/customers/cus_1", KT_OP_DESTRUCTIVE },
    { "GET /v1/secrets/db", KT_OP_CREDENTIAL_ACCESS },
    { "POST /api/admin/users", KT_OP_PRIVILEGE },
    { "read secret/data/prod/db", KT_OP_CREDENTIAL_ACCESS },
    { "list secret/metadata/", KT_OP_RECON },
    { "update auth/token/create", KT_OP_PRIVILEGE },
    { "delete secret/data/x", KT_OP_DESTRUCTIVE },
    { "fetch", KT_OP_CREDENTIAL_ACCESS },
    { "fetch variable:prod/db/password", KT_OP_CREDENTIAL_ACCESS },
    { "ec2:RunInstances", KT_OP_OTHER },
    { "", KT_OP_OTHER },
    { ":", KT_OP_OTHER },
    { "....", KT_OP_OTHER },
};

static void
test_classify(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(op_cases); i++) {
        KtOpClass c = kt_op_classify(op_cases[i].op);
        if (c != op_cases[i].cls)
            g_error("%s: got %s, want %s", op_cases[i].op, kt_op_class_name(c),
                    kt_op_class_name(op_cases[i].cls));
    }
    g_assert_cmpint(kt_op_classify(NULL), ==, KT_OP_OTHER);
}

static void
test_names(void)
{
    g_assert_cmpstr(kt_op_class_name(KT_OP_CREDENTIAL_ACCESS), ==, "credential_access");
    g_assert_cmpstr(kt_op_class_name(KT_OP_RECON), ==, "recon");
    g_assert_cmpstr(kt_op_class_name((KtOpClass)99), ==, "other");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/opclass/classify", test_classify);
    g_test_add_func("/opclass/names", test_names);
    return g_test_run();
}
