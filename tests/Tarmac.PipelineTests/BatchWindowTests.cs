using System.Runtime.Versioning;

namespace Tarmac.PipelineTests;

/// <summary>
/// ci/deploy/batch-window.sh finds the deployed window: the terraform output, else the process service's
/// TARMAC_BATCH_WINDOW_MS (read with a stand-in gcloud), and refuses to guess when it has neither.
/// </summary>
[UnsupportedOSPlatform("windows")] // bash scripts and Unix file modes
public sealed class BatchWindowTests : IDisposable
{
    private const string Service = """
        {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
         "spec": {"template": {"spec": {"containers": [{"image": "x", "env": [
           {"name": "TARMAC_RAW_BUCKET", "value": "b"}, {"name": "TARMAC_BATCH_WINDOW_MS", "value": "240000"}]}]}}}}
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("tarmac-window-").FullName;

    public BatchWindowTests()
    {
        Directory.CreateDirectory(State);
        var gcloud = Path.Combine(_dir, "gcloud");
        File.WriteAllText(gcloud, $$"""
            #!/usr/bin/env bash
            echo "$*" >> "{{_dir}}/calls"
            cat "{{_dir}}/service.json"
            """);
        File.SetUnixFileMode(gcloud, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(_dir, "service.json"), Service);
    }

    private string State => Path.Combine(_dir, "deploy");

    private Shell.Result Run() => Shell.Bash($"PATH=\"{_dir}:$PATH\" bash ci/deploy/batch-window.sh us-central1 '{State}'");

    private string Calls => File.Exists(Path.Combine(_dir, "calls")) ? File.ReadAllText(Path.Combine(_dir, "calls")) : "";

    [Fact]
    public void TheTerraformOutputIsUsedWhenPresent()
    {
        File.WriteAllText(Path.Combine(State, "batch_window_ms"), "180000");
        var result = Run();
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("180000", File.ReadAllText(Path.Combine(State, "batch_window_ms")).Trim());
        Assert.Contains("180000 ms (terraform output batch_window_ms): the integration tests wait up to 540 s", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("", Calls);
    }

    [Fact]
    public void WithoutTheOutputTheProcessServicesSettingIsRead()
    {
        File.WriteAllText(Path.Combine(State, "process_service_after"), "tarmac-master-process\n");
        var result = Run();
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("240000", File.ReadAllText(Path.Combine(State, "batch_window_ms")).Trim());
        Assert.Equal("run services describe tarmac-master-process --region us-central1 --format=json\n", Calls);
        Assert.Contains("TARMAC_BATCH_WINDOW_MS of tarmac-master-process", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void WithNeitherTheStepFailsRatherThanGuess()
    {
        var result = Run();
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot derive the wait", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(State, "batch_window_ms")));
    }

    [Fact]
    public void AServiceWithoutTheSettingFailsTheStep()
    {
        File.WriteAllText(Path.Combine(State, "process_service_after"), "tarmac-master-process");
        File.WriteAllText(Path.Combine(_dir, "service.json"), Service.Replace("TARMAC_BATCH_WINDOW_MS", "OTHER", StringComparison.Ordinal));
        var result = Run();
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("TARMAC_BATCH_WINDOW_MS of tarmac-master-process is '', not a window in milliseconds", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
