import NIOCore
import Testing
import WeirProtocol

/// Seeded mutation fuzzing: decoding mutated/truncated valid messages must succeed or throw, never trap or hang.
@Suite struct FuzzTests {
    struct Seed {
        let isRequest: Bool
        let apiKey: ApiKey
        let version: Int16
        let bytes: [UInt8]
        let response: AnyBody?
    }

    func corpus(_ rng: inout SplitMix64) -> [Seed] {
        var seeds: [Seed] = []
        for apiCase in apiCases {
            for version in apiCase.versions {
                for _ in 0..<12 {
                    var frame = ByteBuffer()
                    RequestHeader(apiKey: apiCase.key, apiVersion: version, correlationId: rng.i32(), clientId: rng.nstr())
                        .encode(to: &frame)
                    var writer = KafkaWriter(buffer: frame)
                    apiCase.wrap(version, &rng).encodeBody(to: &writer, version: version)
                    seeds.append(Seed(isRequest: true, apiKey: apiCase.key, version: version, bytes: writer.joined().bytes, response: nil))
                    let response = apiCase.response(version, &rng)
                    seeds.append(Seed(isRequest: false, apiKey: apiCase.key, version: version, bytes: response.encoded(version).bytes, response: response))
                }
            }
        }
        return seeds
    }

    func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0...rng.below(3) {
            switch rng.below(6) {
            case 0 where !bytes.isEmpty:  // flip bits
                bytes[rng.below(bytes.count)] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1:  // truncate
                bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
            case 2 where bytes.count >= 4:  // a huge or negative length
                let at = rng.below(bytes.count - 3)
                let value: [UInt8] = [[0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFE], [0x00, 0x10, 0x00, 0x00], [0xFF, 0xFF, 0xFF, 0xFF]][rng.below(4)]
                bytes.replaceSubrange(at..<(at + 4), with: value)
            case 3:  // insert random bytes
                let at = rng.below(bytes.count + 1)
                bytes.insert(contentsOf: (0..<rng.below(5)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 4 where !bytes.isEmpty:  // 0xFF run (uvarint continuation bytes)
                let at = rng.below(bytes.count)
                for index in at..<min(bytes.count, at + 1 + rng.below(8)) { bytes[index] = 0xFF }
            default:  // delete a range
                if !bytes.isEmpty {
                    let at = rng.below(bytes.count)
                    bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.below(4)))
                }
            }
        }
        return bytes
    }

    @Test func mutatedMessagesNeverTrap() {
        var rng = SplitMix64(seed: 0xF022_2026)
        let seeds = corpus(&rng)
        var decoded = 0
        var rejected = 0
        let iterations = 200_000
        for _ in 0..<iterations {
            let seed = seeds[rng.below(seeds.count)]
            let bytes = mutate(seed.bytes, &rng)
            var buffer = ByteBuffer(bytes: bytes)
            do {
                if seed.isRequest {
                    let header = try RequestHeader.decode(from: &buffer)
                    _ = try KafkaRequest.decode(header: header, body: &buffer)
                } else if let response = seed.response {
                    _ = try response.decodesEqual(buffer, seed.version)
                }
                decoded += 1
            } catch is ProtocolDecodingError {
                rejected += 1
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
        #expect(decoded + rejected == iterations)
        #expect(rejected > iterations / 4)
        #expect(decoded > 1000)
    }

    @Test func mutatedStreamsThroughFrameDecoder() {
        var rng = SplitMix64(seed: 99)
        let decoder = KafkaFrameDecoder(maximumFrameSize: 1 << 16)
        for _ in 0..<5_000 {
            var stream: [UInt8] = []
            for _ in 0..<3 {
                let payload = (0..<rng.below(40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let size = UInt32(payload.count)
                stream += [UInt8(size >> 24), UInt8((size >> 16) & 0xFF), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF)] + payload
            }
            var buffer = ByteBuffer(bytes: mutate(stream, &rng))
            var frames = 0
            do {
                while let frame = try decoder.nextFrame(from: &buffer) {
                    frames += 1
                    #expect(frame.readableBytes <= 1 << 16)
                }
            } catch {
                #expect(error.kind == .frameTooLarge || error.kind == .truncated)
            }
            #expect(frames <= 200)
        }
    }
}
