using System.Text;
using Dso.Compose.Source;
using Dso.Compose.Yaml;
using YamlDotNet.Core;

namespace Dso.Compose.Migration;

/// <summary>
/// Adds variables to a service's environment key in the last -f file that defines the service, written in the
/// form the file already uses (block or flow mapping or list), or creates the key. Environment entries win over
/// env_file lines and are merged across -f files and extends, so the addition changes only those variables.
/// </summary>
internal sealed record ServiceInsertion(string File, int Line, TextEdit? Edit, string? Problem)
{
    private const int DefaultIndentStep = 2;

    /// <summary>Returns the edit that adds <paramref name="variables"/>, or an insertion whose problem states why it cannot be made.</summary>
    public static ServiceInsertion? Plan(ServiceEnvironment service, IReadOnlyList<(string Variable, string Reference)> variables)
    {
        if (variables.Count == 0)
        {
            return null;
        }

        ServiceDefinitionSite? definition = service.Definitions.LastOrDefault(candidate => !candidate.Mapping.IsFlow && candidate.Mapping.Entries.Count > 0);
        if (definition is null)
        {
            ServiceDefinitionSite? any = service.Definitions.Count > 0 ? service.Definitions[^1] : null;
            return Failed(any?.Document.Path ?? "(no file)", any?.NameNode.Line ?? 0, service, variables, "its definition is written in flow style ({...})");
        }

        YamlSourceDocument document = definition.Document;
        YamlSourceMapping mapping = definition.Mapping;
        int keyIndent = mapping.Entries[0].Key.Column - 1;
        int step = keyIndent > definition.NameNode.Column - 1 ? keyIndent - (definition.NameNode.Column - 1) : DefaultIndentStep;
        string childIndent = new(' ', keyIndent + step);

        YamlSourceEntry? own = mapping.Entries.FirstOrDefault(entry => !YamlSourceNodes.IsMergeKey(entry.Key) && YamlSourceNodes.ScalarText(entry.Key) == "environment");
        if (own is null)
        {
            YamlMergedEntry? merged = YamlSourceNodes.Get(mapping, "environment");
            var block = new StringBuilder().Append(' ', keyIndent).Append("environment:\n");
            if (merged is not null)
            {
                // A merge key is shallow: an environment key of the service's own would replace the merged one, so
                // the new key merges it in turn, which needs an anchor to refer to.
                if (YamlSourceNodes.Resolve(merged.Entry.Value) is not YamlSourceMapping { Anchor: { } anchor })
                {
                    return Failed(document.Path, definition.NameNode.Line, service, variables, "its environment comes from a merge key (<<) and is not an anchored mapping that a new environment key could merge");
                }

                block.Append(childIndent).Append("<<: *").Append(anchor).Append('\n');
            }

            AppendBlockEntries(block, childIndent, variables);
            return InsertAfterLine(document, mapping.End, block.ToString(), definition.NameNode.Line);
        }

        YamlSourceNode environment = own.Value;
        int line = own.Key.Line;
        switch (environment)
        {
            case YamlSourceAlias alias when YamlSourceNodes.Resolve(alias) is YamlSourceMapping:
                string flow = "{<<: *" + alias.Name + ", " + FlowEntries(variables) + "}";
                return new ServiceInsertion(document.Path, line, new TextEdit(alias.Start, alias.End, flow), null);

            case YamlSourceAlias:
                return Failed(document.Path, line, service, variables, "its environment is an alias of a list, which YAML cannot extend");

            case YamlSourceMapping { IsFlow: true } flowMapping:
                string separator = flowMapping.Entries.Count > 0 ? ", " : string.Empty;
                return new ServiceInsertion(document.Path, line, TextEdit.Insert(flowMapping.ClosingIndex, separator + FlowEntries(variables)), null);

            case YamlSourceMapping blockMapping:
                var entries = new StringBuilder();
                AppendBlockEntries(entries, new string(' ', blockMapping.Entries[0].Key.Column - 1), variables);
                return InsertAfterLine(document, blockMapping.End, entries.ToString(), line);

            case YamlSourceSequence { IsFlow: true } flowSequence:
                string items = string.Join(", ", variables.Select(variable => YamlScalarWriter.Write(variable.Variable + "=" + variable.Reference, ScalarStyle.Plain, inFlow: true)));
                return new ServiceInsertion(document.Path, line, TextEdit.Insert(flowSequence.ClosingIndex, (flowSequence.Items.Count > 0 ? ", " : string.Empty) + items), null);

            case YamlSourceSequence blockSequence:
                var listItems = new StringBuilder();
                foreach ((string variable, string reference) in variables)
                {
                    listItems.Append(' ', blockSequence.Column - 1).Append("- ")
                        .Append(YamlScalarWriter.Write(variable + "=" + reference, ScalarStyle.Plain, inFlow: false)).Append('\n');
                }

                return InsertAfterLine(document, blockSequence.End, listItems.ToString(), line);

            case YamlSourceScalar { IsNull: true } nullValue:
                var created = new StringBuilder("\n");
                AppendBlockEntries(created, childIndent, variables);
                return new ServiceInsertion(document.Path, line, new TextEdit(nullValue.ValueStart, nullValue.End, created.ToString().TrimEnd('\n')), null);

            default:
                return Failed(document.Path, line, service, variables, "its environment key is not a mapping or a list");
        }
    }

    private static void AppendBlockEntries(StringBuilder text, string indent, IReadOnlyList<(string Variable, string Reference)> variables)
    {
        foreach ((string variable, string reference) in variables)
        {
            text.Append(indent)
                .Append(YamlScalarWriter.Write(variable, ScalarStyle.Plain, inFlow: false))
                .Append(": ")
                .Append(YamlScalarWriter.Write(reference, ScalarStyle.Plain, inFlow: false))
                .Append('\n');
        }
    }

    private static string FlowEntries(IReadOnlyList<(string Variable, string Reference)> variables) =>
        string.Join(", ", variables.Select(variable =>
            YamlScalarWriter.Write(variable.Variable, ScalarStyle.Plain, inFlow: true) + ": " + YamlScalarWriter.Write(variable.Reference, ScalarStyle.Plain, inFlow: true)));

    /// <summary>Inserts whole lines after the line on which <paramref name="end"/> falls, past any comment on that line.</summary>
    private static ServiceInsertion InsertAfterLine(YamlSourceDocument document, int end, string lines, int line)
    {
        string text = document.Text;
        if (end > 0 && text[end - 1] == '\n')
        {
            return new ServiceInsertion(document.Path, line, TextEdit.Insert(end, lines), null);
        }

        int lineEnd = text.IndexOf('\n', end);
        return lineEnd < 0
            ? new ServiceInsertion(document.Path, line, TextEdit.Insert(text.Length, "\n" + lines), null)
            : new ServiceInsertion(document.Path, line, TextEdit.Insert(lineEnd + 1, lines), null);
    }

    private static ServiceInsertion Failed(string file, int line, ServiceEnvironment service, IReadOnlyList<(string Variable, string Reference)> variables, string reason) =>
        new(file, line, null,
            $"migrate cannot add {string.Join(", ", variables.Select(variable => variable.Variable))} to the environment of service \"{service.Name}\" because {reason}. "
            + $"Add {string.Join(", ", variables.Select(variable => $"{variable.Variable}: {variable.Reference}"))} to it by hand in the migrated file.");
}
