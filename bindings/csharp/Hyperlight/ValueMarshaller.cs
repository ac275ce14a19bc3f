using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Hyperlight;

/// <summary>Maps .NET types and values to and from <see cref="HlVal"/>.</summary>
internal static unsafe class ValueMarshaller
{
    private static readonly Dictionary<Type, ValKind> Kinds = new()
    {
        [typeof(int)] = ValKind.I32,
        [typeof(uint)] = ValKind.U32,
        [typeof(long)] = ValKind.I64,
        [typeof(ulong)] = ValKind.U64,
        [typeof(float)] = ValKind.F32,
        [typeof(double)] = ValKind.F64,
        [typeof(bool)] = ValKind.Bool,
        [typeof(string)] = ValKind.String,
        [typeof(byte[])] = ValKind.Bytes,
    };

    internal const string SupportedTypes = "int, uint, long, ulong, float, double, bool, string, byte[]";

    /// <summary>The kind for a parameter or value type, or null if unsupported (void is not a value kind).</summary>
    internal static ValKind? KindOf(Type type) => Kinds.TryGetValue(type, out ValKind kind) ? kind : null;

    /// <summary>
    /// Converts call arguments. Scalars go straight into <paramref name="vals"/>;
    /// string/bytes payloads are copied into one native block, returned in
    /// <paramref name="payload"/>, which the caller frees with NativeMemory.Free
    /// once the call has returned.
    /// </summary>
    internal static void ToNative(object[] args, HlVal[] vals, out IntPtr payload)
    {
        var buffers = new byte[]?[args.Length];
        nuint total = 0;
        for (int i = 0; i < args.Length; i++)
        {
            object arg = args[i] ?? throw new ArgumentException($"argument {i} is null; hyperlight values cannot be null", nameof(args));
            ref HlVal v = ref vals[i];
            v = default;
            switch (arg)
            {
                case int x: v.Kind = (byte)ValKind.I32; v.I32 = x; break;
                case uint x: v.Kind = (byte)ValKind.U32; v.U32 = x; break;
                case long x: v.Kind = (byte)ValKind.I64; v.I64 = x; break;
                case ulong x: v.Kind = (byte)ValKind.U64; v.U64 = x; break;
                case float x: v.Kind = (byte)ValKind.F32; v.F32 = x; break;
                case double x: v.Kind = (byte)ValKind.F64; v.F64 = x; break;
                case bool x: v.Kind = (byte)ValKind.Bool; v.Boolean = x ? (byte)1 : (byte)0; break;
                case string s: v.Kind = (byte)ValKind.String; buffers[i] = Encoding.UTF8.GetBytes(s); break;
                case byte[] b: v.Kind = (byte)ValKind.Bytes; buffers[i] = b; break;
                default:
                    throw new ArgumentException(
                        $"argument {i} has unsupported type {arg.GetType()}; supported: {SupportedTypes}", nameof(args));
            }
            if (buffers[i] is byte[] buf)
            {
                total += (nuint)buf.Length;
            }
        }

        payload = IntPtr.Zero;
        if (total == 0 && Array.TrueForAll(buffers, b => b == null))
        {
            return;
        }
        // At least one byte so empty strings/bytes get a valid, non-NULL pointer.
        byte* block = (byte*)NativeMemory.Alloc(total == 0 ? 1 : total);
        payload = (IntPtr)block;
        nuint offset = 0;
        for (int i = 0; i < args.Length; i++)
        {
            if (buffers[i] is not byte[] buf)
            {
                continue;
            }
            buf.AsSpan().CopyTo(new Span<byte>(block + offset, buf.Length));
            // StringPtr/StringLen and BytesPtr/BytesLen share offsets.
            vals[i].StringPtr = (IntPtr)(block + offset);
            vals[i].StringLen = (nuint)buf.Length;
            offset += (nuint)buf.Length;
        }
    }

    /// <summary>Copies a native value into managed memory (never keeps a pointer into it).</summary>
    internal static object? FromNative(in HlVal v)
    {
        switch ((ValKind)v.Kind)
        {
            case ValKind.Void: return null;
            case ValKind.I32: return v.I32;
            case ValKind.U32: return v.U32;
            case ValKind.I64: return v.I64;
            case ValKind.U64: return v.U64;
            case ValKind.F32: return v.F32;
            case ValKind.F64: return v.F64;
            case ValKind.Bool: return v.Boolean != 0;
            case ValKind.String:
                return v.StringLen == 0
                    ? string.Empty
                    : Encoding.UTF8.GetString((byte*)v.StringPtr, checked((int)v.StringLen));
            case ValKind.Bytes:
                return v.BytesLen == 0
                    ? Array.Empty<byte>()
                    : new ReadOnlySpan<byte>((byte*)v.BytesPtr, checked((int)v.BytesLen)).ToArray();
            default:
                throw new HyperlightException(ErrorCode.Protocol, $"unknown value kind {v.Kind}");
        }
    }

    /// <summary>
    /// Stores a host function's result. Strings and bytes are copied by
    /// hl_val_set_string / hl_val_set_bytes, never pointed at managed memory.
    /// </summary>
    internal static void SetResult(HlVal* result, ValKind kind, object? value)
    {
        if (kind == ValKind.Void)
        {
            result->Kind = (byte)ValKind.Void;
            return;
        }
        if (value == null)
        {
            throw new InvalidOperationException($"the host function returned null for a {kind} result");
        }
        switch (kind)
        {
            case ValKind.I32: result->Kind = (byte)kind; result->I32 = (int)value; break;
            case ValKind.U32: result->Kind = (byte)kind; result->U32 = (uint)value; break;
            case ValKind.I64: result->Kind = (byte)kind; result->I64 = (long)value; break;
            case ValKind.U64: result->Kind = (byte)kind; result->U64 = (ulong)value; break;
            case ValKind.F32: result->Kind = (byte)kind; result->F32 = (float)value; break;
            case ValKind.F64: result->Kind = (byte)kind; result->F64 = (double)value; break;
            case ValKind.Bool: result->Kind = (byte)kind; result->Boolean = (bool)value ? (byte)1 : (byte)0; break;
            case ValKind.String:
                {
                    byte[] utf8 = Encoding.UTF8.GetBytes((string)value);
                    fixed (byte* p = utf8)
                    {
                        HyperlightException.ThrowIfError(NativeMethods.hl_val_set_string(result, p, (nuint)utf8.Length));
                    }
                    break;
                }
            case ValKind.Bytes:
                {
                    byte[] bytes = (byte[])value;
                    fixed (byte* p = bytes)
                    {
                        HyperlightException.ThrowIfError(NativeMethods.hl_val_set_bytes(result, p, (nuint)bytes.Length));
                    }
                    break;
                }
            default:
                throw new InvalidOperationException($"unsupported result kind {kind}");
        }
    }
}
