import Testing
@testable import WeirPMML
