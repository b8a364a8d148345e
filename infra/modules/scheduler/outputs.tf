output "jobs" {
  description = "Scheduler job ids by short name."
  value       = { for k, j in google_cloud_scheduler_job.this : k => j.id }
}

output "schedules" {
  description = "Cron schedule of each job by short name."
  value       = { for k, j in google_cloud_scheduler_job.this : k => j.schedule }
}
