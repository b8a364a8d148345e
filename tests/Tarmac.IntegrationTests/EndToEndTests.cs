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
    public Task Json_events_are_loaded_and_served_back_exactly_with_line_errors_for_a_bad_record() =>
        DeploymentChecks.EventsReadBackExactlyAsync(deployment.Http, deployment.StatusWait);

    [Fact]
    public Task A_bad_file_is_rejected_with_line_level_errors() =>
        DeploymentChecks.BadFileIsRejectedWithLineErrorsAsync(deployment.Http, deployment.StatusWait);
}
