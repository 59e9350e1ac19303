import Testing
@testable import HostNetwork

@Suite struct HostNetworkModuleTests {
    @Test func moduleLinks() {
        #expect(String(describing: HostNetwork.self) == "HostNetwork")
    }
}
