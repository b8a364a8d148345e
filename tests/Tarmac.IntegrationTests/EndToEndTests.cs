namespace Tarmac.IntegrationTests;

/// <summary>The checks the CD pipeline runs against the deployed gateway, here against the configured deployment.</summary>
public class EndToEndTests(Deployment deployment) : IClassFixture<Deployment>
{
    [Fact]
    public async Task Uploaded_rows_are_served_back_exactly_and_stats_reflect_them()
    {
        var rows = await DeploymentChecks.UploadedRowsReadBackExactlyAsync(deployment.Http, deployment.StatusWait);
        await DeploymentChecks.StatsReflectTheRowsAsync(deployment.Http, rows);
    }

    [Fact]
    public Task A_bad_file_is_rejected_with_line_level_errors() =>
        DeploymentChecks.BadFileIsRejectedWithLineErrorsAsync(deployment.Http, deployment.StatusWait);
}
