"""LLVM operations numba does not offer, for the compiled kernels (numba is imported here).

``widen``/``narrow`` convert between float16 bits (``uint16``) and float32 with LLVM's
``fpext``/``fptrunc``, which compile to the CPU's half-precision conversions inside vectorised
loops; ``copy_bytes`` is a ``memcpy`` between uint8 arrays (a byte loop does not vectorise:
0.8 GB/s against 6 GB/s here). Module-level, so kernels that use them stay cacheable on disk.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def widen(typingctx, bits):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
    """float16 bits (uint16) -> float32."""
    if bits != types.uint16:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
        return builder.fpext(builder.bitcast(args[0], ir.HalfType()), ir.FloatType())

    return types.float32(types.uint16), codegen


@intrinsic
def narrow(typingctx, x):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
    """float32 -> float16 bits (uint16), rounded to nearest even."""
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
        return builder.bitcast(builder.fptrunc(args[0], ir.HalfType()), ir.IntType(16))

    return types.uint16(types.float32), codegen


@intrinsic
def copy_bytes(typingctx, dst, dst_at, src, src_at, n):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
    """``dst[dst_at:dst_at + n] = src[src_at:src_at + n]`` for C-contiguous uint8 arrays."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
        d = context.make_array(signature.args[0])(context, builder, args[0])
        s = context.make_array(signature.args[2])(context, builder, args[2])
        dp = builder.gep(d.data, [args[1]])
        sp = builder.gep(s.data, [args[3]])
        cgutils.raw_memcpy(builder, dp, sp, args[4], 1)
        return context.get_dummy_value()

    return types.void(dst, types.intp, src, types.intp, types.intp), codegen
