#!/usr/bin/env bash
# Prepares the GPU check for a machine that has an NVIDIA GPU and Python 3 but no .NET: publishes the check and the
# benchmarks (framework-dependent) and packs this machine's .NET runtime, all under .devicepkg/ at the repository root
# (ignored by git). Then run run-on-gpu.sh there. Usage: tests/Repro.Backends.Ilgpu.DeviceCheck/prepare.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pkg="$root/.devicepkg"
mkdir -p "$pkg"
dotnet publish "$root/tests/Repro.Backends.Ilgpu.DeviceCheck" -c Release -o "$pkg/check" --nologo -v quiet
dotnet publish "$root/bench/Repro.Bench" -c Release -o "$pkg/bench" --nologo -v quiet
dotnet publish "$root/tests/Repro.Golden" -c Release -o "$pkg/golden" --nologo -v quiet
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
if [ ! -f "$pkg/dotnet-runtime.tar.xz" ]; then
  (cd "$dotnet_root" && tar cf - dotnet host shared/Microsoft.NETCore.App | xz -T0 -6 > "$pkg/dotnet-runtime.tar.xz")
fi
du -sh "$pkg"/*
