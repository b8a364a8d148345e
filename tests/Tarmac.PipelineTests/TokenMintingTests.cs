using System.Runtime.Versioning;

namespace Tarmac.PipelineTests;

/// <summary>
/// The gateway token is minted by impersonating the deployer (ci/deploy/mint-token.sh), because a build that runs as
/// a user-managed service account cannot get an identity token from the metadata server
/// (https://cloud.google.com/sdk/gcloud/reference/auth/print-identity-token lists --impersonate-service-account and
/// --include-email; https://cloud.google.com/iam/docs/service-account-permissions says impersonation needs
/// roles/iam.serviceAccountTokenCreator, which infra grants the deployer on itself). The script runs here against a
/// stand-in gcloud that records its arguments.
/// </summary>
[UnsupportedOSPlatform("windows")] // bash scripts and Unix file modes
public sealed class TokenMintingTests : IDisposable
{
    private const string Deployer = "tarmac-master-deployer@proj.iam.gserviceaccount.com";
    private const string Token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ0YXJtYWMtbWFzdGVyLWFwaSJ9.c2lnbmF0dXJl";

    private readonly string _dir = Directory.CreateTempSubdirectory("tarmac-mint-").FullName;

    public TokenMintingTests()
    {
        var gcloud = Path.Combine(_dir, "gcloud");
        File.WriteAllText(gcloud, $$"""
            #!/usr/bin/env bash
            echo "$*" >> "{{_dir}}/calls"
            case "$1 $2" in
              "config get-value") echo "${FAKE_ACCOUNT:-}" ;;
              "auth print-identity-token") echo "{{Token}}" ;;
              *) echo "unexpected: $*" >&2; exit 3 ;;
            esac
            """);
        File.SetUnixFileMode(gcloud, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string TokenFile => Path.Combine(_dir, "token");

    private string[] Calls => File.Exists(Path.Combine(_dir, "calls")) ? File.ReadAllLines(Path.Combine(_dir, "calls")) : [];

    private Shell.Result Mint(string account, string fakeAccount = "") => Shell.Bash(
        $"PATH=\"{_dir}:$PATH\" bash ci/deploy/mint-token.sh tarmac-master-api '{account}' '{TokenFile}'",
        new Dictionary<string, string> { ["FAKE_ACCOUNT"] = fakeAccount });

    [Fact]
    public void TheTokenIsMintedByImpersonatingTheDeployerWithItsEmail()
    {
        var result = Mint(Deployer);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal([$"auth print-identity-token --impersonate-service-account={Deployer} --audiences=tarmac-master-api --include-email"], Calls);
        Assert.Equal(Token, File.ReadAllText(TokenFile).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(TokenFile));
        Assert.DoesNotContain(Token, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAnEmailTheAccountTheBuildRunsAsIsImpersonated()
    {
        var result = Mint("", fakeAccount: Deployer);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(["config get-value account", $"auth print-identity-token --impersonate-service-account={Deployer} --audiences=tarmac-master-api --include-email"], Calls);
    }

    [Theory]
    [InlineData("someone@example.com")]
    [InlineData("")]
    public void AnAccountThatIsNoServiceAccountIsRefusedBeforeAnyTokenIsAskedFor(string active)
    {
        var result = Mint("", fakeAccount: active);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not a service account email: set _DEPLOYER_SERVICE_ACCOUNT", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls, c => c.StartsWith("auth ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("tarmac-develop-planner@proj.iam.gserviceaccount.com", "")]
    [InlineData("", "tarmac-develop-planner@proj.iam.gserviceaccount.com")]
    public void DevelopsPlannerIsRefusedBeforeAnyTokenIsAskedFor(string account, string active)
    {
        var result = Mint(account, fakeAccount: active);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is develop's read-only planner: only master's deployer may mint the gateway token", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls, c => c.StartsWith("auth ", StringComparison.Ordinal));
        Assert.False(File.Exists(TokenFile));
    }

    [Fact]
    public void TheMasterPipelineMintsItsGatewayTokenWithTheScript()
    {
        var file = CloudBuildFile.Load("ci/cloudbuild/cd.yaml");
        var wait = Assert.Single(file.Steps, s => s.Id == "wait-for-gateway");
        Assert.Contains("bash ci/deploy/mint-token.sh \"$$aud\" \"${_DEPLOYER_SERVICE_ACCOUNT}\" /workspace/deploy/token", wait.Text, StringComparison.Ordinal);
        Assert.True(CloudBuildRules.Runs(wait, RepoRoot.TryRead, "--impersonate-service-account="));
        Assert.Equal("", file.Substitutions["_DEPLOYER_SERVICE_ACCOUNT"]);
    }

    [Theory]
    [InlineData("ci/cloudbuild/ci.yaml")]
    [InlineData("ci/cloudbuild/cd.yaml")]
    public void EveryIdentityTokenInThePipelinesIsMintedByImpersonation(string path) =>
        Assert.Empty(CloudBuildRules.IdentityTokensByImpersonation(CloudBuildFile.Load(path), RepoRoot.TryRead));

    [Theory]
    [InlineData("gcloud auth print-identity-token --audiences=\"$aud\" > t", "without --impersonate-service-account")]
    [InlineData("gcloud auth print-identity-token --impersonate-service-account=sa@p.iam.gserviceaccount.com \\\n  --audiences=a > t", "without --include-email")]
    [InlineData("gcloud auth print-identity-token --impersonate-service-account=sa@p.iam.gserviceaccount.com --include-email", "without --audiences")]
    public void AMintWithoutImpersonationIsCaught(string command, string expected)
    {
        var yaml = $"steps:\n  - id: mint\n    name: gcr.io/cloud-builders/docker:24.0.9\n    entrypoint: bash\n    args: ['ci/deploy/mint.sh']\n";
        var file = CloudBuildFile.Parse(yaml);
        var problems = CloudBuildRules.IdentityTokensByImpersonation(file, p => p == "ci/deploy/mint.sh" ? command + "\n" : null).ToList();
        Assert.Contains(problems, p => p.StartsWith("ci/deploy/mint.sh: ", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
        Assert.Empty(CloudBuildRules.IdentityTokensByImpersonation(file, p => p == "ci/deploy/mint.sh"
            ? "gcloud auth print-identity-token --impersonate-service-account=\"$sa\" \\\n  --audiences=\"$aud\" --include-email > t\n" : null));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
