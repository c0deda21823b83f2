#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libm access under names that do not collide with enum cases.
enum LibM {
    static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    static func expm1(_ x: Double) -> Double { Glibc.expm1(x) }
    static func log(_ x: Double) -> Double { Glibc.log(x) }
    static func log10(_ x: Double) -> Double { Glibc.log10(x) }
    static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    static func sqrt(_ x: Double) -> Double { Glibc.sqrt(x) }
    static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
    static func sin(_ x: Double) -> Double { Glibc.sin(x) }
    static func cos(_ x: Double) -> Double { Glibc.cos(x) }
    static func tan(_ x: Double) -> Double { Glibc.tan(x) }
    static func asin(_ x: Double) -> Double { Glibc.asin(x) }
    static func acos(_ x: Double) -> Double { Glibc.acos(x) }
    static func atan(_ x: Double) -> Double { Glibc.atan(x) }
    static func atan2(_ x: Double, _ y: Double) -> Double { Glibc.atan2(x, y) }
    static func sinh(_ x: Double) -> Double { Glibc.sinh(x) }
    static func cosh(_ x: Double) -> Double { Glibc.cosh(x) }
    static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    static func hypot(_ x: Double, _ y: Double) -> Double { Glibc.hypot(x, y) }
    static func erfc(_ x: Double) -> Double { Glibc.erfc(x) }
    static func erf(_ x: Double) -> Double { Glibc.erf(x) }
}

/// 32-bit arithmetic as JPMML evaluates models with `x-mathContext="float"`: its float exp is
/// 2.7182817^x (the double literal 2.7182817, not e), computed through a double pow and rounded to float.
/// The difference from a true exp is up to a few float ulps and decides the last digit of XGBoost
/// probabilities, so float-context code must use these, not `Float(exp(x))`.
enum FloatMath {
    static let e = 2.7182817

    @inline(__always)
    static func exp(_ x: Float) -> Float { Float(LibM.pow(e, Double(x))) }

    @inline(__always)
    static func pow(_ x: Float, _ y: Float) -> Float { Float(LibM.pow(Double(x), Double(y))) }

    /// 1 / (1 + exp(-x)) in float.
    @inline(__always)
    static func inverseLogit(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
}
