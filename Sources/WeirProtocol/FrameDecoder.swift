import NIOCore

/// Splits a byte stream into Kafka frames (int32 size + payload). Emits the payload without the size prefix.
public struct KafkaFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// Kafka's `socket.request.max.bytes` default: 100 MiB.
    public static let defaultMaximumFrameSize = 100 * 1024 * 1024

    public let maximumFrameSize: Int

    public init(maximumFrameSize: Int = KafkaFrameDecoder.defaultMaximumFrameSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Removes one complete frame's payload from `buffer`, or returns nil (leaving `buffer` untouched) when more
    /// bytes are needed. Throws `.frameTooLarge` for a negative size or one above `maximumFrameSize`.
    public func nextFrame(from buffer: inout ByteBuffer) throws(ProtocolDecodingError) -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int32.self) else {
            return nil
        }
        guard size >= 0, Int(size) <= maximumFrameSize else {
            throw ProtocolDecodingError(.frameTooLarge, "frame size \(size) (maximum \(maximumFrameSize))")
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws(ProtocolDecodingError) -> DecodingState {
        guard let frame = try nextFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }
}
