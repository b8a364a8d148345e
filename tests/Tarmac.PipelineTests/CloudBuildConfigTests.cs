using Xunit.Abstractions;

namespace Tarmac.PipelineTests;

/// <summary>The real pipelines: ci/cloudbuild/ci.yaml (develop) and ci/cloudbuild/cd.yaml (master).</summary>
public sealed class CloudBuildConfigTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Pipelines => new()
    {
        { "ci/cloudbuild/ci.yaml", "develop" },
        { "ci/cloudbuild/cd.yaml", "master" },
    };

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void StepsHaveUniqueIdsAndKnownWaitFor(string path, string branch)
    {
        _ = branch;
        AssertClean(path, CloudBuildRules.StepIds(CloudBuildFile.Load(path)));
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void SubstitutionsAreDeclaredPrefixedAndUsed(string path, string branch)
    {
        _ = branch;
        var file = CloudBuildFile.Load(path);
        Assert.NotEmpty(file.Substitutions);
        AssertClean(path, CloudBuildRules.Substitutions(file));
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void ArtifactsAreNamedFunctionDashBranchZip(string path, string branch) =>
        AssertClean(path, CloudBuildRules.ArtifactNames(CloudBuildFile.Load(path), branch));

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void TerraformStepsRunInAutomationMode(string path, string branch)
    {
        _ = branch;
        var file = CloudBuildFile.Load(path);
        Assert.Contains(file.Steps, CloudBuildRules.IsTerraform);
        AssertClean(path, CloudBuildRules.TerraformInAutomation(file));
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void BuilderImagesArePinned(string path, string branch)
    {
        _ = branch;
        AssertClean(path, CloudBuildRules.PinnedImages(CloudBuildFile.Load(path)));
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void PlanAndTestReportsAreStoredAsArtifacts(string path, string branch)
    {
        _ = branch;
        AssertClean(path, CloudBuildRules.PlanAndReportsStored(CloudBuildFile.Load(path)));
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void StagesFollowTheSeedOrder(string path, string branch) =>
        AssertClean(path, CloudBuildRules.StageOrder(CloudBuildFile.Load(path), branch));

    [Fact]
    public void MasterVerifiesTheDeployAndRollsBack() =>
        AssertClean("ci/cloudbuild/cd.yaml", CloudBuildRules.DeployVerification(CloudBuildFile.Load("ci/cloudbuild/cd.yaml"), RepoRoot.TryRead));

    [Fact]
    public void DevelopDoesNotDeploy()
    {
        var file = CloudBuildFile.Load("ci/cloudbuild/ci.yaml");
        Assert.DoesNotContain(file.Steps, s => s.Text.Contains("update-traffic", StringComparison.Ordinal));
        Assert.DoesNotContain(file.Steps, s => s.Text.Contains("IntegrationTests", StringComparison.Ordinal));
    }

    [Fact]
    public void DevelopIsReadOnly() =>
        AssertClean("ci/cloudbuild/ci.yaml", CloudBuildRules.ReadOnly(CloudBuildFile.Load("ci/cloudbuild/ci.yaml"), RepoRoot.TryRead));

    /// <summary>The rule can fail: the master pipeline, which applies and deploys, breaks it in each way.</summary>
    [Fact]
    public void TheReadOnlyRuleCatchesTheMasterPipelinesWrites()
    {
        var problems = CloudBuildRules.ReadOnly(CloudBuildFile.Load("ci/cloudbuild/cd.yaml"), RepoRoot.TryRead).ToList();
        foreach (var (_, why) in CloudBuildRules.Writes.Where(w => !w.Why.StartsWith("changes IAM", StringComparison.Ordinal)))
        {
            Assert.Contains(problems, p => p.Contains(why, StringComparison.Ordinal));
        }

        Assert.Contains(problems, p => p.Contains("does not run with -lock=false", StringComparison.Ordinal));
        var named = CloudBuildFile.Parse("serviceAccount: projects/p/serviceAccounts/tarmac-master-deployer@p.iam.gserviceaccount.com\nsteps:\n  - name: x\n    args: ['gcloud', 'projects', 'add-iam-policy-binding', 'p']\n");
        var more = CloudBuildRules.ReadOnly(named, RepoRoot.TryRead).ToList();
        Assert.Contains(more, p => p.Contains("names a serviceAccount", StringComparison.Ordinal));
        Assert.Contains(more, p => p.Contains("changes IAM", StringComparison.Ordinal));
    }

    [Fact]
    public void DevelopPushesToItsOwnRepository()
    {
        var develop = CloudBuildFile.Load("ci/cloudbuild/ci.yaml").Substitutions["_CONTAINER_REPOSITORY"];
        var master = CloudBuildFile.Load("ci/cloudbuild/cd.yaml").Substitutions["_CONTAINER_REPOSITORY"];
        Assert.NotEqual(master, develop);
        Assert.EndsWith("/tarmac-develop", develop, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void GuardChecksTheEnvironment(string path, string branch)
    {
        var file = CloudBuildFile.Load(path);
        Assert.Equal(branch, file.Substitutions["_ENV"]);
        var guard = Assert.Single(file.Steps, s => s.Id == "guard");
        Assert.Contains($"\"${{_ENV}}\" != \"{branch}\"", guard.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void PrintsTheStepGraph(string path, string branch)
    {
        var file = CloudBuildFile.Load(path);
        output.WriteLine($"{path} ({branch}): {file.Steps.Count} steps");
        foreach (var step in file.Steps)
        {
            var deps = file.DirectDependencies(step).Select(d => d.Label).ToList();
            output.WriteLine($"  {step.Label,-20} <- {(deps.Count == 0 ? "(start)" : string.Join(", ", deps))}{(step.AllowFailure ? "  [allowFailure]" : "")}");
        }

        Assert.NotEmpty(file.Steps);
    }

    private void AssertClean(string path, IEnumerable<string> violations)
    {
        var list = violations.ToList();
        foreach (var v in list)
        {
            output.WriteLine($"{path}: {v}");
        }

        Assert.True(list.Count == 0, $"{path}:\n  " + string.Join("\n  ", list));
    }
}
