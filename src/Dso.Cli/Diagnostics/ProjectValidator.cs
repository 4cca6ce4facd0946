using System.Text;
using Dso.Cli.Config;
using Dso.Compose.Diagnostics;
using Dso.Compose.Model;
using Dso.Compose.References;
using Dso.Compose.Secrets;
using Dso.Compose.Source;
using Dso.Compose.Yaml;
using Dso.Core;
using Dso.Vault.Format;
using Dso.Vault.Store;

namespace Dso.Cli.Diagnostics;

/// <summary>
/// The checks of dso validate: the config file, every compose reference (syntax, presence in the vault, file
/// targets that collide), plaintext secrets left in compose files, env_files and .env, and permissions. It only
/// reads: nothing is created, changed or started.
/// </summary>
internal sealed partial class ProjectValidator
{
    private const string SecretMountDirectory = Compose.Override.OverrideFile.ContainerSecretDirectory;

    private readonly CliContext _context;
    private readonly ComposeArguments _arguments;
    private readonly IReadOnlySet<string> _secret;
    private readonly IReadOnlySet<string> _plain;
    private readonly ValidationReport _report;

    public ProjectValidator(CliContext context, ComposeArguments arguments, IReadOnlySet<string> secret, IReadOnlySet<string> plain)
    {
        _context = context;
        _arguments = arguments;
        _secret = secret;
        _plain = plain;
        _report = new ValidationReport { VaultPath = context.Paths.VaultPath };
    }

    public ValidationReport Run()
    {
        CheckConfig();
        IReadOnlyDictionary<string, byte[]>? vault = ReadVault();

        ComposeSource? source = ReadCompose();
        if (source is not null)
        {
            List<(ServiceEnvironment Service, EnvironmentSite Site, SecretReference Reference)> references = CheckReferenceSyntax(source);
            CheckReferencesOutsideEnvironment(source);
            CheckWithLoader(references.Count > 0 || _report.Findings.Any(finding => finding.Code == "reference.invalid"));
            CheckVaultEntries(references, vault);
            CheckFileTargets(references);
            CheckPlaintext(source, vault);
        }

        _report.Findings.Sort((a, b) => b.Severity.CompareTo(a.Severity) != 0
            ? b.Severity.CompareTo(a.Severity)
            : string.CompareOrdinal(a.Location, b.Location));
        return _report;
    }

    private void CheckConfig()
    {
        try
        {
            ConfigLocation location = _context.ConfigLocation;
            _report.ConfigPath = location.Path;
            _report.ConfigSource = location.Source;
            _ = LocalConfig.Load(location);
        }
        catch (DsoException exception)
        {
            Add(FindingSeverity.Error, "config.invalid", exception.Message);
        }
    }

    /// <summary>Reads every vault entry, or returns null (with a finding) when the vault is missing or unreadable.</summary>
    private IReadOnlyDictionary<string, byte[]>? ReadVault()
    {
        VaultStore store = _context.OpenVault();
        if (!store.Exists)
        {
            return null;
        }

        foreach (string problem in store.FindPermissionProblems())
        {
            Add(FindingSeverity.Error, "permissions.vault", problem);
        }

        try
        {
            VaultDocument document = store.Load();
            return document.Entries.ToDictionary(entry => entry.Key, entry => entry.Value.Value, StringComparer.Ordinal);
        }
        catch (DsoException exception)
        {
            Add(FindingSeverity.Error, "vault.unreadable", exception.Message, store.VaultPath);
            return null;
        }
    }

    private ComposeSource? ReadCompose()
    {
        try
        {
            ComposeLayout layout = new ComposeProjectLoader(_context.WorkingDirectory, _context.Environment).ResolveLayout(_arguments);
            _report.Project = layout.ProjectName;
            _report.ComposeFiles = layout.Files;
            ComposeSource source = ComposeSourceReader.Read(layout);
            _report.Findings.AddRange(source.Findings);
            return source;
        }
        catch (DsoException exception)
        {
            Add(FindingSeverity.Error, "compose.invalid", exception.Message);
            return null;
        }
    }

    /// <summary>
    /// Parses every reference of every service (all profiles) with the parser dso up uses, and flags values that
    /// look like a reference but are not one, such as dso:/name.
    /// </summary>
    private List<(ServiceEnvironment, EnvironmentSite, SecretReference)> CheckReferenceSyntax(ComposeSource source)
    {
        var references = new List<(ServiceEnvironment, EnvironmentSite, SecretReference)>();
        var reported = new HashSet<EnvironmentSite>(ReferenceEqualityComparer.Instance);
        foreach (ServiceEnvironment service in source.Services)
        {
            foreach (EnvironmentSite site in service.Effective.Where(site => site.Value is not null))
            {
                string value = site.Value!;
                string location = $"{site.Location} (service \"{service.Name}\", variable {site.Variable})";
                if (SecretReference.LooksLikeReference(value))
                {
                    try
                    {
                        references.Add((service, site, SecretReference.Parse(value, location)));
                    }
                    catch (DsoException exception)
                    {
                        if (reported.Add(site))
                        {
                            Add(FindingSeverity.Error, "reference.invalid", exception.Message, site.File, site.Line);
                        }
                    }
                }
                else if (LooksLikeBrokenReference(value) && reported.Add(site))
                {
                    Add(FindingSeverity.Error, "reference.invalid", $"{site.Variable} of service \"{service.Name}\" looks like a secret reference but is not one: write dso://NAME or dsofile://NAME.", site.File, site.Line);
                }
            }
        }

        _report.ReferenceCount = references.Select(reference => reference.Item2).Distinct(ReferenceEqualityComparer.Instance).Count();
        return references;
    }

    private static bool LooksLikeBrokenReference(string value)
    {
        string lower = value.ToLowerInvariant();
        return (lower.StartsWith("dso:", StringComparison.Ordinal) || lower.StartsWith("dsofile:", StringComparison.Ordinal) || lower.StartsWith("dso//", StringComparison.Ordinal))
            && !SecretReference.LooksLikeReference(value);
    }

    /// <summary>Flags references written outside a service's environment, which dso never resolves.</summary>
    private void CheckReferencesOutsideEnvironment(ComposeSource source)
    {
        var siteNodes = new HashSet<(string, int)>();
        foreach (EnvironmentSite site in source.Sites.Where(site => site.Document is not null))
        {
            siteNodes.Add((site.File, site.ValueNode?.Start ?? -1));
            siteNodes.Add((site.File, site.KeyNode?.Start ?? -1));
        }

        foreach (YamlSourceDocument document in source.Documents)
        {
            foreach (YamlSourceScalar scalar in YamlSourceNodes.Scalars(document.Root))
            {
                bool reference = scalar.Value.Contains(SecretReference.EnvironmentScheme, StringComparison.Ordinal) || scalar.Value.Contains(SecretReference.FileScheme, StringComparison.Ordinal);
                if (reference && !siteNodes.Contains((document.Path, scalar.Start)))
                {
                    Add(FindingSeverity.Warning, "reference.outside_environment", "this dso reference is not an environment value, so dso does not resolve it and Compose passes it on as text. Move it into a service's environment.", document.Path, scalar.Line);
                }
            }
        }
    }

    /// <summary>
    /// Loads the project with the loader dso up uses, so that validate never passes a project that dso up would
    /// reject. Its error is reported only when no finding above explains it already.
    /// </summary>
    private void CheckWithLoader(bool explained)
    {
        try
        {
            _ = new ComposeProjectLoader(_context.WorkingDirectory, _context.Environment).Load(_arguments);
        }
        catch (DsoException exception)
        {
            if (!explained && !_report.Findings.Any(finding => finding.Severity == FindingSeverity.Error && finding.Code.StartsWith("compose.", StringComparison.Ordinal)))
            {
                Add(FindingSeverity.Error, "compose.load", exception.Message);
            }
        }
    }

    // NOTE: only the local vault is searched. dso up in local mode resolves references from it alone, and a
    // reference served by an agent-mode provider (HashiCorp Vault, AWS, Azure) is reported missing here.
    private void CheckVaultEntries(List<(ServiceEnvironment Service, EnvironmentSite Site, SecretReference Reference)> references, IReadOnlyDictionary<string, byte[]>? vault)
    {
        if (references.Count == 0)
        {
            return;
        }

        if (vault is null)
        {
            if (!_report.Findings.Any(finding => finding.Code == "vault.unreadable"))
            {
                Add(FindingSeverity.Error, "vault.missing", $"the project references {references.Count} secrets, but the vault {_report.VaultPath} does not exist. Run 'dso bootstrap local', then 'dso migrate' or 'dso secret set NAME'.");
            }

            return;
        }

        var reported = new HashSet<(string, string)>();
        foreach ((ServiceEnvironment service, EnvironmentSite site, SecretReference reference) in references)
        {
            string name = reference.SecretName;
            if (!reported.Add((site.Location, name)))
            {
                continue;
            }

            if (!vault.TryGetValue(name, out byte[]? value))
            {
                Add(FindingSeverity.Error, "reference.missing", $"the secret \"{name}\" (service \"{service.Name}\", variable {site.Variable}) is not in the vault {_report.VaultPath}. Add it with: dso secret set {name}", site.File, site.Line);
                continue;
            }

            if (value.Length == 0)
            {
                Add(FindingSeverity.Warning, "reference.empty", $"the secret \"{name}\" (service \"{service.Name}\", variable {site.Variable}) is empty in the vault. Set its value with: dso secret set {name}", site.File, site.Line);
            }

            if (reference.Kind == InjectionKind.Environment && !IsEnvironmentSafe(value))
            {
                Add(FindingSeverity.Error, "reference.not_environment_safe", $"the secret \"{name}\" is not valid UTF-8 or contains a NUL byte, so it cannot be the environment variable {site.Variable} of service \"{service.Name}\". Use dsofile://{name} to deliver it as a file.", site.File, site.Line);
            }
        }
    }

    private static bool IsEnvironmentSafe(byte[] value)
    {
        try
        {
            return !new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value).Contains('\0', StringComparison.Ordinal);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private void Add(FindingSeverity severity, string code, string message, string? file = null, int? line = null) =>
        _report.Findings.Add(new Finding(severity, code, message, file, line));
}
