# Bootstrap of develop (human apply, owner rights):
# terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=tarmac/bootstrap-develop
# terraform apply -var-file=envs/develop.tfvars

project_id           = "tarmac-project"
region               = "us-central1"
prefix               = "tarmac"
environment          = "develop"
container_repository = "us-central1-docker.pkg.dev/tarmac-project/tarmac-develop"

github_owner    = "tarmac-org"
github_repo     = "tarmac"
tf_state_bucket = "tarmac-project-tfstate"

# master owns the project's Identity Platform config (one per project).
manage_identity_platform = false
