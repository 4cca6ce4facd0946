using System.Text;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Vault;

public sealed class SecretCommandTests
{
    [Fact]
    public async Task SetThenGet_PemKeyWithTrailingNewline_ReturnsSameBytes()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        byte[] pem = Encoding.UTF8.GetBytes("-----BEGIN PRIVATE KEY-----\n  MIIB\tindented \n-----END PRIVATE KEY-----\n\n");

        await DsoCli.RunOkAsync(home, ["secret", "set", "app/tls/key"], pem);
        DsoResult get = await DsoCli.RunOkAsync(home, ["secret", "get", "app/tls/key"]);

        Assert.Equal(pem, get.StandardOutputBytes);
    }
}
