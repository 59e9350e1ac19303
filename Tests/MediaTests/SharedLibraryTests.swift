import CALSA
import Media
import SharedLibraries
import Testing

/// The C libraries loaded when first needed: a missing library or function is an error that
/// names it, not a crash; the real ones load with every function the phone calls.
@Suite struct SharedLibraryTests {
    @Test func aMissingLibraryIsAnErrorThatNamesIt() {
        let result = SharedLibrary.load("libdeskphone-no-such-library.so.9") { calsa_bind_library($0, $1) }
        guard case .failure(let error) = result else { Issue.record("loaded a library that does not exist"); return }
        #expect(error.description.contains("libdeskphone-no-such-library.so.9"), "\(error)")
    }

    @Test func aLibraryWithoutTheFunctionsIsAnErrorThatNamesTheFirstMissing() {
        // libm has none of ALSA's functions.
        let result = SharedLibrary.load("libm.so.6") { calsa_bind_library($0, $1) }
        guard case .failure(let error) = result else { Issue.record("libm passed for libasound"); return }
        #expect(error.description == "libm.so.6 has no snd_lib_error_set_handler", "\(error)")
    }

    @Test func theRealLibrariesLoad() throws {
        let alsa = SharedLibrary.load("libasound.so.2") { calsa_bind_library($0, $1) }
        let table = try alsa.get()
        #expect(table.snd_strerror(-2).map { String(cString: $0) } == "No such file or directory")
        #expect(Bcg729Library.problem == nil)
        #expect(G729Codec() != nil)
    }
}
