using Dso.Vault.Store;

namespace Dso.Cli.Diagnostics;

/// <summary>
/// The checks of dso doctor: the Docker engine and its API version, Compose v1 or v2, tmpfs for secret files, the
/// vault and key and their permissions, the config file in use, the state and lock directories, and the agent's
/// socket and service. With --fix it repairs permissions and creates missing directories, nothing else, and
/// checks again afterwards.
/// </summary>
internal sealed partial class Doctor
{
    private const UnixFileMode PrivateDirectory = Core.IO.FileModes.PrivateDirectory;
    private const UnixFileMode PrivateFile = Core.IO.FileModes.PrivateFile;
    private const UnixFileMode GroupOrOther = Core.IO.FileModes.GroupOrOther;

    private static readonly TimeSpan EngineTimeout = TimeSpan.FromSeconds(5);

    private readonly CliContext _context;

    public Doctor(CliContext context)
    {
        _context = context;
    }

    public async Task<DoctorReport> RunAsync(bool fix, CancellationToken cancellationToken)
    {
        var report = new DoctorReport();
        report.Checks.Add(await CheckEngineAsync(cancellationToken));
        report.Checks.Add(await CheckComposeAsync(cancellationToken));

        var fileChecks = new List<Func<DoctorCheck>> { CheckSecretFiles, CheckVault, CheckConfig, CheckAgentConfig, () => CheckPrivateDirectory("state_dir", "state", _context.Paths.StateDirectory), () => CheckPrivateDirectory("lock_dir", "lock", _context.Paths.LockDirectory), CheckAgentSocket };
        foreach (Func<DoctorCheck> check in fileChecks)
        {
            DoctorCheck result = check();
            if (fix && result.Repairs.Count > 0)
            {
                int before = report.Changes.Count;
                Repair(result, report);
                result = check() with { Repaired = report.Changes[before..] };
            }

            report.Checks.Add(result);
        }

        report.Checks.Add(await CheckAgentServiceAsync(cancellationToken));
        return report;
    }

    private static void Repair(DoctorCheck check, DoctorReport report)
    {
        foreach (DoctorRepair repair in check.Repairs)
        {
            try
            {
                repair.Apply();
                report.Changes.Add(repair.Description);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                report.FailedRepairs.Add($"{repair.Description}: failed: {exception.Message}");
            }
        }
    }

    private static string Mode(string path) => VaultStore.FormatMode(File.GetUnixFileMode(path));

    /// <summary>Returns a repair that sets <paramref name="path"/> to <paramref name="mode"/>, described as the chmod it runs.</summary>
    private static DoctorRepair Chmod(string path, UnixFileMode mode) =>
        new($"chmod {VaultStore.FormatMode(mode)[1..]} {path} (was {Mode(path)})", () => File.SetUnixFileMode(path, mode));

    /// <summary>Creates a directory and any missing parents, each with mode 0700, since Directory.CreateDirectory gives parents the default mode.</summary>
    private static DoctorRepair CreateDirectory(string path)
    {
        var missing = new List<string>();
        for (string? directory = Path.GetFullPath(path); directory is not null && !Directory.Exists(directory); directory = Path.GetDirectoryName(directory))
        {
            missing.Insert(0, directory);
        }

        return new($"created {string.Join(" and ", missing.DefaultIfEmpty(path))} (mode 0700)", () =>
        {
            foreach (string directory in missing)
            {
                Directory.CreateDirectory(directory, PrivateDirectory);
            }
        });
    }
}
