output "topic" {
  description = "Id of the object-finalized topic."
  value       = google_pubsub_topic.objects.id
}

output "topic_name" {
  description = "Short name of the object-finalized topic."
  value       = google_pubsub_topic.objects.name
}

output "subscription_name" {
  description = "Short name of the push subscription to the process service."
  value       = google_pubsub_subscription.process.name
}

output "dead_letter_topic" {
  description = "Id of the dead-letter topic."
  value       = google_pubsub_topic.dead_letter.id
}

output "dead_letter_subscription_name" {
  description = "Short name of the dead-letter pull subscription."
  value       = google_pubsub_subscription.dead_letter.name
}
