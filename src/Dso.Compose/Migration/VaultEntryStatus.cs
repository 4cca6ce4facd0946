namespace Dso.Compose.Migration;

/// <summary>What migrate does with one vault entry.</summary>
internal enum VaultEntryStatus
{
    /// <summary>The entry is new and will be created.</summary>
    Create,

    /// <summary>The vault contains the same bytes already, so nothing is written.</summary>
    Unchanged,

    /// <summary>The vault contains different bytes, and --force replaces them.</summary>
    Replace,

    /// <summary>The vault contains different bytes, and without --force the migration stops.</summary>
    Conflict,

    /// <summary>The value is not available (the variable is unset), but the vault has the entry from an earlier run.</summary>
    UseExisting,
}
