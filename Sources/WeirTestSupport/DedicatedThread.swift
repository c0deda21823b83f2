import Foundation

/// Runs CPU-heavy synchronous test work (simulations, fuzzing) on a thread of its own, so it does not
/// hold one of the few cooperative-pool threads (two on a 2-core machine) that tests running an
/// in-process broker need in the meantime.
public func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 16 << 20
        thread.start()
    }
}
