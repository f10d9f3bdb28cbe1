/*
 * catalog.c - what the generated logs talk about, per source family: operations by
 * category (everyday reads and writes, recon, privilege, credential access, bulk reads),
 * user agents (benign ones with a patch-bumped twin, then attack tools), AWS regions and
 * the output format names.
 */
#include "ktgen.h"

typedef struct {
    const KgOp *ops[KG_OP_NCAT];
    guint n[KG_OP_NCAT];
} KgOpTable;

#define T(arr) arr, G_N_ELEMENTS(arr)

/* ---- AWS (CloudTrail eventSource / eventName) ------------------------------------------ */
static const KgOp aws_read[] = {
    { "s3.amazonaws.com", "GetObject", FALSE, TRUE },
    { "sqs.amazonaws.com", "ReceiveMessage", FALSE, TRUE },
    { "kms.amazonaws.com", "Decrypt", FALSE, TRUE },
    { "dynamodb.amazonaws.com", "Query", FALSE, TRUE },
    { "ssm.amazonaws.com", "GetParameter", FALSE, TRUE },
    { "ec2.amazonaws.com", "DescribeInstances", FALSE, TRUE },
    { "logs.amazonaws.com", "DescribeLogStreams", FALSE, TRUE },
    { "monitoring.amazonaws.com", "GetMetricData", FALSE, TRUE },
};
static const KgOp aws_write[] = {
    { "s3.amazonaws.com", "PutObject", FALSE, FALSE },
    { "sqs.amazonaws.com", "SendMessage", FALSE, FALSE },
    { "dynamodb.amazonaws.com", "PutItem", FALSE, FALSE },
    { "logs.amazonaws.com", "PutLogEvents", FALSE, FALSE },
    { "ecr.amazonaws.com", "PutImage", FALSE, FALSE },
};
static const KgOp aws_recon[] = {
    { "sts.amazonaws.com", "GetCallerIdentity", TRUE, TRUE },
    { "iam.amazonaws.com", "ListUsers", TRUE, TRUE },
    { "iam.amazonaws.com", "ListRoles", TRUE, TRUE },
    { "iam.amazonaws.com", "GetAccountAuthorizationDetails", TRUE, TRUE },
    { "s3.amazonaws.com", "ListBuckets", FALSE, TRUE },
    { "ec2.amazonaws.com", "DescribeRegions", FALSE, TRUE },
    { "iam.amazonaws.com", "ListAttachedUserPolicies", TRUE, TRUE },
    { "organizations.amazonaws.com", "DescribeOrganization", TRUE, TRUE },
    { "lambda.amazonaws.com", "ListFunctions20150331", FALSE, TRUE },
    { "secretsmanager.amazonaws.com", "ListSecrets", FALSE, TRUE },
};
static const KgOp aws_priv[] = {
    { "iam.amazonaws.com", "CreateUser", TRUE, FALSE },
    { "iam.amazonaws.com", "AttachUserPolicy", TRUE, FALSE },
    { "iam.amazonaws.com", "CreateAccessKey", TRUE, FALSE },
    { "iam.amazonaws.com", "CreateLoginProfile", TRUE, FALSE },
    { "iam.amazonaws.com", "PutUserPolicy", TRUE, FALSE },
};
static const KgOp aws_cred[] = {
    { "secretsmanager.amazonaws.com", "GetSecretValue", FALSE, TRUE },
    { "ssm.amazonaws.com", "GetParameters", FALSE, TRUE },
    { "ec2.amazonaws.com", "GetPasswordData", FALSE, TRUE },
};
static const KgOp aws_bulk[] = {
    { "s3.amazonaws.com", "GetObject", FALSE, TRUE },
    { "dynamodb.amazonaws.com", "Scan", FALSE, TRUE },
    { "s3.amazonaws.com", "ListObjects", FALSE, TRUE },
};

/* ---- HTTP (a Stripe-like REST API: method, path) --------------------------------------- */
static const KgOp http_read[] = {
    { "GET", "/v1/charges", FALSE, TRUE },          { "GET", "/v1/customers", FALSE, TRUE },
    { "GET", "/v1/invoices", FALSE, TRUE },         { "GET", "/v1/payment_intents", FALSE, TRUE },
    { "GET", "/v1/subscriptions", FALSE, TRUE },    { "GET", "/v1/products", FALSE, TRUE },
    { "GET", "/v1/prices", FALSE, TRUE },           { "GET", "/v1/balance_transactions", FALSE, TRUE },
};
static const KgOp http_write[] = {
    { "POST", "/v1/payment_intents", FALSE, FALSE }, { "POST", "/v1/customers", FALSE, FALSE },
    { "POST", "/v1/refunds", FALSE, FALSE },         { "POST", "/v1/invoices", FALSE, FALSE },
    { "POST", "/v1/subscriptions", FALSE, FALSE },
};
static const KgOp http_recon[] = {
    { "GET", "/v1/account", FALSE, TRUE },      { "GET", "/v1/balance", FALSE, TRUE },
    { "GET", "/v1/webhook_endpoints", FALSE, TRUE }, { "GET", "/v1/accounts", FALSE, TRUE },
    { "GET", "/v1/events", FALSE, TRUE },       { "GET", "/v1/payouts", FALSE, TRUE },
};
static const KgOp http_priv[] = {
    { "POST", "/v1/webhook_endpoints", FALSE, FALSE },
    { "POST", "/v1/accounts", FALSE, FALSE },
    { "POST", "/v1/apps/secrets", FALSE, FALSE },
    { "DELETE", "/v1/webhook_endpoints", FALSE, FALSE },
    { "POST", "/v1/payouts", FALSE, FALSE },
};
static const KgOp http_cred[] = {
    { "GET", "/v1/apps/secrets", FALSE, TRUE },
    { "GET", "/v1/payment_methods", FALSE, TRUE },
};
static const KgOp http_bulk[] = {
    { "GET", "/v1/customers?limit=100", FALSE, TRUE },
    { "GET", "/v1/charges?limit=100", FALSE, TRUE },
    { "GET", "/v1/customers/search", FALSE, TRUE },
};

/* ---- HashiCorp Vault (request.operation, request.path) --------------------------------- */
static const KgOp vault_read[] = {
    { "read", "secret/data/billing/config", FALSE, TRUE },
    { "read", "secret/data/billing/db", FALSE, TRUE },
    { "update", "auth/token/renew-self", FALSE, FALSE },
    { "read", "database/creds/billing-ro", FALSE, TRUE },
    { "update", "transit/decrypt/payments", FALSE, FALSE },
    { "read", "secret/data/web/config", FALSE, TRUE },
};
static const KgOp vault_write[] = {
    { "update", "transit/encrypt/payments", FALSE, FALSE },
    { "create", "secret/data/billing/cache", FALSE, FALSE },
    { "update", "auth/token/revoke-self", FALSE, FALSE },
};
static const KgOp vault_recon[] = {
    { "read", "auth/token/lookup-self", FALSE, TRUE }, { "list", "secret/metadata/", FALSE, TRUE },
    { "read", "sys/mounts", FALSE, TRUE },             { "list", "auth/token/accessors", FALSE, TRUE },
    { "read", "sys/auth", FALSE, TRUE },               { "list", "sys/policies/acl", FALSE, TRUE },
};
static const KgOp vault_priv[] = {
    { "update", "sys/policies/acl/admin-shadow", FALSE, FALSE },
    { "create", "auth/token/create", FALSE, FALSE },
    { "update", "auth/approle/role/backup-svc", FALSE, FALSE },
    { "create", "auth/userpass/users/ops-admin", FALSE, FALSE },
};
static const KgOp vault_cred[] = {
    { "read", "secret/data/prod/aws", FALSE, TRUE },
    { "read", "database/creds/admin", FALSE, TRUE },
    { "read", "aws/creds/deploy", FALSE, TRUE },
};
static const KgOp vault_bulk[] = {
    { "list", "secret/metadata/prod", FALSE, TRUE },
    { "read", "secret/data/prod/customers-export", FALSE, TRUE },
};

/* ---- CyberArk Conjur (action operation, subject resource) ------------------------------ */
static const KgOp conjur_read[] = {
    { "fetch", "variable:apps/billing/db-password", FALSE, TRUE },
    { "authenticate", "webservice:conjur/authn-k8s/prod", FALSE, TRUE },
    { "fetch", "variable:apps/billing/api-key", FALSE, TRUE },
    { "check", "variable:apps/billing/db-password", FALSE, TRUE },
    { "fetch", "variable:apps/web/session-secret", FALSE, TRUE },
};
static const KgOp conjur_write[] = {
    { "update", "variable:apps/billing/api-key", FALSE, FALSE },
    { "update", "variable:apps/web/session-secret", FALSE, FALSE },
};
static const KgOp conjur_recon[] = {
    { "list", "variable:*", FALSE, TRUE },
    { "check", "policy:root", FALSE, TRUE },
    { "list", "host:*", FALSE, TRUE },
};
static const KgOp conjur_priv[] = {
    { "change", "policy:root", FALSE, FALSE },
    { "add", "host:backdoor", FALSE, FALSE },
    { "add", "user:ops-admin", FALSE, FALSE },
};
static const KgOp conjur_cred[] = {
    { "fetch", "variable:prod/aws/secret-access-key", FALSE, TRUE },
    { "fetch", "variable:prod/db/admin-password", FALSE, TRUE },
};
static const KgOp conjur_bulk[] = {
    { "fetch", "variable:prod/customers/export-key", FALSE, TRUE },
    { "fetch", "variable:prod/backup/encryption-key", FALSE, TRUE },
};

/* ---- GitHub audit log (action, repo) ---------------------------------------------------- */
static const KgOp gh_read[] = {
    { "git.clone", "acme/api", FALSE, TRUE },  { "git.fetch", "acme/api", FALSE, TRUE },
    { "git.fetch", "acme/web", FALSE, TRUE },  { "git.clone", "acme/infra", FALSE, TRUE },
};
static const KgOp gh_write[] = {
    { "git.push", "acme/api", FALSE, FALSE },
    { "pull_request.create", "acme/api", FALSE, FALSE },
    { "workflows.created_workflow_run", "acme/web", FALSE, FALSE },
};
static const KgOp gh_recon[] = {
    { "git.clone", "acme/terraform", FALSE, TRUE },
    { "git.clone", "acme/hr-tools", FALSE, TRUE },
    { "repo.download_zip", "acme/payments", FALSE, TRUE },
    { "git.clone", "acme/secrets-infra", FALSE, TRUE },
};
static const KgOp gh_priv[] = {
    { "org.add_member", "", FALSE, FALSE },
    { "repo.add_member", "acme/api", FALSE, FALSE },
    { "public_key.create", "", FALSE, FALSE },
    { "protected_branch.destroy", "acme/api", FALSE, FALSE },
};
static const KgOp gh_cred[] = {
    { "git.clone", "acme/vault-config", FALSE, TRUE },
    { "repo.download_zip", "acme/secrets-infra", FALSE, TRUE },
};
static const KgOp gh_bulk[] = {
    { "git.clone", "acme/monorepo", FALSE, TRUE },
    { "repo.download_zip", "acme/monorepo", FALSE, TRUE },
};

/* ---- GCP Cloud Audit Logs (serviceName, methodName) ------------------------------------- */
static const KgOp gcp_read[] = {
    { "storage.googleapis.com", "storage.objects.get", FALSE, TRUE },
    { "storage.googleapis.com", "storage.objects.list", FALSE, TRUE },
    { "bigquery.googleapis.com", "google.cloud.bigquery.v2.JobService.InsertJob", FALSE, TRUE },
    { "pubsub.googleapis.com", "google.pubsub.v1.Subscriber.Pull", FALSE, TRUE },
};
static const KgOp gcp_write[] = {
    { "storage.googleapis.com", "storage.objects.create", FALSE, FALSE },
    { "pubsub.googleapis.com", "google.pubsub.v1.Publisher.Publish", FALSE, FALSE },
};
static const KgOp gcp_recon[] = {
    { "cloudresourcemanager.googleapis.com", "GetIamPolicy", FALSE, TRUE },
    { "iam.googleapis.com", "google.iam.admin.v1.ListServiceAccounts", FALSE, TRUE },
    { "compute.googleapis.com", "v1.compute.instances.aggregatedList", FALSE, TRUE },
    { "storage.googleapis.com", "storage.buckets.list", FALSE, TRUE },
};
static const KgOp gcp_priv[] = {
    { "iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey", FALSE, FALSE },
    { "cloudresourcemanager.googleapis.com", "SetIamPolicy", FALSE, FALSE },
    { "iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccount", FALSE, FALSE },
};
static const KgOp gcp_cred[] = {
    { "secretmanager.googleapis.com",
      "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", FALSE, TRUE },
    { "iamcredentials.googleapis.com", "GenerateAccessToken", FALSE, TRUE },
};
static const KgOp gcp_bulk[] = {
    { "storage.googleapis.com", "storage.objects.get", FALSE, TRUE },
    { "bigquery.googleapis.com", "google.cloud.bigquery.v2.TableDataService.List", FALSE, TRUE },
};

static const KgOpTable op_tables[KG_FAM_N] = {
    [KG_FAM_AWS] = { { aws_read, aws_write, aws_recon, aws_priv, aws_cred, aws_bulk },
                     { G_N_ELEMENTS(aws_read), G_N_ELEMENTS(aws_write), G_N_ELEMENTS(aws_recon),
                       G_N_ELEMENTS(aws_priv), G_N_ELEMENTS(aws_cred), G_N_ELEMENTS(aws_bulk) } },
    [KG_FAM_HTTP] = { { http_read, http_write, http_recon, http_priv, http_cred, http_bulk },
                      { G_N_ELEMENTS(http_read), G_N_ELEMENTS(http_write),
                        G_N_ELEMENTS(http_recon), G_N_ELEMENTS(http_priv),
                        G_N_ELEMENTS(http_cred), G_N_ELEMENTS(http_bulk) } },
    [KG_FAM_VAULT] = { { vault_read, vault_write, vault_recon, vault_priv, vault_cred, vault_bulk },
                       { G_N_ELEMENTS(vault_read), G_N_ELEMENTS(vault_write),
                         G_N_ELEMENTS(vault_recon), G_N_ELEMENTS(vault_priv),
                         G_N_ELEMENTS(vault_cred), G_N_ELEMENTS(vault_bulk) } },
    [KG_FAM_CONJUR] = { { conjur_read, conjur_write, conjur_recon, conjur_priv, conjur_cred,
                          conjur_bulk },
                        { G_N_ELEMENTS(conjur_read), G_N_ELEMENTS(conjur_write),
                          G_N_ELEMENTS(conjur_recon), G_N_ELEMENTS(conjur_priv),
                          G_N_ELEMENTS(conjur_cred), G_N_ELEMENTS(conjur_bulk) } },
    [KG_FAM_GITHUB] = { { gh_read, gh_write, gh_recon, gh_priv, gh_cred, gh_bulk },
                        { G_N_ELEMENTS(gh_read), G_N_ELEMENTS(gh_write), G_N_ELEMENTS(gh_recon),
                          G_N_ELEMENTS(gh_priv), G_N_ELEMENTS(gh_cred), G_N_ELEMENTS(gh_bulk) } },
    [KG_FAM_GCP] = { { gcp_read, gcp_write, gcp_recon, gcp_priv, gcp_cred, gcp_bulk },
                     { G_N_ELEMENTS(gcp_read), G_N_ELEMENTS(gcp_write), G_N_ELEMENTS(gcp_recon),
                       G_N_ELEMENTS(gcp_priv), G_N_ELEMENTS(gcp_cred), G_N_ELEMENTS(gcp_bulk) } },
};

const KgOp *
kg_op(KgFamily fam, guint16 code)
{
    guint cat = code >> 8, idx = code & 0xff;
    g_assert(fam < KG_FAM_N && cat < KG_OP_NCAT);
    const KgOpTable *t = &op_tables[fam];
    return &t->ops[cat][idx % t->n[cat]];
}

guint
kg_op_count(KgFamily fam, KgOpCat cat)
{
    return op_tables[fam].n[cat];
}

/* ---- user agents ---------------------------------------------------------------------- */

typedef struct {
    const char *ua;      /* as released */
    const char *patched; /* the same product after a patch bump */
} KgUaPair;

static const KgUaPair aws_uas[] = {
    { "aws-cli/2.13.5 Python/3.11.4 Linux/6.2.0-1012-aws exe/x86_64.ubuntu.22 prompt/off",
      "aws-cli/2.13.9 Python/3.11.4 Linux/6.2.0-1012-aws exe/x86_64.ubuntu.22 prompt/off" },
    { "Boto3/1.28.40 md/Botocore#1.31.40 ua/2.0 os/linux#5.10.192-183.736.amzn2.x86_64 "
      "md/arch#x86_64 lang/python#3.11.5 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.40",
      "Boto3/1.28.44 md/Botocore#1.31.44 ua/2.0 os/linux#5.10.192-183.736.amzn2.x86_64 "
      "md/arch#x86_64 lang/python#3.11.5 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.44" },
    { "aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.38.5",
      "aws-sdk-go-v2/1.21.2 os/linux lang/go#1.21.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.38.5" },
    { "aws-sdk-java/2.20.130 Linux/5.10.186-179.751.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS "
      "Java/17.0.8 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
      "aws-sdk-java/2.20.135 Linux/5.10.186-179.751.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS "
      "Java/17.0.8 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy" },
    /* human keys from here on */
    { "aws-cli/2.15.10 Python/3.11.6 Darwin/23.2.0 exe/x86_64 prompt/off command/s3.ls",
      "aws-cli/2.15.12 Python/3.11.6 Darwin/23.2.0 exe/x86_64 prompt/off command/s3.ls" },
    { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/121.0.6167.85 Safari/537.36",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/121.0.6167.139 Safari/537.36" },
};
static const char *const aws_attack[KG_UA_ATTACK_N] = {
    "TruffleHog",
    "aws-cli/2.9.19 Python/3.11.7 Linux/6.6.9-amd64 source/x86_64.kali.2024 prompt/off",
    ("Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#6.5.0-14-generic md/arch#x86_64 "
     "lang/python#3.12.1 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.11"),
};

static const KgUaPair http_uas[] = {
    { "Stripe/v1 PythonBindings/7.8.0", "Stripe/v1 PythonBindings/7.8.2" },
    { "Stripe/v1 NodeBindings/14.12.0", "Stripe/v1 NodeBindings/14.12.1" },
    { "Stripe/v1 RubyBindings/10.5.0", "Stripe/v1 RubyBindings/10.5.3" },
    { "Stripe/v1 GoBindings/v76.10.0", "Stripe/v1 GoBindings/v76.10.1" },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/122.0.6261.69 Safari/537.36",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/122.0.6261.94 Safari/537.36" },
    { "PostmanRuntime/7.36.1", "PostmanRuntime/7.36.3" },
};
static const char *const http_attack[KG_UA_ATTACK_N] = {
    "TruffleHog",
    "python-requests/2.31.0 (Kali GNU/Linux Rolling; kali-linux-2024.1)",
    "python-requests/2.31.0",
};

static const KgUaPair vault_uas[] = {
    { "Go-http-client/1.1 vault-agent/1.15.2", "Go-http-client/1.1 vault-agent/1.15.4" },
    { "hvac/2.1.0 python-requests/2.31.0", "hvac/2.1.1 python-requests/2.31.0" },
    { "spring-vault/3.1.0", "spring-vault/3.1.1" },
    { "vault-k8s/1.3.1", "vault-k8s/1.3.2" },
    { "Vault/1.15.2 (+https://www.vaultproject.io/; go1.21.3)",
      "Vault/1.15.4 (+https://www.vaultproject.io/; go1.21.3)" },
    { "Vault/1.15.2 (+https://www.vaultproject.io/; go1.21.3; darwin)",
      "Vault/1.15.4 (+https://www.vaultproject.io/; go1.21.3; darwin)" },
};
static const char *const vault_attack[KG_UA_ATTACK_N] = {
    "TruffleHog",
    "Vault/1.13.1 (+https://www.vaultproject.io/; go1.20.2; kali-linux)",
    "curl/8.5.0",
};

static const KgUaPair gh_uas[] = {
    { "git/2.43.0", "git/2.43.2" },
    { "octokit-rest.js/20.0.2 octokit-core.js/5.0.2 Node.js/20", "octokit-rest.js/20.0.2 octokit-core.js/5.0.3 Node.js/20" },
    { "Terraform/1.6.6 terraform-provider-github/5.42.0", "Terraform/1.6.6 terraform-provider-github/5.42.1" },
    { "PyGithub/2.1.1 Python/3.11", "PyGithub/2.1.2 Python/3.11" },
    { "gh/2.42.1 (linux; amd64)", "gh/2.42.3 (linux; amd64)" },
    { "git/2.39.3 (Apple Git-145)", "git/2.39.5 (Apple Git-146)" },
};
static const char *const gh_attack[KG_UA_ATTACK_N] = {
    "TruffleHog",
    "git/2.43.0 (kali-linux-2024.1)",
    "python-requests/2.31.0",
};

static const KgUaPair gcp_uas[] = {
    { "google-api-go-client/0.5 gl-go/1.21.5 gdcl/0.154.0,gzip(gfe)",
      "google-api-go-client/0.5 gl-go/1.21.5 gdcl/0.154.2,gzip(gfe)" },
    { "gcloud-python/2.14.0 gl-python/3.11.6 grpc/1.60.0 gax/2.15.0 gccl/2.14.0,gzip(gfe)",
      "gcloud-python/2.14.1 gl-python/3.11.6 grpc/1.60.0 gax/2.15.0 gccl/2.14.1,gzip(gfe)" },
    { "Terraform/1.6.6 (+https://www.terraform.io) Terraform-Plugin-SDK/2.10.1 "
      "terraform-provider-google/5.10.0,gzip(gfe)",
      "Terraform/1.6.6 (+https://www.terraform.io) Terraform-Plugin-SDK/2.10.1 "
      "terraform-provider-google/5.10.1,gzip(gfe)" },
    { "grpc-java-netty/1.60.0,gzip(gfe)", "grpc-java-netty/1.60.1,gzip(gfe)" },
    { "google-cloud-sdk gcloud/460.0.0 command/gcloud.storage.ls invocation-id/7f3c interactive/True "
      "python/3.11.6 (Macintosh; Intel Mac OS X 14.2),gzip(gfe)",
      "google-cloud-sdk gcloud/460.0.2 command/gcloud.storage.ls invocation-id/7f3c interactive/True "
      "python/3.11.6 (Macintosh; Intel Mac OS X 14.2),gzip(gfe)" },
    { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.224 "
      "Safari/537.36,gzip(gfe)",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.234 "
      "Safari/537.36,gzip(gfe)" },
};
static const char *const gcp_attack[KG_UA_ATTACK_N] = {
    "TruffleHog",
    "google-cloud-sdk gcloud/458.0.1 command/gcloud.projects.list (Linux 6.6.9-amd64 kali),gzip(gfe)",
    "python-requests/2.31.0,gzip(gfe)",
};

typedef struct {
    const KgUaPair *benign;
    guint n;
    guint human_first;
    const char *const *attack;
} KgUaTable;

static const KgUaTable ua_tables[KG_FAM_N] = {
    [KG_FAM_AWS] = { T(aws_uas), 4, aws_attack },
    [KG_FAM_HTTP] = { T(http_uas), 4, http_attack },
    [KG_FAM_VAULT] = { T(vault_uas), 4, vault_attack },
    [KG_FAM_CONJUR] = { T(vault_uas), 4, vault_attack },
    [KG_FAM_GITHUB] = { T(gh_uas), 4, gh_attack },
    [KG_FAM_GCP] = { T(gcp_uas), 4, gcp_attack },
};

#define KG_UA_ATTACK_BASE 0x8000

guint
kg_ua_benign_count(KgFamily fam)
{
    return ua_tables[fam].n;
}

guint
kg_ua_human_first(KgFamily fam)
{
    return ua_tables[fam].human_first;
}

guint16
kg_ua_benign(guint idx, gboolean patched)
{
    return (guint16)(idx * 2 + (patched ? 1 : 0));
}

guint16
kg_ua_attack(KgAttackUa which)
{
    return (guint16)(KG_UA_ATTACK_BASE + which);
}

const char *
kg_ua(KgFamily fam, guint16 code)
{
    const KgUaTable *t = &ua_tables[fam];
    if (code == KG_UA_AWS_SERVICE)
        return "cloudformation.amazonaws.com";
    if (code >= KG_UA_ATTACK_BASE)
        return t->attack[(code - KG_UA_ATTACK_BASE) % KG_UA_ATTACK_N];
    const KgUaPair *p = &t->benign[(code / 2) % t->n];
    return (code & 1) ? p->patched : p->ua;
}

const char *const kg_aws_regions[] = { "eu-central-1", "us-east-1", "eu-west-1", "us-west-2" };

guint
kg_aws_region_count(void)
{
    return G_N_ELEMENTS(kg_aws_regions);
}

/* ---- formats ---------------------------------------------------------------------------- */

static const char *const format_names[KG_FMT_N] = {
    "csv",      "jsonl",  "jsonl-flat", "cloudtrail", "combined", "combined-user",
    "vault",    "conjur", "github",     "gcp",
};

const char *
kg_format_name(KgFormat f)
{
    return format_names[f];
}

gboolean
kg_format_parse(const char *name, KgFormat *out)
{
    for (guint i = 0; i < KG_FMT_N; i++) {
        if (g_strcmp0(name, format_names[i]) == 0) {
            *out = (KgFormat)i;
            return TRUE;
        }
    }
    return FALSE;
}

KgFamily
kg_format_family(KgFormat f)
{
    switch (f) {
    case KG_FMT_CLOUDTRAIL:
        return KG_FAM_AWS;
    case KG_FMT_VAULT:
        return KG_FAM_VAULT;
    case KG_FMT_CONJUR:
        return KG_FAM_CONJUR;
    case KG_FMT_GITHUB:
        return KG_FAM_GITHUB;
    case KG_FMT_GCP:
        return KG_FAM_GCP;
    default:
        return KG_FAM_HTTP;
    }
}
