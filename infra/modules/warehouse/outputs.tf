output "dataset_id" {
  description = "BigQuery dataset id."
  value       = google_bigquery_dataset.this.dataset_id
}

output "location" {
  description = "BigQuery dataset location."
  value       = google_bigquery_dataset.this.location
}

output "tables" {
  description = "Dataset tables created from schema files, by dataset name."
  value       = { for k, t in google_bigquery_table.dataset : k => t.id }
}

output "table_options" {
  description = "Effective partition column and clustering per dataset table."
  value       = local.table_options
}

output "upload_events_table" {
  description = "Id of the upload_events ledger table."
  value       = google_bigquery_table.upload_events.id
}
