"""LLVM operations numba does not offer, for the compiled kernels (numba is imported here).

``widen``/``narrow`` convert between float16 bits (``uint16``) and float32 with LLVM's
``fpext``/``fptrunc``, which compile to the CPU's half-precision conversions inside vectorised
loops; ``copy_bytes`` is a ``memcpy`` between uint8 arrays (a byte loop does not vectorise:
0.8 GB/s against 6 GB/s here); ``prefetch`` asks the CPU to start loading a cache line that a
kernel will need soon (word2vec's noise rows: drawn ahead, then fetched while the previous
prediction computes), ``prefetch_read`` one it will only read (a float16 table streamed
through a dot product). Module-level, so kernels that use them stay cacheable on disk.
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


def _prefetch_codegen(rw: int, locality: int):  # type: ignore[no-untyped-def]  # noqa: ANN202
    """Code that calls ``llvm.prefetch`` on the address of element ``at`` of an array (counted
    from its first element): ``rw`` 1 for writing, 0 for reading; ``locality`` 0-3."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
        a = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        address = builder.bitcast(builder.gep(a.data, [args[1]]), i8p)
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        builder.call(fn, [address, i32(rw), i32(locality), i32(1)])  # 1: the data cache
        return context.get_dummy_value()

    return codegen


@intrinsic
def prefetch(typingctx, arr, at):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
    """Start loading the cache line holding ``arr[at]`` (a 1-D C-contiguous array); a hint
    only: no fault, no effect on results."""
    if not isinstance(arr, types.Array) or arr.ndim != 1:
        return None
    # for writing (the rows are updated), high temporal locality
    return types.void(arr, types.intp), _prefetch_codegen(1, 3)


@intrinsic
def prefetch_read(typingctx, arr, at):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
    """Start loading, for reading, the cache line holding element ``at`` of a C-contiguous
    array counted from its first element (any number of dimensions); a hint only: no fault
    (an address past the end is harmless), no effect on results."""
    if not isinstance(arr, types.Array) or arr.layout != "C":
        return None
    # for reading, high temporal locality (into every cache level)
    return types.void(arr, types.intp), _prefetch_codegen(0, 3)
