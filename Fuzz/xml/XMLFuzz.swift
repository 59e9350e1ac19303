// libFuzzer harness for the XML reader of the provisioning files (issue 17): XMLTokenizer token
// by token, XMLTree with the default options and with the dial template's, and the ring list
// (RingList: `Ringlist.xml` over XMLTree, or `RINGLIST.DAT`). Any input gives a result or an
// error with a place (line and column from 1), never a crash; the tokens end at the end of the
// input. See Fuzz/sip/SIPFuzz.swift for how it is built and replayed.
import Provisioning
import FuzzSupport

func checkPlace(_ position: XMLPosition, _ what: @autoclosure () -> String) {
    fuzzRequire(position.line >= 1 && position.column >= 1, "\(what()) at \(position)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)

    var tokenizer = XMLTokenizer(bytes)
    var tokens = 0
    do {
        while try tokenizer.next() != nil {
            tokens += 1
            // Every token consumes at least one byte.
            fuzzRequire(tokens <= bytes.count, "\(tokens) tokens from \(bytes.count) bytes")
        }
    } catch {
        checkPlace(error.position, "tokenizer error \(error)")
    }

    let dialTemplateOptions = XMLTokenizer.Options(endTagsAllowingSlash: ["DIALTEMPLATE"], repeatableAttributes: ["Tone"])
    for options in [XMLTokenizer.Options(), dialTemplateOptions] {
        do {
            let root = try XMLTree.parse(bytes, options: options)
            checkPlace(root.position, "root <\(root.name)>")
            _ = root.text
        } catch {
            checkPlace(error.position, "tree error \(error)")
        }
    }

    do {
        let list = try RingList.parse(bytes)
        fuzzRequire(list.entries.count <= RingList.maximumEntries, "\(list.entries.count) rings")
        for entry in list.entries {
            fuzzRequire(!entry.displayName.isEmpty && entry.displayName.count <= RingList.maximumDisplayNameLength,
                        "display name \(entry.displayName.debugDescription)")
            // It becomes a file name in the flash store.
            let name = entry.fileName
            fuzzRequire(!name.isEmpty && name != "." && !name.contains("..") && !name.contains("/") && !name.contains("\\"),
                        "file name \(name.debugDescription)")
        }
    } catch {
        fuzzRequire(error.line >= 1 && (error.column ?? 1) >= 1, "ring list error \(error)")
    }
    _ = RingFile.validate(bytes)
    return 0
}

@main enum XMLFuzzReplay {
    static func main() { FuzzReplay.run(fuzzXML) }
}
