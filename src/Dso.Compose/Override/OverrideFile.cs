using System.Globalization;
using System.Text;
using Dso.Compose.Model;
using Dso.Compose.References;

namespace Dso.Compose.Override;

/// <summary>
/// Builds the extra compose file that dso appends after the project's own files. For each secret variable it
/// sets the environment entry to a ${DSO_VALUE_n} placeholder (dso://) or to the in-container file path
/// (dsofile://), and mounts the service's secret directory read-only. It contains no secret value: the values
/// reach Compose only through its process environment, under the placeholder names.
/// </summary>
internal sealed class OverrideFile
{
    public const string ContainerSecretDirectory = "/run/secrets/dso";
    public const string PlaceholderPrefix = "DSO_VALUE_";

    private OverrideFile(string text, IReadOnlyDictionary<string, string> placeholders)
    {
        Text = text;
        Placeholders = placeholders;
    }

    /// <summary>The YAML text of the override file.</summary>
    public string Text { get; }

    /// <summary>Placeholder variable name to secret name, for every dso:// value Compose must receive.</summary>
    public IReadOnlyDictionary<string, string> Placeholders { get; }

    /// <param name="hostDirectoryOf">Returns the host directory holding a service's secret files.</param>
    public static OverrideFile Build(ComposeProject project, Func<string, string> hostDirectoryOf)
    {
        var text = new StringBuilder();
        var placeholders = new Dictionary<string, string>(StringComparer.Ordinal);
        var placeholderOfSecret = new Dictionary<string, string>(StringComparer.Ordinal);

        text.Append("# Written by dso for this run of docker compose. It holds no secret value.\n");
        if (project.Version is not null)
        {
            text.Append("version: ").Append(Quote(project.Version)).Append('\n');
        }

        text.Append("services:\n");
        foreach (ServiceSecrets service in project.Services.Where(service => service.Uses.Count > 0))
        {
            text.Append("  ").Append(Quote(service.Service)).Append(":\n");
            text.Append("    environment:\n");
            foreach (SecretUse use in service.Uses)
            {
                string value;
                if (use.Reference.Kind == InjectionKind.Environment)
                {
                    if (!placeholderOfSecret.TryGetValue(use.Reference.SecretName, out string? placeholder))
                    {
                        placeholder = PlaceholderPrefix + placeholderOfSecret.Count.ToString(CultureInfo.InvariantCulture);
                        placeholderOfSecret[use.Reference.SecretName] = placeholder;
                        placeholders[placeholder] = use.Reference.SecretName;
                    }

                    value = "${" + placeholder + "}";
                }
                else
                {
                    value = ContainerPathOf(use.Reference.SecretName);
                }

                text.Append("      ").Append(Quote(use.Variable)).Append(": ").Append(Quote(value)).Append('\n');
            }

            if (service.Uses.Any(use => use.Reference.Kind == InjectionKind.File))
            {
                text.Append("    volumes:\n");
                text.Append("      - ").Append(Quote($"{hostDirectoryOf(service.Service)}:{ContainerSecretDirectory}:ro")).Append('\n');
            }
        }

        return new OverrideFile(text.ToString(), placeholders);
    }

    /// <summary>The path a dsofile:// secret has inside its container: the secret name below /run/secrets/dso.</summary>
    public static string ContainerPathOf(string secretName) => $"{ContainerSecretDirectory}/{secretName}";

    /// <summary>Writes a YAML double-quoted scalar; '$' is kept so that Compose interpolates the placeholders.</summary>
    private static string Quote(string value) => Yaml.YamlScalarWriter.DoubleQuoted(value);
}
