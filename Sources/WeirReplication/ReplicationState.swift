import NIOCore
import WeirStorage

/// What a node persists about its place in the pair. Written durably before the node acts on it.
public struct ReplicationState: Hashable, Sendable, CustomStringConvertible {
    public var epoch: Epoch
    public var role: Role
    /// The primary's incarnation within `epoch` (see `LeaderEpoch`); meaningful on a primary only.
    public var incarnation: UInt16
    /// Primary: its replica holds every record it acknowledged (it is synchronous); false while it
    /// acknowledges alone — kept across a restart, so a restarted primary goes on acknowledging alone.
    /// Replica: its primary was last heard synchronous, so this log holds every acknowledged record and
    /// may be promoted. False after adopting a new epoch, until the primary says so.
    public var inSync: Bool

    public init(epoch: Epoch, role: Role, incarnation: UInt16 = 0, inSync: Bool = false) {
        self.epoch = epoch
        self.role = role
        self.incarnation = incarnation
        self.inSync = inSync
    }

    public var description: String { "\(role)@\(epoch).\(incarnation)\(inSync ? " in-sync" : " not-in-sync")" }

    /// The initial state of a fresh pair: the configured primary holds the first epoch it owns, the
    /// replica epoch 0 (it learns the primary's epoch from the first response).
    public static func initial(role: Role, node: NodeId, peer: NodeId) -> ReplicationState {
        role == .primary ? ReplicationState(epoch: Epoch.zero.next(ownedBy: node, peer: peer), role: .primary, inSync: true) : ReplicationState(epoch: .zero, role: .replica)
    }

    var encoded: String { "weir-replication-state v1 epoch=\(epoch.value) role=\(role.rawValue) incarnation=\(incarnation) insync=\(inSync ? 1 : 0)\n" }

    init?(encoded text: String) {
        var fields: [Substring: Substring] = [:]
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard words.count == 6, words[0] == "weir-replication-state", words[1] == "v1" else { return nil }
        for word in words.dropFirst(2) {
            let parts = word.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            fields[parts[0]] = parts[1]
        }
        guard let e = fields["epoch"].flatMap({ Int32($0) }), e >= 0, let r = fields["role"].flatMap({ Role(rawValue: String($0)) }),
            let i = fields["incarnation"].flatMap({ UInt16($0) }), let sync = fields["insync"], sync == "0" || sync == "1"
        else { return nil }
        self.init(epoch: Epoch(e), role: r, incarnation: i, inSync: sync == "1")
    }
}

/// Where a node's `ReplicationState` lives. `save` returns only once the state is durable.
public protocol ReplicationStateStore: AnyObject {
    func load() throws(StorageError) -> ReplicationState?
    func save(_ state: ReplicationState) throws(StorageError)
}

/// `ReplicationState` in one file through a `Disk` (the broker's POSIXDisk, the simulation's
/// SimulatedDisk): written as `name.tmp`, fsynced, renamed, directory fsynced — old or new, never torn.
public final class DiskReplicationStateStore: ReplicationStateStore {
    public let directory: String
    public let name: String
    private let disk: any Disk

    public init(disk: any Disk, directory: String, name: String = "replication-state") throws(StorageError) {
        self.disk = disk
        self.directory = directory
        self.name = name
        try disk.createDirectory(directory)
    }

    private var path: String { directory + "/" + name }

    public func load() throws(StorageError) -> ReplicationState? {
        guard disk.exists(path) else { return nil }
        let file = try disk.open(path, create: false)
        defer { file.close() }
        let bytes = try file.read(count: try file.size(), at: 0)
        let text = bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes) ?? ""
        guard let state = ReplicationState(encoded: text) else {
            throw StorageError(.corrupt, "replication state \(path) holds \(text.debugDescription)")
        }
        return state
    }

    public func save(_ state: ReplicationState) throws(StorageError) {
        let file = try disk.open(path + ".tmp", create: true)
        var bytes = ByteBuffer()
        bytes.writeString(state.encoded)
        do throws(StorageError) {
            try file.truncate(to: 0)
            try file.write(bytes, at: 0)
            try file.sync()
        } catch {
            file.close()
            throw error
        }
        file.close()
        try disk.rename(path + ".tmp", to: path)
        try disk.syncDirectory(directory)
    }
}
