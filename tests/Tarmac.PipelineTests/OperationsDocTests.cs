using System.Text.RegularExpressions;

namespace Tarmac.PipelineTests;

/// <summary>
/// docs/operations.md stays true to infra/ both ways: every <c>google_monitoring_alert_policy</c> (one per key of a
/// <c>for_each</c>) has exactly one runbook section naming its address and its display name, no section names a policy
/// that does not exist, and every dashboard panel and SLO is described. Display names are compared with their
/// interpolations written as <c>&lt;variable&gt;</c> (<c>${var.name}</c> → <c>&lt;name&gt;</c>), and
/// <c>${each.value.title}</c> replaced by the key's title, so the doc does not depend on tfvars values.
/// </summary>
public sealed partial class OperationsDocTests
{
    private const string Doc = "docs/operations.md";

    private static readonly string[] RunbookParts = ["**What fired.**", "**Look first.**", "**Likely causes and fixes.**"];

    [Fact]
    public void EveryAlertPolicyHasARunbookSectionAndEverySectionHasAPolicy()
    {
        var policies = AlertPolicies();
        Assert.True(policies.Count >= 10, $"expected the 10 policies of infra/modules/monitoring, parsed {policies.Count}: the parser no longer reads infra/");
        var sections = RunbookSections(RepoRoot.Read(Doc));

        var missing = policies.Keys.Except(sections.Keys, StringComparer.Ordinal).ToList();
        var stale = sections.Keys.Except(policies.Keys, StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"{Doc} has no runbook section for: {string.Join(", ", missing)}");
        Assert.True(stale.Count == 0, $"{Doc} has runbook sections for policies that are not in infra/: {string.Join(", ", stale)}");

        foreach (var (address, displayName) in policies)
        {
            Assert.True(string.Equals(sections[address].DisplayName, displayName, StringComparison.Ordinal),
                $"{Doc}, {address}: display name `{sections[address].DisplayName}` but infra/ says `{displayName}`");
            foreach (var part in RunbookParts)
            {
                Assert.True(sections[address].Body.Contains(part, StringComparison.Ordinal), $"{Doc}, {address}: no {part} paragraph");
            }
        }
    }

    [Fact]
    public void EveryDashboardPanelIsDescribed()
    {
        var titles = TitleLine().Matches(RepoRoot.Read("infra/modules/monitoring/dashboard.tf")).Select(m => Normalise(m.Groups[1].Value, null)).ToList();
        Assert.True(titles.Count >= 10, $"parsed only {titles.Count} dashboard panels");
        var doc = RepoRoot.Read(Doc);
        var missing = titles.Where(t => !doc.Contains($"| `{t}` |", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"{Doc} has no dashboard table row for: {string.Join("; ", missing)}");
    }

    [Fact]
    public void EverySloIsDescribed()
    {
        var ids = SloId().Matches(RepoRoot.Read("infra/modules/monitoring/slos.tf")).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, ids.Count);
        var doc = RepoRoot.Read(Doc);
        Assert.All(ids, id => Assert.True(doc.Contains($"`{id}`", StringComparison.Ordinal), $"{Doc} does not describe SLO `{id}`"));
    }

    [Fact]
    public void TheParserResolvesForEachPoliciesAndInterpolations()
    {
        var policies = AlertPolicies();
        Assert.Equal("<name>: POST requests above <post_rate_high_per_hour>/hour", policies["post_rate_high"]);
        Assert.Equal("<name>: POST latency SLO burning error budget <slo_burn_rate_threshold>x too fast", policies["slo_burn_rate[\"post_latency\"]"]);
        Assert.Equal("<name>: oldest unacked upload event older than <oldest_unacked_max_seconds / 60> minutes", policies["oldest_unacked"]);
    }

    [Fact]
    public void ARemovedOrInventedSectionIsNoticed()
    {
        var doc = RepoRoot.Read(Doc);
        var sections = RunbookSections(doc);
        var withoutOne = Regex.Replace(doc, @"- Policy: `google_monitoring_alert_policy\.upload_overdue`", "- (removed)");
        Assert.DoesNotContain("upload_overdue", RunbookSections(withoutOne).Keys);
        var withInvented = doc.Replace("\n## SLOs", "\n### Invented\n\n- Policy: `google_monitoring_alert_policy.nope`\n- Display name: `x`\n\n## SLOs", StringComparison.Ordinal);
        Assert.Equal(sections.Count + 1, RunbookSections(withInvented).Count);
    }

    /// <summary>Alert policy address (without the resource type) → normalised display name, from every .tf under infra/.</summary>
    private static Dictionary<string, string> AlertPolicies()
    {
        var files = Directory.GetFiles(RepoRoot.File("infra"), "*.tf", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}.terraform{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(f => f, File.ReadAllText, StringComparer.Ordinal);
        var policies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, text) in files)
        {
            foreach (Match header in PolicyHeader().Matches(text))
            {
                var name = header.Groups[1].Value;
                var body = TopLevelLines(text, header.Index + header.Length);
                var displayName = body.Select(l => DisplayNameLine().Match(l)).FirstOrDefault(m => m.Success)?.Groups[1].Value
                    ?? throw new InvalidOperationException($"{file}: policy {name} has no top-level display_name");
                var forEach = body.Select(l => ForEachLine().Match(l)).FirstOrDefault(m => m.Success);
                if (forEach is null)
                {
                    policies.Add(name, Normalise(displayName, null));
                    continue;
                }
                foreach (var (key, title) in LocalMapTitles(files[file], forEach.Groups[1].Value, file))
                {
                    policies.Add($"{name}[\"{key}\"]", Normalise(displayName, title));
                }
            }
        }
        return policies;
    }

    /// <summary>The lines of the block opened just before <paramref name="start"/> that sit at its top level (heredocs skipped).</summary>
    private static List<string> TopLevelLines(string text, int start)
    {
        var lines = new List<string>();
        var depth = 1;
        string? heredoc = null;
        foreach (var line in text[start..].Split('\n'))
        {
            if (heredoc is not null)
            {
                if (line.Trim() == heredoc) heredoc = null;
                continue;
            }
            if (depth == 1) lines.Add(line);
            if (HeredocStart().Match(line) is { Success: true } h) heredoc = h.Groups[1].Value;
            // Braces inside strings are ${...} interpolations, balanced on their line, so counting all of them is exact.
            depth += line.Count(c => c == '{') - line.Count(c => c == '}');
            if (depth <= 0) return lines;
        }
        throw new InvalidOperationException("unterminated block");
    }

    /// <summary>Key → title of a <c>locals { NAME = { key = { title = "…" } } }</c> map.</summary>
    private static IEnumerable<(string Key, string Title)> LocalMapTitles(string text, string local, string file)
    {
        var map = Regex.Match(text, $@"(?m)^\s*{Regex.Escape(local)}\s*=\s*\{{");
        if (!map.Success) throw new InvalidOperationException($"{file}: for_each = local.{local}, but no such map in the same file");
        var entries = EntryTitle().Matches(text[map.Index..]).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        var keys = TopLevelLines(text, map.Index + map.Length).Select(l => EntryStart().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        if (keys.Count == 0) throw new InvalidOperationException($"{file}: local.{local} has no entries");
        return keys.Select(k => entries.FirstOrDefault(e => e.Item1 == k) is { Item2: not null } e
            ? (k, e.Item2)
            : throw new InvalidOperationException($"{file}: local.{local}[{k}] has no title"));
    }

    /// <summary><c>${var.x}</c> → <c>&lt;x&gt;</c>, <c>${each.value.title}</c> → the title; other expressions keep their text.</summary>
    private static string Normalise(string displayName, string? title) =>
        Interpolation().Replace(displayName, m =>
        {
            var expr = m.Groups[1].Value.Trim();
            if (expr == "each.value.title")
            {
                return title ?? throw new InvalidOperationException($"{displayName}: each.value.title outside a for_each");
            }
            return $"<{Regex.Replace(expr, @"\b(?:var|local)\.", "")}>";
        });

    /// <summary>Runbook sections of the doc: <c>### …</c> headings under <c>## Runbooks</c>, keyed by their Policy line.</summary>
    private static Dictionary<string, (string DisplayName, string Body)> RunbookSections(string doc)
    {
        var start = doc.IndexOf("\n## Runbooks", StringComparison.Ordinal);
        if (start < 0) throw new InvalidOperationException($"{Doc} has no `## Runbooks` section");
        var end = doc.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var runbooks = end < 0 ? doc[start..] : doc[start..end];
        var sections = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var section in runbooks.Split("\n### ").Skip(1))
        {
            var policy = PolicyLine().Match(section);
            if (!policy.Success) continue;
            var displayName = DocDisplayNameLine().Match(section);
            Assert.True(displayName.Success, $"{Doc}: section of {policy.Groups[1].Value} has no `- Display name:` line");
            Assert.True(sections.TryAdd(policy.Groups[1].Value, (displayName.Groups[1].Value, section)), $"{Doc}: two sections for {policy.Groups[1].Value}");
        }
        return sections;
    }

    [GeneratedRegex(@"resource\s+""google_monitoring_alert_policy""\s+""(\w+)""\s*\{")]
    private static partial Regex PolicyHeader();

    [GeneratedRegex(@"^\s*display_name\s*=\s*""(.*)""\s*$")]
    private static partial Regex DisplayNameLine();

    [GeneratedRegex(@"^\s*for_each\s*=\s*local\.(\w+)\s*$")]
    private static partial Regex ForEachLine();

    [GeneratedRegex(@"<<-?(\w+)\s*$")]
    private static partial Regex HeredocStart();

    [GeneratedRegex(@"^\s*(\w+)\s*=\s*\{\s*$")]
    private static partial Regex EntryStart();

    [GeneratedRegex(@"(?m)^\s*(\w+)\s*=\s*\{[^{}]*?\btitle\s*=\s*""([^""$]*)""")]
    private static partial Regex EntryTitle();

    [GeneratedRegex(@"\$\{([^}]*)\}")]
    private static partial Regex Interpolation();

    [GeneratedRegex(@"(?m)^\s*title\s*=\s*""(.*)""\s*$")]
    private static partial Regex TitleLine();

    [GeneratedRegex(@"(?m)^\s*slo_id\s*=\s*""([^""]+)""")]
    private static partial Regex SloId();

    [GeneratedRegex(@"(?m)^- Policy: `google_monitoring_alert_policy\.([^`]+)`")]
    private static partial Regex PolicyLine();

    [GeneratedRegex(@"(?m)^- Display name: `([^`]+)`")]
    private static partial Regex DocDisplayNameLine();
}
