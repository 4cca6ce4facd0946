using Dso.Core;

namespace Dso.Compose.Model;

/// <summary>
/// The project-level options of a compose command line (-f, -p, --project-directory, --env-file, --profile),
/// taken out of the arguments so that dso can read the same files Compose will read; everything else is
/// passed on to Compose unchanged.
/// </summary>
internal sealed record ComposeArguments
{
    public IReadOnlyList<string> Files { get; init; } = [];

    public string? ProjectName { get; init; }

    public string? ProjectDirectory { get; init; }

    public IReadOnlyList<string> EnvFiles { get; init; } = [];

    public IReadOnlyList<string> Profiles { get; init; } = [];

    /// <summary>Arguments for the compose subcommand itself, such as -d or service names.</summary>
    public IReadOnlyList<string> Remaining { get; init; } = [];

    public static ComposeArguments Parse(IReadOnlyList<string> arguments)
    {
        var files = new List<string>();
        var envFiles = new List<string>();
        var profiles = new List<string>();
        var remaining = new List<string>();
        string? projectName = null;
        string? projectDirectory = null;

        for (int i = 0; i < arguments.Count; i++)
        {
            string argument = arguments[i];
            if (argument == "--")
            {
                remaining.AddRange(arguments.Skip(i));
                break;
            }

            (string? option, string? inlineValue) = SplitOption(argument);
            switch (option)
            {
                case "-f" or "--file":
                    files.Add(TakeValue(arguments, ref i, option, inlineValue));
                    break;
                case "-p" or "--project-name":
                    projectName = TakeValue(arguments, ref i, option, inlineValue);
                    break;
                case "--project-directory":
                    projectDirectory = TakeValue(arguments, ref i, option, inlineValue);
                    break;
                case "--env-file":
                    envFiles.Add(TakeValue(arguments, ref i, option, inlineValue));
                    break;
                case "--profile":
                    profiles.Add(TakeValue(arguments, ref i, option, inlineValue));
                    break;
                default:
                    remaining.Add(argument);
                    break;
            }
        }

        return new ComposeArguments
        {
            Files = files,
            ProjectName = projectName,
            ProjectDirectory = projectDirectory,
            EnvFiles = envFiles,
            Profiles = profiles,
            Remaining = remaining,
        };
    }

    private static (string? Option, string? InlineValue) SplitOption(string argument)
    {
        if (argument.StartsWith("--", StringComparison.Ordinal))
        {
            int equals = argument.IndexOf('=', StringComparison.Ordinal);
            return equals < 0 ? (argument, null) : (argument[..equals], argument[(equals + 1)..]);
        }

        // Short options may carry their value glued on, as in -fcompose.yml.
        if (argument.Length > 2 && argument[0] == '-' && argument[1] is 'f' or 'p')
        {
            return (argument[..2], argument[2..]);
        }

        return (argument, null);
    }

    private static string TakeValue(IReadOnlyList<string> arguments, ref int index, string option, string? inlineValue)
    {
        if (inlineValue is not null)
        {
            return inlineValue;
        }

        if (index + 1 >= arguments.Count)
        {
            throw new DsoException($"The option {option} needs a value.") { ExitCode = 2 };
        }

        index++;
        return arguments[index];
    }
}
