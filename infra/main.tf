# Tarmac on Google Cloud: API Gateway -> Cloud Run (ingest, process, query)
# -> GCS -> Pub/Sub push -> process stages -> Cloud Scheduler flush -> BigQuery
# load job, with least-privilege IAM, monitoring, alerts and SLOs.
#
# The CI/CD identity (deployer SA, its roles, the Cloud Build trigger) lives in
# its own root and state, infra/bootstrap/, applied by a human: the deployer
# never refreshes or changes its own grants (see bootstrap/README.md).

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

  # Full name of the dead-letter pull subscription process drains in /sweep;
  # built here (not read from module.events) so process's env does not wait on it.
  dead_letter_sweep_subscription = "projects/${var.project_id}/subscriptions/${local.name}-dead-letter-sweep"

  # Cloud Scheduler calls POST /flush every M minutes, M = max(1, ceil(window / 1 min)):
  # at most 1,440 flushes (one load job per dataset each) per table per day, under
  # BigQuery's 1,500 load jobs per table per day.
  # https://cloud.google.com/bigquery/quotas#load_jobs
  flush_every_minutes = max(1, ceil(var.batch_window_ms / 60000))
  # The identity this environment's Cloud Build trigger runs as (created by
  # infra/bootstrap): master's deployer applies; develop's planner only plans
  # and gets nothing here but the artifacts bucket and a read of develop's own
  # cursor key (see below).
  pipeline_applies = var.environment == "master"
  pipeline_email   = coalesce(var.pipeline_email, "${local.name}-${local.pipeline_applies ? "deployer" : "planner"}@${var.project_id}.iam.gserviceaccount.com")
  # Google-signed ID tokens ingest and query accept (the app checks the gateway's forwarded claims against this list):
  # master's deployer, whose token the CD integration tests send, plus any listed. Never the planner: develop's
  # pipeline calls no API.
  allowed_principals = join(",", distinct(concat(local.pipeline_applies ? [local.pipeline_email] : [], var.allowed_principals)))
  api_audience        = "${local.name}-api"
  functions           = ["ingest", "process", "query"]

  labels = merge(var.labels, {
    app         = var.prefix
    environment = var.environment
    managed-by  = "terraform"
  })

  images = { for f in local.functions : f => "${var.container_repository}/${f}:${var.image_tag}" }

  # The consumer tokens ingest and query accept: the same issuer and audience
  # the gateway checks (tarmac_jwt), so a token the gateway lets through is one
  # the services accept, and the `token` command mints exactly that.
  token_env = {
    TARMAC_TOKEN_ISSUER   = var.jwt_issuer
    TARMAC_TOKEN_AUDIENCE = var.jwt_audiences[0]
  }

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
    push    = "Tarmac ${var.environment} pusher identity: Pub/Sub push and Cloud Scheduler invoke process with its OIDC token."
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
    # ingest: create-only writes of uploads (raw/) and the signed resumable
    # sessions it hands out, which run with ingest's permissions.
    ingest_raw_create = {
      role      = "roles/storage.objectCreator"
      member    = local.member["ingest"]
      prefixes  = ["raw/"]
      condition = "ingest creates uploads under raw/"
    }
    # ingest: upload state (state/uploads/<id>.json, state/open/<id>) and dedupe
    # claims (claims/<dataset>/<sha256>), created and updated with
    # ifGenerationMatch; an overwrite also needs storage.objects.delete.
    ingest_state = {
      role      = "roles/storage.objectUser"
      member    = local.member["ingest"]
      prefixes  = ["state/", "claims/"]
      condition = "ingest reads and writes upload state and dedupe claims"
    }
    # process: reads uploads (never changes them).
    process_raw_read = {
      role      = "roles/storage.objectViewer"
      member    = local.member["process"]
      prefixes  = ["raw/"]
      condition = "process reads uploads under raw/"
    }
    # process: upload state, pending and flush indexes, claims, staged NDJSON
    # (written once per upload; the lifecycle rule deletes it).
    process_state = {
      role      = "roles/storage.objectUser"
      member    = local.member["process"]
      prefixes  = ["state/", "claims/", "staging/"]
      condition = "process reads and writes state, claims and staged rows"
    }
    # process: storage.buckets.get (BigQuery load jobs from gs:// check the
    # source bucket) and storage.objects.list (sweep and flush list state/open/
    # and state/pending/). Both are bucket-level permissions, which an object
    # name condition cannot grant; legacyBucketReader holds exactly these two
    # (https://cloud.google.com/storage/docs/access-control/iam-roles,
    # https://cloud.google.com/java/docs/reference/google-cloud-storage/latest/com.google.cloud.storage.StorageRoles).
    process_bucket_read = {
      role   = "roles/storage.legacyBucketReader"
      member = local.member["process"]
    }
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
    # process: load jobs into the dataset tables and audit rows into
    # upload_events (dataEditor includes bigquery.datasets.get).
    process_write = { role = "roles/bigquery.dataEditor", member = local.member["process"] }
    query_read    = { role = "roles/bigquery.dataViewer", member = local.member["query"] }

    # ingest: bigquery.datasets.get, which streaming inserts into the ledger
    # need on the dataset; metadataViewer is the narrowest predefined role that
    # has it, and it reads no table data.
    ingest_dataset_get = { role = "roles/bigquery.metadataViewer", member = local.member["ingest"] }
  }

  # ingest appends audit rows to upload_events (streaming inserts need
  # bigquery.tables.updateData on the table).
  upload_events_iam = {
    ingest_ledger = { role = "roles/bigquery.dataEditor", member = local.member["ingest"] }
  }
}

# BigQuery jobs (loads, queries) are billed to the project: jobUser can only
# be granted at project level. It gives no data access by itself. Only
# process (load jobs) and query (queries) run jobs; ingest only appends audit
# rows with tabledata.insertAll, which is not a job.
resource "google_project_iam_member" "bigquery_job_user" {
  for_each = toset(["process", "query"])

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
  description           = "Tarmac ingest: POST /upload, POST /datasets/{name}/upload, POST /events, POST /datasets/{name}/events, POST /uploads, GET /uploads/{id}."
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

  env = merge(local.common_env, local.token_env, {
    # 30 MiB by default: headroom under the 32 MiB request limit of Cloud Run
    # and API Gateway, so the app answers an oversize body with problem+json.
    TARMAC_MAX_UPLOAD_BYTES   = tostring(var.max_upload_bytes)
    TARMAC_SIGNER_EMAIL       = local.sa["ingest"]
    TARMAC_ALLOWED_PRINCIPALS = local.allowed_principals
  })

  invokers = {
    gateway = local.member["gateway"]
  }
}

# process is private twice over:
# - ingress internal: Pub/Sub push and Cloud Scheduler in the same project are
#   internal sources, so nothing on the internet reaches the service at all
#   (https://cloud.google.com/run/docs/securing/ingress, "Internal");
# - Cloud Run IAM: only the pusher SA holds roles/run.invoker. Cloud Run checks
#   the OIDC token (audience = push audience, a custom audience of the service)
#   and passes it on with its signature removed (SIGNATURE_REMOVED_BY_GOOGLE,
#   https://cloud.google.com/run/docs/troubleshooting), so the app checks the
#   claims of that token and fully verifies any token that still has a signature.
module "process" {
  source                = "./modules/cloud-run-service"
  project_id            = var.project_id
  region                = var.region
  name                  = "${local.name}-process"
  description           = "Tarmac process: POST /pubsub/push (Pub/Sub), POST /flush and POST /sweep (Cloud Scheduler)."
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
    TARMAC_PUSH_AUDIENCE            = local.push_audience
    TARMAC_PUSH_SERVICE_ACCOUNT     = local.sa["push"]
    TARMAC_PUSH_JWKS_URL            = var.push_jwks_url
    TARMAC_BATCH_WINDOW_MS          = tostring(var.batch_window_ms)
    TARMAC_DEAD_LETTER_SUBSCRIPTION = local.dead_letter_sweep_subscription
    TARMAC_MAX_OBJECT_BYTES         = tostring(var.max_object_bytes)
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

  env = merge(local.common_env, local.token_env, {
    TARMAC_QUERY_TIMEOUT_MS    = tostring(var.query_timeout_ms)
    TARMAC_BQ_MAX_BYTES_BILLED = tostring(var.bq_max_bytes_billed)
    TARMAC_ALLOWED_PRINCIPALS  = local.allowed_principals
  })

  # HMAC key of page cursors, from Secret Manager (query refuses to start on
  # Cloud Run without it), pinned to the version Terraform created.
  secret_env = {
    TARMAC_CURSOR_KEY = {
      secret  = google_secret_manager_secret.cursor_key.secret_id
      version = google_secret_manager_secret_version.cursor_key.version
    }
  }

  invokers = {
    gateway = local.member["gateway"]
  }

  # Cloud Run checks at deploy time that the runtime service account can read
  # every secret it uses (https://cloud.google.com/run/docs/configuring/secrets).
  depends_on = [google_secret_manager_secret_iam_member.cursor_key_query]
}

# ---------------------------------------------------------------------------
# Events: raw/ object finalized -> Pub/Sub push -> process (validate, stage, ack)
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
  ack_deadline_seconds       = var.push_ack_deadline_seconds

  dead_letter_sweep_subscription_name = "${local.name}-dead-letter-sweep"
  dead_letter_sweep_member            = local.member["process"]
}

# ---------------------------------------------------------------------------
# Scheduler: POST /flush every M minutes (one load job per dataset with pending
# work), POST /sweep every 5 minutes (re-drive stuck uploads and dead letters)
# ---------------------------------------------------------------------------

module "scheduler" {
  source                     = "./modules/scheduler"
  project_id                 = var.project_id
  region                     = coalesce(var.scheduler_region, var.region)
  name                       = local.name
  target_url                 = module.process.uri
  oidc_service_account_email = local.sa["push"]
  oidc_audience              = local.push_audience
  time_zone                  = "Etc/UTC"

  jobs = {
    flush = {
      description      = "Flush staged uploads: one BigQuery load job per dataset with pending work (every ${local.flush_every_minutes} min = batch_window_ms ${var.batch_window_ms})."
      path             = "/flush"
      schedule         = "*/${local.flush_every_minutes} * * * *"
      attempt_deadline = "${min(var.services["process"].timeout_seconds, 1800)}s"
    }
    sweep = {
      description      = "Sweep: re-drive uploads open past their deadline, drain the dead-letter subscription, log upload_overdue."
      path             = "/sweep"
      schedule         = var.sweep_schedule
      attempt_deadline = "${min(var.services["process"].timeout_seconds, 1800)}s"
    }
  }
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

  # Production must page someone: a master plan without a channel fails.
  require_notification_channels = coalesce(var.require_notification_channels, var.environment == "master")

  services = {
    ingest  = module.ingest.name
    process = module.process.name
    query   = module.query.name
  }

  raw_bucket                    = module.storage.raw_bucket
  topic_name                    = module.events.topic_name
  subscription_name             = module.events.subscription_name
  dead_letter_subscription_name = module.events.dead_letter_subscription_name
  sweep_subscription_name       = module.events.dead_letter_sweep_subscription_name
  overdue_minutes               = 15
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
# CI/CD: what the pipeline identity (created by infra/bootstrap) needs on
# resources of this state. Its own roles are in the bootstrap state, never in
# this one.
# ---------------------------------------------------------------------------

# master only: deploying Cloud Run services, push subscriptions and scheduler
# jobs "acts as" their service accounts. develop's planner acts as nobody.
resource "google_service_account_iam_member" "deployer_act_as" {
  for_each = var.cicd_enabled && local.pipeline_applies ? module.service_accounts.ids : {}

  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${local.pipeline_email}"
}

# The pipeline uploads <function>-<branch>.zip and build reports to its own
# environment's bucket (overwriting the zips needs delete, hence objectUser).
resource "google_storage_bucket_iam_member" "deployer_artifacts" {
  count = var.cicd_enabled ? 1 : 0

  bucket = module.storage.artifacts_bucket
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${local.pipeline_email}"
}
