import CLibXML2

/// A parsed element. Only lives during loading; the compiled evaluator holds no XML.
final class XElement {
    let name: String
    let line: Int
    var attributes: [(String, String)] = []
    var children: [XElement] = []
    var text: String = ""

    init(name: String, line: Int) {
        self.name = name
        self.line = line
    }

    func attr(_ key: String) -> String? {
        for (k, v) in attributes where k == key { return v }
        return nil
    }

    func child(_ name: String) -> XElement? { children.first { $0.name == name } }
    func all(_ name: String) -> [XElement] { children.filter { $0.name == name } }
}

/// Secure libxml2 loading: no network, no DTD loading, no entity substitution, size and depth limits.
struct XMLLoader {
    static let maxBytes = 64 << 20
    static let maxDepth = 1000

    let file: String

    func fail(_ line: Int, _ element: String, _ message: String) -> PMMLError {
        PMMLError(file: file, line: line, element: element, message: message)
    }

    func parse(bytes: [UInt8]) throws(PMMLError) -> XElement {
        if bytes.count > Self.maxBytes {
            throw fail(0, "", "document is \(bytes.count) bytes, larger than the \(Self.maxBytes)-byte limit")
        }
        // Refuse DTDs outright: PMML never needs them and they carry entity expansion and external entities.
        if containsDoctype(bytes) {
            throw fail(0, "", "DOCTYPE declarations are not allowed (DTDs and entities are refused)")
        }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
            | XML_PARSE_NOCDATA.rawValue | XML_PARSE_NOBLANKS.rawValue)
        let docPtr: xmlDocPtr? = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress.flatMap { base in
                base.withMemoryRebound(to: CChar.self, capacity: buf.count) { cbase in
                    xmlReadMemory(cbase, Int32(buf.count), file, nil, options)
                }
            }
        }
        guard let doc = docPtr else {
            var msg = "malformed XML"
            var line = 0
            if let err = xmlGetLastError() {
                line = Int(err.pointee.line)
                if let m = err.pointee.message {
                    msg = "malformed XML: " + String(cString: m).trimmingWhitespace()
                }
            }
            throw fail(line, "", msg)
        }
        defer { xmlFreeDoc(doc) }
        if doc.pointee.intSubset != nil || doc.pointee.extSubset != nil {
            throw fail(0, "", "DOCTYPE declarations are not allowed")
        }
        guard let root = xmlDocGetRootElement(doc) else { throw fail(0, "", "empty document") }
        return try convert(root, depth: 0)
    }

    private func containsDoctype(_ bytes: [UInt8]) -> Bool {
        let pattern: [UInt8] = Array("<!DOCTYPE".utf8)
        let upper = Array("<!ENTITY".utf8)
        return bytes.containsSequence(pattern) || bytes.containsSequence(upper)
    }

    private func convert(_ node: xmlNodePtr, depth: Int) throws(PMMLError) -> XElement {
        let name = node.pointee.name.map { String(cString: $0) } ?? ""
        let line = Int(xmlGetLineNo(node))
        if depth > Self.maxDepth {
            throw fail(line, name, "element nesting deeper than \(Self.maxDepth)")
        }
        let element = XElement(name: name, line: line)
        var attr = node.pointee.properties
        while let a = attr {
            let key = a.pointee.name.map { String(cString: $0) } ?? ""
            var value = ""
            var t = a.pointee.children
            while let tn = t {
                if let content = tn.pointee.content { value += String(cString: content) }
                t = tn.pointee.next
            }
            element.attributes.append((key, value))
            attr = a.pointee.next
        }
        var child = node.pointee.children
        var text = ""
        while let c = child {
            switch c.pointee.type {
            case XML_ELEMENT_NODE:
                element.children.append(try convert(c, depth: depth + 1))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = c.pointee.content { text += String(cString: content) }
            case XML_ENTITY_REF_NODE:
                throw fail(Int(xmlGetLineNo(c)), name, "entity references are not allowed")
            default:
                break
            }
            child = c.pointee.next
        }
        element.text = text
        return element
    }
}

extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count, let first = needle.first else { return false }
        var i = 0
        let last = count - needle.count
        while i <= last {
            if self[i] == first {
                var j = 1
                while j < needle.count && self[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
