# CI/CD for one environment: the identity its Cloud Build trigger runs as, and
# the trigger for pushes to the environment's branch.
#
#   develop -> ci/cloudbuild/ci.yaml as <name>-planner: tests, images into
#              develop's own repository, terraform plan. Read-only on the
#              project; it cannot write resources, change IAM, deploy Cloud
#              Run or act as / mint tokens for the deployer.
#   master  -> ci/cloudbuild/cd.yaml as <name>-deployer: the same, then
#              terraform apply and the integration tests.
#
# Why two identities: a push to develop may edit ci.yaml (or anything it
# runs), so whatever develop's build identity can do, any committer to develop
# can do. With the deployer's roles that was "anything in the project",
# production included (issue 12). Only master's trigger runs as the deployer;
# the trigger's branch and build file are fixed here, not by the repository.
#
# Called only from infra/bootstrap, whose state a human applies: neither
# identity refreshes or changes these grants (the deployer's conditional IAM
# admin below cannot touch them). What the pipeline identity needs on
# resources of infra/'s state (act-as on the runtime SAs, the artifacts
# bucket) is granted in infra/main.tf.
#
# This is the only module where admin roles are granted, and only to the
# deployer.

locals {
  # <location>-docker.pkg.dev/<project>/<repository>
  registry_parts      = split("/", var.container_repository)
  registry_location   = trimsuffix(local.registry_parts[0], "-docker.pkg.dev")
  registry_project    = local.registry_parts[1]
  registry_repository = local.registry_parts[2]

  is_cd = var.environment == "master"
  # Fixed per environment: neither the branch nor the file comes from the repository.
  build_file = local.is_cd ? "ci/cloudbuild/cd.yaml" : "ci/cloudbuild/ci.yaml"
  branch     = "^${var.environment}$"

  substitutions = merge(
    {
      _ENV                  = var.environment
      _ARTIFACTS_BUCKET     = var.artifacts_bucket
      _TF_STATE_BUCKET      = var.tf_state_bucket
      _REGION               = var.region
      _CONTAINER_REPOSITORY = var.container_repository
    },
    # _GATEWAY_URL empty: cd.yaml reads the gateway_url output of its apply.
    local.is_cd ? { _GATEWAY_URL = var.gateway_url, _GATEWAY_AUDIENCE = "${var.name}-api" } : {},
  )

  # Project IAM bindings the deployer may create or remove: only the ones
  # this configuration itself makes (BigQuery job user for the runtime SAs).
  grantable_roles = ["roles/bigquery.jobUser"]

  # The identity the trigger runs as: exactly one of the two exists.
  pipeline = one(concat(google_service_account.deployer, google_service_account.planner))
}

# Addresses before the planner existed (the deployer was not counted). In
# develop's bootstrap state these move to [0] and are then destroyed
# (count = 0): develop no longer has a deployer.
moved {
  from = google_service_account.deployer
  to   = google_service_account.deployer[0]
}

moved {
  from = google_project_iam_custom_role.bucket_manager
  to   = google_project_iam_custom_role.bucket_manager[0]
}

moved {
  from = google_project_iam_member.deployer_bucket_manager
  to   = google_project_iam_member.deployer_bucket_manager[0]
}

moved {
  from = google_project_iam_member.deployer_limited_iam_admin
  to   = google_project_iam_member.deployer_limited_iam_admin[0]
}

moved {
  from = google_service_account_iam_member.deployer_act_as_self
  to   = google_service_account_iam_member.deployer_act_as_self[0]
}

moved {
  from = google_service_account_iam_member.deployer_token_creator_self
  to   = google_service_account_iam_member.deployer_token_creator_self[0]
}

moved {
  from = google_storage_bucket_iam_member.deployer_state
  to   = google_storage_bucket_iam_member.deployer_state[0]
}

moved {
  from = google_artifact_registry_repository_iam_member.deployer_writer
  to   = google_artifact_registry_repository_iam_member.deployer_writer[0]
}

# ---------------------------------------------------------------------------
# master: the deployer (apply identity)
# ---------------------------------------------------------------------------

resource "google_service_account" "deployer" {
  count = local.is_cd ? 1 : 0

  project      = var.project_id
  account_id   = "${var.name}-deployer"
  display_name = "${var.name} Cloud Build deployer"
  description  = "Runs the master Cloud Build pipeline only (trigger ${var.name}-cd): builds images, uploads artifacts, terraform plan/apply."
}

# Bucket management without object access (project-wide storage.admin would
# also read every object, including the raw uploads).
resource "google_project_iam_custom_role" "bucket_manager" {
  count = local.is_cd ? 1 : 0

  project     = var.project_id
  role_id     = "${replace(var.name, "-", "_")}_bucket_manager"
  title       = "${var.name} bucket manager"
  description = "Create and configure the Tarmac buckets, their IAM and notifications; no object access."
  permissions = [
    "storage.buckets.create",
    "storage.buckets.delete",
    "storage.buckets.get",
    "storage.buckets.getIamPolicy",
    "storage.buckets.list",
    "storage.buckets.setIamPolicy",
    "storage.buckets.update",
  ]
}

resource "google_project_iam_member" "deployer" {
  for_each = local.is_cd ? toset(var.deployer_project_roles) : toset([])

  project = var.project_id
  role    = each.value
  member  = google_service_account.deployer[0].member
}

resource "google_project_iam_member" "deployer_bucket_manager" {
  count = local.is_cd ? 1 : 0

  project = var.project_id
  role    = google_project_iam_custom_role.bucket_manager[0].id
  member  = google_service_account.deployer[0].member
}

# Project IAM admin, restricted by condition to the roles this configuration
# grants at project level. It cannot grant itself (or anyone) anything else.
resource "google_project_iam_member" "deployer_limited_iam_admin" {
  count = local.is_cd ? 1 : 0

  project = var.project_id
  role    = "roles/resourcemanager.projectIamAdmin"
  member  = google_service_account.deployer[0].member

  condition {
    title       = "only-runtime-project-roles"
    description = "May only add or remove bindings of: ${join(", ", local.grantable_roles)}."
    expression  = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${join(", ", [for r in local.grantable_roles : "'${r}'"])}])"
  }
}

# The trigger runs builds as the deployer, which "acts as" itself. (Act-as on
# the runtime SAs is granted in infra/main.tf, where those SAs live.) This and
# the token creator grant below are the only grants on the deployer: no other
# principal may act as it or mint its tokens (infra/tests/policy.test.mjs).
resource "google_service_account_iam_member" "deployer_act_as_self" {
  count = local.is_cd ? 1 : 0

  service_account_id = google_service_account.deployer[0].name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer[0].member
}

# The CD pipeline mints Google-signed ID tokens for the gateway audience by
# impersonating the deployer (gcloud auth print-identity-token
# --impersonate-service-account=<deployer> --audiences=...): the build's own
# user-managed service account credentials cannot mint one directly.
# https://cloud.google.com/iam/docs/create-short-lived-credentials-direct#sa-credentials-oidc
# Only the deployer itself holds it, so only builds of master's trigger can
# mint that token; the planner cannot
# (https://cloud.google.com/iam/docs/service-account-permissions: getOpenIdToken
# needs roles/iam.serviceAccountTokenCreator on the target).
resource "google_service_account_iam_member" "deployer_token_creator_self" {
  count = local.is_cd ? 1 : 0

  service_account_id = google_service_account.deployer[0].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.deployer[0].member
}

resource "google_storage_bucket_iam_member" "deployer_state" {
  count = local.is_cd ? 1 : 0

  bucket = var.tf_state_bucket
  role   = "roles/storage.objectAdmin"
  member = google_service_account.deployer[0].member
}

resource "google_artifact_registry_repository_iam_member" "deployer_writer" {
  count = local.is_cd ? 1 : 0

  project    = local.registry_project
  location   = local.registry_location
  repository = local.registry_repository
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.deployer[0].member
}

# ---------------------------------------------------------------------------
# develop: the planner (plan-only identity)
# ---------------------------------------------------------------------------

resource "google_service_account" "planner" {
  count = local.is_cd ? 0 : 1

  project      = var.project_id
  account_id   = "${var.name}-planner"
  display_name = "${var.name} Cloud Build planner (read-only)"
  description  = "Runs the ${var.environment} Cloud Build pipeline (trigger ${var.name}-ci): tests, images into its own repository, terraform plan. No writes, no IAM changes, no deploys."
}

# Read-only predefined roles: what `terraform plan` of infra/ refreshes
# (metadata and IAM policies of every resource type in its state), plus build
# logs. validation in variables.tf refuses any admin, editor or writer role.
resource "google_project_iam_member" "planner" {
  for_each = local.is_cd ? toset([]) : toset(var.planner_project_roles)

  project = var.project_id
  role    = each.value
  member  = google_service_account.planner[0].member
}

# Reads that no narrow predefined role grants without also reading data:
# bucket metadata and IAM (roles/storage.objectViewer would read every object,
# raw uploads included) and log-based metric definitions (roles/logging.viewer
# would read the logs themselves).
resource "google_project_iam_custom_role" "plan_reader" {
  count = local.is_cd ? 0 : 1

  project     = var.project_id
  role_id     = "${replace(var.name, "-", "_")}_plan_reader"
  title       = "${var.name} plan reader"
  description = "Read bucket metadata, bucket IAM and log-based metric definitions for terraform plan; no object or log access."
  permissions = [
    "logging.logMetrics.get",
    "logging.logMetrics.list",
    "storage.buckets.get",
    "storage.buckets.getIamPolicy",
    "storage.buckets.list",
  ]
}

resource "google_project_iam_member" "planner_plan_reader" {
  count = local.is_cd ? 0 : 1

  project = var.project_id
  role    = google_project_iam_custom_role.plan_reader[0].id
  member  = google_service_account.planner[0].member
}

# The trigger runs builds as the planner, which acts as itself (and only as
# itself: it holds nothing on the deployer or the runtime SAs).
resource "google_service_account_iam_member" "planner_act_as_self" {
  count = local.is_cd ? 0 : 1

  service_account_id = google_service_account.planner[0].name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.planner[0].member
}

# State: list the bucket (the GCS backend lists workspaces; object names only)
# and read objects under this environment's prefix only, so master's state (and
# the secrets in it) stays out of reach. No write: ci.yaml plans with
# -lock=false, because taking the state lock writes <prefix>/default.tflock.
# https://developer.hashicorp.com/terraform/language/backend/gcs
resource "google_storage_bucket_iam_member" "planner_state_list" {
  count = local.is_cd ? 0 : 1

  bucket = var.tf_state_bucket
  role   = "roles/storage.legacyBucketReader"
  member = google_service_account.planner[0].member
}

resource "google_storage_bucket_iam_member" "planner_state_read" {
  count = local.is_cd ? 0 : 1

  bucket = var.tf_state_bucket
  role   = "roles/storage.objectViewer"
  member = google_service_account.planner[0].member

  # https://cloud.google.com/storage/docs/access-control/iam#conditions (object name prefix)
  condition {
    title       = "only-${var.environment}-state"
    description = "Objects under tarmac/${var.environment}/ (this environment's infra/ state) only."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${var.tf_state_bucket}/objects/tarmac/${var.environment}/\")"
  }
}

# Images go to develop's own repository (container_repository of develop's
# bootstrap, never master's): a develop build can never overwrite a tag that
# master deploys.
resource "google_artifact_registry_repository_iam_member" "planner_writer" {
  count = local.is_cd ? 0 : 1

  project    = local.registry_project
  location   = local.registry_location
  repository = local.registry_repository
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.planner[0].member
}

# ---------------------------------------------------------------------------
# The trigger
# ---------------------------------------------------------------------------

# service_account: the identity the build runs as, fixed here. The trigger's
# account is used for all user-controlled operations, including CreateBuild
# (https://cloud.google.com/build/docs/api/reference/rest/v1/projects.triggers,
# field serviceAccount), so a `serviceAccount:` written into the build file
# by a push cannot switch to the deployer: the planner may not act as it
# (https://cloud.google.com/build/docs/securing-builds/configure-user-specified-service-accounts).
resource "google_cloudbuild_trigger" "this" {
  project         = var.project_id
  location        = "global"
  name            = "${var.name}-${local.is_cd ? "cd" : "ci"}"
  description     = "Push to ${var.environment}: ${local.is_cd ? "test, build, terraform apply, integration test (deployer)" : "test, build, terraform plan (read-only planner)"}."
  filename        = local.build_file
  service_account = local.pipeline.id
  substitutions   = local.substitutions
  tags            = ["tarmac", var.environment]

  github {
    owner = var.github_owner
    name  = var.github_repo

    push {
      branch = local.branch
    }
  }

  depends_on = [
    google_project_iam_member.deployer,
    google_project_iam_member.planner,
    google_service_account_iam_member.deployer_act_as_self,
    google_service_account_iam_member.planner_act_as_self,
  ]
}
