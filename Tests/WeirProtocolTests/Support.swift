import NIOCore
import WeirProtocol

/// SplitMix64: small deterministic generator for samples and fuzzing.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func i8() -> Int8 { Int8(truncatingIfNeeded: next()) }
    mutating func i16() -> Int16 { Int16(truncatingIfNeeded: next()) }
    mutating func i32() -> Int32 { Int32(truncatingIfNeeded: next()) }
    mutating func i64() -> Int64 { Int64(bitPattern: next()) }
    mutating func bool() -> Bool { next() & 1 == 1 }

    mutating func str() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789._-é")
        return String((0..<below(12)).map { _ in alphabet[below(alphabet.count)] })
    }

    mutating func nstr() -> String? { below(4) == 0 ? nil : str() }

    mutating func bytes() -> ByteBuffer {
        var buffer = ByteBuffer()
        for _ in 0..<below(20) { buffer.writeInteger(UInt8(truncatingIfNeeded: next())) }
        return buffer
    }

    mutating func records() -> ByteBuffer? {
        if below(4) == 0 { return nil }
        var buffer = ByteBuffer()
        for _ in 0..<below(600) { buffer.writeInteger(UInt8(truncatingIfNeeded: next())) }
        return buffer
    }

    mutating func array<T>(_ element: (inout SplitMix64) -> T) -> [T] {
        (0..<below(4)).map { _ in element(&self) }
    }

    mutating func nullableArray<T>(_ element: (inout SplitMix64) -> T) -> [T]? {
        below(4) == 0 ? nil : array(element)
    }
}

/// A type-erased message body, for table-driven tests.
struct AnyBody {
    let apiKey: ApiKey
    let encode: (Int16, Bool) -> [ByteBuffer]
    /// Decodes `buffer` at `version` and says whether the result equals the original, and all input was consumed.
    let decodesEqual: (ByteBuffer, Int16) throws -> Bool

    init<B: KafkaMessageBody>(_ body: B) {
        apiKey = B.apiKey
        encode = { version, zeroCopy in
            var writer = KafkaWriter(zeroCopyRecords: zeroCopy)
            body.encode(to: &writer, version: version)
            return writer.pieces()
        }
        decodesEqual = { buffer, version in
            var input = buffer
            let decoded = try B(from: &input, version: version)
            return decoded == body && input.readableBytes == 0
        }
    }

    func encoded(_ version: Int16) -> ByteBuffer {
        var out = ByteBuffer()
        for piece in encode(version, false) { out.writeImmutableBuffer(piece) }
        return out
    }
}

struct APICase: Sendable {
    let key: ApiKey
    let versions: ClosedRange<Int16>
    let request: @Sendable (Int16, inout SplitMix64) -> AnyBody
    let response: @Sendable (Int16, inout SplitMix64) -> AnyBody
    let wrap: @Sendable (Int16, inout SplitMix64) -> KafkaRequest
}

extension ByteBuffer {
    init(bytes: [UInt8]) {
        self.init()
        writeBytes(bytes)
    }

    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}
