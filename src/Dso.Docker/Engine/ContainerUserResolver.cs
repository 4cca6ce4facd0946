using System.Formats.Tar;
using System.Globalization;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Dso.Core;

namespace Dso.Docker.Engine;

/// <summary>
/// Finds the numeric uid and gid a service's container will run as, so that its secret files can be owned by it:
/// the service's user: key, else the image's USER, else root. A user name is looked up in the image's /etc/passwd.
/// </summary>
internal sealed class ContainerUserResolver
{
    private readonly Func<DockerClient> _clientFactory;
    private readonly Action<string> _warn;
    private DockerClient? _client;

    public ContainerUserResolver(Func<DockerClient> clientFactory, Action<string> warn)
    {
        _clientFactory = clientFactory;
        _warn = warn;
    }

    public async Task<(int Uid, int Gid)> ResolveAsync(string service, string? user, string? image, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(user) && image is not null)
        {
            user = await ImageUserAsync(service, image, cancellationToken);
        }

        if (string.IsNullOrEmpty(user))
        {
            return (0, 0);
        }

        string[] parts = user.Split(':', 2);
        int? uid = ParseId(parts[0]);
        int? gid = parts.Length > 1 ? ParseId(parts[1]) : null;
        if (uid is not null && (parts.Length == 1 || gid is not null))
        {
            if (gid is null && image is not null)
            {
                // Docker takes the primary group from the image's /etc/passwd entry for the uid, else group 0.
                gid = (await ReadPasswdAsync(image, cancellationToken))?.FirstOrDefault(entry => entry.Uid == uid).Gid;
            }

            return (uid.Value, gid ?? 0);
        }

        if (parts.Length > 1 && gid is null)
        {
            // NOTE: a group name in user: would need the image's /etc/group; only numeric groups are read.
            throw new DsoException($"Service \"{service}\" runs as user \"{user}\", whose group is a name; dso reads only numeric groups. Write the group as a number (user: \"{parts[0]}:GID\") or give the file secret ?gid=N.");
        }

        if (image is null)
        {
            throw new DsoException($"Service \"{service}\" runs as user \"{user}\", which needs an image to look up. Set a numeric user (uid:gid) or give the file secret ?uid=N&gid=N.");
        }

        IReadOnlyList<(string Name, int Uid, int Gid)>? passwd = await ReadPasswdAsync(image, cancellationToken);
        if (passwd is null)
        {
            throw new DsoException($"Service \"{service}\" runs as user \"{parts[0]}\", but image {image} is not available locally to look that name up. Build or pull it first (for example: docker-compose build {service}), or set a numeric user (uid:gid) or ?uid=N&gid=N on the file secret.");
        }

        (string Name, int Uid, int Gid)[] matches = passwd.Where(entry => entry.Name == parts[0]).Take(1).ToArray();
        if (matches.Length == 0)
        {
            throw new DsoException($"Service \"{service}\" runs as user \"{parts[0]}\", which is not in /etc/passwd of image {image}. Set a numeric user (uid:gid) or give the file secret ?uid=N&gid=N.");
        }

        return (matches[0].Uid, gid ?? matches[0].Gid);
    }

    private DockerClient Client => _client ??= _clientFactory();

    private async Task<string?> ImageUserAsync(string service, string image, CancellationToken cancellationToken)
    {
        try
        {
            ImageInspectResponse inspect = await Client.Images.InspectImageAsync(image, cancellationToken);
            return inspect.Config?.User;
        }
        catch (DockerImageNotFoundException)
        {
            // Compose builds or pulls the image later, so its USER cannot be known yet.
            _warn($"image {image} of service \"{service}\" is not available yet, so its USER is unknown and its secret files are owned by root (0:0). " +
                "If the image runs as another user, set user: on the service or ?uid=N on the dsofile:// reference, or build the image first.");
            return null;
        }
    }

    private async Task<IReadOnlyList<(string Name, int Uid, int Gid)>?> ReadPasswdAsync(string image, CancellationToken cancellationToken)
    {
        CreateContainerResponse created;
        try
        {
            created = await Client.Containers.CreateContainerAsync(
                new CreateContainerParameters { Image = image, Entrypoint = ["/nonexistent"], Labels = new Dictionary<string, string> { ["dso.purpose"] = "passwd-lookup" } },
                cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }

        try
        {
            GetArchiveFromContainerResponse archive = await Client.Containers.GetArchiveFromContainerAsync(
                created.ID, new GetArchiveFromContainerParameters { Path = "/etc/passwd" }, statOnly: false, cancellationToken);
            using Stream stream = archive.Stream;
            using var reader = new TarReader(stream);
            TarEntry? entry = await reader.GetNextEntryAsync(copyData: true, cancellationToken);
            if (entry?.DataStream is null)
            {
                return null;
            }

            using var text = new StreamReader(entry.DataStream, Encoding.UTF8);
            var result = new List<(string, int, int)>();
            while (await text.ReadLineAsync(cancellationToken) is { } line)
            {
                string[] fields = line.Split(':');
                if (fields.Length >= 4 && ParseId(fields[2]) is { } uid && ParseId(fields[3]) is { } gid)
                {
                    result.Add((fields[0], uid, gid));
                }
            }

            return result;
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
        finally
        {
            await Client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
    }

    private static int? ParseId(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int id) ? id : null;
}
