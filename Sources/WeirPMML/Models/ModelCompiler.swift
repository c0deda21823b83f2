/// What a model family's compiler needs to know about its surroundings.
struct ModelContext {
    var element: XElement
    var scope: Scope
    var function: MiningFunction
    /// Target categories in DataDictionary order (classification).
    var categories: [String]
    var targetType: DataType?
    var floatMath: Bool
}

extension Compiler {
    static let modelNames: Set<String> = [
        "TreeModel", "RegressionModel", "MiningModel", "GeneralRegressionModel", "Scorecard", "RuleSetModel",
        "NeuralNetwork", "NaiveBayesModel", "ClusteringModel", "NearestNeighborModel", "SupportVectorMachineModel",
        "AnomalyDetectionModel", "AssociationModel", "SequenceModel", "TextModel", "TimeSeriesModel",
        "BaselineModel", "BayesianNetworkModel", "GaussianProcessModel",
    ]

    func compileModel(_ e: XElement, parent: Scope, export: Scope?, topLevel: Bool, inheritedFloat: Bool)
        throws(PMMLError) -> CompiledModel
    {
        let fn = try required(e, "functionName")
        guard let function = MiningFunction(rawValue: fn) else { throw unsupported(e, "functionName \"\(fn)\"") }
        if e.attr("isScorable") == "false" { throw error(e, "model is marked isScorable=\"false\"") }
        let floatMath: Bool
        switch e.attr("x-mathContext") {
        case nil: floatMath = inheritedFloat
        case "float": floatMath = true
        case "double": floatMath = false
        case let other?: throw unsupported(e, "x-mathContext \"\(other)\"")
        }
        let scope = Scope(parent: parent)
        guard let schema = e.child("MiningSchema") else { throw error(e, "model without MiningSchema") }
        var preparations: [FieldPreparation] = []
        var targetInfo: FieldInfo?
        for mf in schema.children where mf.name == "MiningField" {
            let name = try required(mf, "name")
            let info = try field(mf, name, in: scope)
            let usage = mf.attr("usageType") ?? "active"
            switch usage {
            case "target", "predicted":
                targetInfo = info
                continue
            case "active", "supplementary": break
            case "group", "order", "frequencyWeight", "analysisWeight": continue
            default: throw unsupported(mf, "usageType \"\(usage)\"")
            }
            let mvt = mf.attr("missingValueTreatment")
            let ivt = mf.attr("invalidValueTreatment") ?? "returnInvalid"
            guard let invalid = FieldPreparation.InvalidTreatment(rawValue: ivt) else {
                throw unsupported(mf, "invalidValueTreatment \"\(ivt)\"")
            }
            let o = mf.attr("outliers") ?? "asIs"
            guard let outliers = Outliers(rawValue: o) else { throw unsupported(mf, "outliers \"\(o)\"") }
            let replacement = try mf.attr("missingValueReplacement").map { (s) throws(PMMLError) in
                try literal(mf, s, as: info.dataType)
            } ?? .missing
            let invalidReplacement = try mf.attr("invalidValueReplacement").map { (s) throws(PMMLError) in
                try literal(mf, s, as: info.dataType)
            } ?? .missing
            if invalid == .asValue && invalidReplacement.isMissing {
                throw error(mf, "invalidValueTreatment=\"asValue\" without invalidValueReplacement")
            }
            let needed = topLevel || !replacement.isMissing || outliers != .asIs || mvt == "returnInvalid"
                || mf.attr("invalidValueReplacement") != nil
            if !needed { continue }
            var target = info.slot
            if !topLevel {
                target = newSlot()
                var copy = info
                copy.slot = target
                scope.fields[name] = copy
            }
            preparations.append(FieldPreparation(
                source: info.slot, target: target, name: name, spec: topLevel ? info.dataField : nil,
                replacement: replacement, missingReturnsInvalid: mvt == "returnInvalid",
                invalid: topLevel ? invalid : .asIs, invalidReplacement: invalidReplacement, outliers: outliers,
                low: try double(mf, "lowValue"), high: try double(mf, "highValue")))
        }
        var categories: [String] = targetInfo?.dataField?.orderedValues ?? []
        var target: TargetSpec?
        if let targets = e.child("Targets") {
            for t in targets.all("Target") {
                let spec = TargetSpec()
                spec.factor = try double(t, "rescaleFactor") ?? 1
                spec.constant = try double(t, "rescaleConstant") ?? 0
                spec.min = try double(t, "min")
                spec.max = try double(t, "max")
                spec.castInteger = t.attr("castInteger")
                if function == .classification, categories.isEmpty {
                    categories = t.all("TargetValue").compactMap { $0.attr("value") }
                }
                for tv in t.all("TargetValue") where tv.attr("priorProbability") != nil && function != .classification {
                    throw unsupported(tv, "TargetValue priorProbability")
                }
                if function == .classification {
                    for tv in t.all("TargetValue") {
                        guard let prior = try double(tv, "priorProbability") else { continue }
                        let v = try required(tv, "value")
                        spec.priorCategories.append((targetInfo?.dataType.parse(text: v) ?? .string(v)).key)
                        spec.priorProbabilities.append(prior)
                    }
                }
                target = spec
            }
        }
        var derived: [(Int, Expr)] = []
        if let lt = e.child("LocalTransformations") {
            derived = try compileDerivedFields(lt, scope)
        }
        for c in e.children where c.name == "ModelVerification" || c.name == "ModelExplanation" { _ = c }
        let context = ModelContext(element: e, scope: scope, function: function, categories: categories,
                                   targetType: targetInfo?.dataType, floatMath: floatMath)
        let core: any ModelCore
        switch e.name {
        case "TreeModel": core = try compileTreeModel(context)
        case "RegressionModel": core = try compileRegressionModel(context)
        case "MiningModel": core = try compileMiningModel(context)
        case "ClusteringModel": core = try compileClusteringModel(context)
        case "NearestNeighborModel": core = try compileNearestNeighborModel(context)
        case "SupportVectorMachineModel": core = try compileSupportVectorMachineModel(context)
        case "AnomalyDetectionModel": core = try compileAnomalyDetectionModel(context)
        case "RuleSetModel": core = try compileRuleSetModel(context)
        case "Scorecard": core = try compileScorecard(context)
        case "GeneralRegressionModel": core = try compileGeneralRegressionModel(context)
        case "NaiveBayesModel": core = try compileNaiveBayesModel(context)
        case "NeuralNetwork": core = try compileNeuralNetwork(context)
        default: throw unsupported(e, "model type \(e.name)")
        }
        let outputs = try compileOutput(e.child("Output"), scope, exportTo: export)
        var targetSlot: Int?
        if let targetInfo, !topLevel, let export {
            // Segments publish their predicted value under the target name for later segments.
            let slot = newSlot()
            var copy = targetInfo
            copy.slot = slot
            _ = export
            targetSlot = slot
            _ = copy
        }
        let model = CompiledModel(function: function, preparations: preparations, derived: derived, core: core,
                                  target: target, floatMath: floatMath, outputs: outputs, targetSlot: targetSlot)
        // Output fields of earlier segments that this model reads must have values (modelChain).
        for mf in schema.children where mf.name == "MiningField" {
            if let name = mf.attr("name"), let d = parent.lookup(name)?.declaredSlot { model.requires.append((name, d)) }
        }
        if e.name != "MiningModel", let o = e.child("Output")?.children.first(where: { $0.attr("segmentId") != nil }) {
            throw error(o, "OutputField segmentId outside a MiningModel")
        }
        return model
    }
}
