using System.Text;

namespace Dso.Compose.Migration;

/// <summary>One vault entry that migrate creates or reuses. <see cref="ToString"/> never shows the value.</summary>
internal sealed class PlannedSecret
{
    public required string Name { get; init; }

    /// <summary>The value Compose gives the containers today, or null for <see cref="VaultEntryStatus.UseExisting"/>.</summary>
    public required string? Value { get; init; }

    /// <summary>Where the value comes from, such as ".env:3 (DB_PASSWORD)".</summary>
    public required string Source { get; init; }

    /// <summary>The rule that made the value a secret, such as "name" or "--secret API_KEY".</summary>
    public required string Reason { get; init; }

    public required VaultEntryStatus Status { get; set; }

    /// <summary>The service variables that will refer to the entry, such as "db POSTGRES_PASSWORD_FILE (file)".</summary>
    public List<string> Uses { get; } = [];

    public byte[]? Bytes => Value is null ? null : Encoding.UTF8.GetBytes(Value);

    public override string ToString() => $"{Name} from {Source} ({Status})";
}
