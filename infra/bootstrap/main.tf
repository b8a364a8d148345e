# Bootstrap of one environment, applied by a human with owner rights (never by
# the pipeline): the APIs, the identity the environment's Cloud Build trigger
# runs as (master: the deployer, which applies; develop: the read-only
# planner, which only plans) with its roles, and the trigger. Kept out of
# infra/'s state so neither identity ever refreshes (or could change) its own
# grants: a `terraform plan` reads only resources it is granted to read.

provider "google" {
  project = var.project_id
  region  = var.region
}

locals {
  name = "${var.prefix}-${var.environment}"
}

# APIs used by infra/ (enabling them needs serviceusage.services.enable, which
# the deployer does not have). Never disabled on destroy: the other
# environment in the same project uses them too.
resource "google_project_service" "this" {
  for_each = toset(var.apis)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# Identity Platform issues the consumer tokens API Gateway accepts (jwt_issuer =
# https://securetoken.google.com/<project>). Sign-up and self-deletion are
# closed: only an admin creates accounts (and the custom claims that carry
# their scopes), so nobody can register themselves an identity the gateway
# lets through. One per project, and it cannot be deleted once created.
resource "google_identity_platform_config" "consumers" {
  count = var.manage_identity_platform ? 1 : 0

  project = var.project_id

  client {
    permissions {
      disabled_user_signup   = true
      disabled_user_deletion = true
    }
  }

  depends_on = [google_project_service.this]
}

module "cicd" {
  source = "../modules/cicd"

  project_id           = var.project_id
  name                 = local.name
  environment          = var.environment
  region               = var.region
  github_owner         = var.github_owner
  github_repo          = var.github_repo
  container_repository = var.container_repository

  # Created by infra/ under this fixed name; only passed to the build here.
  artifacts_bucket = "${var.project_id}-${local.name}-artifacts"
  tf_state_bucket  = var.tf_state_bucket

  depends_on = [google_project_service.this]
}
