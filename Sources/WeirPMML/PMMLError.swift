/// A load or scoring error. Load errors name the document, the line and the element.
public struct PMMLError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var element: String
    public var message: String

    public init(file: String = "", line: Int = 0, element: String = "", message: String) {
        self.file = file
        self.line = line
        self.element = element
        self.message = message
    }

    public var description: String {
        var s = ""
        if !file.isEmpty { s += file + ":" }
        if line > 0 { s += "\(line):" }
        if !s.isEmpty { s += " " }
        if !element.isEmpty { s += "<\(element)>: " }
        return s + message
    }
}

/// A row the model refuses to score (e.g. invalidValueTreatment="returnInvalid").
public struct RowRejection: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
