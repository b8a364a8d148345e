using System.Globalization;

namespace Tarmac.IntegrationTests;

/// <summary>
/// How long a check polls an upload for its final status. Against a deployment it is
/// <c>TARMAC_STATUS_WAIT_SECONDS</c>, which the CD pipeline derives from the environment's batch window
/// (ci/deploy/status-wait.sh): a fixed bound would be too short for one window and hide a stuck upload in another.
/// </summary>
public static class StatusWait
{
    /// <summary>The environment variable ci/deploy/integration-tests.sh sets.</summary>
    public const string Variable = "TARMAC_STATUS_WAIT_SECONDS";

    /// <summary>The local host loads within its 25 ms default batch window; a minute leaves room for a slow machine.</summary>
    public static readonly TimeSpan LocalDefault = TimeSpan.FromMinutes(1);

    /// <summary>The bound for this run: <see cref="Variable"/>, or <see cref="LocalDefault"/> for the local host.</summary>
    public static TimeSpan FromEnvironment(bool remote) => Parse(Environment.GetEnvironmentVariable(Variable), remote);

    /// <summary>Parses <paramref name="value"/> (whole seconds); unset is the local default, and an error for a deployment.</summary>
    public static TimeSpan Parse(string? value, bool remote)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return remote
                ? throw new InvalidOperationException(
                    $"{Variable} is not set: against a deployment the wait comes from its batch window " +
                    "(bash ci/deploy/status-wait.sh <batch_window_ms> prints it; ci/deploy/integration-tests.sh sets it).")
                : LocalDefault;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidOperationException($"{Variable}='{value}' is not a positive whole number of seconds.");
    }
}
