using System.Text.RegularExpressions;

namespace Tarmac.PipelineTests;

public static partial class CloudBuildRules
{
    /// <summary>
    /// What the develop pipeline must never run, itself or through a ci/ script: it runs as the read-only planner
    /// (infra/modules/cicd), so each of these would either fail with a permission error or, worse, mean that the planner
    /// was given rights it must not have. Each entry: a pattern and why it is refused.
    /// </summary>
    public static readonly IReadOnlyList<(Regex Pattern, string Why)> Writes =
    [
        (new Regex(@"\bterraform\s+(-chdir=\S+\s+)?(apply|destroy|import|taint|untaint|force-unlock)\b|^(-chdir=\S+\s+)?(apply|destroy)\b|\bstate\s+(rm|mv|push)\b", RegexOptions.Multiline), "changes Terraform state or resources"),
        (new Regex(@"-lock-timeout|-lock=true"), "takes the state lock, which writes the state bucket (plan with -lock=false)"),
        (new Regex(@"\bgcloud\s+run\s+(deploy|services\s+(update|update-traffic|delete|replace|add-iam-policy-binding|set-iam-policy))\b|update-traffic"), "deploys or changes Cloud Run"),
        (new Regex(@"print-identity-token|print-access-token\s+--impersonate|--impersonate-service-account|mint-token\.sh"), "mints a token as another identity (only master's deployer may)"),
        (new Regex(@"\b(add-iam-policy-binding|set-iam-policy|remove-iam-policy-binding)\b"), "changes IAM"),
        (new Regex(@"rollback\.sh|verify-or-rollback\.sh"), "moves production traffic"),
    ];

    /// <summary>
    /// The develop pipeline is read-only: no step reaches a write in <see cref="Writes"/>, the plan runs without the
    /// state lock, and the file never names a service account of its own (the trigger's account is the one the build
    /// runs as: https://cloud.google.com/build/docs/api/reference/rest/v1/projects.triggers, serviceAccount).
    /// </summary>
    public static IEnumerable<string> ReadOnly(CloudBuildFile file, Func<string, string?> readScript)
    {
        if (file.Root is IDictionary<object, object> root && root.ContainsKey("serviceAccount"))
        {
            yield return "the develop pipeline names a serviceAccount: the trigger decides which identity builds run as";
        }

        foreach (var step in file.Steps)
        {
            foreach (var (where, code) in ReachableCode(step, readScript))
            {
                foreach (var (pattern, why) in Writes)
                {
                    if (pattern.Match(code) is { Success: true } m)
                    {
                        yield return $"{where}: '{m.Value.Trim()}' {why}: the develop pipeline is read-only";
                    }
                }
            }
        }

        var plan = file.Steps.FirstOrDefault(s => IsTerraform(s) && Regex.IsMatch(s.Text, @"\bplan\b"));
        if (plan is not null && !plan.Text.Contains("-lock=false", StringComparison.Ordinal))
        {
            yield return $"terraform plan ({plan.Label}) does not run with -lock=false: the planner cannot write the state lock";
        }
    }
}
