namespace Dso.Agent.Providers.Azure;

/// <summary>
/// The current version of one Key Vault secret as a per-secret lookup last returned it, with the list item seen
/// in the same poll. While the list item stays the same, the provider reports this version without a request.
/// </summary>
/// <param name="Listed">The secret's list item in the poll of the lookup; null when the list was not read or did not contain it.</param>
/// <param name="Version">The version id that the lookup returned.</param>
/// <param name="RecheckAt">When the backstop looks the secret up again even though its list item is unchanged.</param>
/// <param name="Unsettled">
/// True when the list item changed in the same second as the list was read (or the second before), so that a later
/// version could carry the same timestamps. Such a secret is looked up again in the next poll.
/// </param>
internal sealed record ConfirmedSecret(ListedSecret? Listed, string Version, DateTimeOffset RecheckAt, bool Unsettled)
{
    /// <summary>True when <paramref name="listed"/> shows no change since the lookup and the backstop is not yet due.</summary>
    public bool StillCurrent(ListedSecret listed, DateTimeOffset now) =>
        !Unsettled && Listed == listed && listed.Enabled == true && now < RecheckAt;
}
