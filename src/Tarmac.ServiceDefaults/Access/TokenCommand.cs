using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// <c>token --name acme --scope read --dataset flights --filter carrier=UA,AA --rps 20 --ttl 1h</c>: prints one token and
/// nothing else. It reads only the signing key in the data folder, never the warehouse, so it runs beside a live host.
/// </summary>
public static class TokenCommand
{
    /// <summary>The verb that selects this command.</summary>
    public const string Verb = "token";

    /// <summary>The verb that prints the public keys (the JWKS an operator publishes for API Gateway's <c>x-google-jwks_uri</c>).</summary>
    public const string JwksVerb = "jwks";

    /// <summary>Runs the command; returns the process exit code (0, or 2 for bad arguments).</summary>
    public static int Run(string[] args, IConfiguration configuration, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var options = new AccessOptions();
            configuration.Bind(options);
            if (args.FirstOrDefault() == JwksVerb)
            {
                if (args.Length == 3 && args[1] == "--data-dir") options.DataDir = args[2];
                else if (args.Length != 1) throw new ArgumentException("jwks takes only --data-dir <folder>.");
                stdout.WriteLine(new SigningKeyStore(options.KeyFolder).JwksJson());
                return 0;
            }
            var (grant, dataDir) = Parse(args);
            if (dataDir is not null) options.DataDir = dataDir;
            var keys = new SigningKeyStore(options.KeyFolder);
            stdout.WriteLine(TokenIssuer.Mint(keys, options, grant, DateTimeOffset.UtcNow));
            return 0;
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"token: {e.Message}");
            stderr.WriteLine("usage: token --name <consumer> --scope upload|read|status|admin [--scope …] [--dataset <name> …] [--filter column=v1,v2 …] [--rps <n>] [--ttl 30s|15m|1h|7d] [--data-dir <folder>]");
            return 2;
        }
    }

    /// <summary>Reads the arguments after the verb.</summary>
    /// <exception cref="ArgumentException">An argument is missing or malformed.</exception>
    public static (TokenGrant Grant, string? DataDir) Parse(string[] args)
    {
        string? name = null, dataDir = null;
        double? rps = null;
        var ttl = TimeSpan.FromHours(1);
        var scopes = new List<string>();
        var datasets = new List<string>();
        var filters = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (var i = args.Length > 0 && args[0] == Verb ? 1 : 0; i < args.Length; i++)
        {
            var flag = args[i];
            var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value.");
            switch (flag)
            {
                case "--name": name = value; break;
                case "--scope":
                    if (!Scopes.All.Contains(value)) throw new ArgumentException($"unknown scope '{value}' (use {string.Join(", ", Scopes.All)}).");
                    if (!scopes.Contains(value)) scopes.Add(value);
                    break;
                case "--dataset": datasets.Add(value); break;
                case "--filter":
                    var eq = value.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0 || eq == value.Length - 1) throw new ArgumentException($"--filter takes column=v1,v2, not '{value}'.");
                    var column = value[..eq];
                    var values = value[(eq + 1)..].Split(',');
                    filters[column] = filters.TryGetValue(column, out var before) ? before.Intersect(values).ToList() : values;
                    break;
                case "--rps":
                    rps = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 && double.IsFinite(r)
                        ? r : throw new ArgumentException($"--rps takes a positive number, not '{value}'.");
                    break;
                case "--ttl": ttl = ParseDuration(value); break;
                case "--data-dir": dataDir = value; break;
                default: throw new ArgumentException($"unknown option '{flag}'.");
            }
        }
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("--name is required (it becomes the token's sub).");
        if (scopes.Count == 0) throw new ArgumentException("at least one --scope is required.");
        return (new TokenGrant(name, scopes, datasets, filters, rps, ttl), dataDir);
    }

    /// <summary>A duration such as <c>30s</c>, <c>15m</c>, <c>1h</c> or <c>7d</c>.</summary>
    /// <exception cref="ArgumentException">Not such a duration, or longer than <see cref="TokenIssuer.MaxTtl"/>.</exception>
    public static TimeSpan ParseDuration(string text)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? ttl = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (ttl is { } t && t <= TokenIssuer.MaxTtl) return t;
        }
        throw new ArgumentException($"--ttl takes a positive duration such as 30s, 15m, 1h or 7d (at most 366d), not '{text}'.");
    }
}
