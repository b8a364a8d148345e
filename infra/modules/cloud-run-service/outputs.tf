output "name" {
  description = "Cloud Run service name."
  value       = google_cloud_run_v2_service.this.name
}

output "id" {
  description = "Cloud Run service id."
  value       = google_cloud_run_v2_service.this.id
}

output "uri" {
  description = "HTTPS URL of the service (also its default ID-token audience)."
  value       = google_cloud_run_v2_service.this.uri
}
