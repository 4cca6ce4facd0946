using Dso.Core;

namespace Dso.Cli;

/// <summary>Options that apply to every command, read before the command line is dispatched.</summary>
internal static class GlobalOptions
{
    /// <summary>
    /// Removes --config FILE (or --config=FILE) from the arguments that come before the command's own
    /// arguments, so that it works with up and down too, whose other arguments belong to Compose.
    /// </summary>
    public static (string[] Arguments, string? ConfigPath) TakeConfigOption(string[] arguments)
    {
        var rest = new List<string>(arguments.Length);
        string? config = null;
        bool inComposeArguments = false;
        for (int i = 0; i < arguments.Length; i++)
        {
            string argument = arguments[i];
            if (!inComposeArguments && argument == "--config")
            {
                if (i + 1 >= arguments.Length)
                {
                    throw new DsoException("The option --config needs a file path.") { ExitCode = 2 };
                }

                config = arguments[++i];
                continue;
            }

            if (!inComposeArguments && argument.StartsWith("--config=", StringComparison.Ordinal))
            {
                config = argument["--config=".Length..];
                continue;
            }

            inComposeArguments |= argument is "up" or "down";
            rest.Add(argument);
        }

        return (rest.ToArray(), config);
    }
}
