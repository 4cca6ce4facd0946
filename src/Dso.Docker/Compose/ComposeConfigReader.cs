using System.ComponentModel;
using Dso.Docker.Processes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dso.Docker.Compose;

/// <summary>
/// Asks Compose itself for every service's environment with 'config', so that migrate stores exactly the values
/// the containers receive today, whichever Compose version (and .env dialect) is installed. The output contains
/// secret values: it is parsed in memory and never written or logged.
/// </summary>
internal static class ComposeConfigReader
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Returns the Compose program and version, such as "docker-compose 1.29.2", or just its name when the version is not available.</summary>
    public static async Task<string> DescribeAsync(ComposeCli compose, string workingDirectory, CancellationToken cancellationToken)
    {
        try
        {
            ProcessResult result = await ProcessCapture.RunAsync(compose.FileName, [.. compose.PrefixArguments, "version", "--short"], workingDirectory, Timeout, cancellationToken);
            string version = result.StandardOutput.Trim();
            return result.ExitCode == 0 && version.Length > 0 ? $"{compose.DisplayName} {version}" : compose.DisplayName;
        }
        catch (Exception exception) when (exception is Win32Exception or TimeoutException)
        {
            return compose.DisplayName;
        }
    }

    /// <summary>
    /// Runs 'config' with every profile active and returns service → variable → value (null for a variable
    /// listed without a value).
    /// </summary>
    /// <exception cref="ComposeConfigException">Compose could not be run or rejected the project.</exception>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>> ReadEnvironmentAsync(
        ComposeCli compose,
        ComposeConfigRequest request,
        CancellationToken cancellationToken)
    {
        var arguments = new List<string>(compose.PrefixArguments);
        foreach (string file in request.Files)
        {
            arguments.AddRange(["-f", file]);
        }

        arguments.AddRange(["--project-directory", request.ProjectDirectory, "-p", request.ProjectName]);
        foreach (string envFile in request.EnvFiles)
        {
            arguments.AddRange(["--env-file", envFile]);
        }

        foreach (string profile in request.Profiles)
        {
            arguments.AddRange(["--profile", profile]);
        }

        arguments.Add("config");

        ProcessResult result;
        try
        {
            result = await ProcessCapture.RunAsync(compose.FileName, arguments, request.WorkingDirectory, Timeout, cancellationToken);
        }
        catch (Exception exception) when (exception is Win32Exception or TimeoutException)
        {
            throw new ComposeConfigException($"{compose.DisplayName} could not be run: {exception.Message}", exception);
        }

        if (result.ExitCode != 0)
        {
            // Compose's message can quote a value from the files, so it is not repeated here.
            throw new ComposeConfigException($"{compose.DisplayName} config failed with exit code {result.ExitCode}; run '{compose.DisplayName} config --quiet' in {request.ProjectDirectory} to see why.");
        }

        return Parse(result.StandardOutput);
    }

    /// <summary>
    /// Reads the environment of each service from 'config' output. Compose writes each '$' of a value as '$$' there:
    /// docker-compose 1.29.2 does (checked here), and so does Compose 2.30.3 (the output quoted in docker/compose
    /// issue 12315). Early v2 releases wrote '$' unescaped (docker/compose issue 8518), so a lone '$' anywhere in
    /// the output means the values are taken as written.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> Parse(string output)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(output));
        }
        catch (YamlException exception)
        {
            throw new ComposeConfigException($"The output of Compose config is not valid YAML at line {exception.Start.Line}.", exception);
        }

        var raw = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root
            && root.Children.TryGetValue(new YamlScalarNode("services"), out YamlNode? servicesNode) && servicesNode is YamlMappingNode services)
        {
            foreach ((YamlNode name, YamlNode service) in services.Children)
            {
                var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
                if (service is YamlMappingNode serviceMapping
                    && serviceMapping.Children.TryGetValue(new YamlScalarNode("environment"), out YamlNode? environmentNode))
                {
                    ReadEnvironment(environmentNode, environment);
                }

                raw[((YamlScalarNode)name).Value ?? string.Empty] = environment;
            }
        }

        bool escaped = raw.Values.SelectMany(environment => environment.Values).OfType<string>().All(HasOnlyDoubledDollars);
        return raw.ToDictionary(
            service => service.Key,
            service => (IReadOnlyDictionary<string, string?>)service.Value.ToDictionary(
                variable => variable.Key,
                variable => escaped && variable.Value is not null ? variable.Value.Replace("$$", "$", StringComparison.Ordinal) : variable.Value,
                StringComparer.Ordinal),
            StringComparer.Ordinal);
    }

    private static void ReadEnvironment(YamlNode node, Dictionary<string, string?> environment)
    {
        if (node is YamlMappingNode mapping)
        {
            foreach ((YamlNode key, YamlNode value) in mapping.Children)
            {
                environment[((YamlScalarNode)key).Value ?? string.Empty] = value is YamlScalarNode scalar && !IsNull(scalar) ? scalar.Value : null;
            }
        }
        else if (node is YamlSequenceNode sequence)
        {
            foreach (string item in sequence.Children.OfType<YamlScalarNode>().Select(item => item.Value ?? string.Empty))
            {
                int equals = item.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0)
                {
                    environment[item] = null;
                }
                else
                {
                    environment[item[..equals]] = item[(equals + 1)..];
                }
            }
        }
    }

    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static bool HasOnlyDoubledDollars(string value)
    {
        int run = 0;
        foreach (char c in value)
        {
            if (c == '$')
            {
                run++;
                continue;
            }

            if (run % 2 != 0)
            {
                return false;
            }

            run = 0;
        }

        return run % 2 == 0;
    }
}
