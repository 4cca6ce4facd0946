namespace Dso.Compose.Secrets;

internal enum SecretVerdict
{
    Plain,
    Secret,

    /// <summary>The value is a dso:// or dsofile:// reference already.</summary>
    AlreadyReference,
}
