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

    /// <summary>
    /// Reads a new passphrase from an environment variable, or asks for it twice on the terminal, because a
    /// mistyped new passphrase would make the vault unreadable.
    /// </summary>
    public static string ReadNew(Func<string, string?> environment, string variable)
    {
        if (environment(variable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        string passphrase = Read(environment, variable, "New vault passphrase: ");
        if (Read(environment, variable, "Repeat the new passphrase: ") != passphrase)
        {
            throw new DsoException("The two passphrases differ; nothing was changed.");
        }

        return passphrase;
    }
}
