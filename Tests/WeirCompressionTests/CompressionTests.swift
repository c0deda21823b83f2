import CLZ4
import CZlib
import Testing
@testable import WeirCompression

/// Deterministic bytes: SplitMix64 so failures replay from the seed.
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
}

/// Text-like input that compresses well, with some random runs mixed in.
func sampleBytes(count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    let words = Array("alpha beta gamma delta epsilon weir kafka record batch ".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        if rng.next() % 8 == 0 {
            out.append(UInt8(truncatingIfNeeded: rng.next()))
        } else {
            let start = Int(rng.next() % UInt64(words.count - 6))
            out.append(contentsOf: words[start..<(start + 6)])
        }
    }
    return Array(out.prefix(count))
}

@Suite struct CompressionTests {
    static let sizes = [0, 1, 100, 65_535, 65_536, 65_537, 300_000]

    @Test(arguments: [CompressionCodec.none, .gzip, .lz4])
    func roundTrip(codec: CompressionCodec) throws {
        for size in Self.sizes {
            let input = sampleBytes(count: size, seed: UInt64(size))
            let compressed = try Compression.compress(input, codec: codec)
            let output = try Compression.decompress(compressed, codec: codec, maxOutputBytes: size)
            #expect(output == input, "codec \(codec) size \(size)")
        }
    }

    @Test func unsupportedCodecsThrow() {
        for codec in [CompressionCodec.snappy, .zstd] {
            #expect(!codec.isSupported)
            #expect(throws: CompressionError(.unsupportedCodec, "\(codec) is not supported by this build")) {
                try Compression.compress([1, 2, 3], codec: codec)
            }
            #expect(throws: CompressionError.self) {
                try Compression.decompress([1, 2, 3], codec: codec, maxOutputBytes: 100)
            }
        }
        #expect(CompressionCodec(rawValue: 5) == nil)
        #expect(CompressionCodec.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
    }

    @Test func gzipAtEveryLevelIsReadable() throws {
        let input = sampleBytes(count: 50_000, seed: 7)
        for level in [-1, 0, 1, 5, 9] {
            let compressed = try Compression.compressGzip(input, level: level)
            #expect(compressed.prefix(2) == [0x1F, 0x8B], "RFC 1952 magic at level \(level)")
            #expect(try Compression.decompress(compressed, codec: .gzip, maxOutputBytes: input.count) == input)
        }
        #expect(throws: CompressionError.self) { try Compression.compressGzip(input, level: 10) }
    }

    @Test func gzipConcatenatedMembersAndZlibStreams() throws {
        let a = sampleBytes(count: 1000, seed: 1), b = sampleBytes(count: 2000, seed: 2)
        let joined = try Compression.compressGzip(a, level: 1) + Compression.compressGzip(b, level: 9)
        #expect(try Compression.decompress(joined, codec: .gzip, maxOutputBytes: 3000) == a + b)

        // A zlib (RFC 1950) stream is auto-detected too (inflateInit2 with 15 + 32).
        var bound = compressBound(uLong(a.count))
        var zlibBytes = [UInt8](repeating: 0, count: Int(bound))
        let status = zlibBytes.withUnsafeMutableBufferPointer { out in
            a.withUnsafeBufferPointer { src in compress(out.baseAddress, &bound, src.baseAddress, uLong(a.count)) }
        }
        #expect(status == Z_OK)
        zlibBytes.removeSubrange(Int(bound)...)
        #expect(try Compression.decompress(zlibBytes, codec: .gzip, maxOutputBytes: a.count) == a)
    }

    @Test func lz4FrameVariants() throws {
        let input = sampleBytes(count: 300_000, seed: 3)
        for checksum in [false, true] {
            for independent in [true, false] {
                for blockSize in [64 * 1024, 4 << 20] {
                    let options = LZ4FrameOptions(blockSize: blockSize, contentChecksum: checksum, independentBlocks: independent)
                    let frame = try Compression.compressLZ4(input, options: options)
                    #expect(frame.prefix(4) == [0x04, 0x22, 0x4D, 0x18], "LZ4 frame magic, little-endian")
                    let flg = frame[4]
                    #expect((flg & 0x04 != 0) == checksum, "content checksum flag")
                    if blockSize < input.count {  // A single-block frame is always marked independent.
                        #expect((flg & 0x20 != 0) == independent, "block independence flag")
                    }
                    #expect(try Compression.decompress(frame, codec: .lz4, maxOutputBytes: input.count) == input)
                }
            }
        }
        // High-compression level and two frames back to back.
        let hc = try Compression.compressLZ4(input, options: LZ4FrameOptions(level: 9))
        let small = try Compression.compressLZ4([1, 2, 3], options: LZ4FrameOptions(contentChecksum: true))
        #expect(try Compression.decompress(hc + small, codec: .lz4, maxOutputBytes: input.count + 3) == input + [1, 2, 3])
    }

    @Test func lz4FrameWithUncompressedBlocksAndNoChecksum() throws {
        // Random bytes do not compress: liblz4 stores those blocks raw (high bit of the block size set).
        var rng = SplitMix64(seed: 99)
        let input = (0..<200_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let frame = try Compression.compressLZ4(input, options: LZ4FrameOptions())
        let firstBlockSize = UInt32(frame[7]) | UInt32(frame[8]) << 8 | UInt32(frame[9]) << 16 | UInt32(frame[10]) << 24
        #expect(firstBlockSize & 0x8000_0000 != 0, "first block stored uncompressed")
        #expect(try Compression.decompress(frame, codec: .lz4, maxOutputBytes: input.count) == input)
    }

    @Test(arguments: [CompressionCodec.gzip, .lz4])
    func decompressionBombsAreBounded(codec: CompressionCodec) throws {
        let zeros = [UInt8](repeating: 0, count: 20 << 20)  // 20 MiB of zeros compresses to a few KiB
        let bomb = try Compression.compress(zeros, codec: codec)
        #expect(bomb.count < 200_000)
        for limit in [0, 1, 1000, 1 << 20, (20 << 20) - 1] {
            #expect(throws: CompressionError.self) {
                try Compression.decompress(bomb, codec: codec, maxOutputBytes: limit)
            }
            do {
                _ = try Compression.decompress(bomb, codec: codec, maxOutputBytes: limit)
            } catch {
                #expect(error.kind == .outputLimitExceeded, "limit \(limit): \(error)")
            }
        }
        #expect(try Compression.decompress(bomb, codec: codec, maxOutputBytes: 20 << 20).count == 20 << 20)
        #expect(throws: CompressionError.self) { try Compression.decompress([1, 2], codec: .none, maxOutputBytes: 1) }
    }

    @Test(arguments: [CompressionCodec.gzip, .lz4])
    func truncatedStreamsThrow(codec: CompressionCodec) throws {
        let input = sampleBytes(count: 10_000, seed: 5)
        let options = LZ4FrameOptions(contentChecksum: true)
        let compressed = codec == .lz4 ? try Compression.compressLZ4(input, options: options) : try Compression.compress(input, codec: codec)
        for cut in 0..<compressed.count {
            let prefix = Array(compressed.prefix(cut))
            do {
                _ = try Compression.decompress(prefix, codec: codec, maxOutputBytes: input.count)
                Issue.record("\(codec) accepted a stream cut at \(cut) of \(compressed.count)")
            } catch {
                #expect(error.kind != .libraryFailure && error.kind != .unsupportedCodec)
            }
        }
    }

    @Test(arguments: [CompressionCodec.gzip, .lz4])
    func corruptStreamsNeverTrap(codec: CompressionCodec) throws {
        let input = sampleBytes(count: 5_000, seed: 11)
        let compressed =
            codec == .lz4
            ? try Compression.compressLZ4(input, options: LZ4FrameOptions(contentChecksum: true))
            : try Compression.compress(input, codec: codec)
        var rng = SplitMix64(seed: 0xC0FFEE)
        var rejected = 0
        for _ in 0..<3000 {
            var mutated = compressed
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(mutated.count))
                mutated[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
            do {
                let out = try Compression.decompress(mutated, codec: codec, maxOutputBytes: input.count)
                #expect(out.count <= input.count)
            } catch {
                rejected += 1
            }
        }
        // Both formats carry checksums (gzip CRC-32 trailer, lz4 content checksum), so nearly all are caught.
        #expect(rejected > 2900)
    }
}
