using Dso.Compose.Diagnostics;
using Dso.Compose.Secrets;
using Dso.Compose.Source;
using Dso.Compose.Yaml;

namespace Dso.Compose.Migration;

/// <summary>The findings of a plan about values: interpolation, uses outside environment, and plaintext left behind.</summary>
internal sealed partial class MigrationPlanner
{
    private string DescribeSource(EnvironmentSite site)
    {
        if (site.Kind == EnvironmentSiteKind.EnvFileEntry)
        {
            return $"{site.Location} ({site.Variable})";
        }

        if (PreferredName(site) is { } name)
        {
            if (_source.Layout.ProcessEnvironment(name) is not null)
            {
                return $"the environment variable {name}";
            }

            if (FindDotEnvVariable(name) is { } variable)
            {
                return $"{variable.File}:{variable.Entry.Line} ({name})";
            }
        }

        return $"{site.Location} ({site.Variable})";
    }

    private DotEnvVariable? FindDotEnvVariable(string name) =>
        _source.DotEnvVariables.LastOrDefault(variable => variable.Entry.Key == name);

    /// <summary>
    /// Reports each secret whose value differs from its text as written because Compose interpolates it, so that
    /// no such difference passes silently. The stored value is always the one containers receive today.
    /// </summary>
    private void ReportValueDifferences()
    {
        foreach (SecretSite secret in _secretOrder.Where(secret => secret.Planned is not null && secret.Value is not null))
        {
            EnvironmentSite site = secret.Site;
            string? literal = null;
            string where = site.Location;
            string name = site.Variable;
            string quoting = "write $$ for each $ that is part of the value";
            if (site.Kind == EnvironmentSiteKind.EnvFileEntry)
            {
                literal = site.RawValue;
                quoting = $"write it in single quotes ({name}='...')";
            }
            else if (PreferredName(site) is { } preferred)
            {
                name = preferred;
                if (_source.Layout.ProcessEnvironment(preferred) is not null)
                {
                    if (FindDotEnvVariable(preferred) is { } shadowed)
                    {
                        AddFinding(FindingSeverity.Note, "migrate.environment_wins", $"{preferred} is set in the environment dso runs in, which wins over {shadowed.File}:{shadowed.Entry.Line}; migrate stores the environment's value, as Compose would use it.", site.File, site.Line);
                    }

                    continue;
                }

                if (FindDotEnvVariable(preferred) is { } variable)
                {
                    literal = variable.LiteralValue;
                    where = $"{variable.File}:{variable.Entry.Line}";
                    quoting = $"write it in single quotes ({preferred}='...')";
                }
            }
            else if (site.RawValue is not null && TemplateReferences.Names(site.RawValue).Count > 0)
            {
                AddFinding(FindingSeverity.Note, "migrate.combined_value", $"{site.Variable} combines {string.Join(", ", TemplateReferences.Names(site.RawValue))}; its whole value is stored as {secret.Planned!.Name}. When one of them changes, update that entry too (dso secret set {secret.Planned.Name}).", site.File, site.Line);
                continue;
            }
            else
            {
                literal = site.RawValue;
            }

            if (literal is null || literal == secret.Value)
            {
                continue;
            }

            (string file, int? line) = SplitLocation(where);
            if (literal.Replace("$$", "$", StringComparison.Ordinal) == secret.Value)
            {
                AddFinding(FindingSeverity.Note, "migrate.escaped_dollar", $"{_options.ComposeName} reads each $$ in the value of {name} as one $; the vault gets the value with single $ signs, which is what the containers receive today.", file, line);
                continue;
            }

            AddFinding(
                FindingSeverity.Warning,
                "migrate.interpolated_value",
                $"{_options.ComposeName} interpolates the value of {name}: the containers receive {Describe(secret.Value)}, not the {Describe(literal)} written here, because '$' starts a variable reference. "
                + $"migrate stores what the containers receive today. If the text as written is the real value, {quoting} and run migrate again (with --force).",
                file,
                line);
        }
    }

    /// <summary>
    /// Reports secret-looking variables that a compose file uses outside a service's environment (a command, a
    /// label, a build argument), where no dso reference can stand in for them, and those that nothing uses.
    /// </summary>
    private void ReportUsesOutsideEnvironment()
    {
        var siteNodes = new HashSet<(string, int)>();
        foreach (EnvironmentSite site in _source.Sites.Where(site => site.Document is not null))
        {
            siteNodes.Add((site.File, site.ValueNode?.Start ?? -1));
            siteNodes.Add((site.File, site.KeyNode?.Start ?? -1));
        }

        var migratedNames = new HashSet<string>(_secretOrder.Select(secret => PreferredName(secret.Site)).OfType<string>(), StringComparer.Ordinal);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var reported = new HashSet<(string, string, int)>();
        foreach (YamlSourceDocument document in _source.Documents)
        {
            foreach (YamlSourceScalar scalar in YamlSourceNodes.Scalars(document.Root))
            {
                IReadOnlyList<string> names = scalar.Value.Contains('$', StringComparison.Ordinal) ? TemplateReferences.Names(scalar.Value) : [];
                referenced.UnionWith(names);
                if (siteNodes.Contains((document.Path, scalar.Start)))
                {
                    continue;
                }

                foreach (string name in names.Where(name => (migratedNames.Contains(name) || SecretClassifier.NameLooksSecret(name)) && _source.Layout.Lookup(name) is not null))
                {
                    if (reported.Add((name, document.Path, scalar.Line)))
                    {
                        AddFinding(FindingSeverity.Warning, "migrate.used_outside_environment", $"{name} is used here outside a service's environment, where no dso reference can replace it; it must stay in .env for this use.", document.Path, scalar.Line);
                    }
                }
            }
        }

        referenced.UnionWith(_source.Sites.Where(site => site.IsBare).Select(site => site.Variable));
        referenced.UnionWith(_source.Sites.Where(site => site.Kind == EnvironmentSiteKind.EnvFileEntry && site.RawValue is not null).SelectMany(site => TemplateReferences.Names(site.RawValue!)));
        foreach (DotEnvVariable variable in _source.DotEnvVariables.Where(variable => !referenced.Contains(variable.Entry.Key) && !string.IsNullOrEmpty(variable.Entry.Value) && SecretClassifier.NameLooksSecret(variable.Entry.Key)))
        {
            AddFinding(FindingSeverity.Note, "migrate.unused_secret", $"{variable.Entry.Key} looks like a secret, but no compose file uses it; migrate leaves it in {Path.GetFileName(variable.File)}.", variable.File, variable.Entry.Line);
        }
    }

    /// <summary>Lists the places that still hold a migrated value in plaintext after the migration.</summary>
    private List<string> FindPlaintextLeftBehind()
    {
        var places = new List<(string File, int Line, string Name)>();
        foreach (SecretSite secret in _secretOrder.Where(secret => secret.Planned is { Value: not null }))
        {
            EnvironmentSite site = secret.Site;
            if (site.Kind == EnvironmentSiteKind.EnvFileEntry)
            {
                places.Add((site.File, site.Line, site.Variable));
                continue;
            }

            IReadOnlyList<string> names = site.RawValue is null ? [site.Variable] : TemplateReferences.Names(site.RawValue);
            if (names.Count == 0)
            {
                places.Add((site.File, site.Line, site.Variable));
            }

            foreach (string name in names.Where(name => PreferredName(site) == name || SecretClassifier.NameLooksSecret(name)))
            {
                if (FindDotEnvVariable(name) is { } variable && _source.Layout.ProcessEnvironment(name) is null)
                {
                    places.Add((variable.File, variable.Entry.Line, name));
                }
            }
        }

        return places
            .Distinct()
            .OrderBy(place => place.File, StringComparer.Ordinal)
            .ThenBy(place => place.Line)
            .Select(place => $"{place.File}:{place.Line} ({place.Name})")
            .ToList();
    }

    private static (string File, int? Line) SplitLocation(string location)
    {
        int colon = location.LastIndexOf(':');
        return colon > 0 && int.TryParse(location.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out int line)
            ? (location[..colon], line)
            : (location, null);
    }
}
