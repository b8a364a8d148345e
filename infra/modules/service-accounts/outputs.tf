output "emails" {
  description = "Service account emails by key."
  value       = { for k, sa in google_service_account.this : k => sa.email }
}

output "members" {
  description = "IAM members (serviceAccount:<email>) by key."
  value       = { for k, sa in google_service_account.this : k => sa.member }
}

output "ids" {
  description = "Fully qualified service account ids (projects/<p>/serviceAccounts/<email>) by key."
  value       = { for k, sa in google_service_account.this : k => sa.name }
}
