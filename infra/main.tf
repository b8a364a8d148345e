# Tarmac on Google Cloud: API Gateway -> Cloud Run (ingest, process, query)
# -> GCS -> Pub/Sub push -> BigQuery, with least-privilege IAM, monitoring,
# alerts, SLOs and the Cloud Build trigger of this environment.

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}

locals {
  name          = "${var.prefix}-${var.environment}"
  dataset_id    = replace(local.name, "-", "_")
  push_audience = coalesce(var.push_audience, "${local.name}-process-push")
  api_audience  = "${local.name}-api"
  functions     = ["ingest", "process", "query"]

  labels = merge(var.labels, {
    app         = var.prefix
    environment = var.environment
    managed-by  = "terraform"
  })

  images = { for f in local.functions : f => "${var.container_repository}/${f}:${var.image_tag}" }

  sa     = module.service_accounts.emails
  member = module.service_accounts.members

  # Environment every service reads.
  common_env = {
    TARMAC_GCP_PROJECT = var.project_id
    TARMAC_RAW_BUCKET  = module.storage.raw_bucket
    TARMAC_BQ_DATASET  = module.warehouse.dataset_id
    TARMAC_BQ_LOCATION = var.bq_location
    TARMAC_ENVIRONMENT = var.environment
  }
}

# ---------------------------------------------------------------------------
# Identities: one service account per runtime function, plus the gateway's
# and the Pub/Sub push identity. Grants are made below, per resource.
# ---------------------------------------------------------------------------

module "service_accounts" {
  source     = "./modules/service-accounts"
  project_id = var.project_id
  name       = local.name
  accounts = {
    ingest  = "Tarmac ${var.environment} ingest service: writes raw uploads and the upload ledger."
    process = "Tarmac ${var.environment} process service: validates and loads uploads into BigQuery."
    query   = "Tarmac ${var.environment} query service: reads the BigQuery dataset."
    gateway = "Tarmac ${var.environment} API Gateway backend identity: invokes ingest and query."
    push    = "Tarmac ${var.environment} Pub/Sub push identity: invokes process."
  }
}

# ---------------------------------------------------------------------------
# Storage: raw uploads and build artifacts
# ---------------------------------------------------------------------------

module "storage" {
  source        = "./modules/storage"
  project_id    = var.project_id
  name          = local.name
  location      = var.region
  labels        = local.labels
  force_destroy = var.force_destroy_buckets

  raw_iam = {
    # ingest: create-only writes of raw/ objects and claims/<dataset>/<sha256>,
    # and reads of claim objects for de-duplication.
    ingest_create = { role = "roles/storage.objectCreator", member = local.member["ingest"] }
    ingest_read   = { role = "roles/storage.objectViewer", member = local.member["ingest"] }
    # process: reads raw/ objects, writes staged clean rows under loads/.
    process_read   = { role = "roles/storage.objectViewer", member = local.member["process"] }
    process_create = { role = "roles/storage.objectCreator", member = local.member["process"] }
  }
}

# ---------------------------------------------------------------------------
# Warehouse: dataset, one table per repo-root schemas/*.json, upload ledger
# ---------------------------------------------------------------------------

module "warehouse" {
  source        = "./modules/warehouse"
  project_id    = var.project_id
  environment   = var.environment
  dataset_id    = local.dataset_id
  location      = var.bq_location
  labels        = local.labels
  schema_dir    = "${path.root}/../schemas"
  table_options = var.table_options

  dataset_iam = {
    process_write = { role = "roles/bigquery.dataEditor", member = local.member["process"] }
    query_read    = { role = "roles/bigquery.dataViewer", member = local.member["query"] }
  }

  upload_events_iam = {
    ingest_ledger = { role = "roles/bigquery.dataEditor", member = local.member["ingest"] }
  }
}

# BigQuery jobs (loads, queries) are billed to the project: jobUser can only
# be granted at project level. It gives no data access by itself.
resource "google_project_iam_member" "bigquery_job_user" {
  for_each = toset(local.functions)

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = local.member[each.key]
}

# ingest signs V4 resumable upload URLs with IAM signBlob as itself.
resource "google_service_account_iam_member" "ingest_sign_blob" {
  service_account_id = module.service_accounts.ids["ingest"]
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.member["ingest"]
}

# ---------------------------------------------------------------------------
# Services (private; invoked only by the gateway or the push identity)
# ---------------------------------------------------------------------------

module "ingest" {
  source                = "./modules/cloud-run-service"
  project_id            = var.project_id
  region                = var.region
  name                  = "${local.name}-ingest"
  description           = "Tarmac ingest: POST /upload, POST /datasets/{name}/upload, POST /uploads, GET /uploads/{id}."
  labels                = local.labels
  image                 = local.images["ingest"]
  service_account_email = local.sa["ingest"]
  ingress               = "INGRESS_TRAFFIC_ALL"
  deletion_protection   = var.run_deletion_protection
  min_instances         = var.services["ingest"].min_instances
  max_instances         = var.services["ingest"].max_instances
  concurrency           = var.services["ingest"].concurrency
  cpu                   = var.services["ingest"].cpu
  memory                = var.services["ingest"].memory
  timeout_seconds       = var.services["ingest"].timeout_seconds

  env = merge(local.common_env, {
    TARMAC_MAX_UPLOAD_BYTES = tostring(var.max_upload_bytes)
    TARMAC_SIGNER_EMAIL     = local.sa["ingest"]
  })

  invokers = {
    gateway = local.member["gateway"]
  }
}

# Pub/Sub push from the same project counts as internal traffic, so process
# needs no public ingress; it still requires a valid OIDC token (run.invoker).
module "process" {
  source                = "./modules/cloud-run-service"
  project_id            = var.project_id
  region                = var.region
  name                  = "${local.name}-process"
  description           = "Tarmac process: POST /pubsub/push (object-finalized events)."
  labels                = local.labels
  image                 = local.images["process"]
  service_account_email = local.sa["process"]
  ingress               = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  custom_audiences      = [local.push_audience]
  deletion_protection   = var.run_deletion_protection
  min_instances         = var.services["process"].min_instances
  max_instances         = var.services["process"].max_instances
  concurrency           = var.services["process"].concurrency
  cpu                   = var.services["process"].cpu
  memory                = var.services["process"].memory
  timeout_seconds       = var.services["process"].timeout_seconds

  env = merge(local.common_env, {
    TARMAC_PUSH_AUDIENCE        = local.push_audience
    TARMAC_PUSH_SERVICE_ACCOUNT = local.sa["push"]
    TARMAC_PUSH_JWKS_URL        = var.push_jwks_url
    TARMAC_BATCH_WINDOW_MS      = tostring(var.batch_window_ms)
  })

  invokers = {
    push = local.member["push"]
  }
}

module "query" {
  source                = "./modules/cloud-run-service"
  project_id            = var.project_id
  region                = var.region
  name                  = "${local.name}-query"
  description           = "Tarmac query: GET /getdata, /stats, /datasets[/{name}[/rows|/stats]], /openapi.json, /docs."
  labels                = local.labels
  image                 = local.images["query"]
  service_account_email = local.sa["query"]
  ingress               = "INGRESS_TRAFFIC_ALL"
  deletion_protection   = var.run_deletion_protection
  min_instances         = var.services["query"].min_instances
  max_instances         = var.services["query"].max_instances
  concurrency           = var.services["query"].concurrency
  cpu                   = var.services["query"].cpu
  memory                = var.services["query"].memory
  timeout_seconds       = var.services["query"].timeout_seconds

  env = merge(local.common_env, {
    TARMAC_QUERY_TIMEOUT_MS    = tostring(var.query_timeout_ms)
    TARMAC_BQ_MAX_BYTES_BILLED = tostring(var.bq_max_bytes_billed)
  })

  invokers = {
    gateway = local.member["gateway"]
  }
}

# ---------------------------------------------------------------------------
# Events: raw/ object finalized -> Pub/Sub push -> process
# ---------------------------------------------------------------------------

module "events" {
  source                     = "./modules/events"
  project_id                 = var.project_id
  name                       = local.name
  labels                     = local.labels
  bucket                     = module.storage.raw_bucket
  object_prefix              = "raw/"
  push_endpoint              = "${module.process.uri}/pubsub/push"
  push_audience              = local.push_audience
  push_service_account_email = local.sa["push"]
  push_service_account_id    = module.service_accounts.ids["push"]
  ack_deadline_seconds       = 600
}

# ---------------------------------------------------------------------------
# API Gateway (JWT on every route)
# ---------------------------------------------------------------------------

module "gateway" {
  source                = "./modules/gateway"
  project_id            = var.project_id
  name                  = local.name
  environment           = var.environment
  region                = coalesce(var.gateway_region, var.region)
  labels                = local.labels
  service_account_email = local.sa["gateway"]
  ingest_url            = module.ingest.uri
  query_url             = module.query.uri
  jwt_issuer            = var.jwt_issuer
  jwt_jwks_uri          = var.jwt_jwks_uri
  jwt_audiences         = var.jwt_audiences

  service_token_audiences = [local.api_audience]
}

# ---------------------------------------------------------------------------
# Monitoring: log-based metrics, dashboard, alerts, SLOs
# ---------------------------------------------------------------------------

module "monitoring" {
  source                = "./modules/monitoring"
  project_id            = var.project_id
  name                  = local.name
  environment           = var.environment
  notification_channels = var.notification_channels

  services = {
    ingest  = module.ingest.name
    process = module.process.name
    query   = module.query.name
  }

  raw_bucket                    = module.storage.raw_bucket
  topic_name                    = module.events.topic_name
  subscription_name             = module.events.subscription_name
  dead_letter_subscription_name = module.events.dead_letter_subscription_name
  gateway_id                    = module.gateway.gateway_id

  post_rate_high_per_hour    = var.post_rate_high_per_hour
  post_rate_low_per_hour     = var.post_rate_low_per_hour
  low_traffic_alert_enabled  = var.low_traffic_alert_enabled
  error_ratio_threshold      = var.error_ratio_threshold
  post_latency_p95_ms        = var.post_latency_p95_ms
  oldest_unacked_max_seconds = var.oldest_unacked_max_seconds
  slo_post_latency_goal      = var.slo_post_latency_goal
  slo_availability_goal      = var.slo_availability_goal
  slo_post_errors_goal       = var.slo_post_errors_goal
  slo_burn_rate_threshold    = var.slo_burn_rate_threshold
  slo_burn_rate_lookback     = var.slo_burn_rate_lookback
}

# ---------------------------------------------------------------------------
# CI/CD: deployer identity and the Cloud Build trigger of this environment
# ---------------------------------------------------------------------------

module "cicd" {
  source = "./modules/cicd"
  count  = var.cicd_enabled ? 1 : 0

  project_id           = var.project_id
  name                 = local.name
  environment          = var.environment
  region               = var.region
  github_owner         = var.github_owner
  github_repo          = var.github_repo
  container_repository = var.container_repository
  artifacts_bucket     = module.storage.artifacts_bucket
  tf_state_bucket      = var.tf_state_bucket
  gateway_url          = module.gateway.url

  # Identities the deployer must be able to "act as" when it deploys.
  runtime_service_account_ids = module.service_accounts.ids
}
