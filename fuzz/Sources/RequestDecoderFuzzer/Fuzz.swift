import NIOCore
import WeirProtocol

/// libFuzzer entry point: one request frame payload (header + body), decoded as the broker does.
/// Any decoding error is fine; a crash, hang or sanitizer report is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var frame = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    if let header = try? RequestHeader.decode(from: &frame) {
        _ = try? KafkaRequest.decode(header: header, body: &frame)
    }
    // The frame splitter too: the same bytes as a stream of size-prefixed frames.
    var stream = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    let decoder = KafkaFrameDecoder(maximumFrameSize: 1 << 20)
    var frames = 0
    while frames < 1000, let next = try? decoder.nextFrame(from: &stream) {
        _ = next
        frames += 1
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM makes `<Target>_main` the program's `main` (a linker alias), which would shadow libFuzzer's own;
/// so this entry point hands control to libFuzzer's driver.
@_cdecl("RequestDecoderFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return withUnsafeMutablePointer(to: &count) { c in
        withUnsafeMutablePointer(to: &arguments) { a in
            a.withMemoryRebound(to: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.self, capacity: 1) {
                LLVMFuzzerRunDriver(c, $0) { data, size in fuzzRequest(data, size) }
            }
        }
    }
}
