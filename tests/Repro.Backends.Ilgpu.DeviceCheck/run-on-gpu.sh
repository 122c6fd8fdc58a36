#!/usr/bin/env bash
# Runs the GPU check prepared by prepare.sh: the backend conformance suite on CUDA against the reference backend and training steps against the
# managed backend (bit for bit), then the ILGPU benchmarks (managed, CPU accelerator, CUDA; matmul 4096^3 on CUDA),
# then the same suite on an OpenCL device where there is one, then the golden log on CUDA. The exit code is the CUDA check's.
# Logs go to $OUT (or /tmp/gpu-check). Usage, from the repository root: tests/Repro.Backends.Ilgpu.DeviceCheck/run-on-gpu.sh
set -u
pkg=.devicepkg
out="${OUT:-/tmp/gpu-check}"
mkdir -p "$out" /tmp/dotnet
python3 -c "import tarfile; tarfile.open('$pkg/dotnet-runtime.tar.xz').extractall('/tmp/dotnet')"
export DOTNET_ROOT=/tmp/dotnet PATH="/tmp/dotnet:$PATH" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
# ILGPU opens the driver as "libcuda.so"; some images only have libcuda.so.1.
if ! ldconfig -p | grep -q 'libcuda\.so '; then
  so1="$(ldconfig -p | awk '/libcuda\.so\.1 /{print $NF; exit}')"
  if [ -n "$so1" ]; then mkdir -p /tmp/cudalib && ln -sf "$so1" /tmp/cudalib/libcuda.so && export LD_LIBRARY_PATH="/tmp/cudalib:${LD_LIBRARY_PATH:-}"; fi
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$out/gpu.txt"
nproc | tee -a "$out/gpu.txt"
timeout 330 dotnet "$pkg/check/Repro.Backends.Ilgpu.DeviceCheck.dll" cuda --steps "${STEPS:-5}" 2>&1 | tee "$out/check.log"
check=${PIPESTATUS[0]}
timeout 150 dotnet "$pkg/bench/Repro.Bench.dll" ilgpu 512 67108864 2>&1 | tee "$out/bench.log"
# An OpenCL device, where the image has one (a CPU OpenCL runtime was seen on the H200 machines): same suite.
timeout 200 dotnet "$pkg/check/Repro.Backends.Ilgpu.DeviceCheck.dll" opencl --steps 5 2>&1 | tee "$out/opencl.log"
echo "opencl check exit code: ${PIPESTATUS[0]}"
# The committed golden log (README, "The golden log") replayed on CUDA: every op's hash must match.
timeout 120 dotnet "$pkg/golden/Repro.Golden.dll" --verify tests/golden/conformance.repro --backend ilgpu-cuda 2>&1 | tee "$out/golden.log"
echo "golden log on cuda exit code: ${PIPESTATUS[0]}"
echo "cuda check exit code: $check"
exit "$check"
