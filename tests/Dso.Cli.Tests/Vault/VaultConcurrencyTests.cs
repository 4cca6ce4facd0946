using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;
using Dso.Core.Paths;
using Dso.Vault.Format;
using Dso.Vault.Keys;
using Dso.Vault.Store;
using Xunit.Abstractions;

namespace Dso.Cli.Tests.Vault;

[Collection(ProcessHeavyTests.Name)]
public sealed class VaultConcurrencyTests
{
    private const int Writers = 8;
    private const int SetsPerWriter = 100;

    private readonly ITestOutputHelper _output;

    public VaultConcurrencyTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Set_EightWritersAtOnce_LosesNoUpdate()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        var stopwatch = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(() => RunWriterAsync(home, writer))));

        _output.WriteLine($"{Writers * SetsPerWriter} dso secret set processes, {Writers} at a time, in {stopwatch.Elapsed.TotalSeconds:F1} s");
        DsoResult list = await DsoCli.RunOkAsync(home, ["secret", "list", "--json"]);
        using JsonDocument listing = JsonDocument.Parse(list.StandardOutputBytes);
        string?[] listed = [.. listing.RootElement.GetProperty("secrets").EnumerateArray().Select(secret => secret.GetProperty("name").GetString())];
        Assert.Equal(AllNames().Order(StringComparer.Ordinal), listed);
        Assert.Equal(Writers * SetsPerWriter, listing.RootElement.GetProperty("revision").GetInt64());

        // The values are read in one decryption of the vault the processes wrote, rather than by 800 more processes.
        VaultDocument document = OpenVault(home).Load();
        foreach (string name in AllNames())
        {
            Assert.True(Encoding.UTF8.GetBytes(ValueOf(name)).AsSpan().SequenceEqual(document.Entries[name].Value), $"{name} has a wrong value");
            Assert.Equal(1, document.Entries[name].Version);
        }
    }

    /// <summary>Runs one writer's sets one after another, as a shell loop would.</summary>
    private static async Task RunWriterAsync(TestHome home, int writer)
    {
        for (int key = 0; key < SetsPerWriter; key++)
        {
            string name = NameOf(writer, key);
            await DsoCli.RunOkAsync(home, ["secret", "set", name], Encoding.UTF8.GetBytes(ValueOf(name)));
        }
    }

    private static IEnumerable<string> AllNames() =>
        Enumerable.Range(0, Writers).SelectMany(writer => Enumerable.Range(0, SetsPerWriter).Select(key => NameOf(writer, key)));

    private static string NameOf(int writer, int key) => FormattableString.Invariant($"p{writer}/k{key}");

    private static string ValueOf(string name) => $"value of {name}\n";

    private static VaultStore OpenVault(TestHome home) =>
        new(DsoPaths.FromEnvironment(variable => home.Environment.GetValueOrDefault(variable)), () => new PassphraseKeySource(() => string.Empty), TimeProvider.System);
}
