namespace Dso.Compose.Diagnostics;

/// <summary>A problem or remark about a project, tied to a file and line when there is one. It never contains a value.</summary>
internal sealed record Finding(FindingSeverity Severity, string Code, string Message, string? File = null, int? Line = null)
{
    /// <summary>The file and line as FILE:LINE, the file alone, or an empty string.</summary>
    public string Location
    {
        get
        {
            if (File is null)
            {
                return string.Empty;
            }

            return Line is null ? File : $"{File}:{Line}";
        }
    }

    public override string ToString() => File is null ? Message : $"{Location}: {Message}";
}
