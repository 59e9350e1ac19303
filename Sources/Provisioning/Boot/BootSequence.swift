import TextUtilities
import Diagnostics
import Logging

/// The provisioning part of the boot (GUIDE.md §1): load flash, fetch the files of §1.2 in
/// order from the source, validate each, apply the configuration layers, and keep the last
/// good copy of each file in flash. A file that cannot be fetched, or that is invalid, is
/// replaced by its last good copy, and the log says exactly why. `reset` runs it again.
public struct BootSequence: Sendable {
    public let flash: FlashStore
    public let source: (any ProvisioningSource)?
    public let mac: MACAddress
    public let model: PhoneModel
    let log = Logger.category(.config)

    public init(flash: FlashStore, source: (any ProvisioningSource)?, mac: MACAddress, model: PhoneModel) {
        self.flash = flash
        self.source = source
        self.mac = mac
        self.model = model
    }

    /// Flash files of the flash layer (GUIDE.md §1.3 step 1).
    public static let networkFile = "network.cnf"
    public static let localFile = "local.cnf"
    /// Folder of the last good copies.
    public static let copies = "config"

    public func run() async -> BootReport {
        var run = Run(sequence: self)
        return await run.execute()
    }

    /// The mutable state of one run.
    struct Run {
        let sequence: BootSequence
        var source: (any ProvisioningSource)?
        var unreachable: String?
        var report: BootReport

        init(sequence: BootSequence) {
            self.sequence = sequence
            self.source = sequence.source
            self.report = BootReport(configuration: Configuration(model: sequence.model))
        }

        var log: Logger { sequence.log }

        mutating func execute() async -> BootReport {
            loadFlashLayer()

            // 1. OS79XX.TXT: the dual-boot selector, one line naming an image (optional).
            if let bytes = await obtain("OS79XX.TXT", optional: true, validate: DualBootFile.validate) {
                report.dualBootImage = DualBootFile.image(in: bytes)
            }

            // 2. SIPDefault.cnf
            if let bytes = await obtain("SIPDefault.cnf", validate: Self.validateCNF) {
                apply(bytes, file: "SIPDefault.cnf", as: .defaultFile)
            }
            redirectIfAsked()

            // 3. SIP<MAC>.cnf in tftp_cfg_dir
            let phoneFile = sequence.mac.configFileName
            let dir = Self.normalizedDirectory(report.configuration.text("tftp_cfg_dir"))
            if let bytes = await obtain(phoneFile, remotePath: dir + phoneFile, validate: Self.validateCNF) {
                apply(bytes, file: phoneFile, as: .phoneFile(phoneFile))
            } else {
                log.warning("\(phoneFile): the phone-specific file is missing; running on defaults and flash values")
            }
            redirectIfAsked()

            // 4. RINGLIST.DAT, then 6. the ring files it names
            if let bytes = await obtain("RINGLIST.DAT", optional: true, validate: { b in
                do { _ = try RingList.parse(b); return nil } catch { return "\(error)" }
            }) {
                report.ringList = try? RingList.parse(bytes)
            }

            // 5. the dial plan
            let template = (report.configuration.text("dial_template") ?? "dialplan") + ".xml"
            if let bytes = await obtain(template, validate: { b in
                do { _ = try DialTemplate.parse(b); return nil } catch { return "\(error)" }
            }) {
                report.dialTemplate = try? DialTemplate.parse(bytes)
            }

            for entry in report.ringList?.entries ?? [] {
                _ = await obtain(entry.fileName, validate: { b in RingFile.validate(b).map { "\($0)" } })
            }

            report.sourceDescription = source?.description
            return report
        }

        /// Network settings and values set on the phone: the flash layer.
        mutating func loadFlashLayer() {
            for name in [BootSequence.networkFile, BootSequence.localFile] {
                do {
                    guard let bytes = try sequence.flash.read(name) else { continue }
                    let d = report.configuration.apply(bytes, file: "flash:\(name)", as: .flash)
                    note(d)
                } catch {
                    log.error("flash:\(name): \(error)")
                }
            }
        }

        mutating func apply(_ bytes: [UInt8], file: String, as layer: ConfigLayer) {
            note(report.configuration.apply(bytes, file: file, as: layer))
        }

        mutating func note(_ diagnostics: [Diagnostic]) {
            for d in diagnostics {
                if d.severity == .error { log.error("\(d)") } else { log.warning("\(d)") }
            }
            report.diagnostics += diagnostics
        }

        /// `dyn_tftp_addr` redirects the later requests of this boot (GUIDE.md §2.2.8).
        mutating func redirectIfAsked() {
            guard let host = report.configuration.text("dyn_tftp_addr"), let s = source,
                  let next = s.redirected(to: host), next.description != s.description else { return }
            log.info("dyn_tftp_addr: later files come from \(next) instead of \(s)")
            source = next
            unreachable = nil
        }

        /// Fetches one file, validates it (`validate` returns nil or the reason it is
        /// invalid), keeps it as the last good copy; falls back to the flash copy. Returns the
        /// bytes in force, or nil.
        mutating func obtain(_ name: String, remotePath: String? = nil, optional: Bool = false,
                             validate: ([UInt8]) -> String?) async -> [UInt8]? {
            let remote = remotePath ?? name
            var reason: String
            if let src = source, unreachable == nil {
                do {
                    let bytes = try await src.fetch(remote)
                    switch validate(bytes) {
                    case nil:
                        do {
                            // Only a changed file is written: no flash wear (nor fsync) for
                            // the same file at every boot (GUIDE.md §1.3: "values that differ
                            // are written to flash").
                            let path = BootSequence.copies + "/" + name
                            if try sequence.flash.read(path) != bytes { try sequence.flash.write(bytes, to: path) }
                        } catch {
                            log.error("\(name): fetched but not saved to flash: \(error)")
                        }
                        log.info("\(remote): fetched \(bytes.count) bytes from \(src)")
                        report.files.append(.init(name: name, outcome: .fetched(bytes: bytes.count, from: src.description)))
                        return bytes
                    case let why?:
                        reason = "invalid on \(src): \(why)"
                    }
                } catch {
                    switch error {
                    case .notFound: reason = "not found on \(src)"
                    case .unreachable(let why):
                        reason = "\(src) did not answer (\(why))"
                        unreachable = reason
                    case .failed(let why): reason = "fetch from \(src) failed: \(why)"
                    }
                }
            } else if let why = unreachable {
                reason = why
            } else {
                reason = "no TFTP server configured"
            }

            if let copy = flashCopy(name, validate: validate) {
                log.warning("\(remote): \(reason); booting on the last good copy from flash")
                report.files.append(.init(name: name, outcome: .flashCopy(reason: reason)))
                return copy
            }
            if optional { log.info("\(remote): \(reason); no copy in flash (optional file)") }
            else { log.warning("\(remote): \(reason); no copy in flash") }
            report.files.append(.init(name: name, outcome: .absent(reason: reason)))
            return nil
        }

        func flashCopy(_ name: String, validate: ([UInt8]) -> String?) -> [UInt8]? {
            do {
                guard let bytes = try sequence.flash.read(BootSequence.copies + "/" + name) else { return nil }
                if let why = validate(bytes) {
                    log.error("flash copy of \(name) is invalid (\(why)); ignored")
                    return nil
                }
                return bytes
            } catch {
                log.error("flash copy of \(name): \(error)")
                return nil
            }
        }

        /// A .cnf file is refused whole when it is over the size cap or nothing in it parses;
        /// otherwise it is accepted and its bad lines are reported one by one when applied.
        static func validateCNF(_ bytes: [UInt8]) -> String? {
            let (entries, diagnostics) = CNFParser.parse(bytes, file: "")
            if let whole = diagnostics.first(where: { $0.line == 0 }) { return whole.message }
            if entries.isEmpty && !diagnostics.isEmpty {
                return "no line of it parses (\(diagnostics.count) malformed lines)"
            }
            return nil
        }

        /// `tftp_cfg_dir` as a prefix: "" for the root, else "dir/" (leading "./" and "/" dropped).
        static func normalizedDirectory(_ dir: String?) -> String {
            guard let dir else { return "" }
            let parts = dir.split(separator: "/").filter { $0 != "." }
            return parts.isEmpty ? "" : parts.joined(separator: "/") + "/"
        }
    }
}

/// `OS79XX.TXT`: exactly one line naming the image to boot, without extension (GUIDE.md §7.1).
enum DualBootFile {
    static func image(in bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let first = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map { String($0.trimmingASCIIBlanks()) }
        guard let first, !first.isEmpty else { return nil }
        return first
    }

    /// nil when valid, else the reason.
    static func validate(_ bytes: [UInt8]) -> String? {
        guard bytes.count <= 256 else { return "longer than one line" }
        guard let image = image(in: bytes) else { return "empty" }
        guard image.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            return "'\(image)' is not an image name"
        }
        return nil
    }
}
