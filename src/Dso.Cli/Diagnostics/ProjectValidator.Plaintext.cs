using System.Text;
using Dso.Compose.Diagnostics;
using Dso.Compose.References;
using Dso.Compose.Secrets;
using Dso.Compose.Source;
using Dso.Compose.Yaml;

namespace Dso.Cli.Diagnostics;

/// <summary>The plaintext checks of dso validate: secrets still written in compose files, env_files and .env.</summary>
internal sealed partial class ProjectValidator
{
    private const UnixFileMode GroupOrOtherRead = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Reports each place that contains a secret in plaintext, by the rule dso migrate uses: a value a service
    /// receives (pointing at the line that contains it) and any secret-like variable of .env, used or not.
    /// </summary>
    private void CheckPlaintext(ComposeSource source, IReadOnlyDictionary<string, byte[]>? vault)
    {
        var reported = new HashSet<(string, int)>();
        foreach (ServiceEnvironment service in source.Services)
        {
            foreach (EnvironmentSite site in service.Effective)
            {
                IReadOnlyList<string> referenced = site.RawValue is null ? [site.Variable] : TemplateReferences.Names(site.RawValue);
                if (SecretClassifier.Classify(site.Variable, referenced, site.Value, _secret, _plain).Verdict != SecretVerdict.Secret)
                {
                    continue;
                }

                foreach ((string file, int line, string name, string code) in PlaintextOrigins(source, site, referenced))
                {
                    if (reported.Add((file, line)))
                    {
                        ReportPlaintext(code, file, line, name, site.Value!, vault, $"service \"{service.Name}\" receives it as {site.Variable}");
                    }
                }
            }
        }

        // An env_file line still reaches the container when a dso reference overrides it, and it is still on disk.
        foreach (EnvironmentSite site in source.Sites.Where(site => site.Kind == EnvironmentSiteKind.EnvFileEntry && site.Value is not null))
        {
            if (SecretClassifier.Classify(site.Variable, [], site.Value, _secret, _plain).Verdict == SecretVerdict.Secret && reported.Add((site.File, site.Line)))
            {
                ReportPlaintext("plaintext.env_file", site.File, site.Line, site.Variable, site.Value!, vault, "a dso reference overrides it, but the env_file still gives it to the container");
            }
        }

        foreach (DotEnvVariable variable in source.DotEnvVariables)
        {
            string? value = variable.Entry.Value;
            if (value is null || SecretClassifier.Classify(variable.Entry.Key, [], value, _secret, _plain).Verdict != SecretVerdict.Secret)
            {
                continue;
            }

            if (reported.Add((variable.File, variable.Entry.Line)))
            {
                ReportPlaintext("plaintext.dotenv", variable.File, variable.Entry.Line, variable.Entry.Key, value, vault, "no service of these compose files uses it");
            }
        }

        foreach (string file in reported.Select(place => place.Item1).Distinct(StringComparer.Ordinal).Where(File.Exists))
        {
            UnixFileMode mode = File.GetUnixFileMode(file);
            if ((mode & GroupOrOtherRead) != 0)
            {
                Add(FindingSeverity.Warning, "permissions.plaintext_file", $"this file contains plaintext secrets and other users can read it (mode {Vault.Store.VaultStore.FormatMode(mode)}). Until the secrets are removed, run: chmod 600 {file}", file);
            }
        }
    }

    /// <summary>Finds the line that contains a secret value: the env_file line, the .env line of the variable it refers to, or the compose line itself.</summary>
    private static IEnumerable<(string File, int Line, string Name, string Code)> PlaintextOrigins(ComposeSource source, EnvironmentSite site, IReadOnlyList<string> referenced)
    {
        if (site.Kind == EnvironmentSiteKind.EnvFileEntry)
        {
            yield return (site.File, site.Line, site.Variable, "plaintext.env_file");
            yield break;
        }

        if (site.RawValue is not null && referenced.Count == 0)
        {
            yield return (site.File, site.Line, site.Variable, "plaintext.compose");
            yield break;
        }

        bool found = false;
        foreach (string name in referenced)
        {
            if (source.Layout.ProcessEnvironment(name) is null
                && source.DotEnvVariables.LastOrDefault(variable => variable.Entry.Key == name) is { Entry.Value.Length: > 0 } variable)
            {
                found = true;
                yield return (variable.File, variable.Entry.Line, name, "plaintext.dotenv");
            }
        }

        if (!found && referenced.All(name => source.Layout.ProcessEnvironment(name) is null))
        {
            yield return (site.File, site.Line, site.Variable, "plaintext.compose");
        }
    }

    private void ReportPlaintext(string code, string file, int line, string name, string value, IReadOnlyDictionary<string, byte[]>? vault, string use)
    {
        if (SecretReference.LooksLikeReference(value))
        {
            return;
        }

        string vaultName = $"{_report.Project}/{name}";
        byte[]? entry = null;
        bool inVault = vault is not null && vault.TryGetValue(vaultName, out entry);
        string next = !inVault
            ? "Move it into the vault with 'dso migrate' (or 'dso secret set'), then delete it here."
            : entry!.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(value))
                ? $"The vault holds the same value as {vaultName} already, so delete it here."
                : $"The vault holds {vaultName} with a different value (Compose may read this line differently from dso, or one of them changed since the migration); check which is right with 'dso secret get {vaultName}', then delete it here.";
        Add(FindingSeverity.Error, code, $"{name} is a plaintext secret ({use}). {next}", file, line);
    }
}
