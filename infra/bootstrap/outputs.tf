output "pipeline_email" {
  description = "Email of the identity this environment's trigger runs as: the deployer (master) or the read-only planner (develop). infra/ derives the same name; pass it there as pipeline_email if it differs."
  value       = module.cicd.pipeline_email
}

output "deployer_email" {
  description = "Email of the Cloud Build deployer (master only; null in develop, which has no apply identity)."
  value       = module.cicd.deployer_email
}

output "planner_email" {
  description = "Email of the read-only planner (develop only; null in master)."
  value       = module.cicd.planner_email
}

output "trigger_id" {
  description = "Cloud Build trigger id of this environment."
  value       = module.cicd.trigger_id
}

output "trigger_build_file" {
  description = "Build config this environment's trigger runs (ci.yaml in develop, cd.yaml in master)."
  value       = module.cicd.trigger_build_file
}

output "substitutions" {
  description = "Substitutions the trigger passes to the build."
  value       = module.cicd.substitutions
}
