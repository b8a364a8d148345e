# ---------------------------------------------------------------------------
# Project, naming, placement
# ---------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "Google Cloud project id; develop and master can share one project."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be 6-30 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen."
  }
}

variable "region" {
  type        = string
  description = "Region for Cloud Run, buckets and the API gateway."
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1."
  }
}

variable "gateway_region" {
  type        = string
  description = "API Gateway region if different from region (API Gateway supports fewer regions); null = region."
  default     = null
}

variable "bq_location" {
  type        = string
  description = "BigQuery dataset location (US, EU or a region); also TARMAC_BQ_LOCATION."
  default     = "US"

  validation {
    condition     = length(var.bq_location) > 0
    error_message = "bq_location must not be empty."
  }
}

variable "prefix" {
  type        = string
  description = "Name prefix for every resource; names are <prefix>-<environment>-<thing>."
  default     = "tarmac"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 3-13 lowercase letters, digits or hyphens (service account ids are limited to 30 characters), start with a letter and not end with a hyphen."
  }
}

variable "environment" {
  type        = string
  description = "Environment, equal to the git branch that deploys it: develop or master."

  validation {
    condition     = contains(["develop", "master"], var.environment)
    error_message = "environment must be develop or master."
  }
}

variable "labels" {
  type        = map(string)
  description = "Extra labels added to every labelled resource."
  default     = {}
}

# ---------------------------------------------------------------------------
# Images and services
# ---------------------------------------------------------------------------

variable "container_repository" {
  type        = string
  description = "Artifact Registry docker repository, e.g. us-central1-docker.pkg.dev/PROJECT/tarmac; images are <repo>/<function>:<image_tag>."

  validation {
    condition     = can(regex("^[a-z0-9-]+-docker\\.pkg\\.dev/[a-z][a-z0-9-]{4,28}[a-z0-9]/[a-z0-9][a-z0-9_.-]*$", var.container_repository))
    error_message = "container_repository must look like <location>-docker.pkg.dev/<project>/<repository>."
  }
}

variable "image_tag" {
  type        = string
  description = "Image tag to deploy (the pipeline passes $SHORT_SHA)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid docker tag (letters, digits, _, ., -; at most 128 characters)."
  }
}

variable "services" {
  type = map(object({
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 10)
    concurrency     = optional(number, 80)
    cpu             = optional(string, "1")
    memory          = optional(string, "512Mi")
    timeout_seconds = optional(number, 300)
  }))
  description = "Sizing per function (keys ingest, process, query)."
  default = {
    ingest  = { max_instances = 20, concurrency = 80, cpu = "1", memory = "512Mi", timeout_seconds = 300 }
    process = { max_instances = 2, concurrency = 250, cpu = "2", memory = "2Gi", timeout_seconds = 600 }
    query   = { max_instances = 10, concurrency = 40, cpu = "1", memory = "512Mi", timeout_seconds = 60 }
  }

  validation {
    condition     = length(setsubtract(["ingest", "process", "query"], keys(var.services))) == 0 && length(setsubtract(keys(var.services), ["ingest", "process", "query"])) == 0
    error_message = "services must have exactly the keys ingest, process and query."
  }

  validation {
    condition     = alltrue([for k, s in var.services : s.min_instances <= s.max_instances])
    error_message = "min_instances must not exceed max_instances."
  }

  # Rate limits and upload quotas are per instance and in memory, so a
  # consumer's effective limit is up to its rate x max_instances of ingest or
  # query (docs/security.md). The cap keeps that worst case bounded and known.
  validation {
    condition     = alltrue([for k, s in var.services : s.max_instances >= 1 && s.max_instances <= 100 && floor(s.max_instances) == s.max_instances])
    error_message = "max_instances must be a whole number from 1 to 100 per service (it bounds the per-instance rate limits, see docs/security.md)."
  }
}

variable "run_deletion_protection" {
  type        = bool
  description = "Cloud Run deletion protection (false for develop only)."
  default     = true
}

variable "force_destroy_buckets" {
  type        = bool
  description = "Let terraform destroy delete non-empty buckets (develop only)."
  default     = false
}

# ---------------------------------------------------------------------------
# Application settings (environment variables)
# ---------------------------------------------------------------------------

variable "max_upload_bytes" {
  type        = number
  description = "TARMAC_MAX_UPLOAD_BYTES (ingest): largest body accepted by a direct POST. Cloud Run and API Gateway refuse requests over 32 MiB with their own bare 413, so the cap stays below that (default 30 MiB) and the app answers with problem+json; larger files use POST /uploads."
  default     = 31457280

  validation {
    condition     = var.max_upload_bytes >= 1024 && var.max_upload_bytes <= 31457280
    error_message = "max_upload_bytes must be between 1024 and 31457280 (30 MiB: headroom for headers and multipart framing under the 32 MiB request limit of Cloud Run and API Gateway)."
  }
}

variable "max_object_bytes" {
  type        = number
  description = "TARMAC_MAX_OBJECT_BYTES (process): largest object accepted from a signed resumable upload; process refuses bigger ones from their metadata without reading them."
  default     = 4294967296

  validation {
    condition     = var.max_object_bytes >= 1048576 && var.max_object_bytes <= 5497558138880
    error_message = "max_object_bytes must be between 1 MiB and 5 TiB (the Cloud Storage object size limit)."
  }
}

variable "push_audience" {
  type        = string
  description = "Audience of the Pub/Sub push OIDC token (a custom audience of the process service); null = <prefix>-<environment>-process-push."
  default     = null
}

variable "push_jwks_url" {
  type        = string
  description = "TARMAC_PUSH_JWKS_URL: Google's OIDC signing keys, used by process to verify push tokens."
  default     = "https://www.googleapis.com/oauth2/v3/certs"

  validation {
    condition     = startswith(var.push_jwks_url, "https://")
    error_message = "push_jwks_url must be an https:// URL."
  }
}

variable "batch_window_ms" {
  type        = number
  description = "The longest time staged work waits for its load job. One value drives both: process env TARMAC_BATCH_WINDOW_MS and the Cloud Scheduler flush every M = max(1, ceil(batch_window_ms / 60000)) minutes (at most 1,440 load jobs per table per day, under BigQuery's 1,500). Output batch_window_ms lets the CD pipeline derive its wait."
  default     = 180000

  validation {
    condition     = var.batch_window_ms >= 1000 && var.batch_window_ms <= 480000 && floor(var.batch_window_ms) == var.batch_window_ms
    error_message = "batch_window_ms must be a whole number of milliseconds between 1000 and 480000 (8 minutes: staged uploads wait at most that long, and the CD pipeline's status wait, derived from it, stays under its build timeout)."
  }
}

variable "sweep_schedule" {
  type        = string
  description = "Cron schedule (UTC) of Cloud Scheduler's POST /sweep: re-drive stuck uploads, drain dead letters, log upload_overdue."
  default     = "*/5 * * * *"

  validation {
    condition     = length(split(" ", var.sweep_schedule)) == 5
    error_message = "sweep_schedule must be a 5-field unix-cron expression such as */5 * * * *."
  }
}

variable "scheduler_region" {
  type        = string
  description = "Cloud Scheduler location if different from region; null = region."
  default     = null
}

variable "push_ack_deadline_seconds" {
  type        = number
  description = "Ack deadline of the push subscription. process acks a push once the upload is validated and staged (seconds for a direct upload); the deadline only bounds the slowest case, a multi-GiB signed-URL upload."
  default     = 600

  validation {
    condition     = var.push_ack_deadline_seconds >= 10 && var.push_ack_deadline_seconds <= 600
    error_message = "push_ack_deadline_seconds must be between 10 and 600 (Pub/Sub's range)."
  }
}

variable "query_timeout_ms" {
  type        = number
  description = "TARMAC_QUERY_TIMEOUT_MS: BigQuery query timeout for the query service."
  default     = 30000

  validation {
    condition     = var.query_timeout_ms >= 1000 && var.query_timeout_ms <= 600000
    error_message = "query_timeout_ms must be between 1000 and 600000."
  }
}

variable "bq_max_bytes_billed" {
  type        = number
  description = "TARMAC_BQ_MAX_BYTES_BILLED: per-query cost cap for the query service."
  default     = 10737418240

  validation {
    condition     = var.bq_max_bytes_billed >= 10485760
    error_message = "bq_max_bytes_billed must be at least 10 MiB (BigQuery bills at least 10 MB per query)."
  }
}

variable "table_options" {
  type = map(object({
    partition_column = optional(string)
    cluster_columns  = optional(list(string), [])
  }))
  description = "Partitioning (DAY) and clustering per dataset table, used when schemas/<name>.options.json does not exist."
  default = {
    flights = {
      partition_column = "time_hour"
      cluster_columns  = ["carrier", "origin", "dest"]
    }
  }
}

# ---------------------------------------------------------------------------
# API Gateway authentication
# ---------------------------------------------------------------------------

variable "jwt_issuer" {
  type        = string
  description = "Issuer (iss) of the client JWTs the gateway accepts (x-google-issuer)."

  validation {
    condition     = length(var.jwt_issuer) > 0
    error_message = "jwt_issuer must not be empty."
  }
}

variable "jwt_jwks_uri" {
  type        = string
  description = "JWKS URL of the issuer (x-google-jwks_uri)."

  validation {
    condition     = startswith(var.jwt_jwks_uri, "https://")
    error_message = "jwt_jwks_uri must be an https:// URL."
  }
}

variable "jwt_audiences" {
  type        = list(string)
  description = "Accepted aud values of client JWTs (x-google-audiences)."

  # One: ingest and query accept exactly one audience (TARMAC_TOKEN_AUDIENCE),
  # so a second one the gateway let through would be refused by them anyway.
  validation {
    condition     = length(var.jwt_audiences) == 1 && alltrue([for a in var.jwt_audiences : length(a) > 0 && !strcontains(a, ",")])
    error_message = "jwt_audiences must hold exactly one non-empty audience (the services' TARMAC_TOKEN_AUDIENCE)."
  }
}

# ---------------------------------------------------------------------------
# Monitoring, alerts and SLOs (defaults from the seed, Parte 5)
# ---------------------------------------------------------------------------

variable "notification_channels" {
  type        = list(string)
  description = "Notification channel ids (projects/<p>/notificationChannels/<id>, created outside Terraform) attached to every alert policy. Empty means alerts still open incidents in Cloud Monitoring but notify nobody; that is refused where require_notification_channels is true (master by default)."
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/notificationChannels/[0-9]+$", c))])
    error_message = "notification_channels must be full ids: projects/<project>/notificationChannels/<numeric id>."
  }

  validation {
    condition     = length(distinct(var.notification_channels)) == length(var.notification_channels)
    error_message = "notification_channels must not repeat a channel."
  }
}

variable "require_notification_channels" {
  type        = bool
  description = "Fail the plan when notification_channels is empty; null = true for master, false otherwise."
  default     = null
}

variable "post_rate_high_per_hour" {
  type        = number
  description = "Alert when POST requests in one hour exceed this (seed: 600; expected maximum 500)."
  default     = 600

  validation {
    condition     = var.post_rate_high_per_hour > 0
    error_message = "post_rate_high_per_hour must be positive."
  }
}

variable "post_rate_low_per_hour" {
  type        = number
  description = "Alert when POST requests in one hour fall below this (seed: 400)."
  default     = 400

  validation {
    condition     = var.post_rate_low_per_hour >= 0
    error_message = "post_rate_low_per_hour must not be negative."
  }
}

variable "low_traffic_alert_enabled" {
  type        = bool
  description = "Enable the low POST rate alert (off in develop, which has no steady traffic)."
  default     = true
}

variable "error_ratio_threshold" {
  type        = number
  description = "Alert when the gateway's 5xx ratio exceeds this fraction (seed: 0.01)."
  default     = 0.01

  validation {
    condition     = var.error_ratio_threshold > 0 && var.error_ratio_threshold < 1
    error_message = "error_ratio_threshold must be a fraction between 0 and 1."
  }
}

variable "post_latency_p95_ms" {
  type        = number
  description = "Alert when POST p95 latency exceeds this many milliseconds; also the latency SLO threshold (seed: 300)."
  default     = 300

  validation {
    condition     = var.post_latency_p95_ms > 0
    error_message = "post_latency_p95_ms must be positive."
  }
}

variable "oldest_unacked_max_seconds" {
  type        = number
  description = "Alert when the oldest unacknowledged push message is older than this (10 minutes)."
  default     = 600

  validation {
    condition     = var.oldest_unacked_max_seconds >= 60
    error_message = "oldest_unacked_max_seconds must be at least 60."
  }
}

variable "slo_post_latency_goal" {
  type        = number
  description = "Fraction of POST requests answered under post_latency_p95_ms (seed: 0.95)."
  default     = 0.95

  validation {
    condition     = var.slo_post_latency_goal > 0 && var.slo_post_latency_goal < 1
    error_message = "slo_post_latency_goal must be between 0 and 1 (exclusive)."
  }
}

variable "slo_availability_goal" {
  type        = number
  description = "Gateway availability (non-5xx fraction) per calendar month (seed: 0.999)."
  default     = 0.999

  validation {
    condition     = var.slo_availability_goal > 0 && var.slo_availability_goal < 1
    error_message = "slo_availability_goal must be between 0 and 1 (exclusive)."
  }
}

variable "slo_post_errors_goal" {
  type        = number
  description = "Fraction of POST requests without a 5xx (seed: fewer than 1% 5xx = 0.99)."
  default     = 0.99

  validation {
    condition     = var.slo_post_errors_goal > 0 && var.slo_post_errors_goal < 1
    error_message = "slo_post_errors_goal must be between 0 and 1 (exclusive)."
  }
}

variable "slo_burn_rate_threshold" {
  type        = number
  description = "Burn rate (multiple of the sustainable error-budget rate) that triggers an SLO alert."
  default     = 10

  validation {
    condition     = var.slo_burn_rate_threshold > 1
    error_message = "slo_burn_rate_threshold must be greater than 1."
  }
}

variable "slo_burn_rate_lookback" {
  type        = string
  description = "Lookback window of the burn-rate alerts (duration in seconds, e.g. 3600s)."
  default     = "3600s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.slo_burn_rate_lookback))
    error_message = "slo_burn_rate_lookback must be a duration in whole seconds such as 3600s."
  }
}

# ---------------------------------------------------------------------------
# CI/CD (the pipeline identities themselves are created by infra/bootstrap)
# ---------------------------------------------------------------------------

variable "cicd_enabled" {
  type        = bool
  description = "Grant the environment's pipeline identity what it needs on resources of this state: master's deployer act-as on the runtime service accounts and the artifacts bucket; develop's planner the artifacts bucket and read of develop's cursor key (for its plan)."
  default     = true
}

variable "allowed_principals" {
  type        = list(string)
  description = "Service-account emails, besides master's deployer, whose Google-signed ID tokens ingest and query accept (TARMAC_ALLOWED_PRINCIPALS). Consumers use Tarmac-issued tokens instead."
  default     = []

  validation {
    condition     = alltrue([for e in var.allowed_principals : can(regex("^[a-z0-9-]+@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", e))])
    error_message = "allowed_principals must be service-account emails (<id>@<project>.iam.gserviceaccount.com)."
  }

  # The develop planner is read-only and calls no API; letting its token in
  # would hand every scope to whoever pushes to develop.
  validation {
    condition     = alltrue([for e in var.allowed_principals : !can(regex("-planner@", e))])
    error_message = "allowed_principals must not list a planner (develop's read-only pipeline identity)."
  }
}

variable "pipeline_email" {
  type        = string
  description = "Email of the identity infra/bootstrap created for this environment's trigger (its output pipeline_email); null = bootstrap's naming: <prefix>-master-deployer@<project>.iam.gserviceaccount.com in master, <prefix>-develop-planner@... in develop."
  default     = null

  validation {
    condition     = var.pipeline_email == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\\.iam\\.gserviceaccount\\.com$", var.pipeline_email))
    error_message = "pipeline_email must be a user-managed service account email (<id>@<project>.iam.gserviceaccount.com)."
  }
}

# ---------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------

variable "cursor_key_generation" {
  type        = number
  description = "Generation of TARMAC_CURSOR_KEY (secrets.tf). Raise it by one to rotate: new random key, new secret version, new query revision; cursors signed with the old key are then refused with 400."
  default     = 1

  validation {
    condition     = var.cursor_key_generation >= 1 && floor(var.cursor_key_generation) == var.cursor_key_generation
    error_message = "cursor_key_generation must be a whole number >= 1 (only ever raised)."
  }
}
