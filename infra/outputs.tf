output "gateway_url" {
  description = "Public base URL of the API (every route requires a JWT)."
  value       = module.gateway.url
}

output "service_urls" {
  description = "Cloud Run service URLs (private: invoker IAM only)."
  value = {
    ingest  = module.ingest.uri
    process = module.process.uri
    query   = module.query.uri
  }
}

output "ingest_service" {
  description = "Name of the ingest Cloud Run service (the CD pipeline records its revisions for rollback)."
  value       = module.ingest.name
}

output "process_service" {
  description = "Name of the process Cloud Run service."
  value       = module.process.name
}

output "query_service" {
  description = "Name of the query Cloud Run service."
  value       = module.query.name
}

output "api_audience" {
  description = "Audience for Google-signed service-account ID tokens accepted by the gateway (the CD pipeline's _GATEWAY_AUDIENCE)."
  value       = local.api_audience
}

output "service_accounts" {
  description = "Runtime service account emails by role."
  value       = module.service_accounts.emails
}

output "raw_bucket" {
  description = "Raw uploads bucket (TARMAC_RAW_BUCKET)."
  value       = module.storage.raw_bucket
}

output "artifacts_bucket" {
  description = "Artifacts bucket for <function>-<branch>.zip."
  value       = module.storage.artifacts_bucket
}

output "bq_dataset" {
  description = "BigQuery dataset (TARMAC_BQ_DATASET)."
  value       = module.warehouse.dataset_id
}

output "bq_tables" {
  description = "Dataset tables created from schemas/*.json."
  value       = module.warehouse.tables
}

output "table_options" {
  description = "Effective partitioning and clustering per dataset table."
  value       = module.warehouse.table_options
}

output "push_audience" {
  description = "Audience of the Pub/Sub push OIDC token (TARMAC_PUSH_AUDIENCE)."
  value       = local.push_audience
}

output "topic" {
  description = "Object-finalized topic."
  value       = module.events.topic
}

output "dead_letter_subscription" {
  description = "Dead-letter audit pull subscription (an operator's copy of every dead-lettered message)."
  value       = module.events.dead_letter_subscription_name
}

output "dashboard_id" {
  description = "Monitoring dashboard id."
  value       = module.monitoring.dashboard_id
}

output "slos" {
  description = "SLO resource names."
  value       = module.monitoring.slos
}

output "pipeline_email" {
  description = "The environment's pipeline identity (created by infra/bootstrap) granted access here: master's deployer or develop's read-only planner; null when cicd_enabled = false."
  value       = var.cicd_enabled ? local.pipeline_email : null
}

output "cursor_key_secret" {
  description = "Secret Manager secret holding TARMAC_CURSOR_KEY (query reads it as an env var, pinned version)."
  value       = google_secret_manager_secret.cursor_key.id
}

output "token_signing_key_secret" {
  description = "Secret Manager secret an operator keeps the consumer-token signing key in (versions added by hand, never by Terraform)."
  value       = google_secret_manager_secret.token_signing_key.secret_id
}

output "token_issuer" {
  description = "iss of the consumer tokens the gateway and the services accept (TARMAC_TOKEN_ISSUER for the token command)."
  value       = var.jwt_issuer
}

output "token_audience" {
  description = "aud of the consumer tokens the gateway and the services accept (TARMAC_TOKEN_AUDIENCE for the token command)."
  value       = var.jwt_audiences[0]
}

output "batch_window_ms" {
  description = "TARMAC_BATCH_WINDOW_MS of process; the CD pipeline derives its wait for loaded rows from it (a flush runs at least every flush_every_minutes)."
  value       = var.batch_window_ms
}

output "flush_every_minutes" {
  description = "Cloud Scheduler calls POST /flush every this many minutes: max(1, ceil(batch_window_ms / 60000))."
  value       = local.flush_every_minutes
}

output "scheduler_jobs" {
  description = "Cloud Scheduler job ids (flush, sweep)."
  value       = module.scheduler.jobs
}

output "dead_letter_sweep_subscription" {
  description = "Dead-letter pull subscription process drains in POST /sweep (TARMAC_DEAD_LETTER_SUBSCRIPTION)."
  value       = module.events.dead_letter_sweep_subscription
}
