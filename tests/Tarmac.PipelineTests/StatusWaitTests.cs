using System.Globalization;
using System.Text.RegularExpressions;

namespace Tarmac.PipelineTests;

/// <summary>
/// The integration tests' wait for a final status is derived from the environment's batch window, in one place
/// (ci/deploy/status-wait.sh), and the master pipeline feeds it the deployed window. A fixed 3 minutes against
/// master's 180 s window would time out every run and roll it back.
/// </summary>
public sealed partial class StatusWaitTests
{
    private const string Script = "ci/deploy/status-wait.sh";

    /// <summary>Cloud Scheduler's flush period for a window, as the contract states it: max(1, ceil(window / 60 s)) minutes.</summary>
    private static int FlushPeriodSeconds(long windowMs) => (int)Math.Max(1, (windowMs + 59_999) / 60_000) * 60;

    private static int StatusWait(string arguments)
    {
        var result = Shell.Bash($"bash {Script} {arguments}");
        Assert.True(result.ExitCode == 0, $"status-wait.sh {arguments} exited {result.ExitCode}: {result.Stderr}");
        return int.Parse(result.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("180000", 540)]       // master: 180 s window + 3 min flush period + 180 s job margin
    [InlineData("60000", 300)]
    [InlineData("61000", 361)]        // a second over one minute: a two-minute flush period
    [InlineData("480000", 1140)]      // the largest window infra accepts
    [InlineData("1", 241)]
    [InlineData("180000 60", 420)]    // the job margin is a parameter
    public void TheWaitIsWindowPlusFlushPeriodPlusJobMargin(string arguments, int seconds) =>
        Assert.Equal(seconds, StatusWait(arguments));

    [Fact]
    public void TheWaitCoversTheWindowAndAFlushPeriodForEveryWindowInfraAccepts()
    {
        var (min, max) = InfraWindowBounds();
        var windows = Enumerable.Range(0, 8).Select(i => min + ((max - min) * i / 7)).Append(min + 1).Append(max - 1).ToList();
        var script = string.Join("; ", windows.Select(w => $"status_wait_seconds {w}"));
        var result = Shell.Bash($"source {Script}; {script}");
        Assert.Equal(0, result.ExitCode);
        var waits = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.Equal(windows.Count, waits.Count);
        for (var i = 0; i < windows.Count; i++)
        {
            var floor = (int)Math.Ceiling(windows[i] / 1000.0) + FlushPeriodSeconds(windows[i]);
            Assert.True(waits[i] >= floor + 60, $"window {windows[i]} ms: wait {waits[i]} s leaves under a minute for the load job after {floor} s");
        }
    }

    [Fact]
    public void MastersWindowGetsMoreThanTheOldFixedThreeMinutes()
    {
        var master = MasterWindowMs();
        Assert.True(StatusWait($"{master}") > 180 + FlushPeriodSeconds(master), "master's wait must exceed its window plus one flush period");
    }

    [Fact]
    public void WithoutAWindowTheWaitIsTheOneForTheLargestWindowInfraAccepts()
    {
        var (_, max) = InfraWindowBounds();
        var result = Shell.Bash($"source {Script}; echo \"$MAX_BATCH_WINDOW_MS\"");
        Assert.Equal($"{max}", result.Stdout.Trim());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("abc")]
    [InlineData("''")]
    [InlineData("180000 x")]
    public void AnInvalidWindowIsRefused(string arguments)
    {
        var result = Shell.Bash($"bash {Script} {arguments}");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("status-wait: ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void TheMasterPipelineFeedsTheDeployedWindowToTheIntegrationTests()
    {
        var file = CloudBuildFile.Load("ci/cloudbuild/cd.yaml");
        var outputs = Assert.Single(file.Steps, s => s.Id == "tf-outputs-after");
        Assert.Contains("output -no-color -raw batch_window_ms > /workspace/deploy/batch_window_ms", outputs.Text, StringComparison.Ordinal);

        var window = Assert.Single(file.Steps, s => s.Id == "batch-window");
        Assert.True(CloudBuildRules.Runs(window, RepoRoot.TryRead, "TARMAC_BATCH_WINDOW_MS"), "batch-window does not fall back to the process service's TARMAC_BATCH_WINDOW_MS");
        Assert.Contains(outputs, file.Ancestors(window));

        var tests = Assert.Single(file.Steps, s => s.Id == "integration-tests");
        Assert.Contains(window, file.Ancestors(tests));
        Assert.Contains("integration-tests tf-apply wait-for-gateway batch-window --", tests.Text, StringComparison.Ordinal);
        Assert.Matches(@"ci/deploy/integration-tests\.sh[\s\S]*""\$\$\(cat /workspace/deploy/batch_window_ms\)""", tests.Text);

        var script = RepoRoot.Read("ci/deploy/integration-tests.sh");
        Assert.Contains("source \"$repo_root/ci/deploy/status-wait.sh\"", script, StringComparison.Ordinal);
        Assert.Contains("TARMAC_STATUS_WAIT_SECONDS=\"$(status_wait_seconds \"$window_ms\")\"", script, StringComparison.Ordinal);
        Assert.Contains("export TARMAC_STATUS_WAIT_SECONDS", script, StringComparison.Ordinal);
    }

    [Fact]
    public void TheIntegrationTestsTakeTheirWaitFromTheEnvironmentNotAFixedBound()
    {
        var checks = RepoRoot.Read("tests/Tarmac.IntegrationTests/DeploymentChecks.cs");
        Assert.Contains("new CancellationTokenSource(statusWait)", checks, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"TimeSpan\.From(Minutes|Seconds)\(", checks);
        var wait = RepoRoot.Read("tests/Tarmac.IntegrationTests/StatusWait.cs");
        Assert.Contains("public const string Variable = \"TARMAC_STATUS_WAIT_SECONDS\";", wait, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMasterBuildOutlastsItsWorstCaseDeployChecks()
    {
        var file = CloudBuildFile.Load("ci/cloudbuild/cd.yaml");
        var timeout = Regex.Match(RepoRoot.Read("ci/cloudbuild/cd.yaml"), @"^timeout: (\d+)s$", RegexOptions.Multiline);
        Assert.True(timeout.Success, "cd.yaml sets no build timeout");
        var gateway = Regex.Match(Assert.Single(file.Steps, s => s.Id == "wait-for-gateway").Text, @"wait-for-gateway\.sh \S+ \S+ \S+ (\d+) (\d+)");
        Assert.True(gateway.Success, "wait-for-gateway.sh is not given attempts and interval");
        // Each probe: curl --max-time 10 (wait-for-gateway.sh), then the interval.
        Assert.Contains("--max-time 10", RepoRoot.Read("ci/deploy/wait-for-gateway.sh"), StringComparison.Ordinal);
        var gatewaySeconds = int.Parse(gateway.Groups[1].Value, CultureInfo.InvariantCulture) * (10 + int.Parse(gateway.Groups[2].Value, CultureInfo.InvariantCulture));
        var (_, max) = InfraWindowBounds();
        var deploySeconds = gatewaySeconds + (2 * StatusWait($"{max}"));
        const int BuildBeforeDeploySeconds = 30 * 60;
        Assert.True(
            int.Parse(timeout.Groups[1].Value, CultureInfo.InvariantCulture) >= BuildBeforeDeploySeconds + deploySeconds,
            $"timeout {timeout.Groups[1].Value}s < {BuildBeforeDeploySeconds}s build + {deploySeconds}s deploy checks: a timed-out build never rolls back");
    }

    /// <summary>The bounds of infra's batch_window_ms validation (variables.tf).</summary>
    private static (long Min, long Max) InfraWindowBounds()
    {
        var m = WindowValidation().Match(RepoRoot.Read("infra/variables.tf"));
        Assert.True(m.Success, "infra/variables.tf: no 'var.batch_window_ms >= N && var.batch_window_ms <= M' validation");
        return (long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>master's batch window: envs/master.tfvars if it sets one, else the variable's default.</summary>
    private static long MasterWindowMs()
    {
        var tfvars = Regex.Match(RepoRoot.Read("infra/envs/master.tfvars"), @"^\s*batch_window_ms\s*=\s*(\d+)", RegexOptions.Multiline);
        if (tfvars.Success)
        {
            return long.Parse(tfvars.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        var variable = Regex.Match(RepoRoot.Read("infra/variables.tf"), @"variable ""batch_window_ms"" \{[^}]*?default\s*=\s*(\d+)", RegexOptions.Singleline);
        Assert.True(variable.Success, "infra/variables.tf: no default for batch_window_ms");
        return long.Parse(variable.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"var\.batch_window_ms\s*>=\s*(\d+)\s*&&\s*var\.batch_window_ms\s*<=\s*(\d+)")]
    private static partial Regex WindowValidation();
}
