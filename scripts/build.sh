#!/usr/bin/env bash
# Builds the dso executable with Native AOT into out/bin/dso (a single native file, no .NET runtime needed).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "==> The .NET SDK (dotnet) is not on PATH; install the .NET 10 SDK and run this again." >&2
  exit 1
fi

echo "==> Building dso (Native AOT) into out/bin" >&2
dotnet publish src/Dso.Cli/Dso.Cli.csproj -c Release -r linux-x64 -o out/bin -p:DebugType=none -p:StripSymbols=true -nologo -v quiet >&2
echo "==> Built $(out/bin/dso version)" >&2
