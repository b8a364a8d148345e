output "pipeline_email" {
  description = "Email of the identity the trigger runs as: the deployer (master) or the planner (develop)."
  value       = local.pipeline.email
}

output "deployer_email" {
  description = "Email of the deployer (master only; null in develop, which has no apply identity)."
  value       = local.is_cd ? local.pipeline.email : null
}

output "deployer_id" {
  description = "Fully qualified id of the deployer (master only; null in develop)."
  value       = local.is_cd ? local.pipeline.id : null
}

output "planner_email" {
  description = "Email of the read-only planner (develop only; null in master)."
  value       = local.is_cd ? null : local.pipeline.email
}

output "trigger_id" {
  description = "Cloud Build trigger id."
  value       = google_cloudbuild_trigger.this.trigger_id
}

output "trigger_build_file" {
  description = "Build config the trigger runs (fixed per environment)."
  value       = google_cloudbuild_trigger.this.filename
}

output "substitutions" {
  description = "Substitutions passed to the build."
  value       = local.substitutions
}
