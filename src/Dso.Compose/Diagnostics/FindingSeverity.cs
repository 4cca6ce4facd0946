namespace Dso.Compose.Diagnostics;

internal enum FindingSeverity
{
    /// <summary>Something the user should know, which needs no action.</summary>
    Note,

    /// <summary>Something that may need action, while the migration goes ahead.</summary>
    Warning,

    /// <summary>Something that stops the migration (or fails validation) until it is fixed.</summary>
    Error,
}
