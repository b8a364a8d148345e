namespace Tarmac.PipelineTests;

/// <summary>
/// The checker itself: a small valid config passes every rule, and each deliberately broken variant
/// is caught by the rule meant for it (so the real-file tests can fail).
/// </summary>
public sealed class CloudBuildRuleTests
{
    private const string ValidDevelop = """
        substitutions:
          _ARTIFACTS_BUCKET: my-artifacts
          _TF_STATE_BUCKET: my-state
        steps:
          - id: unit-tests
            name: mcr.microsoft.com/dotnet/sdk:10.0@sha256:e70cdb7f80b0348f5cb85f19a8f670fca061f033d57eed12fa003d58b0e06317
            entrypoint: bash
            args: ['ci/unit-tests.sh', '/workspace/test-results']
          - id: package
            name: gcr.io/google.com/cloudsdktool/cloud-sdk:588.0.0-slim@sha256:c70885ba9f0450ea9987b1c5dc1ab80acc768bac2fe783962dc98a64ea74c806
            entrypoint: bash
            args: ['ci/package.sh', 'develop']
            waitFor: ['unit-tests']
          - id: upload
            name: gcr.io/google.com/cloudsdktool/cloud-sdk:588.0.0-slim@sha256:c70885ba9f0450ea9987b1c5dc1ab80acc768bac2fe783962dc98a64ea74c806
            entrypoint: bash
            args:
              - -c
              - |
                for f in artifacts/*.zip; do echo "$$f"; done
                gcloud storage cp artifacts/ingest-develop.zip artifacts/process-develop.zip artifacts/query-develop.zip gs://${_ARTIFACTS_BUCKET}/
            waitFor: ['package']
          - id: tf-fmt
            name: hashicorp/terraform:1.9.8@sha256:18f9986038bbaf02cf49db9c09261c778161c51dcc7fb7e355ae8938459428cd
            args: ['fmt', '-check', '-recursive', 'infra']
            env: ['TF_IN_AUTOMATION=true']
            waitFor: ['upload']
          - id: tf-validate
            name: hashicorp/terraform:1.9.8@sha256:18f9986038bbaf02cf49db9c09261c778161c51dcc7fb7e355ae8938459428cd
            entrypoint: sh
            args: ['-c', 'terraform -chdir=infra init -backend=false && terraform -chdir=infra validate']
            env: ['TF_IN_AUTOMATION=true']
            waitFor: ['upload']
          - id: tf-init
            name: hashicorp/terraform:1.9.8@sha256:18f9986038bbaf02cf49db9c09261c778161c51dcc7fb7e355ae8938459428cd
            args: ['-chdir=infra', 'init', '-backend-config=bucket=${_TF_STATE_BUCKET}', '-backend-config=prefix=tarmac/develop']
            env: ['TF_IN_AUTOMATION=true']
            waitFor: ['tf-fmt', 'tf-validate']
          - id: tf-plan
            name: hashicorp/terraform:1.9.8@sha256:18f9986038bbaf02cf49db9c09261c778161c51dcc7fb7e355ae8938459428cd
            args: ['-chdir=infra', 'plan', '-var=image_tag=$SHORT_SHA', '-out=tfplan']
            env: ['TF_IN_AUTOMATION=true']
        artifacts:
          objects:
            location: gs://${_ARTIFACTS_BUCKET}/builds/$BUILD_ID/
            paths: ['infra/tfplan', 'test-results/*.trx']
        """;

    private static readonly string ValidMaster = ValidDevelop
        .Replace("develop", "master", StringComparison.Ordinal)
        .Replace("""
                  - id: tf-plan
                    name: hashicorp/terraform:1.9.8@sha256:18f9986038bbaf02cf49db9c09261c778161c51dcc7fb7e355ae8938459428cd
                    args: ['-chdir=infra', 'plan', '-var=image_tag=$SHORT_SHA', '-out=tfplan']
                    env: ['TF_IN_AUTOMATION=true']
                """, """
                  - id: record-revisions
                    name: gcr.io/google.com/cloudsdktool/cloud-sdk:588.0.0-slim@sha256:c70885ba9f0450ea9987b1c5dc1ab80acc768bac2fe783962dc98a64ea74c806
                    entrypoint: bash
                    args: ['-c', 'gcloud run services describe svc --format="value(status.traffic)" > /workspace/rev']
                    waitFor: ['tf-init']
                  - id: tf-plan
                    name: hashicorp/terraform:1.9.8@sha256:18f9986038bbaf02cf49db9c09261c778161c51dcc7fb7e355ae8938459428cd
                    args: ['-chdir=infra', 'plan', '-var=image_tag=$SHORT_SHA', '-out=tfplan']
                    env: ['TF_IN_AUTOMATION=true']
                    waitFor: ['tf-init']
                  - id: tf-apply
                    name: hashicorp/terraform:1.9.8@sha256:18f9986038bbaf02cf49db9c09261c778161c51dcc7fb7e355ae8938459428cd
                    args: ['-chdir=infra', 'apply', '-input=false', 'tfplan']
                    env: ['TF_IN_AUTOMATION=true']
                    waitFor: ['tf-plan', 'record-revisions']
                  - id: integration-tests
                    name: mcr.microsoft.com/dotnet/sdk:10.0@sha256:e70cdb7f80b0348f5cb85f19a8f670fca061f033d57eed12fa003d58b0e06317
                    entrypoint: bash
                    args: ['-c', 'TARMAC_BASE_URL=https://gw dotnet test tests/Tarmac.IntegrationTests']
                    allowFailure: true
                    waitFor: ['tf-apply']
                  - id: rollback
                    name: gcr.io/google.com/cloudsdktool/cloud-sdk:588.0.0-slim@sha256:c70885ba9f0450ea9987b1c5dc1ab80acc768bac2fe783962dc98a64ea74c806
                    entrypoint: bash
                    args: ['ci/deploy/rollback-if-failed.sh']
                    waitFor: ['integration-tests']
                """, StringComparison.Ordinal);

    private static readonly Dictionary<string, string> Scripts = new()
    {
        ["ci/deploy/rollback-if-failed.sh"] = "#!/bin/bash\nbash \"$here/undo.sh\"\n",
        ["ci/deploy/undo.sh"] = "gcloud run services update-traffic \"$svc\" --to-revisions=\"$rev=100\"\n",
    };

    private static string? ReadScript(string path) => Scripts.GetValueOrDefault(path);

    private static IEnumerable<string> AllRules(string yaml, string branch)
    {
        var file = CloudBuildFile.Parse(yaml);
        var all = CloudBuildRules.StepIds(file)
            .Concat(CloudBuildRules.Substitutions(file))
            .Concat(CloudBuildRules.ArtifactNames(file, branch))
            .Concat(CloudBuildRules.TerraformInAutomation(file))
            .Concat(CloudBuildRules.PinnedImages(file))
            .Concat(CloudBuildRules.PlanAndReportsStored(file))
            .Concat(CloudBuildRules.StageOrder(file, branch));
        return branch == "master" ? all.Concat(CloudBuildRules.DeployVerification(file, ReadScript)) : all;
    }

    private static string Break(string yaml, string from, string to)
    {
        Assert.Contains(from, yaml, StringComparison.Ordinal); // the mutation must apply
        return yaml.Replace(from, to, StringComparison.Ordinal);
    }

    private static void AssertCaught(string yaml, string branch, string expected)
    {
        var violations = AllRules(yaml, branch).ToList();
        Assert.True(
            violations.Any(v => v.Contains(expected, StringComparison.Ordinal)),
            $"expected a violation containing '{expected}', got:\n  " + string.Join("\n  ", violations));
    }

    [Fact]
    public void ValidSnippetsPassEveryRule()
    {
        Assert.Empty(AllRules(ValidDevelop, "develop"));
        Assert.Empty(AllRules(ValidMaster, "master"));
    }

    [Fact]
    public void MissingIdIsCaught() =>
        AssertCaught(Break(ValidDevelop, "- id: package\n    name:", "- name:"), "develop", "has no id");

    [Fact]
    public void DuplicateIdIsCaught() =>
        AssertCaught(Break(ValidDevelop, "id: tf-validate", "id: tf-fmt"), "develop", "duplicate step id 'tf-fmt'");

    [Fact]
    public void UnknownWaitForIsCaught() =>
        AssertCaught(Break(ValidDevelop, "waitFor: ['package']", "waitFor: ['packaging']"), "develop", "unknown step 'packaging'");

    [Fact]
    public void WaitForALaterStepIsCaught() =>
        AssertCaught(Break(ValidDevelop, "waitFor: ['unit-tests']", "waitFor: ['upload']"), "develop", "not an earlier step");

    [Fact]
    public void UndeclaredSubstitutionIsCaught() =>
        AssertCaught(Break(ValidDevelop, "bucket=${_TF_STATE_BUCKET}", "bucket=${_STATE_BUCKET}"), "develop", "'_STATE_BUCKET' is used but not declared");

    [Fact]
    public void UndeclaredBareSubstitutionIsCaught() =>
        AssertCaught(Break(ValidDevelop, "gs://${_ARTIFACTS_BUCKET}/\n", "gs://$_ARTIFACT_BUCKET/\n"), "develop", "'_ARTIFACT_BUCKET' is used but not declared");

    [Fact]
    public void DeclaredSubstitutionWithoutUnderscoreIsCaught() =>
        AssertCaught(Break(ValidDevelop, "  _TF_STATE_BUCKET: my-state\n", "  _TF_STATE_BUCKET: my-state\n  REGION: us-central1\n"), "develop", "'REGION' must start with '_'");

    [Fact]
    public void UnusedSubstitutionIsCaught() =>
        AssertCaught(Break(ValidDevelop, "  _TF_STATE_BUCKET: my-state\n", "  _TF_STATE_BUCKET: my-state\n  _UNUSED: x\n"), "develop", "'_UNUSED' is never used");

    [Fact]
    public void UnescapedShellVariableIsCaught() =>
        AssertCaught(Break(ValidDevelop, "echo \"$$f\"", "echo \"$f\""), "develop", "'$f' is not a built-in substitution");

    [Fact]
    public void UnescapedShellExpansionIsCaught() =>
        AssertCaught(Break(ValidDevelop, "echo \"$$f\"", "echo \"${f:-none}\""), "develop", "is not a substitution; escape");

    [Fact]
    public void EscapedShellVariablesAndBuiltInsAreAccepted()
    {
        Assert.Equal(["_A", "PROJECT_ID", "B"], CloudBuildRules.References("$$x ${_A} $$ $PROJECT_ID $${y} $B"));
        Assert.Empty(CloudBuildRules.References("$$HOME $$(date) $$1 $1 100$"));
    }

    [Fact]
    public void WrongArtifactNameIsCaught() =>
        AssertCaught(Break(ValidDevelop, "artifacts/query-develop.zip", "artifacts/query-dev.zip"), "develop", "'query-dev.zip' is not one of");

    [Fact]
    public void ArtifactOfTheOtherBranchIsCaught() =>
        AssertCaught(Break(ValidDevelop, "artifacts/ingest-develop.zip", "artifacts/ingest-master.zip"), "develop", "'ingest-develop.zip' is not uploaded");

    [Fact]
    public void MissingUploadIsCaught() =>
        AssertCaught(Break(ValidDevelop, "gcloud storage cp", "ls"), "develop", "no step copies the bundles");

    [Fact]
    public void PackagingForTheWrongBranchIsCaught() =>
        AssertCaught(Break(ValidDevelop, "args: ['ci/package.sh', 'develop']", "args: ['ci/package.sh', 'master']"), "develop", "not run for 'develop'");

    [Fact]
    public void MissingTfInAutomationIsCaught() =>
        AssertCaught(Break(ValidDevelop, "prefix=tarmac/develop']\n    env: ['TF_IN_AUTOMATION=true']\n", "prefix=tarmac/develop']\n"), "develop", "terraform step tf-init lacks TF_IN_AUTOMATION=true");

    [Fact]
    public void TfInAutomationInOptionsEnvIsAccepted()
    {
        var yaml = ValidDevelop.Replace("    env: ['TF_IN_AUTOMATION=true']\n", "", StringComparison.Ordinal)
                   + "\noptions:\n  env: ['TF_IN_AUTOMATION=true']\n";
        Assert.Empty(CloudBuildRules.TerraformInAutomation(CloudBuildFile.Parse(yaml)));
        Assert.NotEmpty(CloudBuildRules.TerraformInAutomation(CloudBuildFile.Parse(ValidDevelop.Replace("    env: ['TF_IN_AUTOMATION=true']\n", "", StringComparison.Ordinal))));
    }

    [Fact]
    public void LatestImageIsCaught() =>
        AssertCaught(Break(ValidDevelop, "name: mcr.microsoft.com/dotnet/sdk:10.0@sha256:e70cdb7f80b0348f5cb85f19a8f670fca061f033d57eed12fa003d58b0e06317", "name: mcr.microsoft.com/dotnet/sdk:latest"), "develop", "is not pinned (:latest)");

    [Fact]
    public void UntaggedImageIsCaught() =>
        AssertCaught(Break(ValidDevelop, "name: mcr.microsoft.com/dotnet/sdk:10.0@sha256:e70cdb7f80b0348f5cb85f19a8f670fca061f033d57eed12fa003d58b0e06317", "name: mcr.microsoft.com/dotnet/sdk"), "develop", "has no tag");

    [Fact]
    public void ImagePinnedByTagOnlyIsCaught() =>
        AssertCaught(Break(ValidDevelop, "name: mcr.microsoft.com/dotnet/sdk:10.0@sha256:e70cdb7f80b0348f5cb85f19a8f670fca061f033d57eed12fa003d58b0e06317", "name: mcr.microsoft.com/dotnet/sdk:10.0"), "develop", "is not pinned by digest");

    private const string Digest = "sha256:e70cdb7f80b0348f5cb85f19a8f670fca061f033d57eed12fa003d58b0e06317";

    [Theory]
    [InlineData("hashicorp/terraform:1.9.8@" + Digest, null)]
    [InlineData("localhost:5000/tools/terraform:1.9.8@" + Digest, null)]
    [InlineData("hashicorp/terraform:1.9.8", "is not pinned by digest")]
    [InlineData("localhost:5000/tools/terraform:1.9.8", "is not pinned by digest")]
    [InlineData("localhost:5000/tools/terraform", "has no tag")]
    [InlineData("hashicorp/terraform@" + Digest, "has a digest but no tag")]
    [InlineData("hashicorp/terraform:1.9.8@sha256:0123456789abcdef", "malformed digest")]
    [InlineData("hashicorp/terraform:1.9.8@sha256:E70CDB7F80B0348F5CB85F19A8F670FCA061F033D57EED12FA003D58B0E06317", "malformed digest")]
    [InlineData("hashicorp/terraform:latest@" + Digest, "is not pinned (:latest)")]
    [InlineData("ubuntu", "has no tag")]
    [InlineData("ubuntu:latest", "is not pinned (:latest)")]
    [InlineData("${_IMAGE}", "is a substitution")]
    // No published digest of the Docker builder could be found (ci/README.md, "Pinned images"): its tag is the pin.
    [InlineData("gcr.io/cloud-builders/docker:24.0.9", null)]
    [InlineData("gcr.io/cloud-builders/docker:24.0.9@" + Digest, null)]
    [InlineData("gcr.io/cloud-builders/docker", "has no tag")]
    [InlineData("gcr.io/cloud-builders/docker:latest", "is not pinned (:latest)")]
    public void ImagePinning(string image, string? problem)
    {
        var actual = CloudBuildRules.ImagePinProblem(image);
        if (problem is null) Assert.Null(actual);
        else Assert.Contains(problem, actual ?? "(pinned)", StringComparison.Ordinal);
    }

    [Fact]
    public void UnsavedPlanIsCaught() =>
        AssertCaught(Break(ValidDevelop, "'-out=tfplan'", "'-lock=true'"), "develop", "does not save the plan");

    [Fact]
    public void PlanNotStoredIsCaught() =>
        AssertCaught(Break(ValidDevelop, "paths: ['infra/tfplan', ", "paths: ["), "develop", "'infra/tfplan' is not in artifacts.objects.paths");

    [Fact]
    public void TestReportsNotStoredIsCaught() =>
        AssertCaught(Break(ValidDevelop, ", 'test-results/*.trx'", ""), "develop", "no test report");

    [Fact]
    public void StageOutOfOrderIsCaught() =>
        AssertCaught(Break(ValidDevelop, "waitFor: ['package']", "waitFor: ['unit-tests']"), "develop", "upload (upload) does not wait for package");

    [Fact]
    public void PlanStartingImmediatelyIsCaught() =>
        AssertCaught(Break(ValidDevelop, "'-out=tfplan']\n    env: ['TF_IN_AUTOMATION=true']", "'-out=tfplan']\n    env: ['TF_IN_AUTOMATION=true']\n    waitFor: ['-']"), "develop", "terraform plan (tf-plan) does not wait for terraform init");

    [Fact]
    public void MissingValidateIsCaught() =>
        AssertCaught(Break(ValidDevelop, "&& terraform -chdir=infra validate", ""), "develop", "no terraform validate step");

    [Fact]
    public void WrongBackendPrefixIsCaught() =>
        AssertCaught(Break(ValidDevelop, "prefix=tarmac/develop", "prefix=tarmac"), "develop", "backend prefix tarmac/develop");

    [Fact]
    public void DevelopApplyingIsCaught()
    {
        var yaml = Break(ValidDevelop, "  - id: tf-plan\n", """
              - id: tf-apply
                name: hashicorp/terraform:1.9.8@sha256:18f9986038bbaf02cf49db9c09261c778161c51dcc7fb7e355ae8938459428cd
                args: ['-chdir=infra', 'apply', '-auto-approve']
                env: ['TF_IN_AUTOMATION=true']
              - id: tf-plan

            """);
        AssertCaught(yaml, "develop", "the develop pipeline must not apply");
    }

    [Fact]
    public void ApplyWithoutTheSavedPlanIsCaught() =>
        AssertCaught(Break(ValidMaster, "'apply', '-input=false', 'tfplan'", "'apply', '-input=false', '-auto-approve'"), "master", "does not apply the saved plan");

    [Fact]
    public void MasterWithoutIntegrationTestsIsCaught() =>
        AssertCaught(Break(ValidMaster, "dotnet test tests/Tarmac.IntegrationTests", "echo skipped"), "master", "no integration-test step");

    [Fact]
    public void IntegrationTestsAgainstNothingAreCaught() =>
        AssertCaught(Break(ValidMaster, "TARMAC_BASE_URL=https://gw ", ""), "master", "do not target the deployed gateway");

    [Fact]
    public void MasterWithoutRollbackIsCaught() =>
        AssertCaught(Break(ValidMaster, "args: ['ci/deploy/rollback-if-failed.sh']", "args: ['-c', 'echo done']"), "master", "no rollback step");

    [Fact]
    public void RollbackFoundThroughScriptsOnly()
    {
        var file = CloudBuildFile.Parse(ValidMaster);
        var rollback = Assert.Single(file.Steps, s => s.Id == "rollback");
        Assert.True(CloudBuildRules.Runs(rollback, ReadScript, "--to-revisions"));
        Assert.False(CloudBuildRules.Runs(rollback, _ => null, "--to-revisions"));
    }

    [Fact]
    public void RollbackAllowedToFailIsCaught() =>
        AssertCaught(Break(ValidMaster, "args: ['ci/deploy/rollback-if-failed.sh']", "args: ['ci/deploy/rollback-if-failed.sh']\n    allowFailure: true"), "master", "rollback step rollback is allowed to fail");

    [Fact]
    public void RollbackBeforeIntegrationTestsIsCaught() =>
        AssertCaught(Break(ValidMaster, "waitFor: ['integration-tests']", "waitFor: ['tf-apply']"), "master", "does not run after integration tests");

    [Fact]
    public void RevisionsRecordedAfterApplyAreCaught() =>
        AssertCaught(Break(ValidMaster, "waitFor: ['tf-plan', 'record-revisions']", "waitFor: ['tf-plan']"), "master", "not recorded before terraform apply");

    [Fact]
    public void IntegrationTestsThatFailTheBuildBeforeRollbackAreCaught() =>
        AssertCaught(Break(ValidMaster, "    allowFailure: true\n    waitFor: ['tf-apply']", "    waitFor: ['tf-apply']"), "master", "must be allowed to fail");
}
