import Provisioning
/// What the dial plan says after a digit, or when the inter-digit timer runs out (GUIDE.md
/// §5.4), as the call machine uses it. `DialPlanning` makes these from the DIALTEMPLATE.
public struct DialStep: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Keep collecting; dial when `timeout` seconds pass without a digit (nil: no timer).
        case collect(timeout: Int?)
        /// Play this secondary dial tone (a §5.5 name) and keep collecting.
        case secondaryTone(String, timeout: Int?)
        case dial
        /// Nothing can match: reorder.
        case noMatch
    }

    public var action: Action
    /// What to dial (the rule's Rewrite applied).
    public var number: String
    /// `;user=phone` / `;user=ip` for the Request-URI (`User=`), nil for none.
    public var userParameter: String?
    /// `Route="Emergency"`: through `proxy_emergency`.
    public var emergency: Bool

    public init(_ action: Action, number: String, userParameter: String? = nil, emergency: Bool = false) {
        self.action = action
        self.number = number
        self.userParameter = userParameter
        self.emergency = emergency
    }
}

/// The dial plan as the call machine asks it.
public struct DialPlanning: Sendable {
    public let decide: @Sendable (String) -> DialStep
    public let timedOut: @Sendable (String) -> DialStep

    public init(decide: @escaping @Sendable (String) -> DialStep, timedOut: @escaping @Sendable (String) -> DialStep) {
        self.decide = decide
        self.timedOut = timedOut
    }

    /// No dial plan (GUIDE.md §1.2 row 5): `#` dials, otherwise the digits are sent after the
    /// inter-digit time-out or on Dial. The guide gives no value for that time-out; the
    /// reference stack's default rule time-out (10 s, `DialRule.defaultTimeout`) is used.
    public static func none(interDigitTimeout: Int) -> DialPlanning {
        DialPlanning(decide: { digits in
            if digits.hasSuffix("#"), digits.count > 1 { return DialStep(.dial, number: String(digits.dropLast())) }
            return DialStep(.collect(timeout: interDigitTimeout), number: digits)
        }, timedOut: { digits in
            // `#` is the Dial key, never part of the number (a lone `#` dials nothing).
            let number = digits.hasSuffix("#") ? String(digits.dropLast()) : digits
            return DialStep(number.isEmpty ? .noMatch : .dial, number: number)
        })
    }
}

extension DialPlanning {
    /// The dial plan of the DIALTEMPLATE in force for `line` (GUIDE.md §5), or no plan.
    public init(template: DialTemplate?, line: Int = 1) {
        guard let template, template.rules.contains(where: { $0.line == nil || $0.line == line }) else {
            self = .none(interDigitTimeout: CallContext.interDigitTimeout)
            return
        }
        let matcher = DialPlanMatcher(template: template, line: line)
        self.init(decide: { Self.step(matcher.decide($0)) }, timedOut: { Self.step(matcher.timedOut($0)) })
    }

    static func step(_ d: DialPlanDecision) -> DialStep {
        let action: DialStep.Action = switch d.action {
        case .collect(let timeout): .collect(timeout: timeout)
        case .secondaryTone(let name, let timeout): .secondaryTone(name, timeout: timeout)
        case .dial: .dial
        case .noMatch: .noMatch
        }
        let user: String? = switch d.user {
        case .phone: "phone"
        case .ip: "ip"
        case .unspecified: nil
        }
        return DialStep(action, number: d.number, userParameter: user, emergency: d.route == .emergency)
    }
}
