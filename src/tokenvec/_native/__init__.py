"""The compiled runtime the kernels share: numba's switch, SIMD intrinsics, thread counts,
memory checks, and the numerical helpers written once (FNV-1a, top-k, principal axes) with
their compiled kernels for float16, int8/PQ codes and bags. Imports nothing above itself."""
