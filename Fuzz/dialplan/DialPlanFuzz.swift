// libFuzzer harness for the dial plan (issue 17): `dialplan.xml` parsed into templates
// (DialTemplate, over the XML reader), then digit strings matched against what was parsed, as
// the phone does after every key and when the inter-digit timer fires (DialPlanMatcher).
//
// Input: the template file, then optionally a NUL and digit strings separated by NULs (what the
// user keys). Without them, the harness keys the fixed strings below and each rule's own pattern.
// Any input gives a plan or a DialTemplateError, never a crash; the timer never answers "keep
// collecting". See Fuzz/sip/SIPFuzz.swift for how it is built and replayed.
import Provisioning
import FuzzSupport

let fixedDigits = ["911", "95551234", "9011441234#", "6123", "1234#", "*69", "#", "+15551234", ""]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDialPlan(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let parts = bytes.split(separator: 0, maxSplits: 16, omittingEmptySubsequences: false)
    let file = Array(parts.first ?? [])
    let template: DialTemplate?
    do {
        template = try DialTemplate.parse(file)
    } catch {
        fuzzRequire(error.line >= 1 && error.column >= 1, "error without a place: \(error)")
        template = nil
    }
    var keyed = parts.dropFirst().map { String(decoding: $0.prefix(40), as: UTF8.self) }
    if keyed.isEmpty {
        keyed = fixedDigits + (template?.rules ?? []).prefix(8).map { String($0.match.prefix(40)) }
    }
    for line in [1, 2] {
        for poundDialsNow in [true, false] {
            let matcher = DialPlanMatcher(template: template, line: line, poundDialsNow: poundDialsNow)
            for digits in keyed {
                // After every key, as the digits arrive.
                var so = ""
                for c in digits {
                    so.append(c)
                    let decision = matcher.decide(so)
                    if case .dial = decision.action { break }
                }
                let timer = matcher.timedOut(digits)
                switch timer.action {
                case .dial, .noMatch: break
                case .collect, .secondaryTone:
                    fuzzRequire(false, "timer for \(digits.debugDescription) answered \(timer.action)")
                }
            }
        }
    }
    return 0
}

@main enum DialPlanFuzzReplay {
    static func main() { FuzzReplay.run(fuzzDialPlan) }
}
