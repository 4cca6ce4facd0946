using System.Text;

namespace Dso.Agent.Configuration;

/// <summary>
/// The annotated dso.yaml that 'dso bootstrap agent' writes, one per provider type. Each loads cleanly once its
/// ${VAR} credentials are set, and so does its commented example secret with the comment marks removed.
/// </summary>
internal static class AgentConfigTemplate
{
    /// <summary>The provider name every template declares.</summary>
    public const string ProviderName = "main";

    /// <summary>The line that starts the commented example under secrets:.</summary>
    public const string ExampleMarker = "  # Example: remove the leading \"# \" of the lines below to use it.";

    /// <summary>The environment variables that a template's credentials refer to.</summary>
    public static IReadOnlyList<string> CredentialVariables(ProviderType type) => type switch
    {
        ProviderType.Vault => ["VAULT_TOKEN"],
        ProviderType.Azure => ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"],
        _ => [],
    };

    public static string Render(ProviderType type, AgentPaths paths)
    {
        string dataDirectory = Path.GetDirectoryName(paths.StateDirectory) ?? paths.StateDirectory;
        var builder = new StringBuilder();
        builder.Append($$"""
            # dso agent configuration, written by 'dso bootstrap agent'. The agent reads it at start and never
            # changes it. Every key is described in docs/configuration.md; docs/dso.schema.json lets editors check it.
            #
            # This file may hold provider credentials: keep it 0660 root:{{paths.Group}}.
            # A ${VAR} in a credential key is read from the agent's environment; under systemd, write the
            # variables as KEY=value lines into {{paths.EnvironmentFilePath}} (0600 root:root), which
            # {{AgentPaths.UnitFileName}} loads. An unset variable stops the agent with an error naming it.
            mode: agent

            providers:

            """);
        builder.Append(ProviderSection(type, dataDirectory));
        builder.Append($$"""

            # The secrets the agent injects into containers and rotates when the provider has a new version.
            secrets:
            {{ExampleMarker}}
            {{Example(type)}}

            # Agent settings. DSO_STATE_DIR, DSO_LOCK_DIR and DSO_SOCKET override the paths below.
            agent:
              poll_interval: {{Duration.Format(AgentSettings.DefaultPollInterval)}}            # how often providers are asked for new versions
              state:
                directory: {{Scalar(paths.StateDirectory)}}   # the rotation journal, rotations.json
                retention: {{Duration.Format(AgentSettings.DefaultRetention)}}                # finished rotation records are deleted after this
              locks:
                directory: {{Scalar(paths.LockDirectory)}}
                stale_after: {{Duration.Format(AgentSettings.DefaultStaleAfter)}}             # a lock this old is removed even if its owner still runs
              api:
                address: {{AgentSettings.DefaultApiAddress}}     # health, readiness, /metrics and status
              socket: {{Scalar(paths.SocketPath)}}      # the CLI's connection to the agent

            """);
        return builder.ToString();
    }

    private static string ProviderSection(ProviderType type, string dataDirectory) => type switch
    {
        ProviderType.Local => $$"""
              # A dso vault file on this host. Create it with:
              #   DSO_HOME={{Scalar(dataDirectory)}} dso bootstrap local
              # which writes vault.enc and its key file master.key beside it; add entries with
              #   DSO_HOME={{Scalar(dataDirectory)}} dso secret set NAME
              {{ProviderName}}:
                type: local
                vault_path: {{Scalar(Path.Combine(dataDirectory, "vault.enc"))}}

            """,
        ProviderType.Vault => $$"""
              # A HashiCorp Vault or OpenBao server with a KV secrets engine (version 2, or 1).
              {{ProviderName}}:
                type: vault
                address: https://vault.example.com:8200   # the server's URL
                mount: secret                              # the KV mount
                # namespace: team-a                        # a Vault Enterprise namespace
                # ca_file: /etc/dso/ca.crt                 # the CA of the server's certificate, if not a system CA
                auth:
                  method: token                            # or approle, with role_id: ${VAULT_ROLE_ID} and secret_id: ${VAULT_SECRET_ID}
                  token: ${VAULT_TOKEN}

            """,
        ProviderType.Aws => $$"""
              # AWS Secrets Manager. Credentials come from the AWS credential chain: an instance or task role
              # (recommended), web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN), or AWS_ACCESS_KEY_ID
              # and AWS_SECRET_ACCESS_KEY in the environment file named above.
              # The service cannot read /root (ProtectHome=yes): for a profile, set AWS_CONFIG_FILE there too.
              {{ProviderName}}:
                type: aws
                region: us-east-1                          # the region that holds the secrets
                # profile: dso                             # a named profile instead of the default chain
                # endpoint: https://secretsmanager.us-east-1.amazonaws.com   # a VPC endpoint, for example
                # sts_endpoint: https://sts.us-east-1.amazonaws.com         # STS for web identity and role profiles

            """,
        _ => $$"""
              # Azure Key Vault, with a service principal. On an Azure VM with a managed identity, remove
              # tenant_id and client_secret and write managed_identity: true (client_id then picks a
              # user-assigned identity).
              {{ProviderName}}:
                type: azure
                vault_url: https://my-vault.vault.azure.net/
                tenant_id: ${AZURE_TENANT_ID}
                client_id: ${AZURE_CLIENT_ID}
                client_secret: ${AZURE_CLIENT_SECRET}

            """,
    };

    private static string Example(ProviderType type)
    {
        (string path, string? key) = type switch
        {
            ProviderType.Local => ("myapp/db_password", (string?)null),
            ProviderType.Azure => ("myapp-db-password", null),
            _ => ("myapp/db", "password"),
        };

        string keyLine = key is null ? "" : $"\n  #   key: {key}                    # one key of a JSON secret; omit it for the whole value";
        return $$"""
              # db_password:
              #   provider: {{ProviderName}}
              #   path: {{path}}{{keyLine}}
              #   inject:
              #     as: file                       # a read-only file at /run/secrets/dso/db_password
              #     mode: "0400"
              #   targets:
              #     compose:
              #       project: myapp
              #       service: db
              #   rotation:
              #     strategy: rolling              # rolling, restart, signal or none
              #     health_timeout: 60s
              #     probe:
              #       tcp: 5432
            """;
    }

    /// <summary>Writes a path as a plain YAML scalar when it is safe to, else double-quoted.</summary>
    private static string Scalar(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-')
            ? value
            : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
