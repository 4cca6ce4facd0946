namespace Dso.Agent.Api;

/// <summary>
/// Allows root and members of one group (dso by default) to use the agent's API. Membership counts the peer's
/// effective group at connect time, the user's primary group and the user's supplementary groups from the
/// user database.
/// </summary>
internal sealed class PeerAuthorizer(string groupName)
{
    public string GroupName { get; } = groupName;

    public PeerDecision Authorize(PeerCredentials peer)
    {
        if (peer.Uid == 0)
        {
            return new PeerDecision(peer, Allowed: true, "root", Reason: null);
        }

        (string Name, uint PrimaryGroupId)? user = UnixAccounts.FindUser(peer.Uid);
        string peerName = user is { } found ? $"uid {peer.Uid} ({found.Name})" : $"uid {peer.Uid}";
        uint? groupId = UnixAccounts.FindGroupId(GroupName);
        if (groupId is null)
        {
            return new PeerDecision(peer, Allowed: false, user?.Name,
                $"{peerName} is not root, and the group '{GroupName}' does not exist on this host. Run 'dso bootstrap agent' to create the group, then add the user to it.");
        }

        if (IsMember(peer, user, groupId.Value))
        {
            return new PeerDecision(peer, Allowed: true, user?.Name, Reason: null);
        }

        string fix = user is { } named
            ? $"Add the user to the group with 'sudo usermod -aG {GroupName} {named.Name}', log in again, and retry."
            : $"Run the command as a user in the group '{GroupName}', or as root.";
        return new PeerDecision(peer, Allowed: false, user?.Name, $"{peerName} is not root and not in the group '{GroupName}'. {fix}");
    }

    private static bool IsMember(PeerCredentials peer, (string Name, uint PrimaryGroupId)? user, uint groupId)
    {
        if (peer.Gid == groupId)
        {
            return true;
        }

        if (user is not { } known)
        {
            return false;
        }

        return known.PrimaryGroupId == groupId || UnixAccounts.GroupsOf(known.Name, known.PrimaryGroupId).Contains(groupId);
    }
}
