using System.Text;
using Dso.Compose.Diagnostics;
using Dso.Compose.Migration;

namespace Dso.Compose.Tests.Migration;

public sealed class MigrationPlannerTests
{
    private const string ShopEnv = """
        # database
        POSTGRES_USER=app
        DB_PASSWORD=s3cr3t-Pa55
        API_TOKEN="tok_abc 123"
        APP_PORT=8080
        DATABASE_URL=postgres://app:s3cr3t-Pa55@db:5432/app

        """;

    private const string ShopCompose = """
        # Shop stack: a database, an API and a worker.
        x-db-env: &db-env
          POSTGRES_USER: ${POSTGRES_USER}
          POSTGRES_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD in .env}   # required

        services:
          db:
            image: postgres:16
            environment:
              <<: *db-env
              PGDATA: /var/lib/postgresql/data
          api:
            image: 'shop/api:${APP_PORT}'
            ports:
              - "127.0.0.1:${APP_PORT}:8080"
            environment:
              - DB_PASSWORD=${DB_PASSWORD}
              - "API_TOKEN=${API_TOKEN}"
              - DATABASE_URL
              - GREETING='hello $$USER'
              - LOG_LEVEL=info
          worker:
            image: shop/worker
            env_file: worker.env
            environment:
              DB_PASSWORD: "${DB_PASSWORD}"   # same secret as the API

        """;

    private const string WorkerEnv = """
        WORKER_SECRET=w0rk
        QUEUE=jobs

        """;

    [Fact]
    public void Plan_ShopProject_MigratesSecretsAndKeepsPlainConfiguration()
    {
        using MigrationProject project = CreateShop();

        MigrationPlan plan = project.Plan();

        Assert.False(plan.HasErrors, string.Join('\n', plan.Findings));
        Assert.Equal(["shop/API_TOKEN", "shop/DATABASE_URL", "shop/DB_PASSWORD", "shop/WORKER_SECRET"], plan.Secrets.Select(secret => secret.Name).Order(StringComparer.Ordinal));
        Assert.Equal("s3cr3t-Pa55", Value(plan, "shop/DB_PASSWORD"));
        Assert.Equal("tok_abc 123", Value(plan, "shop/API_TOKEN"));
        Assert.Equal("postgres://app:s3cr3t-Pa55@db:5432/app", Value(plan, "shop/DATABASE_URL"));
        Assert.Equal("w0rk", Value(plan, "shop/WORKER_SECRET"));
        Assert.Equal(["api DB_PASSWORD", "db POSTGRES_PASSWORD", "worker DB_PASSWORD"], plan.Secrets.Single(secret => secret.Name == "shop/DB_PASSWORD").Uses.Order(StringComparer.Ordinal));
        Assert.Equal(
            ["api GREETING", "api LOG_LEVEL", "db PGDATA", "db POSTGRES_USER", "worker QUEUE"],
            plan.Plain.Select(setting => $"{setting.Service} {setting.Variable}").Order(StringComparer.Ordinal));
        Assert.Equal([project.PathOf("docker-compose.dso.yml")], plan.UpFiles);
    }

    [Fact]
    public void Plan_ShopProject_ChangesOnlyTheSecretValueLines()
    {
        using MigrationProject project = CreateShop();

        MigrationPlan plan = project.Plan();

        MigratedFile file = Assert.Single(plan.Files);
        Assert.Equal(project.PathOf("docker-compose.yml"), file.OriginalPath);
        Assert.Equal(project.PathOf("docker-compose.dso.yml"), file.OutputPath);
        (List<string> removed, List<string> added) = LineDiff.Compare(ShopCompose, file.Text);
        Assert.Equal(
            [
                "  POSTGRES_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD in .env}   # required",
                "      - DB_PASSWORD=${DB_PASSWORD}",
                "      - \"API_TOKEN=${API_TOKEN}\"",
                "      - DATABASE_URL",
                "      DB_PASSWORD: \"${DB_PASSWORD}\"   # same secret as the API",
            ],
            removed);
        Assert.Equal(
            [
                "  POSTGRES_PASSWORD: dso://shop/DB_PASSWORD   # required",
                "      - DB_PASSWORD=dso://shop/DB_PASSWORD",
                "      - \"API_TOKEN=dso://shop/API_TOKEN\"",
                "      - DATABASE_URL=dso://shop/DATABASE_URL",
                "      DB_PASSWORD: \"dso://shop/DB_PASSWORD\"   # same secret as the API",
                "      WORKER_SECRET: dso://shop/WORKER_SECRET",
            ],
            added);
    }

    [Fact]
    public void Plan_VaultHoldsSameValues_ChangesNothing()
    {
        using MigrationProject project = CreateShop();
        MigrationPlan first = project.Plan();
        File.WriteAllText(first.Files[0].OutputPath, first.Files[0].Text);

        MigrationPlan second = project.Plan(new MigrationOptions { Project = "shop", VaultEntries = VaultOf(first) });

        Assert.False(second.HasErrors, string.Join('\n', second.Findings));
        Assert.All(second.Secrets, secret => Assert.Equal(VaultEntryStatus.Unchanged, secret.Status));
        Assert.Equal(MigratedFileStatus.Unchanged, Assert.Single(second.Files).Status);
    }

    [Fact]
    public void Plan_VaultHoldsOtherValue_IsConflictUnlessForced()
    {
        using MigrationProject project = CreateShop();
        var vault = new Dictionary<string, byte[]> { ["shop/DB_PASSWORD"] = "rotated"u8.ToArray() };

        MigrationPlan plain = project.Plan(new MigrationOptions { Project = "shop", VaultEntries = vault });
        MigrationPlan forced = project.Plan(new MigrationOptions { Project = "shop", VaultEntries = vault, Force = true });

        Assert.True(plain.HasErrors);
        Assert.Contains(plain.Findings, finding => finding.Code == "migrate.vault_conflict");
        Assert.Equal(VaultEntryStatus.Conflict, plain.Secrets.Single(secret => secret.Name == "shop/DB_PASSWORD").Status);
        Assert.False(forced.HasErrors);
        Assert.Equal(VaultEntryStatus.Replace, forced.Secrets.Single(secret => secret.Name == "shop/DB_PASSWORD").Status);
    }

    [Fact]
    public void Plan_MigratedFileEditedByHand_IsConflictUnlessForced()
    {
        using MigrationProject project = CreateShop();
        project.Write("docker-compose.dso.yml", "# edited\n");

        MigrationPlan plain = project.Plan();
        MigrationPlan forced = project.Plan(new MigrationOptions { Project = "shop", Force = true });

        Assert.Equal(MigratedFileStatus.Conflict, Assert.Single(plain.Files).Status);
        Assert.True(plain.HasErrors);
        Assert.Equal(MigratedFileStatus.Replace, Assert.Single(forced.Files).Status);
    }

    [Fact]
    public void Plan_AsFile_RenamesToFileVariable()
    {
        using MigrationProject project = CreateShop();

        MigrationPlan plan = project.Plan(new MigrationOptions { Project = "shop", AsFile = new HashSet<string> { "DB_PASSWORD" } });

        Assert.False(plan.HasErrors, string.Join('\n', plan.Findings));
        string text = plan.Files[0].Text;
        Assert.Contains("  POSTGRES_PASSWORD_FILE: dsofile://shop/DB_PASSWORD   # required\n", text, StringComparison.Ordinal);
        Assert.Contains("      - DB_PASSWORD_FILE=dsofile://shop/DB_PASSWORD\n", text, StringComparison.Ordinal);
        Assert.Contains("      DB_PASSWORD_FILE: \"dsofile://shop/DB_PASSWORD\"", text, StringComparison.Ordinal);
        Assert.Contains("db POSTGRES_PASSWORD_FILE (file)", plan.Secrets.Single(secret => secret.Name == "shop/DB_PASSWORD").Uses);
    }

    [Fact]
    public void Plan_FileVariableWithSecretValue_UsesDsofile()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DB_PASSWORD=pw\n")
            .Write("docker-compose.yml", "services:\n  db:\n    image: x\n    environment:\n      DB_PASSWORD_FILE: ${DB_PASSWORD}\n      CONFIG_FILE: /etc/app.conf\n");

        MigrationPlan plan = project.Plan();

        Assert.Contains("      DB_PASSWORD_FILE: dsofile://shop/DB_PASSWORD\n", plan.Files[0].Text, StringComparison.Ordinal);
        Assert.Contains(plan.Plain, setting => setting.Variable == "CONFIG_FILE" && setting.Reason == "a path to a file");
    }

    [Fact]
    public void Plan_DollarInDotEnvValue_ReportsInterpolation()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DB_PASSWORD=abc$def\nAPI_KEY='abc$def'\n")
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n      API_KEY: ${API_KEY}\n");

        MigrationPlan plan = project.Plan();

        Finding finding = Assert.Single(plan.Findings, finding => finding.Code == "migrate.interpolated_value");
        Assert.Equal(project.PathOf(".env"), finding.File);
        Assert.Equal(1, finding.Line);
        Assert.Equal("abc", Value(plan, "shop/DB_PASSWORD"));
        Assert.Equal("abc$def", Value(plan, "shop/API_KEY"));
    }

    [Fact]
    public void Plan_ComposeReadsOtherValue_StoresComposeValueAndReports()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DB_PASSWORD=abc$def\n")
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n");
        var compose = new Dictionary<string, IReadOnlyDictionary<string, string?>>
        {
            ["api"] = new Dictionary<string, string?> { ["DB_PASSWORD"] = "abc$def" },
        };

        MigrationPlan plan = project.Plan(new MigrationOptions { Project = "shop", ComposeEnvironment = compose, ComposeName = "docker-compose 1.29.2" });

        Assert.Equal("abc$def", Value(plan, "shop/DB_PASSWORD"));
        Finding finding = Assert.Single(plan.Findings, finding => finding.Code == "compose.value_differs");
        Assert.Contains("docker-compose 1.29.2", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("abc", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_PemKeyInBlockScalar_KeepsEveryByte()
    {
        const string pem = "-----BEGIN PRIVATE KEY-----\n  MIIB\tindented \n-----END PRIVATE KEY-----\n";
        using MigrationProject project = new MigrationProject()
            .Write(".env", "TLS_KEY=\"-----BEGIN PRIVATE KEY-----\\n  MIIB\\tindented \\n-----END PRIVATE KEY-----\\n\"\n")
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    environment:\n      TLS_KEY: ${TLS_KEY}\n      SIGNING_KEY: |\n        line one\n        line two\n\n      LEVEL: info\n");

        MigrationPlan plan = project.Plan();

        Assert.Equal(pem, Value(plan, "shop/TLS_KEY"));
        Assert.Equal("line one\nline two\n", Value(plan, "shop/SIGNING_KEY"));
        Assert.EndsWith("      SIGNING_KEY: dso://shop/SIGNING_KEY\n\n      LEVEL: info\n", plan.Files[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_SecretInOverrideFile_WritesMigratedOverride()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DB_PASSWORD=base\nPROD_PASSWORD=prod\n")
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD:?required}\n      LEVEL: info\n")
            .Write("docker-compose.override.yml", "services:\n  api:\n    environment:\n      DB_PASSWORD: ${PROD_PASSWORD}\n");

        MigrationPlan plan = project.Plan(null, "docker-compose.yml", "docker-compose.override.yml");

        Assert.Equal([project.PathOf("docker-compose.dso.yml"), project.PathOf("docker-compose.override.dso.yml")], plan.UpFiles);
        Assert.Equal(["api DB_PASSWORD"], plan.Secrets.Single(secret => secret.Name == "shop/PROD_PASSWORD").Uses);
        Assert.Contains("      DB_PASSWORD: dso://shop/DB_PASSWORD\n", plan.Files[0].Text, StringComparison.Ordinal);
        Assert.Contains("      DB_PASSWORD: dso://shop/PROD_PASSWORD\n", plan.Files[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_SecretInExtendedFile_RedirectsExtends()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DB_PASSWORD=pw\n")
            .Write("common/base.yml", "services:\n  base:\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n")
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    extends:\n      file: common/base.yml\n      service: base\n");

        MigrationPlan plan = project.Plan();

        Assert.Equal(2, plan.Files.Count);
        Assert.Contains("      file: common/base.dso.yml\n", plan.Files.Single(file => file.OriginalPath == project.PathOf("docker-compose.yml")).Text, StringComparison.Ordinal);
        Assert.Contains("      DB_PASSWORD: dso://shop/DB_PASSWORD\n", plan.Files.Single(file => file.OriginalPath == project.PathOf("common/base.yml")).Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    environment:\n      LEVEL: info\n", "    environment:\n      LEVEL: info\n      APP_SECRET: dso://shop/APP_SECRET\n")]
    [InlineData("    environment:\n      - LEVEL=info\n", "    environment:\n      - LEVEL=info\n      - APP_SECRET=dso://shop/APP_SECRET\n")]
    [InlineData("    environment: {LEVEL: info}\n", "    environment: {LEVEL: info, APP_SECRET: \"dso://shop/APP_SECRET\"}\n")]
    [InlineData("    environment: [LEVEL=info]\n", "    environment: [LEVEL=info, \"APP_SECRET=dso://shop/APP_SECRET\"]\n")]
    [InlineData("    environment:\n", "    environment:\n      APP_SECRET: dso://shop/APP_SECRET\n")]
    [InlineData("    restart: always # keep\n", "    restart: always # keep\n    environment:\n      APP_SECRET: dso://shop/APP_SECRET\n")]
    public void Plan_SecretFromEnvFile_AddsEnvironmentEntry(string serviceTail, string expectedTail)
    {
        using MigrationProject project = new MigrationProject()
            .Write("app.env", "APP_SECRET=from-env-file\n")
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    env_file: app.env\n" + serviceTail + "  other:\n    image: y\n");

        MigrationPlan plan = project.Plan();

        Assert.False(plan.HasErrors, string.Join('\n', plan.Findings));
        Assert.Equal("services:\n  api:\n    image: x\n    env_file: app.env\n" + expectedTail + "  other:\n    image: y\n", plan.Files[0].Text);
        Assert.Equal("from-env-file", Value(plan, "shop/APP_SECRET"));
    }

    [Fact]
    public void Plan_EnvFileSecretWithAnchoredMergedEnvironment_MergesAnchor()
    {
        using MigrationProject project = new MigrationProject()
            .Write("app.env", "APP_SECRET=s\n")
            .Write("docker-compose.yml", "x-defaults: &defaults\n  environment: &env\n    LEVEL: info\nservices:\n  api:\n    <<: *defaults\n    image: x\n    env_file: app.env\n");

        MigrationPlan plan = project.Plan();

        Assert.False(plan.HasErrors, string.Join('\n', plan.Findings));
        Assert.EndsWith("    env_file: app.env\n    environment:\n      <<: *env\n      APP_SECRET: dso://shop/APP_SECRET\n", plan.Files[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_SharedAnchorScalar_IsEditedOnce()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DB_PASSWORD=pw\n")
            .Write("docker-compose.yml", "x-env: &env\n  DB_PASSWORD: &pw ${DB_PASSWORD}\nservices:\n  a:\n    image: x\n    environment: *env\n  b:\n    image: x\n    environment:\n      <<: *env\n      OTHER_PASSWORD: *pw\n");

        MigrationPlan plan = project.Plan();

        Assert.False(plan.HasErrors, string.Join('\n', plan.Findings));
        Assert.Equal("x-env: &env\n  DB_PASSWORD: &pw dso://shop/DB_PASSWORD\nservices:\n  a:\n    image: x\n    environment: *env\n  b:\n    image: x\n    environment:\n      <<: *env\n      OTHER_PASSWORD: *pw\n", plan.Files[0].Text);
        Assert.Equal(["a DB_PASSWORD", "b DB_PASSWORD", "b OTHER_PASSWORD"], plan.Secrets.Single().Uses.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Plan_SameVariableDifferentValues_GetServiceNames()
    {
        using MigrationProject project = new MigrationProject()
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      API_KEY: one\n  b:\n    image: x\n    environment:\n      API_KEY: two\n");

        MigrationPlan plan = project.Plan();

        Assert.Equal(["shop/API_KEY", "shop/b/API_KEY"], plan.Secrets.Select(secret => secret.Name).Order(StringComparer.Ordinal));
        Assert.Equal("two", Value(plan, "shop/b/API_KEY"));
    }

    [Fact]
    public void Plan_BareKeyWithoutValue_GetsReferenceAfterColon()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DB_PASSWORD=pw\n")
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      DB_PASSWORD:\n      LEVEL: info\n");

        MigrationPlan plan = project.Plan();

        Assert.Contains("      DB_PASSWORD: dso://shop/DB_PASSWORD\n      LEVEL: info\n", plan.Files[0].Text, StringComparison.Ordinal);
        Assert.Equal("pw", Value(plan, "shop/DB_PASSWORD"));
    }

    [Fact]
    public void Plan_SecretUsedInCommand_WarnsItStaysInDotEnv()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "REDIS_PASSWORD=pw\nUNUSED_TOKEN=t\n")
            .Write("docker-compose.yml", "services:\n  redis:\n    image: x\n    command: redis-server --requirepass ${REDIS_PASSWORD}\n    environment:\n      REDIS_PASSWORD: ${REDIS_PASSWORD}\n");

        MigrationPlan plan = project.Plan();

        Finding outside = Assert.Single(plan.Findings, finding => finding.Code == "migrate.used_outside_environment");
        Assert.Equal(4, outside.Line);
        Finding unused = Assert.Single(plan.Findings, finding => finding.Code == "migrate.unused_secret");
        Assert.Equal(2, unused.Line);
    }

    [Fact]
    public void Plan_ProfileService_IsMigratedToo()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DEBUG_TOKEN=t\n")
            .Write("docker-compose.yml", "services:\n  debug:\n    image: x\n    profiles: [debug]\n    environment:\n      - DEBUG_TOKEN=${DEBUG_TOKEN}\n");

        MigrationPlan plan = project.Plan();

        Assert.Equal(["debug DEBUG_TOKEN"], Assert.Single(plan.Secrets).Uses);
    }

    [Fact]
    public void Plan_VariableGoneButInVault_ReusesEntry()
    {
        using MigrationProject project = new MigrationProject()
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD:?set it}\n");
        var vault = new Dictionary<string, byte[]> { ["shop/DB_PASSWORD"] = "pw"u8.ToArray() };

        MigrationPlan withVault = project.Plan(new MigrationOptions { Project = "shop", VaultEntries = vault });
        MigrationPlan withoutVault = project.Plan();

        Assert.False(withVault.HasErrors, string.Join('\n', withVault.Findings));
        Assert.Equal(VaultEntryStatus.UseExisting, Assert.Single(withVault.Secrets).Status);
        Assert.Contains("DB_PASSWORD: dso://shop/DB_PASSWORD\n", withVault.Files[0].Text, StringComparison.Ordinal);
        Finding required = Assert.Single(withoutVault.Findings, finding => finding.Code == "compose.interpolation");
        Assert.Contains("required variable DB_PASSWORD", required.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_VariablesRemovedFromDotEnvAfterMigration_ReusesEntries()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "LEVEL=info\n")
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      - DB_PASSWORD=${DB_PASSWORD}\n      - DATABASE_URL\n      - LEVEL=${LEVEL}\n");
        var vault = new Dictionary<string, byte[]>
        {
            ["shop/DB_PASSWORD"] = "pw"u8.ToArray(),
            ["shop/DATABASE_URL"] = "postgres://app:pw@db/app"u8.ToArray(),
        };

        MigrationPlan plan = project.Plan(new MigrationOptions { Project = "shop", VaultEntries = vault });

        Assert.All(plan.Secrets, secret => Assert.Equal(VaultEntryStatus.UseExisting, secret.Status));
        Assert.Contains("      - DB_PASSWORD=dso://shop/DB_PASSWORD\n      - DATABASE_URL=dso://shop/DATABASE_URL\n      - LEVEL=${LEVEL}\n", plan.Files[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_ProcessEnvironmentOverridesDotEnv_StoresEnvironmentValue()
    {
        using MigrationProject project = new MigrationProject()
            .Write(".env", "DB_PASSWORD=from-file\n")
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n");
        project.Environment["DB_PASSWORD"] = "from-shell";

        MigrationPlan plan = project.Plan();

        Assert.Equal("from-shell", Value(plan, "shop/DB_PASSWORD"));
        Assert.Equal("the environment variable DB_PASSWORD", plan.Secrets.Single().Source);
        Assert.Contains(plan.Findings, finding => finding.Code == "migrate.environment_wins");
    }

    [Fact]
    public void Plan_SecretAndPlainOptions_OverrideHeuristics()
    {
        using MigrationProject project = new MigrationProject()
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      LICENSE: abc\n      SESSION_KEY: def\n");

        MigrationPlan plan = project.Plan(new MigrationOptions { Project = "shop", Secret = new HashSet<string> { "LICENSE" }, Plain = new HashSet<string> { "SESSION_KEY" } });

        Assert.Equal("shop/LICENSE", Assert.Single(plan.Secrets).Name);
        Assert.Equal("--plain SESSION_KEY", plan.Plain.Single().Reason);
    }

    private static Dictionary<string, byte[]> VaultOf(MigrationPlan plan) =>
        plan.Secrets.ToDictionary(secret => secret.Name, secret => Encoding.UTF8.GetBytes(secret.Value!));

    private static string? Value(MigrationPlan plan, string name) => plan.Secrets.Single(secret => secret.Name == name).Value;

    private static MigrationProject CreateShop() =>
        new MigrationProject()
            .Write(".env", ShopEnv)
            .Write("docker-compose.yml", ShopCompose)
            .Write("worker.env", WorkerEnv);
}
