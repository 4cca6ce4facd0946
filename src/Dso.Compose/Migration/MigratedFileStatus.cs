namespace Dso.Compose.Migration;

/// <summary>What migrate does with one migrated file.</summary>
internal enum MigratedFileStatus
{
    /// <summary>The file does not exist yet.</summary>
    Create,

    /// <summary>The file exists with the same content, so nothing is written.</summary>
    Unchanged,

    /// <summary>The file exists with other content, and --force replaces it.</summary>
    Replace,

    /// <summary>The file exists with other content, and without --force the migration stops.</summary>
    Conflict,
}
