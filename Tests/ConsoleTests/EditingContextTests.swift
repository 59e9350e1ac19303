import Testing
@testable import Console

@Suite struct EditingContextTests {
    @Test func defaultsAreAPlainPromptWithoutCompletionOrHelp() {
        let c = EditingContext(prompt: "SIP Phone> ")
        #expect(c.echo == .normal)
        #expect(c.recordsHistory)
        #expect(c.complete("sh") == .none)
        #expect(c.help == nil)
    }
}
