using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Judge.Sandbox.Protocol;

/// <summary>Builds a frame payload: a sequence of (u16 tag, u32 length, bytes) fields.</summary>
internal sealed class FieldWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ReadOnlyMemory<byte> Payload => _buffer.WrittenMemory;

    public FieldWriter Bytes(ushort tag, ReadOnlySpan<byte> value)
    {
        var header = _buffer.GetSpan(6);
        BinaryPrimitives.WriteUInt16LittleEndian(header, tag);
        BinaryPrimitives.WriteUInt32LittleEndian(header[2..], (uint)value.Length);
        _buffer.Advance(6);
        _buffer.Write(value);
        return this;
    }

    public FieldWriter String(ushort tag, string value) => Bytes(tag, Encoding.UTF8.GetBytes(value));

    public FieldWriter Int(ushort tag, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return Bytes(tag, bytes);
    }

    public FieldWriter IntIfPositive(ushort tag, long? value) => value is > 0 ? Int(tag, value.Value) : this;
}

/// <summary>Reads the fields of a received payload; unknown tags are kept and ignored.</summary>
internal sealed class FieldReader
{
    private readonly List<(ushort Tag, ReadOnlyMemory<byte> Value)> _fields = [];

    public FieldReader(ReadOnlyMemory<byte> payload)
    {
        var rest = payload;
        while (rest.Length > 0)
        {
            if (rest.Length < 6)
            {
                throw new AgentProtocolException("A field header is cut short at the end of the payload.");
            }

            var tag = BinaryPrimitives.ReadUInt16LittleEndian(rest.Span);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(rest.Span[2..]);
            if (length > rest.Length - 6)
            {
                throw new AgentProtocolException($"Field {tag} claims {length} bytes but the payload has {rest.Length - 6} left.");
            }

            _fields.Add((tag, rest.Slice(6, (int)length)));
            rest = rest[(6 + (int)length)..];
        }
    }

    public ReadOnlyMemory<byte>? Bytes(ushort tag)
    {
        foreach (var (t, v) in _fields)
        {
            if (t == tag)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>Every value of a repeated field, in order.</summary>
    public IEnumerable<string> Strings(ushort tag) =>
        _fields.Where(f => f.Tag == tag).Select(f => Encoding.UTF8.GetString(f.Value.Span));

    public byte[] BytesOrEmpty(ushort tag) => Bytes(tag)?.ToArray() ?? [];

    public string? String(ushort tag) => Bytes(tag) is { } b ? Encoding.UTF8.GetString(b.Span) : null;

    public long? Int(ushort tag)
    {
        if (Bytes(tag) is not { } b)
        {
            return null;
        }

        if (b.Length != 8)
        {
            throw new AgentProtocolException($"Integer field {tag} has {b.Length} bytes instead of 8.");
        }

        return BinaryPrimitives.ReadInt64LittleEndian(b.Span);
    }

    public long RequiredInt(ushort tag) =>
        Int(tag) ?? throw new AgentProtocolException($"The reply lacks required integer field {tag}.");
}
