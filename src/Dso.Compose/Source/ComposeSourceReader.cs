using Dso.Compose.Diagnostics;
using Dso.Compose.Env;
using Dso.Compose.Model;
using Dso.Compose.Yaml;
using Dso.Core;

namespace Dso.Compose.Source;

/// <summary>
/// Reads every service's environment with the place each variable is set, following the rules of
/// <see cref="ComposeProjectLoader"/>: -f files merged in order, merge keys and aliases, extends (in the same file
/// or another), environment as a mapping or a list, env_file in short and long form, ${VAR} interpolation. Unlike
/// the loader it reads services of every profile, and a problem in one place becomes a finding rather than
/// stopping the read.
/// </summary>
internal sealed class ComposeSourceReader
{
    private readonly ComposeLayout _layout;
    private readonly Dictionary<string, YamlSourceDocument> _documents = new(StringComparer.Ordinal);
    private readonly List<YamlSourceDocument> _documentOrder = [];
    private readonly Dictionary<(string File, int Offset), EnvironmentSite> _composeSites = [];
    private readonly Dictionary<string, List<EnvironmentSite>?> _envFileSites = new(StringComparer.Ordinal);
    private readonly List<ExtendsFileReference> _extendsReferences = [];
    private readonly List<Finding> _findings = [];

    private ComposeSourceReader(ComposeLayout layout)
    {
        _layout = layout;
    }

    /// <exception cref="DsoException">A -f file cannot be read or is not valid YAML.</exception>
    public static ComposeSource Read(ComposeLayout layout) => new ComposeSourceReader(layout).Read();

    private ComposeSource Read()
    {
        var drafts = new Dictionary<string, ServiceDraft>(StringComparer.Ordinal);
        var order = new List<string>();
        var definitions = new Dictionary<string, List<ServiceDefinitionSite>>(StringComparer.Ordinal);

        foreach (string file in _layout.Files)
        {
            YamlSourceDocument document = LoadDocument(file);
            foreach ((string name, YamlSourceScalar nameNode, YamlSourceNode node) in ListServices(document))
            {
                ServiceDraft draft = ReadService(document, name, node, _layout.ProjectDirectory, []);
                if (drafts.TryGetValue(name, out ServiceDraft? earlier))
                {
                    drafts[name] = earlier.MergedWith(draft);
                }
                else
                {
                    drafts[name] = draft;
                    order.Add(name);
                    definitions[name] = [];
                }

                if (node is YamlSourceMapping mapping)
                {
                    definitions[name].Add(new ServiceDefinitionSite(document, nameNode, mapping));
                }
            }
        }

        var services = order
            .Select(name => new ServiceEnvironment
            {
                Name = name,
                Profiles = drafts[name].Profiles ?? [],
                Definitions = definitions[name],
                Effective = Effective(name, drafts[name]),
            })
            .ToList();

        return new ComposeSource
        {
            Layout = _layout,
            Documents = _documentOrder,
            Services = services,
            Sites = [.. _composeSites.Values, .. _envFileSites.Values.Where(sites => sites is not null).SelectMany(sites => sites!)],
            DotEnvVariables = ReadDotEnvVariables(),
            ExtendsReferences = _extendsReferences,
            Findings = _findings,
        };
    }

    private YamlSourceDocument LoadDocument(string path)
    {
        if (!_documents.TryGetValue(path, out YamlSourceDocument? document))
        {
            document = YamlSourceDocument.Load(path);
            _documents[path] = document;
            _documentOrder.Add(document);
        }

        return document;
    }

    private List<(string Name, YamlSourceScalar NameNode, YamlSourceNode Node)> ListServices(YamlSourceDocument document)
    {
        var result = new List<(string, YamlSourceScalar, YamlSourceNode)>();
        if (document.Root is null || YamlSourceNodes.Resolve(document.Root) is not YamlSourceMapping root)
        {
            Add(FindingSeverity.Error, "compose.invalid", "the file is empty or not a mapping; it must have a top-level services: key.", document.Path, 1);
            return result;
        }

        YamlSourceNode? servicesNode = YamlSourceNodes.GetValue(root, "services");
        if (YamlSourceNodes.IsNull(servicesNode))
        {
            return result;
        }

        if (servicesNode is not YamlSourceMapping services)
        {
            Add(FindingSeverity.Error, "compose.invalid", "services must be a mapping of service names to definitions.", document.Path, servicesNode!.Line);
            return result;
        }

        foreach (YamlMergedEntry entry in YamlSourceNodes.Entries(services))
        {
            if (YamlSourceNodes.Resolve(entry.Entry.Key) is YamlSourceScalar nameNode)
            {
                result.Add((entry.Key, nameNode, YamlSourceNodes.Resolve(entry.Entry.Value)));
            }
        }

        return result;
    }

    /// <param name="baseDirectory">
    /// The directory relative env_file and extends paths resolve against: the project directory for every -f
    /// file, and the folder of the file for a base service read through extends: file.
    /// </param>
    private ServiceDraft ReadService(YamlSourceDocument document, string name, YamlSourceNode node, string baseDirectory, HashSet<string> extendsChain)
    {
        if (YamlSourceNodes.IsNull(node))
        {
            return new ServiceDraft();
        }

        if (node is not YamlSourceMapping service)
        {
            Add(FindingSeverity.Error, "compose.invalid", $"service \"{name}\" must be a mapping.", document.Path, node.Line);
            return new ServiceDraft();
        }

        ServiceDraft draft = ReadExtends(document, name, service, baseDirectory, extendsChain) ?? new ServiceDraft();
        foreach (YamlMergedEntry entry in YamlSourceNodes.Entries(service))
        {
            YamlSourceNode value = YamlSourceNodes.Resolve(entry.Entry.Value);
            switch (entry.Key)
            {
                case "environment":
                    draft = draft.WithEnvironment(ReadEnvironment(document, name, value));
                    break;
                case "env_file":
                    draft = draft with { EnvFiles = [.. draft.EnvFiles, .. ReadEnvFiles(document, name, value, baseDirectory)] };
                    break;
                case "profiles":
                    draft = draft with { Profiles = ReadStrings(value) };
                    break;
                default:
                    break;
            }
        }

        return draft;
    }

    private ServiceDraft? ReadExtends(YamlSourceDocument document, string name, YamlSourceMapping service, string baseDirectory, HashSet<string> extendsChain)
    {
        YamlSourceNode? extendsNode = YamlSourceNodes.GetValue(service, "extends");
        if (extendsNode is null)
        {
            return null;
        }

        string? baseName;
        string baseFile = document.Path;
        if (extendsNode is YamlSourceMapping extends)
        {
            baseName = YamlSourceNodes.ScalarText(YamlSourceNodes.GetValue(extends, "service"));
            if (YamlSourceNodes.GetValue(extends, "file") is YamlSourceScalar { IsNull: false } fileNode)
            {
                string? path = Interpolate(fileNode.Value, $"{document.Path}:{fileNode.Line} (service \"{name}\", extends.file)", document.Path, fileNode.Line);
                if (path is null)
                {
                    return null;
                }

                baseFile = Path.GetFullPath(path, baseDirectory);
                _extendsReferences.Add(new ExtendsFileReference(document, fileNode, baseFile));
            }
        }
        else
        {
            baseName = YamlSourceNodes.ScalarText(extendsNode);
        }

        if (baseName is null)
        {
            Add(FindingSeverity.Error, "compose.invalid", $"extends of service \"{name}\" needs a service name.", document.Path, extendsNode.Line);
            return null;
        }

        string chainKey = baseFile + "#" + baseName;
        if (!extendsChain.Add(chainKey))
        {
            Add(FindingSeverity.Error, "compose.invalid", $"extends of service \"{name}\" forms a cycle through service \"{baseName}\".", document.Path, extendsNode.Line);
            return null;
        }

        if (!File.Exists(baseFile))
        {
            Add(FindingSeverity.Error, "compose.invalid", $"the file {baseFile} that service \"{name}\" extends was not found.", document.Path, extendsNode.Line);
            return null;
        }

        YamlSourceDocument baseDocument = LoadDocument(baseFile);
        YamlSourceNode? baseNode = ListServices(baseDocument).Where(service => service.Name == baseName).Select(service => service.Node).FirstOrDefault();
        if (baseNode is null)
        {
            Add(FindingSeverity.Error, "compose.invalid", $"the service \"{baseName}\" that service \"{name}\" extends was not found in {baseFile}.", document.Path, extendsNode.Line);
            return null;
        }

        string baseServiceDirectory = baseFile == document.Path ? baseDirectory : Path.GetDirectoryName(baseFile)!;
        ServiceDraft result = ReadService(baseDocument, baseName, baseNode, baseServiceDirectory, extendsChain);
        extendsChain.Remove(chainKey);
        return result with { Profiles = null };
    }

    private List<EnvironmentSite> ReadEnvironment(YamlSourceDocument document, string service, YamlSourceNode node)
    {
        var sites = new List<EnvironmentSite>();
        switch (node)
        {
            case YamlSourceMapping mapping:
                foreach (YamlMergedEntry entry in YamlSourceNodes.Entries(mapping))
                {
                    if (ReadMappingEntry(document, service, entry) is { } site)
                    {
                        sites.Add(site);
                    }
                }

                break;

            case YamlSourceSequence sequence:
                foreach (YamlSourceNode item in sequence.Items.Select(YamlSourceNodes.Resolve))
                {
                    if (item is not YamlSourceScalar scalar || scalar.IsNull)
                    {
                        Add(FindingSeverity.Error, "compose.invalid", $"each environment list item of service \"{service}\" must be a string such as KEY=value.", document.Path, item.Line);
                        continue;
                    }

                    sites.Add(ReadListItem(document, service, scalar));
                }

                break;

            default:
                if (!YamlSourceNodes.IsNull(node))
                {
                    Add(FindingSeverity.Error, "compose.invalid", $"environment of service \"{service}\" must be a mapping or a list.", document.Path, node.Line);
                }

                break;
        }

        return sites;
    }

    private EnvironmentSite? ReadMappingEntry(YamlSourceDocument document, string service, YamlMergedEntry entry)
    {
        var keyNode = (YamlSourceScalar)YamlSourceNodes.Resolve(entry.Entry.Key);
        YamlSourceNode valueNode = YamlSourceNodes.Resolve(entry.Entry.Value);
        if (_composeSites.TryGetValue((document.Path, keyNode.Start), out EnvironmentSite? cached))
        {
            return cached;
        }

        if (valueNode is not YamlSourceScalar scalar)
        {
            Add(FindingSeverity.Error, "compose.invalid", $"environment.{entry.Key} of service \"{service}\" must be a string, number or boolean, not a {(valueNode is YamlSourceMapping ? "mapping" : "list")}.", document.Path, valueNode.Line);
            return null;
        }

        // A key written "KEY:" with nothing after it still has a value node: an empty plain scalar.
        string? raw = scalar.IsNull ? null : scalar.Value;
        string location = $"{document.Path}:{keyNode.Line} (service \"{service}\", environment.{entry.Key})";
        string? error = null;
        string? value = raw is null ? _layout.Lookup(entry.Key) : InterpolateForSite(raw, location, ref error);
        var site = new EnvironmentSite
        {
            Kind = EnvironmentSiteKind.MappingEntry,
            Variable = entry.Key,
            File = document.Path,
            Line = keyNode.Line,
            RawValue = raw,
            Value = value,
            InterpolationError = error,
            Document = document,
            KeyNode = keyNode,
            ValueNode = scalar,
        };
        _composeSites[(document.Path, keyNode.Start)] = site;
        return site;
    }

    private EnvironmentSite ReadListItem(YamlSourceDocument document, string service, YamlSourceScalar item)
    {
        if (_composeSites.TryGetValue((document.Path, item.Start), out EnvironmentSite? cached))
        {
            return cached;
        }

        string text = item.Value;
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        string rawKey = equals < 0 ? text : text[..equals];
        string? raw = equals < 0 ? null : text[(equals + 1)..];
        string location = $"{document.Path}:{item.Line} (service \"{service}\", environment)";
        string? error = null;
        string key = InterpolateForSite(rawKey, location, ref error) ?? rawKey;
        string? value = raw is null ? _layout.Lookup(key) : InterpolateForSite(raw, location, ref error);
        var site = new EnvironmentSite
        {
            Kind = EnvironmentSiteKind.ListItem,
            Variable = key,
            File = document.Path,
            Line = item.Line,
            RawValue = raw,
            Value = value,
            InterpolationError = error,
            Document = document,
            ValueNode = item,
        };
        _composeSites[(document.Path, item.Start)] = site;
        return site;
    }

    private List<EnvFileReference> ReadEnvFiles(YamlSourceDocument document, string service, YamlSourceNode node, string baseDirectory)
    {
        var result = new List<EnvFileReference>();
        IEnumerable<YamlSourceNode> items = node is YamlSourceSequence sequence ? sequence.Items.Select(YamlSourceNodes.Resolve) : [node];
        foreach (YamlSourceNode item in items)
        {
            string? path;
            bool required = true;
            if (item is YamlSourceMapping longForm)
            {
                path = YamlSourceNodes.ScalarText(YamlSourceNodes.GetValue(longForm, "path"));
                if (YamlSourceNodes.ScalarText(YamlSourceNodes.GetValue(longForm, "required")) is { } requiredText)
                {
                    required = !string.Equals(requiredText, "false", StringComparison.OrdinalIgnoreCase);
                }
            }
            else
            {
                path = YamlSourceNodes.ScalarText(item);
            }

            if (path is null)
            {
                Add(FindingSeverity.Error, "compose.invalid", $"env_file of service \"{service}\" needs a path.", document.Path, item.Line);
                continue;
            }

            string? interpolated = Interpolate(path, $"{document.Path}:{item.Line} (service \"{service}\", env_file)", document.Path, item.Line);
            if (interpolated is not null)
            {
                result.Add(new EnvFileReference(Path.GetFullPath(interpolated, baseDirectory), required, document.Path, item.Line, service));
            }
        }

        return result;
    }

    private List<EnvironmentSite> Effective(string service, ServiceDraft draft)
    {
        var effective = new List<EnvironmentSite>();
        foreach (EnvFileReference envFile in draft.EnvFiles)
        {
            foreach (EnvironmentSite site in ReadEnvFile(envFile))
            {
                Replace(effective, site);
            }
        }

        foreach (EnvironmentSite site in draft.Environment)
        {
            Replace(effective, site);
        }

        return effective;

        static void Replace(List<EnvironmentSite> sites, EnvironmentSite site)
        {
            int index = sites.FindIndex(existing => existing.Variable == site.Variable);
            if (index >= 0)
            {
                sites.RemoveAt(index);
            }

            sites.Add(site);
        }
    }

    private List<EnvironmentSite> ReadEnvFile(EnvFileReference envFile)
    {
        if (!_envFileSites.TryGetValue(envFile.Path, out List<EnvironmentSite>? sites))
        {
            sites = File.Exists(envFile.Path) ? ParseEnvFile(envFile.Path) : null;
            _envFileSites[envFile.Path] = sites;
        }

        if (sites is null && envFile.Required)
        {
            Add(FindingSeverity.Error, "compose.env_file_missing", $"the env_file {envFile.Path} of service \"{envFile.Service}\" was not found.", envFile.File, envFile.Line);
        }

        return sites ?? [];
    }

    private List<EnvironmentSite>? ParseEnvFile(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        DotEnvDocument interpolated;
        DotEnvDocument literal;
        try
        {
            interpolated = DotEnvParser.Parse(bytes, path, _layout.Lookup);
            literal = DotEnvParser.Parse(bytes, path, interpolate: false);
        }
        catch (DotEnvException exception)
        {
            Add(FindingSeverity.Error, "env_file.invalid", exception.Message, path, exception.Line);
            return null;
        }

        var literalByKey = literal.Entries.ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal);
        return interpolated.Entries
            .Select(entry => new EnvironmentSite
            {
                Kind = EnvironmentSiteKind.EnvFileEntry,
                Variable = entry.Key,
                File = path,
                Line = entry.Line,
                RawValue = literalByKey.GetValueOrDefault(entry.Key),
                Value = entry.Value ?? _layout.Lookup(entry.Key),
            })
            .ToList();
    }

    private List<DotEnvVariable> ReadDotEnvVariables()
    {
        var result = new List<DotEnvVariable>();
        foreach (string path in _layout.EnvFiles)
        {
            byte[] bytes = File.ReadAllBytes(path);
            try
            {
                DotEnvDocument interpolated = DotEnvParser.Parse(bytes, path, _layout.ProcessEnvironment);
                var literal = DotEnvParser.Parse(bytes, path, interpolate: false).Entries.ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal);
                result.AddRange(interpolated.Entries.Select(entry => new DotEnvVariable(path, entry, literal.GetValueOrDefault(entry.Key))));
            }
            catch (DotEnvException exception)
            {
                Add(FindingSeverity.Error, "env_file.invalid", exception.Message, path, exception.Line);
            }
        }

        return result;
    }

    private static List<string> ReadStrings(YamlSourceNode node)
    {
        IEnumerable<YamlSourceNode> items = node is YamlSourceSequence sequence ? sequence.Items : [node];
        return items.Select(YamlSourceNodes.ScalarText).OfType<string>().ToList();
    }

    private string? InterpolateForSite(string template, string location, ref string? error)
    {
        try
        {
            return Interpolator.Interpolate(template, _layout.Lookup, location);
        }
        catch (InterpolationException exception)
        {
            error = exception.Message;
            return null;
        }
    }

    private string? Interpolate(string template, string location, string file, int line)
    {
        try
        {
            return Interpolator.Interpolate(template, _layout.Lookup, location);
        }
        catch (InterpolationException exception)
        {
            Add(FindingSeverity.Error, "compose.interpolation", exception.Reason, file, line);
            return null;
        }
    }

    private void Add(FindingSeverity severity, string code, string message, string file, int line) =>
        _findings.Add(new Finding(severity, code, message, file, line));

    private sealed record EnvFileReference(string Path, bool Required, string File, int Line, string Service);

    /// <summary>The parts of a service definition this reader needs, merged across files and extends.</summary>
    private sealed record ServiceDraft
    {
        public IReadOnlyList<EnvironmentSite> Environment { get; init; } = [];

        public IReadOnlyList<EnvFileReference> EnvFiles { get; init; } = [];

        /// <summary>The profiles, or null when the definition does not set them.</summary>
        public IReadOnlyList<string>? Profiles { get; init; }

        public ServiceDraft WithEnvironment(IEnumerable<EnvironmentSite> later)
        {
            var merged = Environment.ToList();
            foreach (EnvironmentSite site in later)
            {
                merged.RemoveAll(existing => existing.Variable == site.Variable);
                merged.Add(site);
            }

            return this with { Environment = merged };
        }

        public ServiceDraft MergedWith(ServiceDraft later) => WithEnvironment(later.Environment) with
        {
            EnvFiles = [.. EnvFiles, .. later.EnvFiles],
            Profiles = later.Profiles ?? Profiles,
        };
    }
}
