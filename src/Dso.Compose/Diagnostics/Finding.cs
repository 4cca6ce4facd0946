namespace Dso.Compose.Diagnostics;

/// <summary>A problem or remark about a project, tied to a file and line when there is one. It never contains a value.</summary>
internal sealed record Finding(FindingSeverity Severity, string Code, string Message, string? File = null, int? Line = null)
{
    public string Location => File is null ? string.Empty : Line is null ? File : $"{File}:{Line}";

    public override string ToString() => File is null ? Message : $"{Location}: {Message}";
}
