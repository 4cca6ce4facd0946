using System.Text;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Vault;

/// <summary>Readers take no lock, so a rekey running beside them must never make a read fail.</summary>
[Collection(ProcessHeavyTests.Name)]
public sealed class VaultRekeyRaceTests
{
    [Fact]
    public async Task Get_DuringRepeatedRekeys_AlwaysSucceeds()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await DsoCli.SetSecretAsync(home, "app/token", "steady-value");
        using var stop = new CancellationTokenSource();

        Task rekeys = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await DsoCli.RunOkAsync(home, ["vault", "rekey"]);
            }
        });
        var failures = new List<string>();
        for (int i = 0; i < 80; i++)
        {
            DsoResult get = await DsoCli.RunAsync(home, ["secret", "get", "app/token"]);
            if (get.ExitCode != 0 || get.StandardOutput != "steady-value")
            {
                failures.Add(get.ToString());
            }
        }

        await stop.CancelAsync();
        await rekeys;

        Assert.True(failures.Count == 0, $"{failures.Count} of 80 reads failed during rekeys, first: {failures.FirstOrDefault()}");
    }
}
