using System.Globalization;
using System.Text;

namespace Dso.Agent.Configuration;

/// <summary>
/// Durations as dso.yaml writes them: one or more whole numbers with a unit, largest unit first, each unit at
/// most once: d (days), h, m, s, for example 30s, 5m, 1h30m or 7d.
/// </summary>
internal static class Duration
{
    public const string Accepted = "a whole number with a unit d, h, m or s, largest unit first, such as 30s, 5m, 1h30m or 7d";

    private static readonly (char Unit, TimeSpan Length)[] Units =
    [
        ('d', TimeSpan.FromDays(1)),
        ('h', TimeSpan.FromHours(1)),
        ('m', TimeSpan.FromMinutes(1)),
        ('s', TimeSpan.FromSeconds(1)),
    ];

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text.Length == 0)
        {
            return false;
        }

        int position = 0;
        int nextUnit = 0;
        while (position < text.Length)
        {
            int digitsStart = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }

            if (position == digitsStart || position == text.Length)
            {
                return false;
            }

            int unitIndex = Array.FindIndex(Units, nextUnit, u => u.Unit == text[position]);
            if (unitIndex < 0 || !long.TryParse(text.AsSpan(digitsStart, position - digitsStart), NumberStyles.None, CultureInfo.InvariantCulture, out long count))
            {
                return false;
            }

            try
            {
                duration = checked(duration + TimeSpan.FromTicks(checked(count * Units[unitIndex].Length.Ticks)));
            }
            catch (OverflowException)
            {
                return false;
            }

            nextUnit = unitIndex + 1;
            position++;
        }

        return true;
    }

    /// <summary>Formats a whole number of seconds back into the same notation, such as 1h30m; zero is 0s.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new StringBuilder();
        long remaining = duration.Ticks;
        foreach ((char unit, TimeSpan length) in Units)
        {
            long count = remaining / length.Ticks;
            if (count > 0)
            {
                builder.Append(count.ToString(CultureInfo.InvariantCulture)).Append(unit);
                remaining -= count * length.Ticks;
            }
        }

        return builder.ToString();
    }
}
