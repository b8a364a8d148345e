output "deployer_email" {
  description = "Email of the Cloud Build deployer service account."
  value       = google_service_account.deployer.email
}

output "deployer_id" {
  description = "Fully qualified id of the deployer service account."
  value       = google_service_account.deployer.id
}

output "trigger_id" {
  description = "Cloud Build trigger id."
  value       = google_cloudbuild_trigger.this.trigger_id
}

output "substitutions" {
  description = "Substitutions passed to the build."
  value       = local.substitutions
}
