import NIOCore
import Testing
import WeirProtocol

@Suite struct FrameDecoderTests {
    func stream() -> (ByteBuffer, [ByteBuffer]) {
        var rng = SplitMix64(seed: 7)
        var whole = ByteBuffer()
        var payloads: [ByteBuffer] = []
        for index in 0..<20 {
            var payload = ByteBuffer()
            for _ in 0..<(index == 3 ? 0 : rng.below(300)) { payload.writeInteger(UInt8(truncatingIfNeeded: rng.next())) }
            whole.writeI32(Int32(payload.readableBytes))
            whole.writeImmutableBuffer(payload)
            payloads.append(payload)
        }
        return (whole, payloads)
    }

    @Test func wholeStream() throws {
        var (input, payloads) = stream()
        let decoder = KafkaFrameDecoder()
        var frames: [ByteBuffer] = []
        while let frame = try decoder.nextFrame(from: &input) { frames.append(frame) }
        #expect(frames == payloads)
        #expect(input.readableBytes == 0)
    }

    @Test func byteByByte() throws {
        let (whole, payloads) = stream()
        let decoder = KafkaFrameDecoder()
        var pending = ByteBuffer()
        var frames: [ByteBuffer] = []
        for byte in whole.bytes {
            pending.writeInteger(byte)
            while let frame = try decoder.nextFrame(from: &pending) { frames.append(frame) }
        }
        #expect(frames == payloads)
        #expect(pending.readableBytes == 0)
    }

    @Test func partialInputLeavesBufferUntouched() throws {
        var input = ByteBuffer(bytes: [0, 0, 0, 5, 1, 2])
        let before = input
        #expect(try KafkaFrameDecoder().nextFrame(from: &input) == nil)
        #expect(input == before)
        var short = ByteBuffer(bytes: [0, 0])
        #expect(try KafkaFrameDecoder().nextFrame(from: &short) == nil)
    }

    @Test func oversizeAndNegativeFramesThrow() {
        for size: Int32 in [101 * 1024 * 1024, Int32.max, -1, Int32.min] {
            var input = ByteBuffer()
            input.writeI32(size)
            #expect(throws: ProtocolDecodingError.self) { try KafkaFrameDecoder().nextFrame(from: &input) }
        }
        var input = ByteBuffer()
        input.writeI32(11)
        #expect(throws: ProtocolDecodingError.self) { try KafkaFrameDecoder(maximumFrameSize: 10).nextFrame(from: &input) }
        do {
            _ = try KafkaFrameDecoder(maximumFrameSize: 10).nextFrame(from: &input)
            Issue.record("no error")
        } catch {
            #expect(error.kind == .frameTooLarge)
        }
        var exact = ByteBuffer()
        exact.writeI32(10)
        exact.writeRepeatingByte(1, count: 10)
        #expect((try? KafkaFrameDecoder(maximumFrameSize: 10).nextFrame(from: &exact))??.readableBytes == 10)
    }
}
