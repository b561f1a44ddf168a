using System.Buffers.Binary;

namespace Judge.Sandbox.Protocol;

internal readonly record struct Frame(ushort Type, uint Id, ReadOnlyMemory<byte> Payload)
{
    public static byte[] Encode(ushort type, uint id, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > AgentProtocol.MaxPayload)
        {
            throw new ArgumentException($"Payload of {payload.Length} bytes exceeds the protocol maximum of {AgentProtocol.MaxPayload}.", nameof(payload));
        }

        var bytes = new byte[AgentProtocol.HeaderSize + payload.Length];
        EncodeHeader(bytes, type, id, (uint)payload.Length);
        payload.CopyTo(bytes.AsSpan(AgentProtocol.HeaderSize));
        return bytes;
    }

    public static void EncodeHeader(Span<byte> header, ushort type, uint id, uint length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, AgentProtocol.Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], id);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], length);
    }

    /// <summary>Reads one frame. The host trusts nothing from the guest: a bad header is a protocol error.</summary>
    public static async Task<Frame> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[AgentProtocol.HeaderSize];
        await stream.ReadExactlyAsync(header, cancellationToken);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (magic != AgentProtocol.Magic)
        {
            throw new AgentProtocolException($"Bad frame magic 0x{magic:X8} from the agent.");
        }

        var type = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(4));
        var id = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
        if (length > AgentProtocol.MaxPayload)
        {
            throw new AgentProtocolException($"The agent sent a frame of {length} bytes, above the maximum of {AgentProtocol.MaxPayload}.");
        }

        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        return new Frame(type, id, payload);
    }
}
