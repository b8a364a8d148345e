# CI/CD for one environment: the Cloud Build deployer identity with only the
# roles a `terraform apply` of infra/ needs, and the trigger for pushes to the
# environment's branch (develop -> ci.yaml, master -> cd.yaml).
#
# Called only from infra/bootstrap, whose state a human applies: the deployer
# never refreshes these grants (it may not read the IAM policy of, e.g., the
# Artifact Registry repository) and cannot change them (see the IAM condition
# below). What the deployer needs on resources of infra/'s state (act-as on the
# runtime SAs, the artifacts bucket) is granted in infra/main.tf.
#
# This is the only module where admin roles are granted, and only to the
# deployer.

locals {
  # <location>-docker.pkg.dev/<project>/<repository>
  registry_parts      = split("/", var.container_repository)
  registry_location   = trimsuffix(local.registry_parts[0], "-docker.pkg.dev")
  registry_project    = local.registry_parts[1]
  registry_repository = local.registry_parts[2]

  is_cd      = var.environment == "master"
  build_file = local.is_cd ? "ci/cloudbuild/cd.yaml" : "ci/cloudbuild/ci.yaml"

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
}

resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = "${var.name}-deployer"
  display_name = "${var.name} Cloud Build deployer"
  description  = "Runs the ${var.environment} Cloud Build pipeline: builds images, uploads artifacts, terraform plan/apply."
}

# Bucket management without object access (project-wide storage.admin would
# also read every object, including the raw uploads).
resource "google_project_iam_custom_role" "bucket_manager" {
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
  for_each = toset(var.deployer_project_roles)

  project = var.project_id
  role    = each.value
  member  = google_service_account.deployer.member
}

resource "google_project_iam_member" "deployer_bucket_manager" {
  project = var.project_id
  role    = google_project_iam_custom_role.bucket_manager.id
  member  = google_service_account.deployer.member
}

# Project IAM admin, restricted by condition to the roles this configuration
# grants at project level. It cannot grant itself (or anyone) anything else.
resource "google_project_iam_member" "deployer_limited_iam_admin" {
  project = var.project_id
  role    = "roles/resourcemanager.projectIamAdmin"
  member  = google_service_account.deployer.member

  condition {
    title       = "only-runtime-project-roles"
    description = "May only add or remove bindings of: ${join(", ", local.grantable_roles)}."
    expression  = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${join(", ", [for r in local.grantable_roles : "'${r}'"])}])"
  }
}

# The trigger runs builds as the deployer, which "acts as" itself. (Act-as on
# the runtime SAs is granted in infra/main.tf, where those SAs live.)
resource "google_service_account_iam_member" "deployer_act_as_self" {
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer.member
}

# The CD pipeline mints Google-signed ID tokens for the gateway audience by
# impersonating the deployer (gcloud auth print-identity-token
# --impersonate-service-account=<deployer> --audiences=...): the build's own
# user-managed service account credentials cannot mint one directly.
# https://cloud.google.com/iam/docs/create-short-lived-credentials-direct#sa-credentials-oidc
resource "google_service_account_iam_member" "deployer_token_creator_self" {
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.deployer.member
}

resource "google_storage_bucket_iam_member" "deployer_state" {
  bucket = var.tf_state_bucket
  role   = "roles/storage.objectAdmin"
  member = google_service_account.deployer.member
}

resource "google_artifact_registry_repository_iam_member" "deployer_writer" {
  project    = local.registry_project
  location   = local.registry_location
  repository = local.registry_repository
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.deployer.member
}

resource "google_cloudbuild_trigger" "this" {
  project         = var.project_id
  location        = "global"
  name            = "${var.name}-${local.is_cd ? "cd" : "ci"}"
  description     = "Push to ${var.environment}: ${local.is_cd ? "test, build, terraform apply, integration test" : "test, build, terraform plan"}."
  filename        = local.build_file
  service_account = google_service_account.deployer.id
  substitutions   = local.substitutions
  tags            = ["tarmac", var.environment]

  github {
    owner = var.github_owner
    name  = var.github_repo

    push {
      branch = "^${var.environment}$"
    }
  }

  depends_on = [
    google_project_iam_member.deployer,
    google_service_account_iam_member.deployer_act_as_self,
  ]
}
