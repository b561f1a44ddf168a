using System.Buffers.Binary;
using Judge.Sandbox.Protocol;

namespace Judge.Sandbox.Tests.Protocol;

/// <summary>Unit tests of the host's frame and field codec: the host trusts no byte from the guest.</summary>
public sealed class FrameTests
{
    [Fact]
    public async Task A_frame_round_trips_type_id_and_payload()
    {
        var payload = new FieldWriter().String(1, "héllo").Int(2, -42).Bytes(3, [0, 255]).Payload;
        var bytes = Frame.Encode(0x8006, 77, payload.Span);

        var frame = await Frame.ReadAsync(new MemoryStream(bytes), CancellationToken.None);
        var fields = new FieldReader(frame.Payload);

        Assert.Equal(0x8006, frame.Type);
        Assert.Equal(77u, frame.Id);
        Assert.Equal("héllo", fields.String(1));
        Assert.Equal(-42, fields.Int(2));
        Assert.Equal(new byte[] { 0, 255 }, fields.BytesOrEmpty(3));
        Assert.Null(fields.Int(9));
    }

    [Fact]
    public void The_header_is_little_endian_with_the_JGA1_magic()
    {
        var bytes = Frame.Encode(0x0003, 0x01020304, [9]);

        Assert.Equal("JGA1"u8.ToArray(), bytes[..4]);
        Assert.Equal(0x0003, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(17, bytes.Length);
    }

    [Fact]
    public async Task Bad_magic_from_the_guest_is_a_protocol_error()
    {
        var bytes = Frame.Encode(1, 0, []);
        bytes[0] = (byte)'X';

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => Frame.ReadAsync(new MemoryStream(bytes), CancellationToken.None));
        Assert.Contains("magic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_length_is_refused_before_allocating()
    {
        var header = new byte[AgentProtocol.HeaderSize];
        Frame.EncodeHeader(header, 0x8006, 1, uint.MaxValue);

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => Frame.ReadAsync(new MemoryStream(header), CancellationToken.None));
        Assert.Contains("maximum", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_cut_short_is_an_end_of_stream()
    {
        var bytes = Frame.Encode(1, 0, new byte[10]);

        await Assert.ThrowsAsync<EndOfStreamException>(() => Frame.ReadAsync(new MemoryStream(bytes[..20]), CancellationToken.None));
    }

    [Fact]
    public void A_field_longer_than_the_payload_is_rejected()
    {
        var payload = new FieldWriter().Bytes(1, new byte[8]).Payload.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(2), 9);

        Assert.Throws<AgentProtocolException>(() => new FieldReader(payload));
    }

    [Fact]
    public void An_integer_field_must_have_eight_bytes()
    {
        var fields = new FieldReader(new FieldWriter().Bytes(1, [1, 2, 3]).Payload);

        Assert.Throws<AgentProtocolException>(() => fields.Int(1));
    }
}
