namespace Dso.Compose.Migration;

/// <summary>
/// One variable of a service that the migrated file sets to a reference. <see cref="NewVariable"/> differs from
/// <see cref="Variable"/> when the secret is delivered as a file through VAR_FILE.
/// </summary>
internal sealed record ServiceChange(string Service, string Variable, string NewVariable, string Reference, string Location);
