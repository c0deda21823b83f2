#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import WeirProtocol

/// Everything the client can fail with, worded for an operator: the message says which broker, which
/// request and, for a broker answer, the Kafka error name (`UNKNOWN_TOPIC_OR_PARTITION (3)`).
///
/// A struct with a private kind and static constructors (the swift-service-lifecycle error pattern):
/// new kinds can be added without breaking `switch`es, and `code` exposes the Kafka error when there is one.
public struct WeirClientError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case cannotConnect
        case connectionClosed
        case timedOut
        case protocolError
        case unsupportedVersion
        case kafka
        case invalidArgument
    }

    let kind: Kind
    /// The Kafka error code the broker answered with, for errors that come from a broker answer.
    public let code: KafkaErrorCode?
    /// The full, human-readable message.
    public let message: String

    init(_ kind: Kind, code: KafkaErrorCode? = nil, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Whether the broker could not be reached at all (connect failed).
    public var isConnectFailure: Bool { kind == .cannotConnect }
    /// Whether a request got no answer in time.
    public var isTimeout: Bool { kind == .timedOut }
    /// Whether the broker closed the connection before answering.
    public var isConnectionClosed: Bool { kind == .connectionClosed }

    /// "cannot connect to broker 127.0.0.1:9092: connection refused".
    static func cannotConnect(_ address: BrokerAddress, reason: String) -> WeirClientError {
        WeirClientError(.cannotConnect, "cannot connect to broker \(address): \(reason)")
    }

    static func connectionClosed(_ address: BrokerAddress, while what: String) -> WeirClientError {
        WeirClientError(.connectionClosed, "broker \(address) closed the connection while waiting for \(what)")
    }

    static func timedOut(_ address: BrokerAddress, _ what: String, after timeout: TimeAmount) -> WeirClientError {
        WeirClientError(.timedOut, "no answer from broker \(address) to \(what) within \(timeout.nanoseconds / 1_000_000) ms")
    }

    static func protocolError(_ address: BrokerAddress, _ detail: String) -> WeirClientError {
        WeirClientError(.protocolError, "protocol error talking to broker \(address): \(detail)")
    }

    static func unsupportedVersion(_ address: BrokerAddress, _ api: ApiKey, client: ClosedRange<Int16>, broker: ClosedRange<Int16>?) -> WeirClientError {
        let brokerText = broker.map { "v\($0.lowerBound)-\($0.upperBound)" } ?? "no version"
        return WeirClientError(
            .unsupportedVersion, code: .unsupportedVersion,
            "broker \(address) supports \(api) \(brokerText), this client needs v\(client.lowerBound)-\(client.upperBound)")
    }

    /// A Kafka error code in an answer: "cannot create topic orders: TOPIC_ALREADY_EXISTS (36): Topic exists".
    public static func kafka(_ code: KafkaErrorCode, _ context: String, message: String? = nil) -> WeirClientError {
        var text = "\(context): \(code)"
        if let message, !message.isEmpty { text += ": \(message)" }
        return WeirClientError(.kafka, code: code, text)
    }

    public static func invalidArgument(_ message: String) -> WeirClientError {
        WeirClientError(.invalidArgument, message)
    }

    /// Words for a connect failure from NIO: the errno text ("connection refused") when there is one.
    static func describeConnectError(_ error: any Error) -> String {
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first {
                return describeConnectError(first.error)
            }
            if let dns = connection.dnsAAAAError ?? connection.dnsAError {
                return "cannot resolve host (\(dns))"
            }
            return "no address to connect to"
        }
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel {
            return "connection timed out"
        }
        return "\(error)"
    }
}

/// A broker's host and port, parsed from "HOST:PORT" (IPv6 as "[::1]:9092").
public struct BrokerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses "HOST:PORT", "[IPv6]:PORT" or "HOST" (port 9092).
    public init(parsing text: String) throws(WeirClientError) {
        var host = Substring(text)
        var port = 9092
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                throw .invalidArgument("invalid broker address '\(text)': missing ']'")
            }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else {
                    throw .invalidArgument("invalid broker address '\(text)': expected [HOST]:PORT")
                }
                port = p
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]) else {
                throw .invalidArgument("invalid broker address '\(text)': port is not a number")
            }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw .invalidArgument("invalid broker address '\(text)': empty host") }
        guard (1...65535).contains(port) else {
            throw .invalidArgument("invalid broker address '\(text)': port \(port) is out of range")
        }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
