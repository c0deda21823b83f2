import Testing
import NIOCore
@testable import WeirRecords

@Suite struct CRC32CTests {
    /// Reference: the standard check value of CRC-32C over "123456789" is 0xE3069283.
    @Test func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    /// Bitwise reference implementation, used to cross-check the fast paths at every length and split.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func matchesReferenceAcrossLengthsIncludingInterleavedBlocks() {
        var rng = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 24_575, 24_576, 24_577, 50_000, 100_003] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(CRC32C.checksum(bytes) == Self.reference(bytes), "length \(length)")
        }
    }

    @Test func chainingComposes() {
        let a = Array("hello, ".utf8), b = Array("world".utf8)
        let whole = CRC32C.checksum(a + b)
        let chained = b.withUnsafeBytes { CRC32C.checksum($0, continuing: CRC32C.checksum(a)) }
        #expect(whole == chained)
    }
}
