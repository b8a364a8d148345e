# Bootstrap of master (human apply, owner rights):
# terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=tarmac/bootstrap-master
# terraform apply -var-file=envs/master.tfvars

project_id           = "tarmac-project"
region               = "us-central1"
prefix               = "tarmac"
environment          = "master"
container_repository = "us-central1-docker.pkg.dev/tarmac-project/tarmac"

github_owner    = "tarmac-org"
github_repo     = "tarmac"
tf_state_bucket = "tarmac-project-tfstate"
