using Dso.Compose.Diagnostics;
using Dso.Compose.Source;
using Dso.Compose.Yaml;
using YamlDotNet.Core;

namespace Dso.Compose.Migration;

/// <summary>
/// Collects the edits of a migration and splices them into the original texts. A secret's value (and, for a file
/// secret, its key) is replaced where it is written. A variable that comes from an env_file is added to the
/// service's environment. Everything else in each file (comments, key order, anchors, quoting, $$) stays as it is.
/// </summary>
internal sealed class ComposeRewriter
{
    private readonly ComposeSource _source;
    private readonly Dictionary<string, List<TextEdit>> _edits = new(StringComparer.Ordinal);
    private readonly Dictionary<(string File, int Offset), string> _editedNodes = [];
    private readonly List<(ServiceEnvironment Service, string Variable, string Reference)> _additions = [];

    public ComposeRewriter(ComposeSource source)
    {
        _source = source;
    }

    /// <summary>Returns the path of the migrated copy of <paramref name="path"/>: docker-compose.yml gives docker-compose.dso.yml.</summary>
    public static string OutputPathOf(string path)
    {
        string directory = Path.GetDirectoryName(path) ?? string.Empty;
        string extension = Path.GetExtension(path);
        string name = extension is ".yml" or ".yaml"
            ? Path.GetFileNameWithoutExtension(path) + ".dso" + extension
            : Path.GetFileName(path) + ".dso.yml";
        return Path.Combine(directory, name);
    }

    /// <summary>
    /// Sets a compose site to <paramref name="reference"/>, renaming the variable to <paramref name="newVariable"/>
    /// when it differs. Returns a problem description when the site cannot be edited.
    /// </summary>
    public string? ReplaceSite(EnvironmentSite site, string newVariable, string reference)
    {
        YamlSourceDocument document = site.Document ?? throw new ArgumentException("Only a compose site can be replaced.", nameof(site));
        YamlSourceScalar valueNode = site.ValueNode!;
        if (site.Kind == EnvironmentSiteKind.ListItem)
        {
            return ReplaceOnce(document, valueNode, newVariable + "=" + reference);
        }

        if (newVariable != site.Variable && ReplaceOnce(document, site.KeyNode!, newVariable) is { } keyProblem)
        {
            return keyProblem;
        }

        return ReplaceOnce(document, valueNode, reference);
    }

    /// <summary>Adds VARIABLE: reference to a service's environment, for a variable that an env_file sets.</summary>
    public void AddToService(ServiceEnvironment service, string variable, string reference) =>
        _additions.Add((service, variable, reference));

    /// <summary>Applies every edit and returns the migrated copies, with the problems that prevented an edit.</summary>
    public IReadOnlyList<(YamlSourceDocument Document, string Text)> Build(List<Finding> findings)
    {
        foreach (IGrouping<ServiceEnvironment, (ServiceEnvironment Service, string Variable, string Reference)> group in _additions.GroupBy(addition => addition.Service))
        {
            if (ServiceInsertion.Plan(group.Key, [.. group.Select(addition => (addition.Variable, addition.Reference))]) is { } insertion)
            {
                if (insertion.Problem is not null)
                {
                    findings.Add(new Finding(FindingSeverity.Error, "migrate.cannot_add", insertion.Problem, insertion.File, insertion.Line));
                }
                else
                {
                    EditsOf(insertion.File).Add(insertion.Edit!);
                }
            }
        }

        RedirectExtends(findings);

        var result = new List<(YamlSourceDocument, string)>();
        foreach (YamlSourceDocument document in _source.Documents)
        {
            if (_edits.TryGetValue(document.Path, out List<TextEdit>? edits) && edits.Count > 0)
            {
                result.Add((document, TextEditor.Apply(document.Text, edits)));
            }
        }

        return result;
    }

    /// <summary>
    /// Points extends: file: at the migrated copy of every file that gets one, repeating until no new file is
    /// edited, because the redirect itself makes its own file a migrated copy.
    /// </summary>
    private void RedirectExtends(List<Finding> findings)
    {
        var redirected = new HashSet<ExtendsFileReference>();
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (ExtendsFileReference reference in _source.ExtendsReferences)
            {
                if (redirected.Contains(reference) || !_edits.ContainsKey(reference.TargetPath))
                {
                    continue;
                }

                redirected.Add(reference);
                changed = true;
                string written = reference.FileNode.Value;
                if (written.Contains('$', StringComparison.Ordinal))
                {
                    findings.Add(new Finding(
                        FindingSeverity.Error,
                        "migrate.cannot_redirect",
                        $"extends: file: {written} is interpolated, so migrate cannot point it at {Path.GetFileName(OutputPathOf(reference.TargetPath))}; write the path without variables and run migrate again.",
                        reference.Document.Path,
                        reference.FileNode.Line));
                    continue;
                }

                int slash = written.LastIndexOf('/');
                string redirectedPath = written[..(slash + 1)] + Path.GetFileName(OutputPathOf(reference.TargetPath));
                EditsOf(reference.Document.Path).Add(ReplaceScalar(reference.Document.Text, reference.FileNode, redirectedPath));
            }
        }
    }

    /// <summary>
    /// Replaces a scalar unless an earlier site (sharing it through an alias) replaced it already: the same text is
    /// fine, another text is a problem, because one scalar cannot hold two references.
    /// </summary>
    private string? ReplaceOnce(YamlSourceDocument document, YamlSourceScalar node, string value)
    {
        if (_editedNodes.TryGetValue((document.Path, node.Start), out string? earlier))
        {
            return earlier == value ? null : $"the value written at line {node.Line} is shared (through an anchor) by variables that need different references ({earlier} and {value}); give each its own value.";
        }

        _editedNodes[(document.Path, node.Start)] = value;
        List<TextEdit> edits = EditsOf(document.Path);
        if (node.IsNull && node.ValueStart == node.End)
        {
            // "KEY:" with nothing after it: the null scalar is an empty span right after the colon.
            edits.Add(TextEdit.Insert(node.Start, " " + YamlScalarWriter.Write(value, ScalarStyle.Plain, node.InFlow)));
        }
        else
        {
            edits.Add(ReplaceScalar(document.Text, node, value));
        }

        return null;
    }

    private List<TextEdit> EditsOf(string path)
    {
        if (!_edits.TryGetValue(path, out List<TextEdit>? edits))
        {
            edits = [];
            _edits[path] = edits;
        }

        return edits;
    }

    /// <summary>
    /// Replaces a scalar's text (keeping its anchor and tag) with <paramref name="value"/> in the same quoting style.
    /// A block scalar becomes a flow scalar and keeps the line breaks that ended it.
    /// </summary>
    private static TextEdit ReplaceScalar(string text, YamlSourceScalar node, string value)
    {
        string replacement = YamlScalarWriter.Write(value, node.Style, node.InFlow);
        if (node.IsBlock)
        {
            int breaksStart = node.End;
            while (breaksStart > node.ValueStart && text[breaksStart - 1] is '\n' or '\r')
            {
                breaksStart--;
            }

            replacement += text[breaksStart..node.End];
        }

        return new TextEdit(node.ValueStart, node.End, replacement);
    }
}
