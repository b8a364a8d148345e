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

output "dead_letter_sweep_subscription" {
  description = "Full name (projects/<p>/subscriptions/<s>) of the dead-letter subscription process drains (TARMAC_DEAD_LETTER_SUBSCRIPTION)."
  value       = google_pubsub_subscription.dead_letter_sweep.id
}

output "dead_letter_sweep_subscription_name" {
  description = "Short name of the dead-letter subscription process drains."
  value       = google_pubsub_subscription.dead_letter_sweep.name
}
