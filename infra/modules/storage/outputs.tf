output "raw_bucket" {
  description = "Name of the raw uploads bucket."
  value       = google_storage_bucket.raw.name
}

output "raw_bucket_url" {
  description = "gs:// URL of the raw uploads bucket."
  value       = google_storage_bucket.raw.url
}

output "artifacts_bucket" {
  description = "Name of the artifacts bucket (<function>-<branch>.zip)."
  value       = google_storage_bucket.artifacts.name
}
