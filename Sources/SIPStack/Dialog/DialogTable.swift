import SIPMessage

/// The dialogs a user agent holds, by identity (§12): received requests and responses find
/// theirs by Call-ID and tags. A plain value like the dialogs in it.
public struct DialogTable: Sendable, CustomStringConvertible {
    public private(set) var dialogs: [DialogID: Dialog] = [:]

    public init() {}

    public var count: Int { dialogs.count }
    public var isEmpty: Bool { dialogs.isEmpty }

    public subscript(id: DialogID) -> Dialog? {
        get { dialogs[id] }
        set { dialogs[id] = newValue }
    }

    /// Adds the dialog, replacing one with the same identity.
    public mutating func insert(_ dialog: Dialog) { dialogs[dialog.id] = dialog }

    @discardableResult
    public mutating func remove(_ id: DialogID) -> Dialog? { dialogs.removeValue(forKey: id) }

    /// Drops the terminated dialogs; returns their identities.
    @discardableResult
    public mutating func removeTerminated() -> [DialogID] {
        let ended = dialogs.values.filter { $0.state == .terminated }.map(\.id)
        for id in ended { dialogs[id] = nil }
        return ended
    }

    /// The identity of the dialog `request` belongs to (UAS view), when it is in the table.
    public func id(forRequest request: SIPMessage) -> DialogID? {
        guard let id = try? DialogID(receivedRequest: request), dialogs[id] != nil else { return nil }
        return id
    }

    /// The identity of the dialog `response` belongs to (UAC view), when it is in the table.
    public func id(forResponse response: SIPMessage) -> DialogID? {
        guard let id = try? DialogID(receivedResponse: response), dialogs[id] != nil else { return nil }
        return id
    }

    /// A request with a To tag, handed to its dialog (§12.2.2); one matching no dialog gets 481
    /// (§12.2.2). An ACK is never answered: a rejected ACK is dropped.
    public mutating func receive(request: SIPMessage) -> Dialog.RequestVerdict {
        guard let id = id(forRequest: request), var dialog = dialogs[id] else {
            return .reject(status: 481, reason: sipReasonPhrase(481))
        }
        let verdict = dialog.receive(request: request)
        dialogs[id] = dialog
        return verdict
    }

    /// One line per dialog, ordered by Call-ID, for `show` commands.
    public var description: String {
        dialogs.values.sorted { ($0.callID, $0.localTag) < ($1.callID, $1.localTag) }.map(\.description).joined(separator: "\n")
    }
}
