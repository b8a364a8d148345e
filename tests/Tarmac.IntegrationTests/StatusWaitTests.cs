namespace Tarmac.IntegrationTests;

/// <summary>The status wait comes from TARMAC_STATUS_WAIT_SECONDS (set by the pipeline from the batch window), never a fixed bound.</summary>
public class StatusWaitTests
{
    [Theory]
    [InlineData("540", 540)]
    [InlineData("1140", 1140)]
    [InlineData("1", 1)]
    public void The_pipelines_value_is_the_bound(string value, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), StatusWait.Parse(value, remote: true));
        Assert.Equal(TimeSpan.FromSeconds(seconds), StatusWait.Parse(value, remote: false));
    }

    [Fact]
    public void The_local_host_has_a_default() =>
        Assert.Equal(TimeSpan.FromMinutes(1), StatusWait.Parse(null, remote: false));

    [Fact]
    public void A_deployment_without_the_variable_is_an_error_that_says_where_the_value_comes_from()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StatusWait.Parse("", remote: true));
        Assert.Contains("TARMAC_STATUS_WAIT_SECONDS is not set", error.Message, StringComparison.Ordinal);
        Assert.Contains("ci/deploy/status-wait.sh", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("3m")]
    [InlineData("1.5")]
    [InlineData("180 ")]
    public void A_value_that_is_not_whole_positive_seconds_is_refused(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => StatusWait.Parse(value, remote: false));
        Assert.Contains($"TARMAC_STATUS_WAIT_SECONDS='{value}' is not a positive whole number of seconds", error.Message, StringComparison.Ordinal);
    }
}
