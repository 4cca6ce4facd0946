using Dso.Core;

namespace Dso.Compose.Env;

/// <summary>
/// A <c>${VAR:?message}</c> or <c>${VAR?message}</c> reference to a missing variable, or invalid
/// interpolation syntax. The message starts with the location and never contains a variable's value.
/// </summary>
public sealed class InterpolationException : DsoException
{
    internal InterpolationException(string location, string reason, string? variableName)
        : base($"{location}: {reason}")
    {
        Location = location;
        Reason = reason;
        VariableName = variableName;
    }

    /// <summary>Origin of the failing text, as the caller of the interpolator described it.</summary>
    public string Location { get; }

    /// <summary>The message without the location.</summary>
    public string Reason { get; }

    /// <summary>The required variable that is missing, or null for a syntax error.</summary>
    public string? VariableName { get; }
}
