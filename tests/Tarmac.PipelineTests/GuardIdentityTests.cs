using System.Runtime.Versioning;

namespace Tarmac.PipelineTests;

/// <summary>
/// Each pipeline's guard step runs here (Cloud Build escaping undone, substitutions filled in) against a stand-in gcloud
/// that reports the build's account: ci.yaml refuses to run as a deployer, cd.yaml refuses to run as a planner, so a
/// trigger wired to the wrong identity (infra/modules/cicd) fails at once, saying so, instead of half-running.
/// </summary>
[UnsupportedOSPlatform("windows")] // bash and Unix file modes
public sealed class GuardIdentityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tarmac-guard-").FullName;

    public GuardIdentityTests()
    {
        var gcloud = Path.Combine(_dir, "gcloud");
        File.WriteAllText(gcloud, """
            #!/usr/bin/env bash
            [ "$1 $2 $3" = "config get-value account" ] && { echo "$FAKE_ACCOUNT"; exit 0; }
            echo "unexpected: $*" >&2; exit 3
            """);
        File.SetUnixFileMode(gcloud, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Theory]
    [InlineData("ci/cloudbuild/ci.yaml", "develop", "tarmac-develop-planner@p.iam.gserviceaccount.com", 0, "develop pipeline for commit abc1234 as tarmac-develop-planner@")]
    [InlineData("ci/cloudbuild/ci.yaml", "develop", "tarmac-master-deployer@p.iam.gserviceaccount.com", 1, "ci.yaml must run as develop's read-only planner, but this build runs as tarmac-master-deployer@")]
    [InlineData("ci/cloudbuild/cd.yaml", "master", "tarmac-master-deployer@p.iam.gserviceaccount.com", 0, "master pipeline for commit abc1234 as tarmac-master-deployer@")]
    [InlineData("ci/cloudbuild/cd.yaml", "master", "tarmac-develop-planner@p.iam.gserviceaccount.com", 1, "cd.yaml applies and needs master's deployer, but this build runs as tarmac-develop-planner@")]
    public void TheGuardChecksWhichIdentityTheBuildRunsAs(string path, string env, string account, int exitCode, string expected)
    {
        var guard = Assert.Single(CloudBuildFile.Load(path).Steps, s => s.Id == "guard");
        var script = guard.Text[(guard.Text.IndexOf("-c ", StringComparison.Ordinal) + 3)..]
            .Replace("${_ENV}", env, StringComparison.Ordinal)
            .Replace("$SHORT_SHA", "abc1234", StringComparison.Ordinal)
            .Replace("$$", "$", StringComparison.Ordinal);
        var scriptFile = Path.Combine(_dir, "guard.sh");
        File.WriteAllText(scriptFile, script);

        var result = Shell.Bash($"PATH=\"{_dir}:$PATH\" bash '{scriptFile}'", new Dictionary<string, string> { ["FAKE_ACCOUNT"] = account });

        Assert.True(exitCode == result.ExitCode, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        Assert.Contains(expected, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
