using Microsoft.Extensions.Configuration;

namespace Tarmac.GoogleCloud;

/// <summary>Settings of the Google Cloud backend, read from environment variables like <c>TarmacOptions</c>.</summary>
public sealed class GoogleCloudOptions
{
    /// <summary>Project that runs BigQuery jobs and owns the dataset.</summary>
    [ConfigurationKeyName("TARMAC_GCP_PROJECT")]
    public string? Project { get; set; }

    /// <summary>The raw bucket: uploads under <c>raw/</c>, staged loads under <c>staging/</c>, dedupe claims under <c>claims/</c>.</summary>
    [ConfigurationKeyName("TARMAC_RAW_BUCKET")]
    public string? RawBucket { get; set; }

    /// <summary>BigQuery dataset holding one table per schema file and <c>upload_events</c>.</summary>
    [ConfigurationKeyName("TARMAC_BQ_DATASET")]
    public string? Dataset { get; set; }

    /// <summary>BigQuery location of the dataset (e.g. <c>US</c>, <c>us-central1</c>); every job runs there.</summary>
    [ConfigurationKeyName("TARMAC_BQ_LOCATION")]
    public string? Location { get; set; }

    /// <summary>
    /// BigQuery REST base URL, e.g. <c>http://127.0.0.1:9050/bigquery/v2/</c> for an emulator or a recording fake.
    /// When set, requests go unauthenticated and no credential is looked up.
    /// </summary>
    [ConfigurationKeyName("TARMAC_BIGQUERY_ENDPOINT")]
    public string? BigQueryEndpoint { get; set; }

    /// <summary>Cloud Storage emulator (<c>host:port</c> or a URL), honoured as Google's own clients do; unauthenticated.</summary>
    [ConfigurationKeyName("STORAGE_EMULATOR_HOST")]
    public string? StorageEmulatorHost { get; set; }

    /// <summary>Service account whose key signs upload URLs through IAM <c>signBlob</c> (ingest).</summary>
    [ConfigurationKeyName("TARMAC_SIGNER_EMAIL")]
    public string? SignerEmail { get; set; }

    /// <summary>IAM Credentials base URL override (tests); when set, <c>signBlob</c> goes unauthenticated.</summary>
    [ConfigurationKeyName("TARMAC_IAM_ENDPOINT")]
    public string? IamEndpoint { get; set; }

    /// <summary>How long a signed upload URL stays valid (V4 allows at most 7 days).</summary>
    [ConfigurationKeyName("TARMAC_SIGNED_URL_MINUTES")]
    public int SignedUrlMinutes { get; set; } = 60;

    /// <summary><c>on</c> (default) verifies the push OIDC token; <c>off</c> is for emulators only.</summary>
    [ConfigurationKeyName("TARMAC_PUSH_AUTH")]
    public string PushAuth { get; set; } = "on";

    /// <summary>
    /// <c>true</c> (default): Cloud Run's IAM invoker check guards this service, so a token whose signature Cloud Run
    /// removed after checking it (<c>SIGNATURE_REMOVED_BY_GOOGLE</c>) is accepted on its claims. Set <c>false</c> when
    /// the service takes unauthenticated invocations: then only a token with a valid Google signature passes.
    /// </summary>
    [ConfigurationKeyName("TARMAC_PUSH_BEHIND_CLOUD_RUN_IAM")]
    public bool PushBehindCloudRunIam { get; set; } = true;

    /// <summary>Audience the push subscription puts in its OIDC tokens.</summary>
    [ConfigurationKeyName("TARMAC_PUSH_AUDIENCE")]
    public string? PushAudience { get; set; }

    /// <summary>The push service account: the only <c>email</c> accepted in push tokens.</summary>
    [ConfigurationKeyName("TARMAC_PUSH_SERVICE_ACCOUNT")]
    public string? PushServiceAccount { get; set; }

    /// <summary>Where Google's token signing keys are published.</summary>
    [ConfigurationKeyName("TARMAC_PUSH_JWKS_URL")]
    public string PushJwksUrl { get; set; } = "https://www.googleapis.com/oauth2/v3/certs";

    /// <summary>
    /// Least time between two flushes of a dataset, whoever starts them (this instance's timer, Cloud Scheduler's
    /// <c>POST /flush</c>, the sweep): at the default of a minute a dataset gets at most 1,440 load jobs a day, under
    /// BigQuery's 1,500 per table (https://cloud.google.com/bigquery/quotas#load_jobs). <c>POST /flush?force=true</c> skips it.
    /// </summary>
    [ConfigurationKeyName("TARMAC_FLUSH_MIN_INTERVAL_MS")]
    public int FlushMinIntervalMs { get; set; } = 60_000;

    /// <summary>
    /// The pull subscription on the dead-letter topic (<c>projects/P/subscriptions/S</c>), which <c>POST /sweep</c> drains;
    /// unset, the sweep only re-drives from the upload state.
    /// </summary>
    [ConfigurationKeyName("TARMAC_DEAD_LETTER_SUBSCRIPTION")]
    public string? DeadLetterSubscription { get; set; }

    /// <summary>Pub/Sub REST base URL (an emulator or a fake in tests).</summary>
    [ConfigurationKeyName("TARMAC_PUBSUB_ENDPOINT")]
    public string? PubSubEndpoint { get; set; }

    /// <summary>Pub/Sub REST base URL with a trailing slash.</summary>
    public Uri PubSubBaseUri => new(WithSlash(PubSubEndpoint ?? "https://pubsub.googleapis.com/v1/"));

    /// <summary>Longest a query waits for BigQuery (<c>timeoutMs</c>).</summary>
    [ConfigurationKeyName("TARMAC_QUERY_TIMEOUT_MS")]
    public int QueryTimeoutMs { get; set; } = 10_000;

    /// <summary>Most bytes one query may bill (<c>maximumBytesBilled</c>); the query fails instead of costing more.</summary>
    [ConfigurationKeyName("TARMAC_BQ_MAX_BYTES_BILLED")]
    public long MaxBytesBilled { get; set; } = 10L << 30;

    /// <summary>First backoff delay of BigQuery retries (429, 5xx, rate limits); doubles on each of 5 retries.</summary>
    [ConfigurationKeyName("TARMAC_BQ_RETRY_BASE_MS")]
    public int RetryBaseDelayMs { get; set; } = 500;

    /// <summary>First pause while re-reading a running load job; doubles up to 5 s.</summary>
    [ConfigurationKeyName("TARMAC_BQ_JOB_POLL_MS")]
    public int JobPollMs { get; set; } = 500;

    /// <summary>Issuers Google writes in the ID tokens it signs.</summary>
    public static readonly string[] GoogleIssuers = ["https://accounts.google.com", "accounts.google.com"];

    /// <summary>True unless push authentication was turned off for an emulator.</summary>
    public bool PushAuthEnabled => !string.Equals(PushAuth, "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>BigQuery base URL with a trailing slash.</summary>
    public Uri BigQueryBaseUri => new(WithSlash(BigQueryEndpoint ?? "https://bigquery.googleapis.com/bigquery/v2/"));

    /// <summary>IAM Credentials base URL with a trailing slash.</summary>
    public Uri IamBaseUri => new(WithSlash(IamEndpoint ?? "https://iamcredentials.googleapis.com/v1/"));

    /// <summary>The storage emulator as an absolute URL, or null for the real service.</summary>
    public Uri? StorageEmulatorUri => string.IsNullOrWhiteSpace(StorageEmulatorHost) ? null
        : new Uri(WithSlash(StorageEmulatorHost.Contains("://", StringComparison.Ordinal) ? StorageEmulatorHost : "http://" + StorageEmulatorHost));

    /// <summary>Names of the settings every function needs on Google Cloud that are not set.</summary>
    public IEnumerable<string> MissingCommon()
    {
        if (string.IsNullOrWhiteSpace(Project)) yield return "TARMAC_GCP_PROJECT";
        if (string.IsNullOrWhiteSpace(RawBucket)) yield return "TARMAC_RAW_BUCKET";
        if (string.IsNullOrWhiteSpace(Dataset)) yield return "TARMAC_BQ_DATASET";
        if (string.IsNullOrWhiteSpace(Location)) yield return "TARMAC_BQ_LOCATION";
    }

    /// <summary>Names of the push settings the process function needs that are not set.</summary>
    public IEnumerable<string> MissingPush()
    {
        if (!PushAuthEnabled) yield break;
        if (string.IsNullOrWhiteSpace(PushAudience)) yield return "TARMAC_PUSH_AUDIENCE";
        if (string.IsNullOrWhiteSpace(PushServiceAccount)) yield return "TARMAC_PUSH_SERVICE_ACCOUNT";
        if (string.IsNullOrWhiteSpace(PushJwksUrl)) yield return "TARMAC_PUSH_JWKS_URL";
    }

    private static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
