using Dso.Core;

namespace Dso.Cli.Terminal;

/// <summary>Reads a passphrase from an environment variable, or from the terminal without echo.</summary>
internal static class Passphrases
{
    public static string Read(Func<string, string?> environment, string variable, string prompt)
    {
        if (environment(variable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        if (Console.IsInputRedirected)
        {
            throw new DsoException($"A passphrase is needed but there is no terminal to ask on. Set {variable} in the environment of this command.");
        }

        string passphrase = Prompt.ReadHidden(prompt);
        if (passphrase.Length == 0)
        {
            throw new DsoException("The passphrase is empty.");
        }

        return passphrase;
    }
}
