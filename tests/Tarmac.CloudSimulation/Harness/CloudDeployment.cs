using System.Net.Http.Headers;
using System.Text;
using Tarmac.CloudSimulation.StandIn;

namespace Tarmac.CloudSimulation.Harness;

/// <summary>
/// Tarmac deployed the way Cloud Run runs it, against the stand-in: ingest, N process instances (the push subscription
/// delivers to all of them) and query, each a separate host; the bucket and the BigQuery tables exist as infra creates them.
/// </summary>
public sealed class CloudDeployment : IAsyncDisposable
{
    public const string Project = "tarmac-sim";
    public const string Bucket = "tarmac-raw";
    public const string Dataset = "tarmac_ds";
    public const string Audience = "https://process-abc123-uc.a.run.app";
    public const string PushAccount = "pusher@tarmac-sim.iam.gserviceaccount.com";
    public const string DeadLetterSubscription = "projects/tarmac-sim/subscriptions/raw-objects-dead-letter";

    private CloudDeployment(CloudStandIn standIn) => StandIn = standIn;

    public CloudStandIn StandIn { get; }
    public FunctionHost Ingest { get; private set; } = null!;
    public List<FunctionHost> Processes { get; } = [];
    public FunctionHost Query { get; private set; } = null!;

    /// <summary>The settings a deployed function gets (infra's app contract), pointed at the stand-in.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["TARMAC_GCP_PROJECT"] = Project,
        ["TARMAC_RAW_BUCKET"] = Bucket,
        ["TARMAC_BQ_DATASET"] = Dataset,
        ["TARMAC_BQ_LOCATION"] = "US",
        ["TARMAC_BIGQUERY_ENDPOINT"] = StandIn.BigQueryEndpoint,
        ["STORAGE_EMULATOR_HOST"] = StandIn.BaseUrl,
        ["TARMAC_IAM_ENDPOINT"] = StandIn.IamEndpoint,
        ["TARMAC_SIGNER_EMAIL"] = "ingest@tarmac-sim.iam.gserviceaccount.com",
        ["TARMAC_PUSH_AUDIENCE"] = Audience,
        ["TARMAC_PUSH_SERVICE_ACCOUNT"] = PushAccount,
        ["TARMAC_PUSH_JWKS_URL"] = StandIn.JwksUrl,
        // Settings of the lead's new flow (issue 10); unknown settings are ignored by today's code.
        ["TARMAC_DEAD_LETTER_SUBSCRIPTION"] = DeadLetterSubscription,
        ["TARMAC_PUBSUB_ENDPOINT"] = StandIn.PubSubEndpoint,
        ["TARMAC_FLUSH_MIN_INTERVAL_MS"] = "0",
        // A killed instance's lease must expire within a test; a live flush here takes well under a second.
        ["TARMAC_FLUSH_LEASE_MS"] = "2000",
        ["TARMAC_BATCH_WINDOW_MS"] = "200",
        ["TARMAC_BQ_RETRY_BASE_MS"] = "1",
        ["TARMAC_BQ_JOB_POLL_MS"] = "5",
        ["TARMAC_SCHEMAS"] = Path.Combine(AppContext.BaseDirectory, "schemas"),
        // Services on loopback without the gateway in front: auth off (the gateway claims have their own contract tests).
        ["TARMAC_AUTH"] = "off",
    };

    /// <param name="processes">How many process instances the push subscription delivers to.</param>
    /// <param name="configure">Adjusts the stand-in (delays, faults, push behaviour) before any service starts.</param>
    /// <param name="settings">Adjusts the services' settings.</param>
    public static async Task<CloudDeployment> StartAsync(int processes = 1, Action<CloudStandIn>? configure = null, Action<Dictionary<string, string?>>? settings = null)
    {
        var standIn = new CloudStandIn(Project, Dataset);
        var deployment = new CloudDeployment(standIn);
        foreach (var schema in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "schemas"), "*.json").Where(f => !f.EndsWith(".options.json", StringComparison.Ordinal)))
            standIn.BigQuery.CreateTable(Path.GetFileNameWithoutExtension(schema), [.. BqField.FromSchemaFile(schema), .. SystemColumns]);
        standIn.BigQuery.CreateTable("upload_events", BqField.FromSchemaFile(Path.Combine(AppContext.BaseDirectory, "infra-schemas", "upload_events.json")));
        var push = standIn.PubSub;
        push.Bucket = Bucket;
        push.Audience = Audience;
        push.ServiceAccount = PushAccount;
        push.DeadLetterSubscription = DeadLetterSubscription;
        configure?.Invoke(standIn);

        var s = deployment.Settings();
        settings?.Invoke(s);
        deployment.Ingest = await FunctionHost.StartAsync(CloudFunction.Ingest, s);
        for (var i = 0; i < processes; i++) deployment.Processes.Add(await FunctionHost.StartAsync(CloudFunction.Process, s));
        deployment.Query = await FunctionHost.StartAsync(CloudFunction.Query, s);
        push.SetEndpoints(deployment.Processes.Select(p => new Uri(p.BaseUri, "/pubsub/push")).ToArray());
        return deployment;
    }

    /// <summary>The three system columns infra appends to every dataset table (infra/modules/warehouse/main.tf).</summary>
    public static readonly BqField[] SystemColumns = [new("_upload_id", "STRING", "REQUIRED"), new("_line", "INTEGER", "REQUIRED"), new("_loaded_at", "TIMESTAMP", "REQUIRED")];

    /// <summary>Kills process instance <paramref name="index"/>: Cloud Run stops routing to it and its work in flight is lost.</summary>
    public async Task KillProcessAsync(int index)
    {
        StandIn.PubSub.RemoveEndpoint(new Uri(Processes[index].BaseUri, "/pubsub/push"));
        await Processes[index].KillAsync();
    }

    /// <summary>
    /// A Cloud Scheduler call of process (<c>POST /flush</c>, <c>POST /sweep</c>): an OIDC token of the pusher account for the
    /// process audience, its signature stripped as Cloud Run IAM leaves it unless <paramref name="strip"/> is false.
    /// </summary>
    public async Task<HttpResponseMessage> SchedulerCallAsync(int process, string path, bool strip = true)
    {
        var token = StandIn.Identity.Mint(Audience, PushAccount);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", strip ? IdentityStandIn.Strip(token) : token);
        request.Headers.UserAgent.ParseAdd("Google-Cloud-Scheduler");
        return await Processes[process].Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        await StandIn.PubSub.DisposeAsync();
        foreach (var p in Processes) await p.DisposeAsync();
        if (Ingest is not null) await Ingest.DisposeAsync();
        if (Query is not null) await Query.DisposeAsync();
        await StandIn.DisposeAsync();
    }
}
