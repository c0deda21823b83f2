import NIOCore
import Testing
import WeirCompression
@testable import WeirRecords
import WeirTestSupport

/// The pointer-based varint reader and one-pass record validation against the byte-at-a-time reference they
/// replaced (kept verbatim below): the same values, the same reader index, and the same errors, kind and message.
@Suite struct VarintFastPathTests {
    /// The ByteBuffer varint reader as it was before the fast path.
    static func referenceUnsigned(_ buffer: inout ByteBuffer, maxBytes: Int) throws(VarintError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = buffer.readerIndex
        for _ in 0..<maxBytes {
            guard let byte = buffer.getInteger(at: index, as: UInt8.self) else { throw VarintError(reason: .truncated) }
            index += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                buffer.moveReaderIndex(to: index)
                return result
            }
            shift += 7
        }
        throw VarintError(reason: .tooLong)
    }

    func both(_ bytes: [UInt8], maxBytes: Int) -> (Result<UInt64, VarintError>, Int, Result<UInt64, VarintError>, Int) {
        var a = ByteBuffer(bytes: bytes)
        var b = a
        let fast = Result { () throws(VarintError) in try a.readUnsignedVarint(maxBytes: maxBytes) }
        let reference = Result { () throws(VarintError) in try Self.referenceUnsigned(&b, maxBytes: maxBytes) }
        return (fast, a.readerIndex, reference, b.readerIndex)
    }

    func expectSame(_ bytes: [UInt8], maxBytes: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let (fast, fastIndex, reference, referenceIndex) = both(bytes, maxBytes: maxBytes)
        #expect(fast == reference, "\(bytes) max \(maxBytes)", sourceLocation: sourceLocation)
        #expect(fastIndex == referenceIndex, "\(bytes) max \(maxBytes)", sourceLocation: sourceLocation)
    }

    @Test func roundTripsAtEveryLength() throws {
        var values: [UInt64] = [0, 1, 63, 64, 127, 128, 255, 16_383, 16_384, 2_097_151, 2_097_152, UInt64(UInt32.max), UInt64(UInt32.max) + 1, UInt64.max - 1, UInt64.max]
        for shift in 0..<64 { values.append(1 << UInt64(shift)); values.append((1 << UInt64(shift)) - 1) }
        for value in values {
            var buffer = ByteBuffer()
            let written = buffer.writeUnsignedVarint(value)
            buffer.writeInteger(UInt8(0xAB))  // a trailing byte that must stay unread
            #expect(try buffer.readUnsignedVarint() == value)
            #expect(buffer.readableBytes == 1)
            #expect(written == Varint.size(unsigned: value))
            for maxBytes in [1, 5, 9, 10] {
                var copy = ByteBuffer()
                copy.writeUnsignedVarint(value)
                expectSame(Array(copy.readableBytesView), maxBytes: maxBytes)
            }
        }
        for value: Int64 in [0, -1, 1, Int64(Int32.max), Int64(Int32.min), .max, .min] {
            var buffer = ByteBuffer()
            buffer.writeVarint(value)
            #expect(try buffer.readVarlong() == value)
        }
    }

    @Test func tenByteVarints() throws {
        // UInt64.max: nine 0xFF and a final 0x01.
        let max = [UInt8](repeating: 0xFF, count: 9) + [0x01]
        var buffer = ByteBuffer(bytes: max)
        #expect(try buffer.readUnsignedVarint(maxBytes: 10) == UInt64.max)
        // A 10th byte with more than one significant bit: the extra bits fall off, as they always did.
        expectSame([UInt8](repeating: 0xFF, count: 9) + [0x7F], maxBytes: 10)
        // A continuation bit on the 10th byte, or 11 bytes: too long.
        expectSame([UInt8](repeating: 0xFF, count: 10) + [0x01], maxBytes: 10)
        var tooLong = ByteBuffer(bytes: [UInt8](repeating: 0x80, count: 10) + [0x00])
        #expect(throws: VarintError(reason: .tooLong)) { try tooLong.readUnsignedVarint(maxBytes: 10) }
        #expect(tooLong.readerIndex == 0)
        // Nine bytes allowed: the 10-byte value is too long.
        expectSame(max, maxBytes: 9)
    }

    @Test func overlongAndOutOfRange() throws {
        // Non-canonical (padded) encodings are accepted, as before: 0 in two bytes, 1 in five.
        expectSame([0x80, 0x00], maxBytes: 5)
        expectSame([0x81, 0x80, 0x80, 0x80, 0x00], maxBytes: 5)
        var padded = ByteBuffer(bytes: [0x81, 0x80, 0x80, 0x80, 0x00])
        #expect(try padded.readUnsignedVarint(maxBytes: 5) == 1)
        // 32-bit varints: UInt32.max zig-zagged is fine, one more bit is too long, six bytes are too long.
        var edge = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(try edge.readVarint() == Varint.unZigZag(UInt64(UInt32.max)))
        var over = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x1F])
        #expect(throws: VarintError(reason: .tooLong)) { try over.readVarint() }
        #expect(over.readerIndex == 5)  // the 5 bytes were a valid uvarint: read, then refused as before
        var six = ByteBuffer(bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
        #expect(throws: VarintError(reason: .tooLong)) { try six.readVarint() }
        expectSame([0x80, 0x80, 0x80, 0x80, 0x80, 0x00], maxBytes: 5)
        // maxBytes 0 reads nothing and is too long, even on an empty buffer.
        expectSame([], maxBytes: 0)
        expectSame([0x01], maxBytes: 0)
    }

    @Test func truncationAtEveryPrefix() throws {
        var full = ByteBuffer()
        full.writeUnsignedVarint(UInt64.max)
        let bytes = Array(full.readableBytesView)
        for cut in 0..<bytes.count {
            var prefix = ByteBuffer(bytes: Array(bytes[..<cut]))
            #expect(throws: VarintError(reason: .truncated)) { try prefix.readUnsignedVarint() }
            #expect(prefix.readerIndex == 0)
            expectSame(Array(bytes[..<cut]), maxBytes: 10)
            expectSame(Array(bytes[..<cut]), maxBytes: 5)
        }
        // A slice that starts inside a larger buffer and ends mid-varint is truncated too.
        var outer = ByteBuffer(bytes: [0x01, 0x80, 0x80, 0x80, 0x01])
        outer.moveReaderIndex(forwardBy: 1)
        var slice = outer.getSlice(at: outer.readerIndex, length: 3)!
        #expect(throws: VarintError(reason: .truncated)) { try slice.readUnsignedVarint() }
    }

    @Test func randomBytesMatchTheReference() async throws {
        try await onDedicatedThread {
            var rng = SplitMix64(seed: 0xFA57)
            for _ in 0..<20_000 {
                let length = Int(rng.next() % 13)
                var bytes: [UInt8] = []
                for _ in 0..<length {
                    // Mostly continuation bytes, so long and truncated varints are common.
                    let r = rng.next()
                    bytes.append(r % 3 == 0 ? UInt8(truncatingIfNeeded: r >> 8) & 0x7F : UInt8(truncatingIfNeeded: r >> 8) | 0x80)
                }
                expectSame(bytes, maxBytes: [0, 1, 5, 10][Int(rng.next() % 4)])
            }
        }
    }
}

@Suite struct RecordValidationFastPathTests {
    /// Record parsing and batch validation as they were before the one-pass validator (per-field ByteBuffer
    /// reads, a `Record` per record); the oracle for errors and summaries.
    enum Reference {
        static func varint(_ buffer: inout ByteBuffer, _ field: StaticString) throws(RecordBatchError) -> Int32 {
            do throws(VarintError) {
                let raw = try VarintFastPathTests.referenceUnsigned(&buffer, maxBytes: 5)
                guard raw <= UInt64(UInt32.max) else { throw VarintError(reason: .tooLong) }
                return Int32(truncatingIfNeeded: Varint.unZigZag(raw))
            } catch {
                throw RecordBatchError(.invalidStructure, "malformed \(field) varint (\(error.reason))")
            }
        }

        static func nullableBytes(_ buffer: inout ByteBuffer, _ field: StaticString) throws(RecordBatchError) -> ByteBuffer? {
            let length = try varint(&buffer, field)
            if length == -1 { return nil }
            guard length >= 0, let slice = buffer.readSlice(length: Int(length)) else {
                throw RecordBatchError(.invalidStructure, "\(field) length \(length) is invalid for \(buffer.readableBytes) bytes")
            }
            return slice
        }

        static func read(from buffer: inout ByteBuffer) throws(RecordBatchError) -> Record {
            let length = try varint(&buffer, "record length")
            guard length >= 6 else { throw RecordBatchError(.invalidStructure, "record length \(length) is too small") }
            guard length <= buffer.readableBytes, var body = buffer.readSlice(length: Int(length)) else {
                throw RecordBatchError(.invalidStructure, "record length \(length) exceeds the \(buffer.readableBytes) bytes left")
            }
            guard let attributes = body.readInteger(as: Int8.self) else {
                throw RecordBatchError(.invalidStructure, "record ends before its attributes")
            }
            let timestampDelta: Int64
            do throws(VarintError) {
                timestampDelta = Varint.unZigZag(try VarintFastPathTests.referenceUnsigned(&body, maxBytes: 10))
            } catch {
                throw RecordBatchError(.invalidStructure, "malformed timestampDelta (\(error.reason))")
            }
            let offsetDelta = try varint(&body, "offsetDelta")
            let key = try nullableBytes(&body, "key")
            let value = try nullableBytes(&body, "value")
            let headerCount = try varint(&body, "headersCount")
            guard headerCount >= 0, headerCount <= body.readableBytes / 2 else {
                throw RecordBatchError(.invalidStructure, "headersCount \(headerCount) is invalid for \(body.readableBytes) bytes")
            }
            var headers: [RecordHeader] = []
            for _ in 0..<headerCount {
                let keyLength = try varint(&body, "header key length")
                guard keyLength >= 0, let keyBytes = body.readSlice(length: Int(keyLength)) else {
                    throw RecordBatchError(.invalidStructure, "header key length \(keyLength) is invalid")
                }
                let headerValue = try nullableBytes(&body, "header value")
                headers.append(RecordHeader(key: String(buffer: keyBytes), value: headerValue))
            }
            guard body.readableBytes == 0 else {
                throw RecordBatchError(.invalidStructure, "record has \(body.readableBytes) bytes after its headers")
            }
            return Record(offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, value: value, headers: headers, attributes: attributes)
        }

        /// The record loop of `validateForAppend` as it was (the checks before it are unchanged and shared).
        static func records(_ batch: RecordBatch, requireKeys: Bool) throws(RecordBatchError) -> (summary: RecordBatchSummary, records: [Record]) {
            let count = batch.header.recordCount
            var region = try batch.decompressedRecordsRegion()
            var summary = RecordBatchSummary(
                recordCount: Int(count), codec: batch.compressionCodec!, firstTimestamp: 0, lastTimestamp: 0, minTimestamp: .max,
                maxTimestamp: .min, offsetDeltaOfMaxTimestamp: 0, uncompressedRecordsBytes: region.readableBytes)
            var records: [Record] = []
            var expectedDelta: Int32 = 0
            while expectedDelta < count {
                guard region.readableBytes > 0 else {
                    throw RecordBatchError(.invalidStructure, "records region ends with \(count - expectedDelta) records missing")
                }
                let record = try read(from: &region)
                guard record.offsetDelta == expectedDelta else {
                    throw RecordBatchError(.invalidStructure, "record \(expectedDelta) has offsetDelta \(record.offsetDelta)")
                }
                if requireKeys, record.key == nil {
                    throw RecordBatchError(.invalidStructure, "record \(expectedDelta) has a null key on a compacted topic")
                }
                let timestamp = batch.header.baseTimestamp &+ record.timestampDelta
                if expectedDelta == 0 { summary.firstTimestamp = timestamp }
                summary.lastTimestamp = timestamp
                summary.minTimestamp = Swift.min(summary.minTimestamp, timestamp)
                if timestamp > summary.maxTimestamp {
                    summary.maxTimestamp = timestamp
                    summary.offsetDeltaOfMaxTimestamp = record.offsetDelta
                }
                records.append(record)
                expectedDelta += 1
            }
            guard region.readableBytes == 0 else {
                throw RecordBatchError(.invalidStructure, "\(region.readableBytes) bytes follow the last record")
            }
            return (summary, records)
        }
    }

    /// Validates `batch` both ways (when the cheap header checks pass) and expects the same outcome.
    func compare(_ batch: RecordBatch, requireKeys: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = Result { () throws(RecordBatchError) in
            try batch.validateForAppend(maxBatchBytes: 1 << 24, requireKeys: requireKeys)
        }
        // The header checks ahead of the record loop are shared; compare only batches that reach the loop.
        guard batch.header.recordCount > 0, batch.header.lastOffsetDelta == batch.header.recordCount - 1,
            let region = try? batch.decompressedRecordsRegion(), Int(batch.header.recordCount) <= region.readableBytes / 7
        else { return }
        let reference = Result { () throws(RecordBatchError) in try Reference.records(batch, requireKeys: requireKeys) }
        switch (fast, reference) {
        case (.success(let a), .success(let b)):
            #expect(a == b.summary, sourceLocation: sourceLocation)
            // The iterator (Record.read on the same parser) yields the records the reference parsed.
            if var it = try? batch.records() {
                var got: [Record] = []
                while let r = try? it.next() { got.append(r) }
                #expect(got == b.records, sourceLocation: sourceLocation)
            }
        case (.failure(let a), .failure(let b)):
            #expect(a.kind == b.kind, sourceLocation: sourceLocation)
            #expect(a.description == b.description, sourceLocation: sourceLocation)
        default:
            Issue.record("fast \(fast) vs reference \(reference)", sourceLocation: sourceLocation)
        }
    }

    @Test func validBatchesAgree() throws {
        for count in [1, 2, 5, 9, 40] {
            for codec in [CompressionCodec.none, .gzip, .lz4] {
                let batch = try sampleBatch(codec: codec, count: count)
                compare(batch, requireKeys: false)
                compare(batch, requireKeys: true)
            }
        }
    }

    @Test func mutatedBatchesFailTheSameWay() async throws {
        try await onDedicatedThread {
            var rng = SplitMix64(seed: 0xB00C)
            let batch = try sampleBatch(count: 8)
            for round in 0..<6000 {
                var region = batch.recordsRegion
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let at = Int(rng.next() % UInt64(region.readableBytes))
                    // Bytes that make long and truncated varints and wrong lengths likely.
                    let choices: [UInt8] = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF, 0x0C, UInt8(truncatingIfNeeded: rng.next())]
                    region.setInteger(choices[Int(rng.next() % UInt64(choices.count))], at: at)
                }
                if round % 5 == 0 { region = region.getSlice(at: 0, length: Int(rng.next() % UInt64(region.readableBytes + 1)))! }
                if round % 7 == 0 { region.writeInteger(UInt8(truncatingIfNeeded: rng.next())) }
                var header = batch.header
                if round % 11 == 0 {
                    header.recordCount = Int32(1 + rng.next() % 10)
                    header.lastOffsetDelta = header.recordCount - 1
                }
                let mutated = try RecordBatchBuilder.assemble(header: header, recordsRegion: region)
                compare(mutated, requireKeys: round % 2 == 0)
            }
        }
    }

    @Test func handMadeRecords() throws {
        // Each region holds one record after `count` = 1; every case must match the reference.
        let cases: [[UInt8]] = [
            [0x0C, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00],  // length 6: key null, value null, 0 headers
            [0x0E, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00],  // one byte after the headers
            [0x0A, 0x00, 0x00, 0x00, 0x01, 0x01],  // length 5: too small
            [0x0C, 0x00, 0x00, 0x00, 0x01, 0x01],  // length 6 but 5 bytes left
            [0x0C, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],  // timestampDelta truncated inside the record
            [0x0C, 0x00, 0x00, 0x02, 0x01, 0x01, 0x00],  // offsetDelta 1 in record 0
            [0x0C, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00],  // key length -2
            [0x0C, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00],  // key length 2 beyond the record
            [0x0C, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02],  // one header in no bytes
            [0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x05, 0x01],  // header key length -3
            [0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00, 0x01],  // empty header key, null value
            [0x14, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x02, 0x61, 0x02, 0x62],  // header "a" = "b"
            [0x14, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x02, 0x61, 0x04, 0x62],  // header value too long
            [0xFF, 0xFF, 0xFF, 0xFF, 0x1F],  // record length beyond 32 bits
            [0x80],  // record length truncated
            [0x0C, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x0C, 0x00],  // bytes after the last record
        ]
        for bytes in cases {
            var header = try sampleBatch(count: 1).header
            header.recordCount = 1
            header.lastOffsetDelta = 0
            var region = ByteBuffer(bytes: bytes)
            while region.readableBytes < 7 { region.writeInteger(UInt8(0)) }  // pass the count-fits check
            let batch = try RecordBatchBuilder.assemble(header: header, recordsRegion: region)
            compare(batch, requireKeys: false)
            compare(batch, requireKeys: true)
        }
    }
}
