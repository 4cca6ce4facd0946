using Dso.Compose.Diagnostics;
using Dso.Compose.References;
using Dso.Compose.Secrets;
using Dso.Compose.Source;
using Dso.Compose.Yaml;
using Dso.Core;
using Dso.Core.Names;

namespace Dso.Compose.Migration;

/// <summary>
/// Turns a project read by <see cref="ComposeSourceReader"/> into a <see cref="MigrationPlan"/>: which variables are
/// secrets, the vault name and delivery (dso:// or dsofile://) of each, the edited copies of the compose files,
/// and the findings the user must see. It reads files but writes nothing.
/// </summary>
internal sealed partial class MigrationPlanner
{
    private const string ReuseReason = "in the vault from an earlier run";

    private readonly ComposeSource _source;
    private readonly MigrationOptions _options;
    private readonly List<Finding> _findings;
    private readonly Dictionary<EnvironmentSite, SecretSite> _secretSites = new(ReferenceEqualityComparer.Instance);
    private readonly List<SecretSite> _secretOrder = [];
    private readonly List<PlainSetting> _plain = [];
    private readonly Dictionary<string, PlannedSecret> _secrets = new(StringComparer.Ordinal);

    private MigrationPlanner(ComposeSource source, MigrationOptions options)
    {
        _source = source;
        _options = options;
        _findings = [.. source.Findings];
    }

    public static MigrationPlan Plan(ComposeSource source, MigrationOptions options) => new MigrationPlanner(source, options).Plan();

    private MigrationPlan Plan()
    {
        CompareWithCompose();
        ClassifyEffectiveSites();
        ClassifyOverriddenSites();
        AssignNames();

        var rewriter = new ComposeRewriter(_source);
        List<ServiceChange> changes = PlanEdits(rewriter);
        List<MigratedFile> files = BuildFiles(rewriter);

        ReportValueDifferences();
        ReportUsesOutsideEnvironment();

        return new MigrationPlan
        {
            Project = _options.Project,
            ComposeFiles = _source.Layout.Files,
            Secrets = [.. _secrets.Values],
            Changes = changes,
            Plain = _plain,
            Files = files,
            UpFiles = [.. _source.Layout.Files.Select(file => files.FirstOrDefault(migrated => migrated.OriginalPath == file)?.OutputPath ?? file)],
            PlaintextLeftBehind = FindPlaintextLeftBehind(),
            Findings = _findings,
        };
    }

    /// <summary>The value a service's container receives for a site: Compose's own reading when available, else dso's.</summary>
    private string? ValueFor(ServiceEnvironment service, EnvironmentSite site) =>
        _options.ComposeEnvironment is { } compose && compose.TryGetValue(service.Name, out IReadOnlyDictionary<string, string?>? environment)
            && environment.TryGetValue(site.Variable, out string? value)
            ? value
            : site.Value;

    /// <summary>Reports every variable that Compose and dso read differently, so that no difference goes unnoticed.</summary>
    private void CompareWithCompose()
    {
        if (_options.ComposeEnvironment is not { } compose)
        {
            return;
        }

        foreach (ServiceEnvironment service in _source.Services)
        {
            if (!compose.TryGetValue(service.Name, out IReadOnlyDictionary<string, string?>? environment))
            {
                AddFinding(FindingSeverity.Warning, "compose.service_missing", $"{_options.ComposeName} does not list service \"{service.Name}\"; migrate uses dso's own reading of it.");
                continue;
            }

            foreach (EnvironmentSite site in service.Effective)
            {
                if (!environment.TryGetValue(site.Variable, out string? composeValue))
                {
                    AddFinding(FindingSeverity.Warning, "compose.variable_missing", $"{_options.ComposeName} does not give service \"{service.Name}\" the variable {site.Variable}, which dso reads here; check the project with '{_options.ComposeName} config'.", site.File, site.Line);
                }
                else if (site.InterpolationError is null && composeValue != site.Value)
                {
                    AddFinding(
                        FindingSeverity.Warning,
                        "compose.value_differs",
                        $"{_options.ComposeName} gives service \"{service.Name}\" a value of {Describe(composeValue)} for {site.Variable}, but dso reads {Describe(site.Value)} here. "
                        + "migrate uses Compose's value, which the container receives today.",
                        site.File,
                        site.Line);
                }
            }

            foreach (string variable in environment.Keys.Where(variable => service.Find(variable) is null))
            {
                AddFinding(FindingSeverity.Warning, "compose.variable_unlocated", $"{_options.ComposeName} gives service \"{service.Name}\" the variable {variable}, but dso cannot tell where it is set, so migrate leaves it as it is.");
            }
        }
    }

    private void ClassifyEffectiveSites()
    {
        foreach (ServiceEnvironment service in _source.Services)
        {
            foreach (EnvironmentSite site in service.Effective)
            {
                string? value = ValueFor(service, site);
                SecretDecision decision = Classify(site, value);
                switch (decision.Verdict)
                {
                    case SecretVerdict.Secret:
                        SecretSite secret = AddSecretSite(site, decision.Reason == ReuseReason ? null : value, decision);
                        if (secret.Value != (decision.Reason == ReuseReason ? null : value))
                        {
                            AddFinding(FindingSeverity.Error, "migrate.shared_value_differs", $"{site.Variable} is written once but services \"{secret.Users[0]}\" and \"{service.Name}\" receive different values from it; give each service its own line.", site.File, site.Line);
                        }

                        secret.Users.Add(service);
                        break;
                    case SecretVerdict.Plain:
                        _plain.Add(new PlainSetting(service.Name, site.Variable, site.Location, decision.Reason));
                        break;
                    default:
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Classifies compose sites that a later file or key overrides. They reach no container, but a migrated file
    /// must not keep a reference to a plaintext secret that will leave .env (a ${VAR:?} there would fail).
    /// </summary>
    private void ClassifyOverriddenSites()
    {
        var effective = new HashSet<EnvironmentSite>(_source.Services.SelectMany(service => service.Effective), ReferenceEqualityComparer.Instance);
        foreach (EnvironmentSite site in _source.Sites.Where(site => site.Kind != EnvironmentSiteKind.EnvFileEntry && !effective.Contains(site)))
        {
            SecretDecision decision = Classify(site, site.Value);
            if (decision.Verdict == SecretVerdict.Secret)
            {
                AddSecretSite(site, decision.Reason == ReuseReason ? null : site.Value, decision);
            }
        }
    }

    private SecretDecision Classify(EnvironmentSite site, string? value)
    {
        IReadOnlyList<string> referenced = site.RawValue is null ? [site.Variable] : TemplateReferences.Names(site.RawValue);
        SecretDecision decision = SecretClassifier.Classify(site.Variable, referenced, value, _options.Secret, _options.Plain);
        if (decision.Verdict == SecretVerdict.Plain && string.IsNullOrEmpty(value) && site.Kind != EnvironmentSiteKind.EnvFileEntry
            && PreferredName(site) is { } name && _source.Layout.Lookup(name) is null
            && _options.VaultEntries?.ContainsKey(_options.Project + "/" + name) == true
            && !_options.Plain.Contains(name) && !_options.Plain.Contains(site.Variable))
        {
            // The variable is gone from .env, most likely because an earlier run migrated it, so that entry is reused.
            return new SecretDecision(SecretVerdict.Secret, ReuseReason);
        }

        if (site.InterpolationError is not null && decision.Verdict == SecretVerdict.Plain)
        {
            AddFinding(FindingSeverity.Error, "compose.interpolation", site.InterpolationError, site.File, site.Line);
        }

        return decision;
    }

    private SecretSite AddSecretSite(EnvironmentSite site, string? value, SecretDecision decision)
    {
        if (!_secretSites.TryGetValue(site, out SecretSite? secret))
        {
            secret = new SecretSite(site, value, decision);
            _secretSites[site] = secret;
            _secretOrder.Add(secret);
        }

        return secret;
    }

    /// <summary>
    /// Names each secret &lt;project&gt;/&lt;VAR&gt;. VAR is the .env variable for a site that is one reference to it
    /// (so services sharing a secret share one entry), the env_file key, or the container's variable. When two
    /// different values claim a name, the later gets &lt;project&gt;/&lt;service&gt;/&lt;VAR&gt;.
    /// </summary>
    private void AssignNames()
    {
        IEnumerable<SecretSite> byPriority = _secretOrder
            .Select((secret, index) => (Secret: secret, Index: index))
            .OrderBy(item => Priority(item.Secret.Site))
            .ThenBy(item => item.Index)
            .Select(item => item.Secret);

        foreach (SecretSite secret in byPriority)
        {
            string preferred = PreferredName(secret.Site) ?? secret.Site.Variable;
            string name = $"{_options.Project}/{preferred}";
            if (_secrets.TryGetValue(name, out PlannedSecret? taken) && taken.Value != secret.Value)
            {
                string owner = secret.Users.Count > 0 ? secret.Users[0].Name : Path.GetFileNameWithoutExtension(secret.Site.File);
                name = $"{_options.Project}/{owner}/{secret.Site.Variable}";
            }

            if (!SecretName.IsValid(name))
            {
                AddFinding(FindingSeverity.Error, "migrate.invalid_name", $"{SecretName.Quote(name)} is not a valid vault name for {secret.Site.Variable}: use --project with letters, digits, '.', '_' and '-', or rename the variable.", secret.Site.File, secret.Site.Line);
                continue;
            }

            if (_secrets.TryGetValue(name, out taken))
            {
                if (taken.Value != secret.Value)
                {
                    AddFinding(FindingSeverity.Error, "migrate.name_collision", $"two different values of {secret.Site.Variable} would both be stored as {name}; pass --project or rename one of them.", secret.Site.File, secret.Site.Line);
                    continue;
                }

                secret.Planned = taken;
                continue;
            }

            secret.Planned = new PlannedSecret
            {
                Name = name,
                Value = secret.Value,
                Source = DescribeSource(secret.Site),
                Reason = secret.Decision.Reason,
                Status = VaultStatusOf(name, secret),
            };
            _secrets[name] = secret.Planned;
        }
    }

    private VaultEntryStatus VaultStatusOf(string name, SecretSite secret)
    {
        byte[]? existing = _options.VaultEntries?.GetValueOrDefault(name);
        if (secret.Value is null)
        {
            return VaultEntryStatus.UseExisting;
        }

        if (existing is null)
        {
            return VaultEntryStatus.Create;
        }

        if (existing.AsSpan().SequenceEqual(System.Text.Encoding.UTF8.GetBytes(secret.Value)))
        {
            return VaultEntryStatus.Unchanged;
        }

        if (_options.Force)
        {
            return VaultEntryStatus.Replace;
        }

        AddFinding(FindingSeverity.Error, "migrate.vault_conflict", $"the vault already holds {name} with a different value than {secret.Site.Variable} here. Nothing was changed; pass --force to replace it, or --project to store this project under other names.", secret.Site.File, secret.Site.Line);
        return VaultEntryStatus.Conflict;
    }

    private List<ServiceChange> PlanEdits(ComposeRewriter rewriter)
    {
        var changes = new List<ServiceChange>();
        foreach (SecretSite secret in _secretOrder.Where(secret => secret.Planned is not null))
        {
            EnvironmentSite site = secret.Site;
            (bool asFile, string newVariable) = Delivery(secret);
            string reference = (asFile ? SecretReference.FileScheme : SecretReference.EnvironmentScheme) + secret.Planned!.Name;
            foreach (ServiceEnvironment service in secret.Users)
            {
                secret.Planned.Uses.Add($"{service.Name} {newVariable}{(asFile ? " (file)" : string.Empty)}");
                changes.Add(new ServiceChange(service.Name, site.Variable, newVariable, reference, site.Location));
            }

            if (site.Kind != EnvironmentSiteKind.EnvFileEntry)
            {
                if (rewriter.ReplaceSite(site, newVariable, reference) is { } problem)
                {
                    AddFinding(FindingSeverity.Error, "migrate.cannot_edit", problem, site.File, site.Line);
                }

                continue;
            }

            foreach (ServiceEnvironment service in secret.Users)
            {
                rewriter.AddToService(service, newVariable, reference);
            }

            if (newVariable != site.Variable)
            {
                AddFinding(FindingSeverity.Warning, "migrate.env_file_still_sets", $"the env_file still gives the containers {site.Variable} in plaintext beside the new {newVariable}; remove line {site.Line} from it.", site.File, site.Line);
            }
        }

        return changes;
    }

    /// <summary>
    /// Decides whether a secret is delivered as a file: always for a VAR_FILE variable, and for --as-file VAR,
    /// which renames VAR to VAR_FILE (the convention of images such as postgres and mysql).
    /// </summary>
    private (bool AsFile, string NewVariable) Delivery(SecretSite secret)
    {
        string variable = secret.Site.Variable;
        if (variable.EndsWith("_FILE", StringComparison.Ordinal))
        {
            return (true, variable);
        }

        bool requested = _options.AsFile.Contains(variable) || (PreferredName(secret.Site) is { } name && _options.AsFile.Contains(name));
        if (!requested)
        {
            return (false, variable);
        }

        string renamed = variable + "_FILE";
        foreach (ServiceEnvironment service in secret.Users.Where(service => service.Find(renamed) is not null))
        {
            AddFinding(FindingSeverity.Error, "migrate.file_variable_taken", $"service \"{service.Name}\" sets {renamed} already, so {variable} cannot become {renamed}; remove one of them or drop --as-file {variable}.", secret.Site.File, secret.Site.Line);
            return (false, variable);
        }

        return (true, renamed);
    }

    private List<MigratedFile> BuildFiles(ComposeRewriter rewriter)
    {
        var files = new List<MigratedFile>();
        foreach ((YamlSourceDocument document, string text) in rewriter.Build(_findings))
        {
            try
            {
                _ = YamlSourceDocument.Parse(text, document.Path);
            }
            catch (DsoException exception)
            {
                AddFinding(FindingSeverity.Error, "migrate.invalid_output", $"the migrated copy would not be valid YAML ({exception.Message}); nothing was written. Please report this as a dso bug.", document.Path, null);
                continue;
            }

            string output = ComposeRewriter.OutputPathOf(document.Path);
            MigratedFileStatus status = MigratedFileStatus.Create;
            if (File.Exists(output) && File.ReadAllBytes(output).AsSpan().SequenceEqual(YamlSourceDocument.Encode(text, document.HasByteOrderMark)))
            {
                status = MigratedFileStatus.Unchanged;
            }
            else if (File.Exists(output))
            {
                status = _options.Force ? MigratedFileStatus.Replace : MigratedFileStatus.Conflict;
                if (status == MigratedFileStatus.Conflict)
                {
                    AddFinding(FindingSeverity.Error, "migrate.file_conflict", "this file exists and differs from what migrate would write now (edited by hand, or the project changed). Nothing was changed; pass --force to replace it.", output, null);
                }
            }

            files.Add(new MigratedFile(document.Path, output, text, document.HasByteOrderMark, status));
        }

        return files;
    }

    /// <summary>The name a site's value has outside the container: the variable of a bare key or of a single reference.</summary>
    private static string? PreferredName(EnvironmentSite site)
    {
        if (site.IsBare || site.Kind == EnvironmentSiteKind.EnvFileEntry)
        {
            return site.Variable;
        }

        return site.RawValue is not null && TemplateReferences.TryGetSingleReference(site.RawValue, out string name) ? name : null;
    }

    private static int Priority(EnvironmentSite site) =>
        site.Kind == EnvironmentSiteKind.EnvFileEntry ? 1 : PreferredName(site) is not null ? 0 : 2;

    private void AddFinding(FindingSeverity severity, string code, string message, string? file = null, int? line = null) =>
        _findings.Add(new Finding(severity, code, message, file, line));

    private static string Describe(string? value) => value is null ? "no value" : $"{System.Text.Encoding.UTF8.GetByteCount(value)} bytes";

    /// <summary>A site classified as a secret, with the services that receive it and the vault entry it maps to.</summary>
    private sealed class SecretSite(EnvironmentSite site, string? value, SecretDecision decision)
    {
        public EnvironmentSite Site { get; } = site;

        public string? Value { get; } = value;

        public SecretDecision Decision { get; } = decision;

        public List<ServiceEnvironment> Users { get; } = [];

        public PlannedSecret? Planned { get; set; }
    }
}
