using System.Text;
using Dso.Compose.Env;
using Dso.Compose.References;
using Dso.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dso.Compose.Model;

/// <summary>
/// Reads a compose project the way Compose does (file discovery, project directory and name, .env, merge of
/// several -f files, anchors and merge keys, extends, env_file, ${VAR} interpolation and profiles) and lists the
/// dso:// and dsofile:// references of every active service. It reads only; no value is resolved here.
/// </summary>
internal sealed class ComposeProjectLoader
{
    private static readonly string[] DefaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];
    private static readonly string[] DefaultOverrideNames = ["compose.override.yaml", "compose.override.yml", "docker-compose.override.yml", "docker-compose.override.yaml"];

    private readonly string _workingDirectory;
    private readonly Func<string, string?> _processEnvironment;
    private readonly Dictionary<string, YamlMappingNode> _documents = new(StringComparer.Ordinal);

    public ComposeProjectLoader(string workingDirectory, Func<string, string?> processEnvironment)
    {
        _workingDirectory = workingDirectory;
        _processEnvironment = processEnvironment;
    }

    public ComposeProject Load(ComposeArguments arguments)
    {
        IReadOnlyList<string> files = FindFiles(arguments);
        string projectDirectory = Path.GetFullPath(arguments.ProjectDirectory ?? Path.GetDirectoryName(files[0])!, _workingDirectory);
        Func<string, string?> lookup = BuildLookup(arguments, projectDirectory);

        string? version = null;
        string? topLevelName = null;
        var services = new Dictionary<string, ServiceDefinition>(StringComparer.Ordinal);
        var serviceOrder = new List<string>();
        foreach (string file in files)
        {
            YamlMappingNode root = ReadDocument(file);
            version ??= YamlNodes.ScalarText(YamlNodes.Get(root, "version"));
            if (YamlNodes.ScalarText(YamlNodes.Get(root, "name")) is { } name)
            {
                topLevelName = Interpolator.Interpolate(name, lookup, $"{file}:{YamlNodes.LineOf(YamlNodes.Get(root, "name")!)} (name)");
            }

            foreach ((string serviceName, ServiceDefinition definition) in ReadServices(file, root, lookup, [], projectDirectory))
            {
                if (services.TryGetValue(serviceName, out ServiceDefinition? earlier))
                {
                    services[serviceName] = earlier.MergedWith(definition);
                }
                else
                {
                    services[serviceName] = definition;
                    serviceOrder.Add(serviceName);
                }
            }
        }

        // Compose starts a service named on the command line whatever its profiles, and enables those profiles for
        // the services it depends on (docker-compose 1.29.2, Project.get_services). dso enables them for every
        // service, which may resolve secrets of a service Compose then leaves stopped.
        HashSet<string> activeProfiles = ActiveProfiles(arguments, lookup);
        HashSet<string> targetedServices = arguments.Remaining.Where(services.ContainsKey).ToHashSet(StringComparer.Ordinal);
        foreach (string serviceName in targetedServices)
        {
            activeProfiles.UnionWith(services[serviceName].Profiles);
        }

        var result = new List<ServiceSecrets>();
        foreach (string serviceName in serviceOrder)
        {
            ServiceDefinition definition = services[serviceName];
            if (definition.Profiles.Count > 0 && !definition.Profiles.Overlaps(activeProfiles))
            {
                continue;
            }

            result.Add(new ServiceSecrets(serviceName, definition.User, definition.Image, FindUses(serviceName, definition, lookup)));
        }

        string projectName = arguments.ProjectName
            ?? NonEmpty(lookup("COMPOSE_PROJECT_NAME"))
            ?? topLevelName
            ?? Path.GetFileName(projectDirectory.TrimEnd('/'));

        return new ComposeProject
        {
            Name = NormalizeProjectName(projectName),
            Directory = projectDirectory,
            Files = files,
            Version = version,
            Services = result,
        };
    }

    /// <summary>
    /// Finds the files, project directory, project name and interpolation variables of a project the way
    /// <see cref="Load"/> does, without reading any service. Tools that read the files themselves start here.
    /// </summary>
    public ComposeLayout ResolveLayout(ComposeArguments arguments)
    {
        IReadOnlyList<string> files = FindFiles(arguments);
        string projectDirectory = Path.GetFullPath(arguments.ProjectDirectory ?? Path.GetDirectoryName(files[0])!, _workingDirectory);
        Func<string, string?> lookup = BuildLookup(arguments, projectDirectory);

        string? topLevelName = null;
        foreach (string file in files)
        {
            YamlMappingNode root = ReadDocument(file);
            if (YamlNodes.ScalarText(YamlNodes.Get(root, "name")) is { } name)
            {
                topLevelName = Interpolator.Interpolate(name, lookup, $"{file}:{YamlNodes.LineOf(YamlNodes.Get(root, "name")!)} (name)");
            }
        }

        string projectName = arguments.ProjectName
            ?? NonEmpty(lookup("COMPOSE_PROJECT_NAME"))
            ?? topLevelName
            ?? Path.GetFileName(projectDirectory.TrimEnd('/'));

        return new ComposeLayout
        {
            Files = files,
            ProjectDirectory = projectDirectory,
            ProjectName = NormalizeProjectName(projectName),
            EnvFiles = InterpolationEnvFiles(arguments, projectDirectory),
            Lookup = lookup,
            ProcessEnvironment = _processEnvironment,
        };
    }

    /// <summary>Lower-cases a project name and drops characters Compose does not allow, as Compose itself does.</summary>
    public static string NormalizeProjectName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (char c in name.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                builder.Append(c);
            }
        }

        string normalized = builder.ToString().TrimStart('-', '_');
        return normalized.Length > 0
            ? normalized
            : throw new DsoException($"The project name \"{name}\" has no letters or digits. Pass one with -p NAME.") { ExitCode = 2 };
    }

    private List<string> FindFiles(ComposeArguments arguments)
    {
        if (arguments.Files.Count > 0)
        {
            if (arguments.Files.Contains("-"))
            {
                throw new DsoException("dso cannot read a compose file from standard input (-f -), because it must read the file itself. Save it to a file and pass that.") { ExitCode = 2 };
            }

            return arguments.Files.Select(file => RequireFile(Path.GetFullPath(file, _workingDirectory))).ToList();
        }

        if (NonEmpty(_processEnvironment("COMPOSE_FILE")) is { } composeFile)
        {
            string separator = NonEmpty(_processEnvironment("COMPOSE_PATH_SEPARATOR")) ?? ":";
            return composeFile.Split(separator, StringSplitOptions.RemoveEmptyEntries)
                .Select(file => RequireFile(Path.GetFullPath(file, _workingDirectory)))
                .ToList();
        }

        // Like Compose, look in the working directory and then in each parent.
        for (string? directory = _workingDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            string? main = DefaultFileNames.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);
            if (main is null)
            {
                continue;
            }

            var files = new List<string> { main };
            string? overrideFile = DefaultOverrideNames.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);
            if (overrideFile is not null)
            {
                files.Add(overrideFile);
            }

            return files;
        }

        throw new DsoException($"No compose file was found in {_workingDirectory} or its parents (looked for {string.Join(", ", DefaultFileNames)}). Pass one with -f FILE.") { ExitCode = 1 };
    }

    private static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new DsoException($"The compose file {path} was not found.");

    /// <summary>Variables for interpolation: the process environment first, then the project's .env (or --env-file).</summary>
    private Func<string, string?> BuildLookup(ComposeArguments arguments, string projectDirectory)
    {
        var dotEnv = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (string envFile in InterpolationEnvFiles(arguments, projectDirectory))
        {
            DotEnvDocument document = DotEnvParser.Parse(File.ReadAllBytes(envFile), envFile, _processEnvironment);
            foreach ((string key, string? value) in document.ToDictionary())
            {
                dotEnv[key] = value;
            }
        }

        return name => _processEnvironment(name) ?? dotEnv.GetValueOrDefault(name);
    }

    /// <summary>The files whose variables fill ${VAR}: each --env-file, else the project's .env when it exists.</summary>
    private List<string> InterpolationEnvFiles(ComposeArguments arguments, string projectDirectory) =>
        arguments.EnvFiles.Count > 0
            ? arguments.EnvFiles.Select(file => RequireFile(Path.GetFullPath(file, _workingDirectory))).ToList()
            : new[] { Path.Combine(projectDirectory, ".env") }.Where(File.Exists).ToList();

    private static HashSet<string> ActiveProfiles(ComposeArguments arguments, Func<string, string?> lookup)
    {
        var profiles = new HashSet<string>(arguments.Profiles, StringComparer.Ordinal);
        if (NonEmpty(lookup("COMPOSE_PROFILES")) is { } fromEnvironment)
        {
            profiles.UnionWith(fromEnvironment.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return profiles;
    }

    private YamlMappingNode ReadDocument(string file)
    {
        if (_documents.TryGetValue(file, out YamlMappingNode? cached))
        {
            return cached;
        }

        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file, Encoding.UTF8);
            stream.Load(reader);
        }
        catch (YamlException exception)
        {
            throw new DsoException($"The compose file {file} is not valid YAML at line {exception.Start.Line}, column {exception.Start.Column}: {exception.Message}", exception);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new DsoException($"The compose file {file} is empty or not a mapping; it must have a top-level services: key.");
        }

        _documents[file] = root;
        return root;
    }

    /// <param name="baseDirectory">
    /// The directory against which relative paths (env_file, extends.file) resolve. It is the project directory for
    /// every -f file, because Compose resolves their paths against the first file's folder or --project-directory
    /// (docs.docker.com/compose/reference/, and docker-compose 1.29.2 does so). A service read through
    /// extends.file uses the folder of that file.
    /// </param>
    private List<KeyValuePair<string, ServiceDefinition>> ReadServices(string file, YamlMappingNode root, Func<string, string?> lookup, HashSet<string> extendsChain, string baseDirectory)
    {
        var result = new List<KeyValuePair<string, ServiceDefinition>>();
        YamlNode? servicesNode = YamlNodes.Get(root, "services");
        if (servicesNode is null || (servicesNode is YamlScalarNode scalar && YamlNodes.IsNull(scalar)))
        {
            return result;
        }

        if (servicesNode is not YamlMappingNode services)
        {
            throw new DsoException($"{file}:{YamlNodes.LineOf(servicesNode)}: services must be a mapping of service names to definitions.");
        }

        foreach ((string name, YamlNode node) in YamlNodes.Entries(services))
        {
            result.Add(new(name, ReadService(file, root, name, node, lookup, extendsChain, baseDirectory)));
        }

        return result;
    }

    private ServiceDefinition ReadService(string file, YamlMappingNode root, string name, YamlNode node, Func<string, string?> lookup, HashSet<string> extendsChain, string baseDirectory)
    {
        if (node is YamlScalarNode nullNode && YamlNodes.IsNull(nullNode))
        {
            return new ServiceDefinition();
        }

        if (node is not YamlMappingNode service)
        {
            throw new DsoException($"{file}:{YamlNodes.LineOf(node)}: service \"{name}\" must be a mapping.");
        }

        ServiceDefinition definition = ReadExtends(file, root, name, service, lookup, extendsChain, baseDirectory) ?? new ServiceDefinition();
        foreach ((string key, YamlNode value) in YamlNodes.Entries(service))
        {
            string location = $"{file}:{YamlNodes.LineOf(value)} (service \"{name}\", {key})";
            switch (key)
            {
                case "environment":
                    definition = definition with { Environment = MergeEnvironment(definition.Environment, ReadEnvironment(file, name, value, lookup)) };
                    break;
                case "env_file":
                    definition = definition with { EnvFiles = [.. definition.EnvFiles, .. ReadEnvFiles(file, baseDirectory, name, value, lookup)] };
                    break;
                case "user":
                    definition = definition with { User = YamlNodes.ScalarText(value) is { } user ? Interpolator.Interpolate(user, lookup, location) : null };
                    break;
                case "image":
                    definition = definition with { Image = YamlNodes.ScalarText(value) is { } image ? Interpolator.Interpolate(image, lookup, location) : null };
                    break;
                case "profiles":
                    definition = definition with { Profiles = ReadStringList(value, location, lookup).ToHashSet(StringComparer.Ordinal) };
                    break;
                default:
                    break;
            }
        }

        return definition;
    }

    private ServiceDefinition? ReadExtends(string file, YamlMappingNode root, string name, YamlMappingNode service, Func<string, string?> lookup, HashSet<string> extendsChain, string baseDirectory)
    {
        YamlNode? extendsNode = YamlNodes.Get(service, "extends");
        if (extendsNode is null)
        {
            return null;
        }

        string location = $"{file}:{YamlNodes.LineOf(extendsNode)} (service \"{name}\", extends)";
        string? baseName;
        string baseFile = file;
        if (extendsNode is YamlMappingNode extends)
        {
            baseName = YamlNodes.ScalarText(YamlNodes.Get(extends, "service"));
            if (YamlNodes.ScalarText(YamlNodes.Get(extends, "file")) is { } otherFile)
            {
                baseFile = Path.GetFullPath(Interpolator.Interpolate(otherFile, lookup, location), baseDirectory);
            }
        }
        else
        {
            baseName = YamlNodes.ScalarText(extendsNode);
        }

        if (baseName is null)
        {
            throw new DsoException($"{location}: extends needs a service name.");
        }

        string chainKey = baseFile + "#" + baseName;
        if (!extendsChain.Add(chainKey))
        {
            throw new DsoException($"{location}: extends forms a cycle through service \"{baseName}\".");
        }

        YamlMappingNode baseRoot = baseFile == file ? root : ReadDocument(RequireFile(baseFile));
        YamlNode? baseServices = YamlNodes.Get(baseRoot, "services");
        YamlNode? baseNode = baseServices is YamlMappingNode mapping ? YamlNodes.Get(mapping, baseName) : null;
        if (baseNode is null)
        {
            throw new DsoException($"{location}: the extended service \"{baseName}\" was not found in {baseFile}.");
        }

        // NOTE: docker-compose 1.29.2 resolves the paths of a base service in the same file against that file's own
        // folder. dso uses the project directory, the documented base of every path, so the two differ when that
        // file is outside the project directory.
        string baseServiceDirectory = baseFile == file ? baseDirectory : Path.GetDirectoryName(baseFile)!;
        ServiceDefinition result = ReadService(baseFile, baseRoot, baseName, baseNode, lookup, extendsChain, baseServiceDirectory);
        extendsChain.Remove(chainKey);
        return result with { Profiles = [] };
    }

    private static Dictionary<string, EnvironmentValue> MergeEnvironment(Dictionary<string, EnvironmentValue> earlier, Dictionary<string, EnvironmentValue> later)
    {
        var merged = new Dictionary<string, EnvironmentValue>(earlier, StringComparer.Ordinal);
        foreach ((string key, EnvironmentValue value) in later)
        {
            merged[key] = value;
        }

        return merged;
    }

    private static Dictionary<string, EnvironmentValue> ReadEnvironment(string file, string service, YamlNode node, Func<string, string?> lookup)
    {
        var result = new Dictionary<string, EnvironmentValue>(StringComparer.Ordinal);
        if (node is YamlMappingNode mapping)
        {
            foreach ((string key, YamlNode valueNode) in YamlNodes.Entries(mapping))
            {
                int line = YamlNodes.LineOf(valueNode);
                string location = $"{file}:{line} (service \"{service}\", environment.{key})";
                if (valueNode is not YamlScalarNode scalar)
                {
                    throw new DsoException($"{location}: an environment value must be a string, number or boolean, not a {(valueNode is YamlMappingNode ? "mapping" : "list")}.");
                }

                string? value = YamlNodes.IsNull(scalar) ? lookup(key) : Interpolator.Interpolate(scalar.Value ?? string.Empty, lookup, location);
                result[key] = new EnvironmentValue(value, file, line);
            }
        }
        else if (node is YamlSequenceNode sequence)
        {
            foreach (YamlNode item in sequence.Children)
            {
                int line = YamlNodes.LineOf(item);
                string location = $"{file}:{line} (service \"{service}\", environment)";
                if (item is not YamlScalarNode scalar || scalar.Value is null)
                {
                    throw new DsoException($"{location}: each environment list item must be a string such as KEY=value.");
                }

                string text = Interpolator.Interpolate(scalar.Value, lookup, location);
                int equals = text.IndexOf('=', StringComparison.Ordinal);
                string key = equals < 0 ? text : text[..equals];
                string? value = equals < 0 ? lookup(key) : text[(equals + 1)..];
                result[key] = new EnvironmentValue(value, file, line);
            }
        }
        else if (!(node is YamlScalarNode nullNode && YamlNodes.IsNull(nullNode)))
        {
            throw new DsoException($"{file}:{YamlNodes.LineOf(node)} (service \"{service}\"): environment must be a mapping or a list.");
        }

        return result;
    }

    private static List<EnvFileReference> ReadEnvFiles(string file, string directory, string service, YamlNode node, Func<string, string?> lookup)
    {
        var result = new List<EnvFileReference>();
        IEnumerable<YamlNode> items = node is YamlSequenceNode sequence ? sequence.Children : [node];
        foreach (YamlNode item in items)
        {
            string location = $"{file}:{YamlNodes.LineOf(item)} (service \"{service}\", env_file)";
            string? path;
            bool required = true;
            if (item is YamlMappingNode longForm)
            {
                path = YamlNodes.ScalarText(YamlNodes.Get(longForm, "path"));
                if (YamlNodes.ScalarText(YamlNodes.Get(longForm, "required")) is { } requiredText)
                {
                    required = !string.Equals(requiredText, "false", StringComparison.OrdinalIgnoreCase);
                }
            }
            else
            {
                path = YamlNodes.ScalarText(item);
            }

            if (path is null)
            {
                throw new DsoException($"{location}: env_file needs a path.");
            }

            result.Add(new EnvFileReference(Path.GetFullPath(Interpolator.Interpolate(path, lookup, location), directory), required, location));
        }

        return result;
    }

    private static IEnumerable<string> ReadStringList(YamlNode node, string location, Func<string, string?> lookup)
    {
        IEnumerable<YamlNode> items = node is YamlSequenceNode sequence ? sequence.Children : [node];
        foreach (YamlNode item in items)
        {
            if (YamlNodes.ScalarText(item) is { } text)
            {
                yield return Interpolator.Interpolate(text, lookup, location);
            }
        }
    }

    private static List<SecretUse> FindUses(string service, ServiceDefinition definition, Func<string, string?> lookup)
    {
        // env_file entries come first and environment overrides them, as in Compose.
        var effective = new Dictionary<string, EnvironmentValue>(StringComparer.Ordinal);
        foreach (EnvFileReference envFile in definition.EnvFiles)
        {
            if (!File.Exists(envFile.Path))
            {
                if (envFile.Required)
                {
                    throw new DsoException($"{envFile.Location}: the env_file {envFile.Path} was not found.");
                }

                continue;
            }

            DotEnvDocument document = DotEnvParser.Parse(File.ReadAllBytes(envFile.Path), envFile.Path, lookup);
            foreach (DotEnvEntry entry in document.Entries)
            {
                effective[entry.Key] = new EnvironmentValue(entry.Value ?? lookup(entry.Key), envFile.Path, entry.Line);
            }
        }

        foreach ((string key, EnvironmentValue value) in definition.Environment)
        {
            effective[key] = value;
        }

        var uses = new List<SecretUse>();
        foreach ((string key, EnvironmentValue value) in effective)
        {
            if (value.Value is { } text && SecretReference.LooksLikeReference(text))
            {
                string location = $"{value.File}:{value.Line} (service \"{service}\", variable {key})";
                uses.Add(new SecretUse(service, key, SecretReference.Parse(text, location), value.File, value.Line));
            }
        }

        return uses;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private sealed record EnvironmentValue(string? Value, string File, int Line);

    private sealed record EnvFileReference(string Path, bool Required, string Location);

    /// <summary>The parts of a service definition dso reads, merged across files and extends.</summary>
    private sealed record ServiceDefinition
    {
        public Dictionary<string, EnvironmentValue> Environment { get; init; } = new(StringComparer.Ordinal);

        public IReadOnlyList<EnvFileReference> EnvFiles { get; init; } = [];

        public string? User { get; init; }

        public string? Image { get; init; }

        public HashSet<string> Profiles { get; init; } = new(StringComparer.Ordinal);

        public ServiceDefinition MergedWith(ServiceDefinition later) => new()
        {
            Environment = MergeEnvironment(Environment, later.Environment),
            EnvFiles = [.. EnvFiles, .. later.EnvFiles],
            User = later.User ?? User,
            Image = later.Image ?? Image,
            Profiles = later.Profiles.Count > 0 ? later.Profiles : Profiles,
        };
    }
}
