namespace Dso.Core.IO;

/// <summary>The permission sets dso creates and checks, named once so that every file and directory agrees.</summary>
internal static class FileModes
{
    /// <summary>0700: a directory only its owner may list, enter or change.</summary>
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>0600: a file only its owner may read or write.</summary>
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Every group and other bit: any of them set means users besides the owner have some access.</summary>
    public const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
}
