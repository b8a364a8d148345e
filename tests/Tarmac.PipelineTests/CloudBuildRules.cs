using System.Text.RegularExpressions;

namespace Tarmac.PipelineTests;

/// <summary>
/// The rules the Cloud Build configs must follow. Each returns human-readable violations (empty = fine),
/// so a test can assert both that the real files pass and that a broken snippet is caught.
/// </summary>
public static partial class CloudBuildRules
{
    /// <summary>The Cloud Run functions, each packaged as <c>&lt;function&gt;-&lt;branch&gt;.zip</c>.</summary>
    public static readonly IReadOnlyList<string> Functions = ["ingest", "process", "query"];

    /// <summary>Substitutions Cloud Build provides itself (may be used without declaring them).</summary>
    public static readonly IReadOnlySet<string> BuiltIns = new HashSet<string>(StringComparer.Ordinal)
    {
        "PROJECT_ID", "PROJECT_NUMBER", "BUILD_ID", "LOCATION", "TRIGGER_NAME", "TRIGGER_BUILD_CONFIG_PATH",
        "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT", "COMMIT_SHA", "SHORT_SHA", "REVISION_ID", "REPO_NAME",
        "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME", "REF_NAME", "_HEAD_BRANCH", "_BASE_BRANCH",
        "_HEAD_REPO_URL", "_PR_NUMBER",
    };

    /// <summary>Every step has an id; ids are unique; waitFor names an earlier step or '-'.</summary>
    public static IEnumerable<string> StepIds(CloudBuildFile file)
    {
        if (file.Steps.Count == 0)
        {
            yield return "no steps";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in file.Steps)
        {
            if (string.IsNullOrWhiteSpace(step.Id))
            {
                yield return $"step {step.Label} ({step.Name}) has no id";
            }
            else if (!seen.Add(step.Id))
            {
                yield return $"duplicate step id '{step.Id}'";
            }

            foreach (var w in step.WaitFor ?? [])
            {
                if (w == "-")
                {
                    continue;
                }

                var target = file.Steps.FirstOrDefault(s => s.Id == w);
                if (target is null)
                {
                    yield return $"step {step.Label} waits for unknown step '{w}'";
                }
                else if (target.Index >= step.Index)
                {
                    yield return $"step {step.Label} waits for '{w}', which is not an earlier step";
                }
            }
        }
    }

    /// <summary>
    /// Substitutions: every <c>$NAME</c>/<c>${NAME}</c> is a built-in or declared; declared names start with '_'
    /// (upper case) and are used; shell variables are escaped as <c>$$NAME</c>.
    /// </summary>
    public static IEnumerable<string> Substitutions(CloudBuildFile file)
    {
        var declared = file.Substitutions;
        foreach (var name in declared.Keys)
        {
            if (!UserSubstitutionName().IsMatch(name))
            {
                yield return $"declared substitution '{name}' must start with '_' (then A-Z, 0-9, _)";
            }
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, value) in file.StringValues())
        {
            foreach (var reference in References(value))
            {
                if (!NameToken().IsMatch(reference))
                {
                    yield return $"{path}: '${{{reference}}}' is not a substitution; escape shell expansions as '$${{...}}'";
                    continue;
                }

                used.Add(reference);
                if (reference.StartsWith('_') && !declared.ContainsKey(reference) && !BuiltIns.Contains(reference))
                {
                    yield return $"{path}: substitution '{reference}' is used but not declared in substitutions";
                }
                else if (!reference.StartsWith('_') && !BuiltIns.Contains(reference))
                {
                    yield return $"{path}: '${reference}' is not a built-in substitution; write '$${reference}' for a shell variable";
                }
            }
        }

        foreach (var name in declared.Keys.Where(n => !used.Contains(n)))
        {
            yield return $"declared substitution '{name}' is never used";
        }
    }

    /// <summary>The names Cloud Build would substitute in <paramref name="value"/> (<c>$$</c> is an escaped '$').</summary>
    public static IEnumerable<string> References(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '$' || i + 1 >= value.Length)
            {
                continue;
            }

            var next = value[i + 1];
            if (next == '$')
            {
                i++;
            }
            else if (next == '{')
            {
                var end = value.IndexOf('}', i + 2);
                var inner = end < 0 ? value[(i + 2)..] : value[(i + 2)..end];
                yield return inner;
                i = end < 0 ? value.Length : end;
            }
            else if (char.IsAsciiLetter(next) || next == '_')
            {
                var j = i + 1;
                while (j < value.Length && (char.IsAsciiLetterOrDigit(value[j]) || value[j] == '_'))
                {
                    j++;
                }

                yield return value[(i + 1)..j];
                i = j - 1;
            }
        }
    }

    /// <summary>Only <c>&lt;function&gt;-&lt;branch&gt;.zip</c> artifacts, all three packaged and uploaded.</summary>
    public static IEnumerable<string> ArtifactNames(CloudBuildFile file, string branch)
    {
        var expected = Functions.Select(f => $"{f}-{branch}.zip").ToList();
        foreach (var (path, value) in file.StringValues())
        {
            foreach (Match m in ZipName().Matches(value))
            {
                if (!expected.Contains(m.Value))
                {
                    yield return $"{path}: artifact '{m.Value}' is not one of {string.Join(", ", expected)}";
                }
            }
        }

        var package = file.Steps.Where(s => s.Text.Contains("ci/package.sh", StringComparison.Ordinal)).ToList();
        if (package.Count == 0)
        {
            yield return "no step runs ci/package.sh";
        }
        else if (!package.Any(s => Regex.IsMatch(s.Text, $@"ci/package\.sh\s+{branch}\b")))
        {
            yield return $"ci/package.sh is not run for '{branch}'";
        }

        var upload = UploadSteps(file).ToList();
        if (upload.Count == 0)
        {
            yield return "no step copies the bundles to gs://${_ARTIFACTS_BUCKET}";
        }

        foreach (var name in expected.Where(n => !upload.Any(s => s.Text.Contains(n, StringComparison.Ordinal))))
        {
            yield return $"'{name}' is not uploaded to the artifacts bucket";
        }
    }

    /// <summary>TF_IN_AUTOMATION=true on every step that runs terraform (its env or options.env).</summary>
    public static IEnumerable<string> TerraformInAutomation(CloudBuildFile file)
    {
        var global = file.OptionsEnv.Contains("TF_IN_AUTOMATION=true");
        foreach (var step in file.Steps.Where(IsTerraform))
        {
            if (!global && !step.Env.Contains("TF_IN_AUTOMATION=true"))
            {
                yield return $"terraform step {step.Label} lacks TF_IN_AUTOMATION=true";
            }
        }
    }

    /// <summary>The plan is saved with -out and that file is a build artifact; the test reports too.</summary>
    public static IEnumerable<string> PlanAndReportsStored(CloudBuildFile file)
    {
        var plan = file.Steps.FirstOrDefault(s => IsTerraform(s) && TerraformCommand(s, "plan"));
        if (plan is null)
        {
            yield return "no terraform plan step";
            yield break;
        }

        var outMatch = PlanOut().Match(plan.Text);
        if (!outMatch.Success)
        {
            yield return $"terraform plan ({plan.Label}) does not save the plan (-out=...)";
            yield break;
        }

        var chdir = Chdir().Match(plan.Text);
        var planPath = (chdir.Success ? chdir.Groups[1].Value.TrimEnd('/') + "/" : "") + outMatch.Groups[1].Value;
        if (string.IsNullOrWhiteSpace(file.ArtifactLocation) || !file.ArtifactLocation.StartsWith("gs://", StringComparison.Ordinal))
        {
            yield return "artifacts.objects.location is not a gs:// location";
        }

        if (!file.ArtifactPaths.Contains(planPath))
        {
            yield return $"the saved plan '{planPath}' is not in artifacts.objects.paths";
        }

        if (!file.ArtifactPaths.Any(p => p.EndsWith(".trx", StringComparison.Ordinal)))
        {
            yield return "no test report (*.trx) in artifacts.objects.paths";
        }
    }

    /// <summary>
    /// The seed's order, as dependencies: unit tests → package → upload → fmt + validate → init → plan/apply.
    /// The develop pipeline never applies; the master one applies the saved plan.
    /// </summary>
    public static IEnumerable<string> StageOrder(CloudBuildFile file, string branch)
    {
        var stages = new (string Name, Func<BuildStep, bool> Is)[]
        {
            ("unit tests", IsUnitTests),
            ("package", s => s.Text.Contains("ci/package.sh", StringComparison.Ordinal)),
            ("upload", s => UploadSteps(file).Contains(s)),
            ("terraform fmt", s => IsTerraform(s) && TerraformCommand(s, "fmt") && s.Text.Contains("-check", StringComparison.Ordinal)),
            ("terraform validate", s => IsTerraform(s) && TerraformCommand(s, "validate")),
            ("terraform init", s => IsTerraform(s) && TerraformCommand(s, "init") && s.Text.Contains("-backend-config", StringComparison.Ordinal)),
            (branch == "master" ? "terraform apply" : "terraform plan",
                branch == "master" ? s => IsTerraform(s) && TerraformCommand(s, "apply") : s => IsTerraform(s) && TerraformCommand(s, "plan")),
        };

        var found = stages.Select(st => (st.Name, Steps: file.Steps.Where(st.Is).ToList())).ToList();
        foreach (var (name, steps) in found.Where(f => f.Steps.Count == 0))
        {
            yield return $"no {name} step";
        }

        // Each stage waits for the one before it (fmt and validate both wait for upload; init for both).
        var edges = new (int Before, int After)[] { (0, 1), (1, 2), (2, 3), (2, 4), (3, 5), (4, 5), (5, 6) };
        foreach (var (before, after) in edges)
        {
            foreach (var step in found[after].Steps)
            {
                var ancestors = file.Ancestors(step);
                if (found[before].Steps.Count > 0 && !found[before].Steps.Any(ancestors.Contains))
                {
                    yield return $"{found[after].Name} ({step.Label}) does not wait for {found[before].Name}";
                }
            }
        }

        var init = found[5].Steps.FirstOrDefault();
        if (init is not null && !init.Text.Contains($"prefix=tarmac/{branch}", StringComparison.Ordinal))
        {
            yield return $"terraform init ({init.Label}) does not use the backend prefix tarmac/{branch}";
        }

        var applies = file.Steps.Where(s => IsTerraform(s) && TerraformCommand(s, "apply")).ToList();
        if (branch == "develop" && applies.Count > 0)
        {
            yield return "the develop pipeline must not apply";
        }

        foreach (var apply in applies)
        {
            var plan = file.Steps.FirstOrDefault(s => IsTerraform(s) && TerraformCommand(s, "plan"));
            var planFile = plan is null ? null : PlanOut().Match(plan.Text) is { Success: true } m ? m.Groups[1].Value : null;
            if (planFile is null || !Regex.IsMatch(apply.Text, $@"\bapply\b[^\n]*\s{Regex.Escape(planFile)}(\s|$)"))
            {
                yield return $"terraform apply ({apply.Label}) does not apply the saved plan";
            }
            else if (!file.Ancestors(apply).Contains(plan!))
            {
                yield return $"terraform apply ({apply.Label}) does not wait for the plan";
            }
        }
    }

    /// <summary>
    /// Master only: revisions recorded before apply, integration tests after it against the deployed gateway,
    /// and a rollback step after them that cannot be skipped; every step allowed to fail feeds the rollback.
    /// </summary>
    /// <param name="file">The config.</param>
    /// <param name="readScript">Reads a repository file (null when absent): steps may call ci/ scripts.</param>
    public static IEnumerable<string> DeployVerification(CloudBuildFile file, Func<string, string?> readScript)
    {
        var apply = file.Steps.FirstOrDefault(s => IsTerraform(s) && TerraformCommand(s, "apply"));
        if (apply is null)
        {
            yield return "no terraform apply step";
            yield break;
        }

        var record = file.Steps.Where(s => Runs(s, readScript, "gcloud run services describe")).ToList();
        if (record.Count == 0)
        {
            yield return "no step records the serving revisions (gcloud run services describe)";
        }
        else if (!record.Any(file.Ancestors(apply).Contains))
        {
            yield return "the serving revisions are not recorded before terraform apply";
        }

        var integration = file.Steps.Where(s => Runs(s, readScript, "dotnet test tests/Tarmac.IntegrationTests")).ToList();
        if (integration.Count == 0)
        {
            yield return "no integration-test step (dotnet test tests/Tarmac.IntegrationTests)";
        }

        foreach (var it in integration)
        {
            if (!file.Ancestors(it).Contains(apply))
            {
                yield return $"integration tests ({it.Label}) do not wait for terraform apply";
            }

            if (!Runs(it, readScript, "TARMAC_BASE_URL"))
            {
                yield return $"integration tests ({it.Label}) do not target the deployed gateway (TARMAC_BASE_URL)";
            }
        }

        var rollback = file.Steps
            .Where(s => Runs(s, readScript, "update-traffic") && Runs(s, readScript, "--to-revisions"))
            .ToList();
        if (rollback.Count == 0)
        {
            yield return "no rollback step (gcloud run services update-traffic --to-revisions)";
            yield break;
        }

        foreach (var rb in rollback)
        {
            var ancestors = file.Ancestors(rb);
            if (rb.AllowFailure)
            {
                yield return $"rollback step {rb.Label} is allowed to fail: a failed deploy would leave the build green";
            }

            foreach (var it in integration.Where(it => !ancestors.Contains(it)))
            {
                yield return $"rollback step {rb.Label} does not run after integration tests ({it.Label})";
            }

            foreach (var soft in file.Steps.Where(s => s.AllowFailure && s != rb && !ancestors.Contains(s)))
            {
                yield return $"step {soft.Label} may fail but the rollback step does not wait for it";
            }
        }

        if (integration.Count > 0 && !integration.All(it => it.AllowFailure))
        {
            yield return "integration tests must be allowed to fail (allowFailure: true) so the rollback step runs; it fails the build";
        }
    }

    /// <summary>Whether the step (or a ci/ script it calls, followed transitively) contains <paramref name="needle"/>.</summary>
    public static bool Runs(BuildStep step, Func<string, string?> readScript, string needle) =>
        ReachableCode(step, readScript).Any(c => c.Code.Contains(needle, StringComparison.Ordinal));

    /// <summary>
    /// What the step runs: its own text, then the code (comment lines dropped) of every ci/ script it calls,
    /// followed transitively, each with where it came from.
    /// </summary>
    public static IEnumerable<(string Where, string Code)> ReachableCode(BuildStep step, Func<string, string?> readScript)
    {
        yield return ($"step {step.Label}", step.Text);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Queue<string>(ScriptRef().Matches(step.Text).Select(m => m.Value));
        while (todo.Count > 0)
        {
            var path = todo.Dequeue();
            if (!seen.Add(path) || readScript(path) is not { } script)
            {
                continue;
            }

            // Comments may name other scripts or commands; only code counts.
            var content = string.Join('\n', script.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
            yield return (path, content);

            // Scripts calling siblings ("$here/rollback.sh") or other ci/ scripts.
            var dir = path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : "";
            foreach (Match m in ScriptRef().Matches(content))
            {
                todo.Enqueue(m.Value.StartsWith("ci/", StringComparison.Ordinal) ? m.Value : $"{dir}/{m.Value[(m.Value.LastIndexOf('/') + 1)..]}");
            }
        }
    }

    public static bool IsTerraform(BuildStep step) =>
        step.Name.Contains("hashicorp/terraform", StringComparison.Ordinal)
        || Regex.IsMatch(step.Text, @"(^|[\s;&|(])terraform\s");

    /// <summary>Whether the terraform step runs the given subcommand (args form or inside a script).</summary>
    private static bool TerraformCommand(BuildStep step, string command) =>
        Regex.IsMatch(step.Text, $@"\bterraform\s+(-chdir=\S+\s+)?{command}\b")
        || (step.Name.Contains("hashicorp/terraform", StringComparison.Ordinal)
            && Regex.IsMatch(step.Text, $@"^(-chdir=\S+\s+)?{command}\b"));

    private static bool IsUnitTests(BuildStep step) =>
        step.Text.Contains("ci/unit-tests.sh", StringComparison.Ordinal)
        || (step.Text.Contains("dotnet test", StringComparison.Ordinal) && !step.Text.Contains("IntegrationTests", StringComparison.Ordinal));

    private static IEnumerable<BuildStep> UploadSteps(CloudBuildFile file) =>
        file.Steps.Where(s => s.Text.Contains("gs://${_ARTIFACTS_BUCKET}", StringComparison.Ordinal)
                              && Regex.IsMatch(s.Text, @"\b(cp|rsync)\b")
                              && s.Text.Contains(".zip", StringComparison.Ordinal));

    [GeneratedRegex("^_[A-Z0-9_]+$")]
    private static partial Regex UserSubstitutionName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NameToken();

    [GeneratedRegex(@"[A-Za-z0-9_.$-]+\.zip\b")]
    private static partial Regex ZipName();

    [GeneratedRegex(@"-out[= ](\S+)")]
    private static partial Regex PlanOut();

    [GeneratedRegex(@"-chdir=(\S+)")]
    private static partial Regex Chdir();

    [GeneratedRegex(@"(ci/)?[A-Za-z0-9_./-]*[A-Za-z0-9_-]+\.sh\b")]
    private static partial Regex ScriptRef();
}
