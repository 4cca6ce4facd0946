namespace Dso.Compose.Migration;

/// <summary>A variable that stays plain configuration, with the rule that decided it.</summary>
internal sealed record PlainSetting(string Service, string Variable, string Location, string Reason);
