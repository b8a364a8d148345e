using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Tarmac.Core.Query;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>Wires tokens, scopes, rate limits and browser hardening into a host.</summary>
public static class AccessExtensions
{
    /// <summary>Path of the public signing keys (RFC 7517 JWKS).</summary>
    public const string JwksPath = "/.well-known/jwks.json";

    /// <summary>Registers the access settings, the signing keys, the JWT bearer scheme, rate limits and the bind check.</summary>
    public static WebApplicationBuilder AddTarmacAccess(this WebApplicationBuilder builder, TarmacHosting hosting)
    {
        var options = new AccessOptions();
        builder.Configuration.Bind(options);
        if (options.Problems().ToList() is { Count: > 0 } problems) throw new OptionsValidationException(nameof(AccessOptions), typeof(AccessOptions), problems);
        var settings = new AccessSettings(options, options.Enabled(hosting), hosting == TarmacHosting.CloudRun ? CallerSource.Gateway : CallerSource.Bearer, hosting);
        builder.Services.AddSingleton(options).AddSingleton(settings);
        builder.Services.AddSingleton(new SigningKeyStore(options.KeyFolder));
        builder.Services.AddSingleton<ConsumerRateLimits>().AddSingleton<UploadOwners>();
        builder.Services.AddSingleton(sp => CursorKeys.Resolve(settings, sp.GetRequiredService<ILoggerFactory>().CreateLogger<CursorKey>()));
        builder.Services.AddHostedService<BindCheck>();

        builder.Services.AddAuthentication().AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<SigningKeyStore>((jwt, keys) =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = options.Issuer,
                ValidAudience = options.Audience,
                ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                // The host issued these tokens on this clock: a token stops working the second it expires.
                ClockSkew = TimeSpan.Zero,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                // Only the key the token names: a token with an unknown kid is refused, not tried against every key.
                TryAllIssuerSigningKeys = false,
                IssuerSigningKeyResolver = (_, _, kid, _) => keys.Find(kid) is { } key ? [key] : [],
            };
        });
        return builder;
    }

    /// <summary>Adds the browser guard and the access checks to the pipeline, and maps the JWKS (local hosts).</summary>
    public static IEndpointRouteBuilder UseTarmacAccess(this IEndpointRouteBuilder app)
    {
        if (app is IApplicationBuilder pipeline)
        {
            pipeline.UseMiddleware<BrowserGuard>();
            pipeline.UseMiddleware<AccessMiddleware>();
        }
        if (app.ServiceProvider.GetRequiredService<AccessSettings>().Source == CallerSource.Bearer)
        {
            app.MapGet(JwksPath, (SigningKeyStore keys) => TypedResults.Text(keys.JwksJson(), "application/jwk-set+json"))
                .WithName("Jwks").WithTags("Health").WithSummary("The public keys Tarmac tokens are signed with (JWKS)").AllowAnonymous();
        }
        return app;
    }
}
