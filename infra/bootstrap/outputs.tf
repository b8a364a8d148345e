output "deployer_email" {
  description = "Email of the Cloud Build deployer (infra/ derives the same name; pass it there as deployer_email if it differs)."
  value       = module.cicd.deployer_email
}

output "trigger_id" {
  description = "Cloud Build trigger id of this environment."
  value       = module.cicd.trigger_id
}

output "substitutions" {
  description = "Substitutions the trigger passes to the build."
  value       = module.cicd.substitutions
}
