using System.Text;
using Dso.Core;

namespace Dso.Cli.Terminal;

/// <summary>Terminal input without echo, for passphrases and secret values typed by hand.</summary>
internal static class Prompt
{
    /// <summary>
    /// Reads one line without echo. Ctrl-C or Ctrl-D aborts with nothing stored, and a paste of several lines is
    /// rejected rather than cut at the first line break.
    /// </summary>
    public static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var builder = new StringBuilder();
        bool treatedAsInput = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        try
        {
            while (true)
            {
                ConsoleKeyInfo key = Console.ReadKey(intercept: true);
                if (key.KeyChar is '\u0003' or '\u0004' || (key.Modifiers.HasFlag(ConsoleModifiers.Control) && key.Key is ConsoleKey.C or ConsoleKey.D))
                {
                    Console.Error.WriteLine();
                    throw new DsoException("Cancelled; nothing was changed.") { ExitCode = 130 };
                }

                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (builder.Length > 0)
                    {
                        builder.Length--;
                    }

                    continue;
                }

                if (!char.IsControl(key.KeyChar))
                {
                    builder.Append(key.KeyChar);
                }
            }

            if (Console.KeyAvailable)
            {
                // More input right after Enter means a paste of several lines; storing only the first would lose data.
                while (Console.KeyAvailable)
                {
                    _ = Console.ReadKey(intercept: true);
                }

                Console.Error.WriteLine();
                throw new DsoException("The input has more than one line; nothing was changed. Pass a multi-line value on standard input instead: dso secret set NAME < file");
            }
        }
        finally
        {
            Console.TreatControlCAsInput = treatedAsInput;
        }

        Console.Error.WriteLine();
        return builder.ToString();
    }
}
