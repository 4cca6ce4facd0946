using Dso.Agent.Configuration;

namespace Dso.Agent.Tests.Configuration;

public sealed class AgentConfigLoaderTests
{
    private const string File = "/srv/dso/dso.yaml";

    /// <summary>Lines 1-5.</summary>
    private const string LocalProvider = "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /var/lib/dso/vault.enc\n";

    /// <summary>Lines 1-11: the local provider and secret db, targeting container web.</summary>
    private const string Secret = LocalProvider + "secrets:\n  db:\n    provider: main\n    path: app/db\n    targets:\n      containers: [web]\n";

    /// <summary>Secret plus "rotation:" on line 12; the given keys start on line 13.</summary>
    private static string Rotation(string keys) => Secret + "    rotation:\n" + keys;

    /// <summary>Secret plus "inject:" on line 12; the given keys start on line 13.</summary>
    private static string Inject(string keys) => Secret + "    inject:\n" + keys;

    /// <summary>A vault provider named v on lines 3-4; the given keys start on line 5.</summary>
    private static string Vault(string keys) => "mode: agent\nproviders:\n  v:\n    type: vault\n" + keys;

    private const string VaultAuth = "    address: https://vault.example.com:8200\n    auth:\n      method: token\n      token: t0ken\n";

    /// <summary>Secret plus "agent:" on line 12; the given keys start on line 13.</summary>
    private static string Agent(string keys) => Secret + "agent:\n" + keys;

    public static TheoryData<string, string> InvalidConfigs => new()
    {
        { "", $"{File}:1: is empty; an agent-mode config needs at least mode: agent" },
        { "mode: agent\n---\nmode: agent\n", $"{File}:1: holds more than one YAML document" },
        { "mode: agent\nmode: agent\n", $"{File}:2: invalid YAML:" },
        { "- mode\n", $"{File}:1: must be a mapping of keys to values" },
        { "mode: agent\n", $"{File}:1: providers: is required" },
        { "providers:\n  main:\n    type: local\n    vault_path: /x\n", $"{File}:1: mode: is required (write mode: agent as the first line)." },
        { LocalProvider.Replace("mode: agent", "mode: agnet", StringComparison.Ordinal), $"{File}:1: mode: must be agent (or local, for local mode's own file), not \"agnet\"." },
        { LocalProvider + "secret:\n", $"{File}:6: secret: unknown key; accepted keys here: mode, providers, secrets, agent. Remove it or correct its spelling." },
        { "mode: agent\nproviders:\n", $"{File}:2: providers: is empty; name at least one provider" },
        { "mode: agent\nproviders:\n  main:\n    type: gcp\n", $"{File}:4: providers.main.type: must be one of local, vault, aws, azure, not \"gcp\"." },
        { "mode: agent\nproviders:\n  main:\n    vault_path: /x\n", $"{File}:3: providers.main.type: is required (local, vault, aws, azure)." },
        { "mode: agent\nproviders:\n  main: local\n", $"{File}:3: providers.main: must be a mapping" },
        { "mode: agent\nproviders:\n  main:\n", $"{File}:3: providers.main.type: is required (local, vault, aws, azure)." },
        { LocalProvider + "secrets:\n  db:\n", $"{File}:7: secrets.db.provider: is required" },
        { "mode: agent\nproviders:\n  -bad:\n    type: local\n    vault_path: /x\n", $"{File}:3: providers.-bad: is not a valid provider name" },
        { LocalProvider + "    region: us-east-1\n", $"{File}:6: providers.main.region: unknown key for a provider of type local; accepted keys here: type, vault_path." },
        { "mode: agent\nproviders:\n  main:\n    type: local\n", $"{File}:3: providers.main.vault_path: is required" },
        { "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: vault.enc\n", $"{File}:5: providers.main.vault_path: must be an absolute path (starting with /), not \"vault.enc\"." },
        { Vault("    address: https://vault.example.com:8200\n"), $"{File}:3: providers.v.auth: is required" },
        { Vault("    auth:\n      method: token\n      token: t\n"), $"{File}:3: providers.v.address: is required" },
        { Vault("    address: vault:8200\n    auth:\n      method: token\n      token: t\n"), $"{File}:5: providers.v.address: must be an absolute http or https URL" },
        { Vault("    address: https://${VAULT_HOST}:8200\n    auth:\n      method: token\n      token: t\n"), $"{File}:5: providers.v.address: contains \"${{\", but ${{VAR}} is expanded only in credential keys" },
        { Vault(VaultAuth.Replace("method: token", "method: ldap", StringComparison.Ordinal)), $"{File}:7: providers.v.auth.method: must be one of token, approle, not \"ldap\"." },
        { Vault(VaultAuth + "      role_id: r\n"), $"{File}:9: providers.v.auth.role_id: does not apply to method token, which uses token. Remove it." },
        { Vault("    address: https://vault.example.com:8200\n    auth:\n      method: approle\n      role_id: r\n"), $"{File}:6: providers.v.auth.secret_id: is required" },
        { Vault("    address: https://vault.example.com:8200\n    auth:\n      method: token\n      token: t\n      password: p\n"), $"{File}:9: providers.v.auth.password: unknown key; accepted keys here: method, token, role_id, secret_id, mount." },
        { Vault(VaultAuth + "    tls_skip_verify: yes\n"), $"{File}:9: providers.v.tls_skip_verify: must be true or false, not \"yes\"." },
        { Vault(VaultAuth + "    mount: /\n"), $"{File}:9: providers.v.mount: must name the KV mount" },
        { Vault(VaultAuth + "    kv_version: 3\n"), $"{File}:9: providers.v.kv_version: must be one of auto, 1, 2, not \"3\"." },
        { Vault(VaultAuth + "      mount: approle\n"), $"{File}:9: providers.v.auth.mount: does not apply to method token, which uses token. Remove it." },
        { Vault(VaultAuth + "    ca_file: ca.crt\n"), $"{File}:9: providers.v.ca_file: must be an absolute path" },
        { "mode: agent\nproviders:\n  a:\n    type: aws\n    region: US-EAST-1\n", $"{File}:5: providers.a.region: must be an AWS region code such as us-east-1" },
        { "mode: agent\nproviders:\n  a:\n    type: aws\n    region: us-east-1\n    endpoint: localhost\n", $"{File}:6: providers.a.endpoint: must be an absolute http or https URL" },
        { "mode: agent\nproviders:\n  a:\n    type: aws\n    sts_endpoint: http://sts.internal.example:8080/\n", $"{File}:5: providers.a.sts_endpoint: must be an https URL such as https://sts.eu-central-1.amazonaws.com (http only on a loopback address or localhost)" },
        { "mode: agent\nproviders:\n  a:\n    type: aws\n    sts_endpoint: https://user:pw@sts.example/\n", $"{File}:5: providers.a.sts_endpoint: must not contain user information (\"https://***@sts.example/\")" },
        { "mode: agent\nproviders:\n  a:\n    type: aws\n    sts_endpoint: sts.example\n", $"{File}:5: providers.a.sts_endpoint: must be an absolute http or https URL such as https://sts.eu-central-1.amazonaws.com" },
        { "mode: agent\nproviders:\n  a:\n    type: aws\n    endpoint: http://10.0.0.1:8080/\n", $"{File}:5: providers.a.endpoint: must be an https URL such as https://secretsmanager.eu-central-1.amazonaws.com (http only on a loopback address or localhost)" },
        { "mode: agent\nproviders:\n  a:\n    type: aws\n    endpoint: http://user:pw@127.0.0.1:8080/\n", $"{File}:5: providers.a.endpoint: must not contain user information (\"http://***@127.0.0.1:8080/\")" },
        { "mode: agent\nproviders:\n  v:\n    type: vault\n    address: https://root:hunter2@vault.example:8200\n", $"{File}:5: providers.v.address: must not contain user information (\"https://***@vault.example:8200\")" },
        { "mode: agent\nproviders:\n  kv:\n    type: azure\n    vault_url: https://kv.vault.azure.net/?sig=S3cr3t\n", $"{File}:5: providers.kv.vault_url: must be the key vault's base URL, such as https://my-vault.vault.azure.net/, without a path, query or fragment; not \"https://kv.vault.azure.net/...\"." },
        { "mode: agent\nproviders:\n  kv:\n    type: azure\n    vault_url: https://kv.vault.azure.net/some/path\n", $"{File}:5: providers.kv.vault_url: must be the key vault's base URL" },
        { Vault("    address: http://vault.internal:8200\n    auth:\n      method: token\n      token: t\n"), $"{File}:5: providers.v.address: must be an https URL such as https://vault.example.com:8200 (http only on a loopback address or localhost), not \"http://vault.internal:8200\", because Vault returns tokens and secret values." },
        { "mode: agent\nproviders:\n  z:\n    type: azure\n    vault_url: https://v.vault.azure.net/\n    tenant_id: t\n    client_id: c\n", $"{File}:3: providers.z.client_secret: is required" },
        { "mode: agent\nproviders:\n  z:\n    type: azure\n    vault_url: https://v.vault.azure.net/\n    managed_identity: true\n    client_secret: s\n", $"{File}:7: providers.z.client_secret: does not apply with managed_identity: true" },
        { "mode: agent\nproviders:\n  z:\n    type: azure\n    vault_url: http://v.vault.azure.net/\n    managed_identity: true\n", $"{File}:5: providers.z.vault_url: must be an absolute https URL" },
        { "mode: agent\nproviders:\n  z:\n    type: azure\n    managed_identity: true\n", $"{File}:3: providers.z.vault_url: is required" },
        { Secret.Replace("provider: main", "provider: nope", StringComparison.Ordinal), $"{File}:8: secrets.db.provider: names the provider \"nope\", which is not under providers (declared: main)." },
        { Secret.Replace("    path: app/db\n", "", StringComparison.Ordinal), $"{File}:7: secrets.db.path: is required" },
        { Secret.Replace("    provider: main\n", "", StringComparison.Ordinal), $"{File}:7: secrets.db.provider: is required" },
        { LocalProvider + "secrets:\n  db:\n    provider: main\n    path: app/db\n", $"{File}:7: secrets.db.targets: is required" },
        { LocalProvider + "secrets:\n  db:\n    provider: main\n    path: app/db\n    targets: {}\n", $"{File}:10: secrets.db.targets: selects no container; give at least one of containers, labels or compose." },
        { LocalProvider + "secrets: [db]\n", $"{File}:6: secrets: must be a mapping" },
        { LocalProvider + "secrets:\n  db/pass:\n    provider: main\n", $"{File}:7: secrets.db/pass: is not a valid secret name" },
        { Secret + "    version: 3\n", $"{File}:12: secrets.db.version: unknown key; accepted keys here: provider, path, key, key_path, inject, targets, rotation." },
        { Secret + "    key: password\n    key_path: [db, password]\n", $"{File}:13: secrets.db.key_path: cannot be combined with key. Use key for one top-level key taken literally" },
        { Secret + "    key_path: db.password\n", $"{File}:12: secrets.db.key_path: must be a list of keys from the outermost in, such as [db, password]" },
        { Secret + "    key_path: []\n", $"{File}:12: secrets.db.key_path: is an empty list" },
        { Secret + "    key_path: [db, '']\n", $"{File}:12: secrets.db.key_path[1]: is empty" },
        { Secret.Replace("containers: [web]", "containers: web", StringComparison.Ordinal), $"{File}:11: secrets.db.targets.containers: must be a list" },
        { Secret.Replace("containers: [web]", "containers: [web, '']", StringComparison.Ordinal), $"{File}:11: secrets.db.targets.containers[1]: is empty" },
        { Secret.Replace("containers: [web]", "labels:\n        app:", StringComparison.Ordinal), $"{File}:12: secrets.db.targets.labels.app: is empty" },
        { Secret.Replace("containers: [web]", "compose:\n        service: db", StringComparison.Ordinal), $"{File}:11: secrets.db.targets.compose.project: is required" },
        { Inject("      as: socket\n"), $"{File}:13: secrets.db.inject.as: must be one of file, env, not \"socket\"." },
        { Inject("      as: env\n"), $"{File}:12: secrets.db.inject.env: is required (as: env needs the variable's name, such as env: DB_PASSWORD)." },
        { Inject("      as: env\n      env: DB_PASSWORD\n      path: /run/x\n"), $"{File}:15: secrets.db.inject.path: applies to as: file only" },
        { Inject("      as: env\n      env: 1DB\n"), $"{File}:14: secrets.db.inject.env: must be an environment variable name" },
        { Inject("      mode: 0800\n"), $"{File}:13: secrets.db.inject.mode: must be an octal file mode from 0400 to 0777 that lets the owner read, such as 0400 or 0440, not \"0800\"." },
        { Inject("      mode: \"0044\"\n"), $"{File}:13: secrets.db.inject.mode: must be an octal file mode" },
        { Inject("      mode: 01400\n"), $"{File}:13: secrets.db.inject.mode: must be an octal file mode" },
        { Inject("      path: secrets/db\n"), $"{File}:13: secrets.db.inject.path: must be an absolute path" },
        { Inject("      uid: -1\n"), $"{File}:13: secrets.db.inject.uid: must be a whole number from 0 to 2147483647, not \"-1\"." },
        { Inject("      gid: app\n"), $"{File}:13: secrets.db.inject.gid: must be a whole number" },
        { Rotation("      strategy: blue-green\n"), $"{File}:13: secrets.db.rotation.strategy: must be one of rolling, restart, signal, none, not \"blue-green\"." },
        { Rotation("      signal: SIGHUP\n"), $"{File}:13: secrets.db.rotation.signal: applies to strategy signal only, but the strategy is restart." },
        { Rotation("      strategy: signal\n      signal: SIGFOO\n"), $"{File}:14: secrets.db.rotation.signal: must be one of SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGWINCH, SIGCONT (the SIG prefix may be left out), not \"SIGFOO\"." },
        { Rotation("      strategy: signal\n      signal: SIGKILL\n"), $"{File}:14: secrets.db.rotation.signal: must be one of SIGHUP" },
        { Rotation("      strategy: signal\n      signal: sighup\n"), $"{File}:14: secrets.db.rotation.signal: must be one of SIGHUP" },
        { Rotation("      health_timeout: 5 minutes\n"), $"{File}:13: secrets.db.rotation.health_timeout: \"5 minutes\" is not a duration; write a whole number with a unit d, h, m or s, largest unit first, such as 30s, 5m, 1h30m or 7d." },
        { Rotation("      health_timeout: 0s\n"), $"{File}:13: secrets.db.rotation.health_timeout: must be at least 1s, not 0s." },
        { Rotation("      strategy: signal\n      health_timeout: 30s\n"), $"{File}:14: secrets.db.rotation.health_timeout: applies to strategies rolling and restart only" },
        { Rotation("      strategy: none\n      probe:\n        tcp: 80\n"), $"{File}:14: secrets.db.rotation.probe: applies to strategies rolling and restart only" },
        { Rotation("      debounce: soon\n"), $"{File}:13: secrets.db.rotation.debounce: \"soon\" is not a duration" },
        { Rotation("      cooldown: 1m30\n"), $"{File}:13: secrets.db.rotation.cooldown: \"1m30\" is not a duration" },
        { Rotation("      probe:\n        tcp: 80\n        http: /healthz\n"), $"{File}:13: secrets.db.rotation.probe: has both tcp and http" },
        { Rotation("      probe: {}\n"), $"{File}:13: secrets.db.rotation.probe: needs tcp: PORT or http: /PATH with port: PORT." },
        { Rotation("      probe:\n        http: /healthz\n"), $"{File}:13: secrets.db.rotation.probe.port: is required" },
        { Rotation("      probe:\n        tcp: 70000\n"), $"{File}:14: secrets.db.rotation.probe.tcp: must be a whole number from 1 to 65535, not \"70000\"." },
        { Rotation("      probe:\n        tcp: 80\n        port: 80\n"), $"{File}:15: secrets.db.rotation.probe.port: applies to http probes only" },
        { Rotation("      probe:\n        http: healthz\n        port: 8080\n"), $"{File}:14: secrets.db.rotation.probe.http: must be a URL path starting with /" },
        { Rotation("      probe:\n        udp: 53\n"), $"{File}:14: secrets.db.rotation.probe.udp: unknown key; accepted keys here: tcp, http, port." },
        { Agent("  poll_interval: 0s\n"), $"{File}:13: agent.poll_interval: must be at least 1s, not 0s." },
        { Agent("  poll_interval: 30\n"), $"{File}:13: agent.poll_interval: \"30\" is not a duration" },
        { Agent("  state:\n    directory: state\n"), $"{File}:14: agent.state.directory: must be an absolute path" },
        { Agent("  state:\n    retention: forever\n"), $"{File}:14: agent.state.retention: \"forever\" is not a duration" },
        { Agent("  state: [a]\n"), $"{File}:13: agent.state: must be a mapping" },
        { Agent("  locks:\n    stale_after: 30\n"), $"{File}:14: agent.locks.stale_after: \"30\" is not a duration" },
        { Agent("  locks:\n    timeout: 30m\n"), $"{File}:14: agent.locks.timeout: unknown key; accepted keys here: directory, stale_after." },
        { Agent("  api:\n    address: localhost:8471\n"), $"{File}:14: agent.api.address: must be an IP address and port such as 127.0.0.1:8471 or [::1]:8471, not \"localhost:8471\"." },
        { Agent("  api:\n    address: 127.0.0.1\n"), $"{File}:14: agent.api.address: must be an IP address and port" },
        { Agent("  api:\n    address: ::1:8471\n"), $"{File}:14: agent.api.address: must be an IP address and port" },
        { Agent($"  socket: /run/{new string('s', 110)}.sock\n"), $"{File}:13: agent.socket: is longer than the 107 bytes a unix socket path may have" },
        { Agent("  socket: dso.sock\n"), $"{File}:13: agent.socket: must be an absolute path" },
        { Agent("  pollinterval: 30s\n"), $"{File}:13: agent.pollinterval: unknown key; accepted keys here: poll_interval, state, locks, api, socket." },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigs))]
    public void Parse_InvalidConfig_ReportsFileLineKeyAndAcceptedValues(string yaml, string expectedMessage)
    {
        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        Assert.Contains(exception.Errors, error => error.StartsWith(expectedMessage, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("address: https://root:hunter2@vault.example:8200")]
    [InlineData("address: ftp://root:hunter2@vault.example/")]
    public void Parse_UrlWithPassword_NeverQuotesIt(string line)
    {
        string yaml = $"mode: agent\nproviders:\n  v:\n    type: vault\n    {line}\n";

        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        Assert.Contains(exception.Errors, error => error.Contains("providers.v.address", StringComparison.Ordinal));
        Assert.DoesNotContain("hunter2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownProvider_ListsDeclaredNames()
    {
        string yaml = "mode: agent\nproviders:\n  a1:\n    type: aws\n    region: nowhere\n  v1:\n    type: vault\n" +
            "secrets:\n  s1:\n    provider: ghost\n    path: app/s1\n    targets:\n      containers: [web]\n";

        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        Assert.Contains(exception.Errors, error => error.Contains("names the provider \"ghost\", which is not under providers (declared: a1, v1)", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MinimalConfig_FillsDefaults()
    {
        AgentConfig config = Parse(Secret);

        Assert.Equal(TimeSpan.FromSeconds(30), config.Agent.PollInterval);
        Assert.Equal("/var/lib/dso/state", config.Agent.StateDirectory);
        Assert.Equal(TimeSpan.FromDays(7), config.Agent.Retention);
        Assert.Equal("/var/lib/dso/locks", config.Agent.LockDirectory);
        Assert.Equal(TimeSpan.FromMinutes(30), config.Agent.StaleAfter);
        Assert.Equal("127.0.0.1:8471", config.Agent.ApiAddress);
        Assert.Equal("/run/dso/dso.sock", config.Agent.SocketPath);
        SecretConfig secret = config.Secrets["db"];
        Assert.Equal(InjectMode.File, secret.Inject.As);
        Assert.Equal("/run/secrets/dso/db", secret.Inject.FilePath);
        Assert.Equal(UnixFileMode.UserRead, secret.Inject.FileMode);
        Assert.Null(secret.Inject.Uid);
        Assert.Null(secret.Key);
        Assert.Equal(RotationStrategy.Restart, secret.Rotation.Strategy);
        Assert.Equal(TimeSpan.FromSeconds(60), secret.Rotation.HealthTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), secret.Rotation.Debounce);
        Assert.Equal(TimeSpan.FromSeconds(60), secret.Rotation.Cooldown);
        Assert.Null(secret.Rotation.Signal);
        Assert.Null(secret.Rotation.Probe);
        Assert.Equal(["web"], secret.Targets.Containers);
    }

    [Fact]
    public void Parse_NoSecrets_IsValid()
    {
        AgentConfig config = Parse(LocalProvider + "secrets:\n");

        Assert.Empty(config.Secrets);
        Assert.Equal("/var/lib/dso/vault.enc", Assert.IsType<LocalProviderConfig>(config.Providers["main"]).VaultPath);
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsEveryOne()
    {
        string yaml = Rotation("      strategy: blue\n      debounce: soon\n") + "agent:\n  poll_interval: 0s\n";

        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        Assert.Equal(3, exception.Errors.Count);
        Assert.Contains($"{File} has 3 errors:", exception.Message, StringComparison.Ordinal);
        Assert.Contains("secrets.db.rotation.strategy", exception.Errors[0], StringComparison.Ordinal);
        Assert.Contains("secrets.db.rotation.debounce", exception.Errors[1], StringComparison.Ordinal);
        Assert.Contains("agent.poll_interval", exception.Errors[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ProblemsAnywhere_ReportedInLineOrder()
    {
        string yaml = "mode: agent\n" +
            "secrets:\n  db:\n    provider: main\n    path: app/db\n    targets:\n      containers: [web]\n    rotation:\n      strategy: blue\n" +
            "agent:\n  poll_interval: 0s\n" +
            "providers:\n  main:\n    type: local\n    vault_path: relative/vault.enc\n";

        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        Assert.Equal(3, exception.Errors.Count);
        Assert.StartsWith($"{File}:9: secrets.db.rotation.strategy", exception.Errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"{File}:11: agent.poll_interval", exception.Errors[1], StringComparison.Ordinal);
        Assert.StartsWith($"{File}:15: providers.main.vault_path", exception.Errors[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeyWithDot_IsTakenLiterally()
    {
        AgentConfig config = Parse(Secret + "    key: tls.crt\n");

        Assert.Equal("tls.crt", config.Secrets["db"].Key);
    }

    [Fact]
    public void Parse_KeyPath_KeepsSegmentsAsWritten()
    {
        AgentConfig config = Parse(Secret + "    key_path: [tls.files, crt, 0]\n");

        Assert.Equal(["tls.files", "crt", "0"], config.Secrets["db"].KeyPath);
        Assert.Null(config.Secrets["db"].Key);
    }

    [Fact]
    public void Parse_NoKey_SelectsWholeValue()
    {
        AgentConfig config = Parse(Secret);

        Assert.Null(config.Secrets["db"].Key);
        Assert.Null(config.Secrets["db"].KeyPath);
    }

    [Fact]
    public void Parse_SignalStrategy_DefaultsToSighupAndNormalizesNames()
    {
        AgentConfig defaulted = Parse(Rotation("      strategy: signal\n"));
        AgentConfig shortName = Parse(Rotation("      strategy: signal\n      signal: USR1\n"));

        Assert.Equal("SIGHUP", defaulted.Secrets["db"].Rotation.Signal);
        Assert.Equal("SIGUSR1", shortName.Secrets["db"].Rotation.Signal);
    }

    [Fact]
    public void Parse_FileModeAsWritten_IsOctal()
    {
        AgentConfig plain = Parse(Inject("      mode: 0440\n"));
        AgentConfig quoted = Parse(Inject("      mode: \"640\"\n"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead, plain.Secrets["db"].Inject.FileMode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, quoted.Secrets["db"].Inject.FileMode);
    }

    [Fact]
    public void Parse_EnvInjection_HasNoFilePath()
    {
        AgentConfig config = Parse(Inject("      as: env\n      env: DB_PASSWORD\n"));

        InjectConfig inject = config.Secrets["db"].Inject;
        Assert.Equal(InjectMode.Env, inject.As);
        Assert.Equal("DB_PASSWORD", inject.EnvironmentVariable);
        Assert.Null(inject.FilePath);
    }

    [Fact]
    public void Parse_Probes_ReadPortAndPath()
    {
        AgentConfig tcp = Parse(Rotation("      strategy: rolling\n      probe:\n        tcp: 5432\n"));
        AgentConfig http = Parse(Rotation("      strategy: rolling\n      probe:\n        http: /healthz\n        port: 8080\n"));

        Assert.Equal(new ProbeConfig { Port = 5432 }, tcp.Secrets["db"].Rotation.Probe);
        Assert.Equal(new ProbeConfig { Port = 8080, HttpPath = "/healthz" }, http.Secrets["db"].Rotation.Probe);
    }

    [Fact]
    public void Parse_CredentialWithSetVariable_IsExpanded()
    {
        var environment = new Dictionary<string, string> { ["VAULT_TOKEN"] = "s.abc", ["VAULT_SECRET_ID"] = "sid" };
        string yaml = Vault("    address: https://vault.example.com:8200\n    auth:\n      method: token\n      token: ${VAULT_TOKEN}\n");
        string approle = Vault("    address: https://vault.example.com:8200\n    auth:\n      method: approle\n      role_id: ${VAULT_ROLE_ID:-fixed-role}\n      secret_id: prefix-$VAULT_SECRET_ID\n");

        var token = Assert.IsType<VaultProviderConfig>(Parse(yaml, environment).Providers["v"]);
        var role = Assert.IsType<VaultProviderConfig>(Parse(approle, environment).Providers["v"]);

        Assert.Equal("s.abc", token.Auth.Token);
        Assert.Equal("fixed-role", role.Auth.RoleId);
        Assert.Equal("prefix-sid", role.Auth.SecretId);
    }

    [Fact]
    public void Parse_VaultKvVersionAndAppRoleMount_AreRead()
    {
        string auto = Vault(VaultAuth);
        string pinned = Vault(VaultAuth + "    kv_version: 1\n");
        string approle = Vault("    address: https://vault.example.com:8200\n    auth:\n      method: approle\n      role_id: r\n      secret_id: s\n      mount: /ci-approle/\n");

        var autoConfig = Assert.IsType<VaultProviderConfig>(Parse(auto).Providers["v"]);
        var pinnedConfig = Assert.IsType<VaultProviderConfig>(Parse(pinned).Providers["v"]);
        var approleConfig = Assert.IsType<VaultProviderConfig>(Parse(approle).Providers["v"]);

        Assert.Null(autoConfig.KvVersion);
        Assert.Equal(VaultAuthConfig.DefaultAppRoleMount, autoConfig.Auth.AppRoleMount);
        Assert.Equal(1, pinnedConfig.KvVersion);
        Assert.Equal("ci-approle", approleConfig.Auth.AppRoleMount);
    }

    [Fact]
    public void Parse_CredentialWithUnsetVariable_FailsNamingIt()
    {
        string yaml = "mode: agent\nproviders:\n  z:\n    type: azure\n    vault_url: https://v.vault.azure.net/\n    tenant_id: ${AZURE_TENANT_ID}\n    client_id: ${AZURE_CLIENT_ID}\n    client_secret: ${AZURE_CLIENT_SECRET}\n";
        var environment = new Dictionary<string, string> { ["AZURE_CLIENT_ID"] = "app" };

        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml, environment));

        Assert.Equal(2, exception.Errors.Count);
        Assert.StartsWith($"{File}:6: providers.z.tenant_id: refers to the environment variable AZURE_TENANT_ID, which is not set.", exception.Errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"{File}:8: providers.z.client_secret: refers to the environment variable AZURE_CLIENT_SECRET, which is not set.", exception.Errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CredentialExpandingToEmpty_Fails()
    {
        string yaml = Vault("    address: https://vault.example.com:8200\n    auth:\n      method: token\n      token: ${VAULT_TOKEN}\n");

        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml, new Dictionary<string, string> { ["VAULT_TOKEN"] = "" }));

        Assert.StartsWith($"{File}:8: providers.v.auth.token: is empty after ${{VAR}} expansion", exception.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CredentialWithRequiredVariableMessage_ReportsInterpolatorMessage()
    {
        string yaml = Vault("    address: https://vault.example.com:8200\n    auth:\n      method: token\n      token: ${VAULT_TOKEN:?set the token}\n");

        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        Assert.StartsWith($"{File}:8: providers.v.auth.token: ", exception.Errors.Single(), StringComparison.Ordinal);
        Assert.Contains("set the token", exception.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnsetVariableWithoutRequirement_IsListed()
    {
        string yaml = Vault("    address: https://vault.example.com:8200\n    auth:\n      method: token\n      token: ${VAULT_TOKEN}\n");
        var options = new AgentConfigLoadOptions { Environment = _ => null, RequireVariables = false };

        AgentConfig config = AgentConfigLoader.Parse(File, yaml, options);

        Assert.Equal(["VAULT_TOKEN"], config.UnsetVariables);
        Assert.Equal("${VAULT_TOKEN}", Assert.IsType<VaultProviderConfig>(config.Providers["v"]).Auth.Token);
    }

    [Fact]
    public void Parse_CredentialValue_NeverAppearsInMessagesOrToString()
    {
        const string token = "s.very-secret-token";
        string yaml = Vault($"    address: https://vault.example.com:8200\n    auth:\n      method: token\n      token: {token}\n      role_id: r\n");
        string valid = Vault(VaultAuth.Replace("t0ken", token, StringComparison.Ordinal));

        var exception = Assert.Throws<AgentConfigException>(() => Parse(yaml));
        var provider = Assert.IsType<VaultProviderConfig>(Parse(valid).Providers["v"]);

        Assert.DoesNotContain(token, exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, provider.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LocalModeUnderEtc_FailsNamingFileAndMode()
    {
        const string yaml = "mode: local\n";

        var exception = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse("/etc/dso/dso.yaml", yaml, Options()));

        Assert.StartsWith("/etc/dso/dso.yaml:1: mode: is \"local\", but /etc/dso/dso.yaml is in agent mode's place under /etc.", exception.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LocalModeUnderEtcOverride_FailsNamingFileAndMode()
    {
        var options = Options() with { EtcDirectory = "/tmp/root/etc/dso" };

        var exception = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse("/tmp/root/etc/dso/dso.yaml", "mode: local\n", options));

        Assert.StartsWith("/tmp/root/etc/dso/dso.yaml:1: mode: is \"local\", but /tmp/root/etc/dso/dso.yaml is in agent mode's place", exception.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AgentModeAsLocalHomeConfig_FailsNamingFileAndMode()
    {
        var options = Options() with { LocalModeConfigPath = "/home/ann/.dso/dso.yaml" };

        var exception = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse("/home/ann/.dso/dso.yaml", LocalProvider, options));

        Assert.StartsWith("/home/ann/.dso/dso.yaml:1: mode: is \"agent\", but /home/ann/.dso/dso.yaml is local mode's config file. Move an agent-mode config to /etc/dso/dso.yaml.", exception.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AwsProviderWithoutRegion_LeavesRegionToEnvironment()
    {
        AgentConfig config = Parse("mode: agent\nproviders:\n  a:\n    type: aws\n    profile: dso\n");

        var provider = Assert.IsType<AwsProviderConfig>(config.Providers["a"]);
        Assert.Null(provider.Region);
        Assert.Equal("dso", provider.Profile);
    }

    [Theory]
    [InlineData("https://vpce-0abc-sts.eu-central-1.vpce.amazonaws.com")]
    [InlineData("http://127.0.0.1:4566/")]
    [InlineData("http://localhost:4566/")]
    public void Parse_AwsStsEndpoint_Accepted(string url)
    {
        AgentConfig config = Parse($"mode: agent\nproviders:\n  a:\n    type: aws\n    region: eu-central-1\n    sts_endpoint: {url}\n");

        var provider = Assert.IsType<AwsProviderConfig>(config.Providers["a"]);
        Assert.Equal(new Uri(url), provider.StsEndpoint);
    }

    [Fact]
    public void Load_FileOnDisk_ReportsItsPath()
    {
        string directory = Directory.CreateTempSubdirectory("dso-config-").FullName;
        try
        {
            string path = Path.Combine(directory, "dso.yaml");
            System.IO.File.WriteAllText(path, "mode: agent\nproviders:\n  main:\n    type: nope\n");

            var exception = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Load(path, Options()));

            Assert.StartsWith($"{path}:4: providers.main.type: must be one of", exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static AgentConfigLoadOptions Options(IReadOnlyDictionary<string, string>? environment = null) =>
        new() { Environment = name => environment?.GetValueOrDefault(name) };

    private static AgentConfig Parse(string yaml, IReadOnlyDictionary<string, string>? environment = null) =>
        AgentConfigLoader.Parse(File, yaml, Options(environment));
}
