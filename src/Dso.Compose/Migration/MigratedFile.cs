namespace Dso.Compose.Migration;

/// <summary>A rewritten copy of a compose file, written beside the original, which is never modified.</summary>
internal sealed record MigratedFile(string OriginalPath, string OutputPath, string Text, bool HasByteOrderMark, MigratedFileStatus Status);
