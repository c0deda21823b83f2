PROBS3 = """<Output>
 <OutputField name="p_allow" optype="continuous" dataType="double" feature="probability" value="allow"/>
 <OutputField name="p_review" optype="continuous" dataType="double" feature="probability" value="review"/>
 <OutputField name="p_block" optype="continuous" dataType="double" feature="probability" value="block"/>
</Output>"""

@model("x_glm_poisson")
def _():
    return doc("""<GeneralRegressionModel modelType="generalizedLinear" functionName="regression" linkFunction="log" distribution="poisson" offsetValue="0.25">
""" + schema("y", ["amount","txn_count_1h","channel","hour_of_day"], "") + """
<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/><Parameter name="p3"/><Parameter name="p4"/><Parameter name="p5"/></ParameterList>
<FactorList><Predictor name="channel"/></FactorList>
<CovariateList><Predictor name="amount"/><Predictor name="txn_count_1h"/><Predictor name="hour_of_day"/></CovariateList>
<PPMatrix>
 <PPCell value="1" predictorName="amount" parameterName="p1"/>
 <PPCell value="2" predictorName="txn_count_1h" parameterName="p2"/>
 <PPCell value="app" predictorName="channel" parameterName="p3"/>
 <PPCell value="web" predictorName="channel" parameterName="p4"/>
 <PPCell value="1" predictorName="hour_of_day" parameterName="p4"/>
 <PPCell value="0.5" predictorName="amount" parameterName="p5"/>
</PPMatrix>
<ParamMatrix>
 <PCell parameterName="p0" beta="-0.7"/>
 <PCell parameterName="p1" beta="0.0004"/>
 <PCell parameterName="p2" beta="0.03"/>
 <PCell parameterName="p3" beta="0.2"/>
 <PCell parameterName="p4" beta="-0.01"/>
 <PCell parameterName="p5" beta="0.02"/>
</ParamMatrix>
</GeneralRegressionModel>""")

@model("x_glm_probit_trials")
def _():
    return doc("""<GeneralRegressionModel modelType="generalizedLinear" functionName="regression" linkFunction="probit" trialsValue="7" offsetVariable="beneficiary_new">
""" + schema("y", ["amount","beneficiary_new","device_age_days"]) + """
<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/></ParameterList>
<CovariateList><Predictor name="amount"/><Predictor name="device_age_days"/></CovariateList>
<PPMatrix>
 <PPCell value="1" predictorName="amount" parameterName="p1"/>
 <PPCell value="1" predictorName="device_age_days" parameterName="p2"/>
</PPMatrix>
<ParamMatrix>
 <PCell parameterName="p0" beta="-0.3"/>
 <PCell parameterName="p1" beta="0.001"/>
 <PCell parameterName="p2" beta="-0.002"/>
</ParamMatrix>
</GeneralRegressionModel>""")

@model("x_glm_multinomial")
def _():
    return doc("""<GeneralRegressionModel modelType="multinomialLogistic" functionName="classification">
""" + schema("risk_tier", ["amount","txn_count_1h","channel","beneficiary_new"]) + PROBS3 + """
<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/><Parameter name="p3"/><Parameter name="p4"/></ParameterList>
<FactorList><Predictor name="channel"/><Predictor name="beneficiary_new"/></FactorList>
<CovariateList><Predictor name="amount"/><Predictor name="txn_count_1h"/></CovariateList>
<PPMatrix>
 <PPCell value="1" predictorName="amount" parameterName="p1"/>
 <PPCell value="1" predictorName="txn_count_1h" parameterName="p2"/>
 <PPCell value="web" predictorName="channel" parameterName="p3"/>
 <PPCell value="1" predictorName="beneficiary_new" parameterName="p4"/>
</PPMatrix>
<ParamMatrix>
 <PCell targetCategory="review" parameterName="p0" beta="-2.1"/>
 <PCell targetCategory="review" parameterName="p1" beta="0.004"/>
 <PCell targetCategory="review" parameterName="p2" beta="0.2"/>
 <PCell targetCategory="review" parameterName="p3" beta="0.3"/>
 <PCell targetCategory="review" parameterName="p4" beta="0.9"/>
 <PCell targetCategory="block" parameterName="p0" beta="-4.0"/>
 <PCell targetCategory="block" parameterName="p1" beta="0.006"/>
 <PCell targetCategory="block" parameterName="p2" beta="0.35"/>
 <PCell targetCategory="block" parameterName="p4" beta="1.7"/>
</ParamMatrix>
</GeneralRegressionModel>""")

@model("x_glm_ordinal")
def _():
    return doc("""<GeneralRegressionModel modelType="ordinalMultinomial" functionName="classification" cumulativeLink="probit">
""" + schema("risk_tier", ["amount","txn_count_1h","beneficiary_new"]) + PROBS3 + """
<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/><Parameter name="p3"/></ParameterList>
<FactorList><Predictor name="beneficiary_new"/></FactorList>
<CovariateList><Predictor name="amount"/><Predictor name="txn_count_1h"/></CovariateList>
<PPMatrix>
 <PPCell value="1" predictorName="amount" parameterName="p1"/>
 <PPCell value="1" predictorName="txn_count_1h" parameterName="p2"/>
 <PPCell value="1" predictorName="beneficiary_new" parameterName="p3"/>
</PPMatrix>
<ParamMatrix>
 <PCell targetCategory="allow" parameterName="p0" beta="1.2"/>
 <PCell targetCategory="review" parameterName="p0" beta="2.3"/>
 <PCell parameterName="p1" beta="-0.003"/>
 <PCell parameterName="p2" beta="-0.15"/>
 <PCell parameterName="p3" beta="-0.8"/>
</ParamMatrix>
</GeneralRegressionModel>""")

@model("x_glm_binomial_ref")
def _():
    return doc("""<GeneralRegressionModel modelType="generalizedLinear" functionName="classification" linkFunction="cloglog" targetReferenceCategory="1">
""" + schema("fraud", ["amount","channel"]) + """<Output>
 <OutputField name="p0" optype="continuous" dataType="double" feature="probability" value="0"/>
 <OutputField name="p1" optype="continuous" dataType="double" feature="probability" value="1"/>
</Output>
<ParameterList><Parameter name="a"/><Parameter name="b"/><Parameter name="c"/></ParameterList>
<FactorList><Predictor name="channel"/></FactorList>
<CovariateList><Predictor name="amount"/></CovariateList>
<PPMatrix>
 <PPCell value="1" predictorName="amount" parameterName="b"/>
 <PPCell value="atm" predictorName="channel" parameterName="c"/>
</PPMatrix>
<ParamMatrix>
 <PCell parameterName="a" beta="0.4"/>
 <PCell parameterName="b" beta="-0.004"/>
 <PCell parameterName="c" beta="0.5"/>
</ParamMatrix>
</GeneralRegressionModel>""")

@model("x_glm_cox")
def _():
    return doc("""<GeneralRegressionModel modelType="CoxRegression" functionName="regression" endTimeVariable="minutes_since_last_txn" baselineStrataVariable="channel">
""" + schema("y", ["amount","minutes_since_last_txn","channel"]) + """
<ParameterList><Parameter name="p1" referencePoint="90"/></ParameterList>
<CovariateList><Predictor name="amount"/></CovariateList>
<PPMatrix><PPCell value="1" predictorName="amount" parameterName="p1"/></PPMatrix>
<ParamMatrix><PCell parameterName="p1" beta="0.002"/></ParamMatrix>
<BaseCumHazardTables>
 <BaselineStratum value="web" maxTime="3000"><BaselineCell time="10" cumHazard="0.05"/><BaselineCell time="100" cumHazard="0.3"/><BaselineCell time="1000" cumHazard="1.2"/></BaselineStratum>
 <BaselineStratum value="app" maxTime="800"><BaselineCell time="5" cumHazard="0.1"/><BaselineCell time="200" cumHazard="0.9"/></BaselineStratum>
</BaseCumHazardTables>
</GeneralRegressionModel>""")

@model("x_scorecard_above")
def _():
    return doc("""<Scorecard functionName="regression" useReasonCodes="true" reasonCodeAlgorithm="pointsAbove" initialScore="10" baselineScore="5">
""" + schema("y", ["amount","txn_count_1h","channel","hour_of_day","device_age_days"]) + """
<Output>
 <OutputField name="r1" optype="categorical" dataType="string" feature="reasonCode" rank="1"/>
 <OutputField name="r2" optype="categorical" dataType="string" feature="reasonCode" rank="2"/>
 <OutputField name="r3" optype="categorical" dataType="string" feature="reasonCode" rank="3"/>
 <OutputField name="r4" optype="categorical" dataType="string" feature="reasonCode" rank="4"/>
</Output>
<Targets><Target field="y" rescaleFactor="2" rescaleConstant="1"/></Targets>
<Characteristics>
 <Characteristic name="amt" reasonCode="AMT">
  <Attribute partialScore="5"><SimplePredicate field="amount" operator="lessThan" value="50"/></Attribute>
  <Attribute partialScore="9" reasonCode="AMT_MID"><SimplePredicate field="amount" operator="lessThan" value="500"/></Attribute>
  <Attribute partialScore="2"><True/></Attribute>
 </Characteristic>
 <Characteristic name="cnt" reasonCode="VEL" baselineScore="3">
  <Attribute partialScore="3"><SimplePredicate field="txn_count_1h" operator="lessOrEqual" value="2"/></Attribute>
  <Attribute><True/><ComplexPartialScore><Apply function="*"><FieldRef field="txn_count_1h"/><Constant>1.5</Constant></Apply></ComplexPartialScore></Attribute>
 </Characteristic>
 <Characteristic name="chan" reasonCode="VEL" baselineScore="1">
  <Attribute partialScore="4"><SimpleSetPredicate field="channel" booleanOperator="isIn"><Array type="string">web app</Array></SimpleSetPredicate></Attribute>
  <Attribute partialScore="0"><True/></Attribute>
 </Characteristic>
 <Characteristic name="hour" reasonCode="HOUR" baselineScore="6">
  <Attribute partialScore="6"><SimplePredicate field="hour_of_day" operator="greaterOrEqual" value="8"/></Attribute>
  <Attribute partialScore="7.5"><True/></Attribute>
 </Characteristic>
 <Characteristic name="dev" reasonCode="DEV" baselineScore="2">
  <Attribute partialScore="3"><SimplePredicate field="device_age_days" operator="isMissing"/></Attribute>
  <Attribute partialScore="1"><SimplePredicate field="device_age_days" operator="lessThan" value="30"/></Attribute>
  <Attribute partialScore="2"><SimplePredicate field="device_age_days" operator="lessThan" value="1000"/></Attribute>
 </Characteristic>
</Characteristics>
</Scorecard>""")

@model("x_ruleset_wmax")
def _():
    return doc("""<RuleSetModel functionName="classification">
""" + schema("risk_tier") + """
<Output>
 <OutputField name="rid" optype="categorical" dataType="string" feature="entityId"/>
 <OutputField name="conf" optype="continuous" dataType="double" feature="confidence"/>
 <OutputField name="c_review" optype="continuous" dataType="double" feature="confidence" value="review"/>
 <OutputField name="c_allow" optype="continuous" dataType="double" feature="confidence" value="allow"/>
</Output>
<RuleSet defaultScore="allow" defaultConfidence="0.5">
 <RuleSelectionMethod criterion="weightedMax"/>
 <SimpleRule score="review" weight="0.5" confidence="0.6"><SimplePredicate field="amount" operator="greaterThan" value="200"/></SimpleRule>
 <CompoundRule>
  <SimplePredicate field="channel" operator="equal" value="web"/>
  <SimpleRule score="block" weight="0.5" confidence="0.7"><SimplePredicate field="amount" operator="greaterThan" value="400"/></SimpleRule>
  <CompoundRule>
   <SimplePredicate field="beneficiary_new" operator="equal" value="1"/>
   <SimpleRule id="deep" score="block" weight="0.9" confidence="0.55"><True/></SimpleRule>
  </CompoundRule>
  <SimpleRule score="allow" weight="0.8" confidence="0.6"><SimplePredicate field="amount" operator="lessThan" value="30"/></SimpleRule>
 </CompoundRule>
 <SimpleRule id="night" score="review" weight="0.7" confidence="0.65"><SimplePredicate field="hour_of_day" operator="lessThan" value="6"/></SimpleRule>
 <SimpleRule score="allow" weight="0.2"><SimplePredicate field="device_age_days" operator="greaterThan" value="365"/></SimpleRule>
</RuleSet>
</RuleSetModel>""")

@model("x_ruleset_wsum")
def _():
    return doc("""<RuleSetModel functionName="classification">
""" + schema("risk_tier") + """
<Output>
 <OutputField name="rid" optype="categorical" dataType="string" feature="entityId"/>
 <OutputField name="conf" optype="continuous" dataType="double" feature="confidence"/>
 <OutputField name="c_block" optype="continuous" dataType="double" feature="confidence" value="block"/>
</Output>
<RuleSet defaultScore="allow" defaultConfidence="0.5">
 <RuleSelectionMethod criterion="weightedSum"/>
 <RuleSelectionMethod criterion="firstHit"/>
 <SimpleRule id="a" score="review" weight="0.5"><SimplePredicate field="amount" operator="greaterThan" value="100"/></SimpleRule>
 <SimpleRule id="b" score="block" weight="0.25"><SimplePredicate field="txn_count_1h" operator="greaterThan" value="2"/></SimpleRule>
 <SimpleRule id="c" score="block" weight="0.25"><SimplePredicate field="beneficiary_new" operator="equal" value="1"/></SimpleRule>
 <SimpleRule id="d" score="allow" weight="0.5"><SimplePredicate field="hour_of_day" operator="greaterThan" value="12"/></SimpleRule>
 <SimpleRule id="e" score="review" weight="0.5"><SimpleSetPredicate field="country" booleanOperator="isIn"><Array type="string">NG RO XX</Array></SimpleSetPredicate></SimpleRule>
</RuleSet>
</RuleSetModel>""")

@model("x_nb_mixed")
def _():
    return doc("""<NaiveBayesModel functionName="classification" threshold="0.002">
""" + schema("risk_tier", ["amount","channel","country","hour_of_day","txn_count_1h"]) + PROBS3 + """
<BayesInputs>
 <BayesInput fieldName="channel">
  <PairCounts value="web"><TargetValueCounts><TargetValueCount value="allow" count="300"/><TargetValueCount value="review" count="60"/><TargetValueCount value="block" count="20"/></TargetValueCounts></PairCounts>
  <PairCounts value="app"><TargetValueCounts><TargetValueCount value="allow" count="200"/><TargetValueCount value="review" count="30"/><TargetValueCount value="block" count="0"/></TargetValueCounts></PairCounts>
  <PairCounts value="atm"><TargetValueCounts><TargetValueCount value="allow" count="50"/><TargetValueCount value="review" count="5"/><TargetValueCount value="block" count="5"/></TargetValueCounts></PairCounts>
 </BayesInput>
 <BayesInput fieldName="country">
  <PairCounts value="NG"><TargetValueCounts><TargetValueCount value="allow" count="5"/><TargetValueCount value="review" count="10"/><TargetValueCount value="block" count="12"/></TargetValueCounts></PairCounts>
  <PairCounts value="NL"><TargetValueCounts><TargetValueCount value="allow" count="400"/><TargetValueCount value="review" count="50"/><TargetValueCount value="block" count="3"/></TargetValueCounts></PairCounts>
 </BayesInput>
 <BayesInput fieldName="hour_of_day">
  <DerivedField optype="categorical" dataType="string">
   <Discretize field="hour_of_day">
    <DiscretizeBin binValue="night"><Interval closure="closedOpen" leftMargin="0" rightMargin="6"/></DiscretizeBin>
    <DiscretizeBin binValue="day"><Interval closure="closedClosed" leftMargin="6" rightMargin="23"/></DiscretizeBin>
   </Discretize>
  </DerivedField>
  <PairCounts value="night"><TargetValueCounts><TargetValueCount value="allow" count="50"/><TargetValueCount value="review" count="40"/><TargetValueCount value="block" count="10"/></TargetValueCounts></PairCounts>
  <PairCounts value="day"><TargetValueCounts><TargetValueCount value="allow" count="500"/><TargetValueCount value="review" count="55"/><TargetValueCount value="block" count="15"/></TargetValueCounts></PairCounts>
 </BayesInput>
 <BayesInput fieldName="amount">
  <TargetValueStats>
   <TargetValueStat value="allow"><GaussianDistribution mean="70" variance="9000"/></TargetValueStat>
   <TargetValueStat value="review"><GaussianDistribution mean="150" variance="60000"/></TargetValueStat>
   <TargetValueStat value="block"><GaussianDistribution mean="250" variance="140000"/></TargetValueStat>
  </TargetValueStats>
 </BayesInput>
</BayesInputs>
<BayesOutput fieldName="risk_tier"><TargetValueCounts><TargetValueCount value="allow" count="550"/><TargetValueCount value="review" count="95"/><TargetValueCount value="block" count="25"/></TargetValueCounts></BayesOutput>
</NaiveBayesModel>""")

@model("x_nb_poisson")
def _():
    return doc("""<NaiveBayesModel functionName="classification" threshold="0.0001">
""" + schema("risk_tier", ["txn_count_1h","amount"]) + PROBS3 + """
<BayesInputs>
 <BayesInput fieldName="txn_count_1h">
  <TargetValueStats>
   <TargetValueStat value="allow"><PoissonDistribution mean="1.9"/></TargetValueStat>
   <TargetValueStat value="review"><PoissonDistribution mean="2.8"/></TargetValueStat>
   <TargetValueStat value="block"><PoissonDistribution mean="3.7"/></TargetValueStat>
  </TargetValueStats>
 </BayesInput>
 <BayesInput fieldName="amount">
  <TargetValueStats>
   <TargetValueStat value="allow"><GaussianDistribution mean="70" variance="9000"/></TargetValueStat>
   <TargetValueStat value="review"><GaussianDistribution mean="150" variance="60000"/></TargetValueStat>
   <TargetValueStat value="block"><GaussianDistribution mean="250" variance="140000"/></TargetValueStat>
  </TargetValueStats>
 </BayesInput>
</BayesInputs>
<BayesOutput fieldName="risk_tier"><TargetValueCounts><TargetValueCount value="allow" count="550"/><TargetValueCount value="review" count="95"/><TargetValueCount value="block" count="25"/></TargetValueCounts></BayesOutput>
</NaiveBayesModel>""")

NNIN = """<NeuralInputs>
 <NeuralInput id="i1"><DerivedField optype="continuous" dataType="double"><NormContinuous field="amount" outliers="asExtremeValues"><LinearNorm orig="0" norm="0"/><LinearNorm orig="1000" norm="1"/></NormContinuous></DerivedField></NeuralInput>
 <NeuralInput id="i2"><DerivedField optype="continuous" dataType="double"><NormContinuous field="txn_count_1h"><LinearNorm orig="1" norm="-1"/><LinearNorm orig="13" norm="1"/></NormContinuous></DerivedField></NeuralInput>
 <NeuralInput id="i3"><DerivedField optype="continuous" dataType="double"><NormDiscrete field="channel" value="web"/></DerivedField></NeuralInput>
 <NeuralInput id="i4"><DerivedField optype="continuous" dataType="double"><FieldRef field="beneficiary_new"/></DerivedField></NeuralInput>
</NeuralInputs>"""
MS_NN = '<MiningSchema><MiningField name="amount" missingValueReplacement="50"/><MiningField name="txn_count_1h" missingValueReplacement="2"/><MiningField name="channel" missingValueReplacement="web"/><MiningField name="beneficiary_new" missingValueReplacement="0"/><MiningField name="%s" usageType="target"/></MiningSchema>'

def layer(act, ids, froms, seed, extra="", bias=True):
    import random
    rnd = random.Random(seed)
    s = '<NeuralLayer %s %s>' % (('activationFunction="%s"' % act) if act else "", extra)
    for i in ids:
        s += '<Neuron id="%s"%s>' % (i, (' bias="%r"' % round(rnd.uniform(-1, 1), 6)) if bias else "")
        for f in froms:
            s += '<Con from="%s" weight="%r"/>' % (f, round(rnd.uniform(-2, 2), 6))
        s += "</Neuron>"
    return s + "</NeuralLayer>"

@model("x_nn_regression")
def _():
    return doc("""<NeuralNetwork functionName="regression" activationFunction="tanh">
""" + MS_NN % "y" + NNIN + layer(None, ["h1","h2","h3"], ["i1","i2","i3","i4"], 1) + layer("Elliott", ["g1","g2"], ["h1","h2","h3"], 2) + layer("identity", ["o"], ["g1","g2"], 3) + """
<NeuralOutputs><NeuralOutput outputNeuron="o"><DerivedField optype="continuous" dataType="double"><NormContinuous field="y"><LinearNorm orig="-50" norm="-1"/><LinearNorm orig="0" norm="0.2"/><LinearNorm orig="100" norm="1"/></NormContinuous></DerivedField></NeuralOutput></NeuralOutputs>
</NeuralNetwork>""")

@model("x_nn_acts")
def _():
    body = layer("arctan", ["a1","a2"], ["i1","i2","i3","i4"], 4) + layer("Gauss", ["b1","b2"], ["a1","a2"], 5) + layer("sine", ["c1","c2"], ["b1","b2"], 6) \
        + layer("cosine", ["d1","d2"], ["c1","c2"], 7) + layer("square", ["e1","e2"], ["d1","d2"], 8) + layer("exponential", ["f1","f2"], ["e1","e2"], 9) \
        + layer("reciprocal", ["g1","g2"], ["f1","f2"], 10) + layer("threshold", ["t1","t2"], ["g1","g2","i1"], 11, 'threshold="0.1"') \
        + layer("logistic", ["allow","review","block"], ["t1","t2","g1","g2"], 12, 'normalizationMethod="simplemax"')
    outs = "".join('<NeuralOutput outputNeuron="%s"><DerivedField optype="categorical" dataType="string"><NormDiscrete field="risk_tier" value="%s"/></DerivedField></NeuralOutput>' % (c, c) for c in ["allow","review","block"])
    return doc("""<NeuralNetwork functionName="classification" activationFunction="identity">
""" + MS_NN % "risk_tier" + PROBS3 + NNIN + body + "<NeuralOutputs>" + outs + "</NeuralOutputs></NeuralNetwork>")

@model("x_nn_rbf")
def _():
    body = layer("radialBasis", ["r1","r2","r3"], ["i1","i2","i3"], 13, 'width="0.8" altitude="1.5"', bias=False) \
        + layer("identity", ["allow","review","block"], ["r1","r2","r3"], 14, 'normalizationMethod="softmax"')
    outs = "".join('<NeuralOutput outputNeuron="%s"><DerivedField optype="categorical" dataType="string"><NormDiscrete field="risk_tier" value="%s"/></DerivedField></NeuralOutput>' % (c, c) for c in ["allow","review","block"])
    return doc("""<NeuralNetwork functionName="classification" activationFunction="rectifier">
""" + MS_NN % "risk_tier" + PROBS3.replace("</Output>", '<OutputField name="eid" optype="categorical" dataType="string" feature="entityId"/></Output>') + NNIN + body + "<NeuralOutputs>" + outs + "</NeuralOutputs></NeuralNetwork>")

@model("x_glm_contrast")
def _():
    return doc("""<GeneralRegressionModel modelType="regression" functionName="regression">
""" + schema("y", ["amount","channel"], "").replace('<MiningField name="channel"/>', '<MiningField name="channel" missingValueReplacement="web"/>') + """
<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/><Parameter name="p3"/></ParameterList>
<FactorList><Predictor name="channel">
 <Categories><Category value="web"/><Category value="app"/><Category value="atm"/><Category value="branch"/></Categories>
 <Matrix nbRows="4" nbCols="3"><MatCell row="1" col="1">1</MatCell><MatCell row="2" col="2">1</MatCell><MatCell row="3" col="3">1</MatCell>
  <MatCell row="4" col="1">-1</MatCell><MatCell row="4" col="2">-1</MatCell><MatCell row="4" col="3">-1</MatCell></Matrix>
</Predictor></FactorList>
<CovariateList><Predictor name="amount"/></CovariateList>
<PPMatrix>
 <PPCell value="web" predictorName="channel" parameterName="p1"/>
 <PPCell value="app" predictorName="channel" parameterName="p2"/>
 <PPCell value="atm" predictorName="channel" parameterName="p3"/>
 <PPCell value="1" predictorName="amount" parameterName="p3"/>
</PPMatrix>
<ParamMatrix>
 <PCell parameterName="p0" beta="3"/>
 <PCell parameterName="p1" beta="0.5"/>
 <PCell parameterName="p2" beta="-0.25"/>
 <PCell parameterName="p3" beta="0.01"/>
</ParamMatrix>
</GeneralRegressionModel>""")

@model("x_glm_multi_pp")
def _():
    return doc("""<GeneralRegressionModel modelType="multinomialLogistic" functionName="classification" targetReferenceCategory="allow">
""" + schema("risk_tier", ["amount","txn_count_1h"]) + PROBS3 + """
<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/></ParameterList>
<CovariateList><Predictor name="amount"/><Predictor name="txn_count_1h"/></CovariateList>
<PPMatrix>
 <PPCell value="1" predictorName="amount" parameterName="p1"/>
 <PPCell value="1" predictorName="txn_count_1h" parameterName="p2"/>
 <PPCell value="2" predictorName="txn_count_1h" parameterName="p2" targetCategory="block"/>
 <PPCell value="0.5" predictorName="amount" parameterName="p1" targetCategory="block"/>
</PPMatrix>
<ParamMatrix>
 <PCell targetCategory="review" parameterName="p0" beta="-2"/>
 <PCell targetCategory="review" parameterName="p1" beta="0.003"/>
 <PCell targetCategory="review" parameterName="p2" beta="0.2"/>
 <PCell targetCategory="block" parameterName="p0" beta="-4"/>
 <PCell targetCategory="block" parameterName="p1" beta="0.05"/>
 <PCell targetCategory="block" parameterName="p2" beta="0.03"/>
</ParamMatrix>
</GeneralRegressionModel>""")

@model("x_ruleset_nodefault")
def _():
    return doc("""<RuleSetModel functionName="classification">
""" + schema("risk_tier") + """
<Output><OutputField name="rid" optype="categorical" dataType="string" feature="entityId"/></Output>
<RuleSet>
 <RuleSelectionMethod criterion="firstHit"/>
 <SimpleRule score="review"><SimplePredicate field="amount" operator="greaterThan" value="100"/></SimpleRule>
 <SimpleRule score="block"><SimplePredicate field="txn_count_1h" operator="greaterThan" value="3"/></SimpleRule>
</RuleSet>
</RuleSetModel>""")

@model("x_scorecard_cps_missing")
def _():
    return doc("""<Scorecard functionName="regression" useReasonCodes="false" initialScore="1">
""" + schema("y", ["amount","device_age_days"]) + """
<Characteristics>
 <Characteristic name="a"><Attribute><True/><ComplexPartialScore><Apply function="/"><FieldRef field="device_age_days"/><Constant>10</Constant></Apply></ComplexPartialScore></Attribute></Characteristic>
 <Characteristic name="b"><Attribute partialScore="0.1"><SimplePredicate field="amount" operator="isMissing"/></Attribute><Attribute partialScore="0.2"><True/></Attribute></Characteristic>
</Characteristics>
</Scorecard>""")

@model("x_nn_reg_fieldref")
def _():
    return doc("""<NeuralNetwork functionName="regression" activationFunction="rectifier">
""" + MS_NN % "y" + NNIN + layer(None, ["h1","h2","h3","h4"], ["i1","i2","i3","i4"], 21) + layer("identity", ["o"], ["h1","h2","h3","h4"], 22) + """
<NeuralOutputs><NeuralOutput outputNeuron="o"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput></NeuralOutputs>
</NeuralNetwork>""")

@model("x_nb_underflow")
def _():
    return doc("""<NaiveBayesModel functionName="classification" threshold="0">
""" + schema("risk_tier", ["amount","amount_sum_1h","minutes_since_last_txn"]) + PROBS3 + """
<BayesInputs>
""" + "".join("""<BayesInput fieldName="%s"><TargetValueStats>
   <TargetValueStat value="allow"><GaussianDistribution mean="%s" variance="%s"/></TargetValueStat>
   <TargetValueStat value="review"><GaussianDistribution mean="%s" variance="%s"/></TargetValueStat>
   <TargetValueStat value="block"><GaussianDistribution mean="%s" variance="%s"/></TargetValueStat>
  </TargetValueStats></BayesInput>""" % (f, m, v, m*1.5, v*2, m*2, v*3) for f, m, v in [("amount", 60, 50), ("amount_sum_1h", 150, 300), ("minutes_since_last_txn", 400, 5000)]) + """
</BayesInputs>
<BayesOutput fieldName="risk_tier"><TargetValueCounts><TargetValueCount value="allow" count="550"/><TargetValueCount value="review" count="95"/><TargetValueCount value="block" count="25"/></TargetValueCounts></BayesOutput>
</NaiveBayesModel>""")

@model("x_glm_missing_reg")
def _():
    return doc("""<GeneralRegressionModel modelType="generalizedLinear" linkFunction="identity" functionName="regression">
""" + schema("y", ["device_age_days"]) + """<Output><OutputField name="k" optype="continuous" dataType="double" feature="transformedValue"><Constant>1</Constant></OutputField></Output>
<ParameterList><Parameter name="p0"/><Parameter name="p1"/></ParameterList>
<CovariateList><Predictor name="device_age_days"/></CovariateList>
<PPMatrix><PPCell value="1" predictorName="device_age_days" parameterName="p1"/></PPMatrix>
<ParamMatrix><PCell parameterName="p0" beta="1"/><PCell parameterName="p1" beta="0.5"/></ParamMatrix>
</GeneralRegressionModel>""")

@model("x_glm_missing_clf")
def _():
    return doc("""<GeneralRegressionModel modelType="multinomialLogistic" functionName="classification">
""" + schema("fraud", ["device_age_days"]) + """<Output><OutputField name="p1" optype="continuous" dataType="double" feature="probability" value="1"/><OutputField name="k" optype="continuous" dataType="double" feature="transformedValue"><Constant>1</Constant></OutputField></Output>
<ParameterList><Parameter name="p0"/><Parameter name="p1"/></ParameterList>
<CovariateList><Predictor name="device_age_days"/></CovariateList>
<PPMatrix><PPCell value="1" predictorName="device_age_days" parameterName="p1"/></PPMatrix>
<ParamMatrix><PCell targetCategory="1" parameterName="p0" beta="1"/><PCell targetCategory="1" parameterName="p1" beta="-0.01"/></ParamMatrix>
</GeneralRegressionModel>""")

@model("x_nn_missing")
def _():
    return doc("""<NeuralNetwork functionName="regression" activationFunction="identity">
""" + schema("y", ["device_age_days"]) + """<Output><OutputField name="k" optype="continuous" dataType="double" feature="transformedValue"><Constant>1</Constant></OutputField></Output>
<NeuralInputs><NeuralInput id="i"><DerivedField optype="continuous" dataType="double"><FieldRef field="device_age_days"/></DerivedField></NeuralInput></NeuralInputs>
<NeuralLayer><Neuron id="o" bias="1"><Con from="i" weight="2"/></Neuron></NeuralLayer>
<NeuralOutputs><NeuralOutput outputNeuron="o"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput></NeuralOutputs>
</NeuralNetwork>""")

@model("x_scorecard_cps_k")
def _():
    return doc("""<Scorecard functionName="regression" useReasonCodes="false" initialScore="1">
""" + schema("y", ["amount","device_age_days"]) + """<Output><OutputField name="k" optype="continuous" dataType="double" feature="transformedValue"><Constant>1</Constant></OutputField></Output>
<Characteristics>
 <Characteristic name="a"><Attribute><True/><ComplexPartialScore><Apply function="/"><FieldRef field="device_age_days"/><Constant>10</Constant></Apply></ComplexPartialScore></Attribute></Characteristic>
</Characteristics>
</Scorecard>""")

@model("x_glm_gl3")
def _():
    return doc("""<GeneralRegressionModel modelType="generalizedLinear" functionName="classification" linkFunction="logit" offsetValue="0.1">
""" + schema("risk_tier", ["amount","txn_count_1h"]) + PROBS3 + """
<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/></ParameterList>
<CovariateList><Predictor name="amount"/><Predictor name="txn_count_1h"/></CovariateList>
<PPMatrix><PPCell value="1" predictorName="amount" parameterName="p1"/><PPCell value="1" predictorName="txn_count_1h" parameterName="p2"/></PPMatrix>
<ParamMatrix>
 <PCell targetCategory="allow" parameterName="p0" beta="0.5"/><PCell targetCategory="allow" parameterName="p1" beta="-0.004"/>
 <PCell targetCategory="block" parameterName="p0" beta="-3"/><PCell targetCategory="block" parameterName="p2" beta="0.3"/>
</ParamMatrix>
</GeneralRegressionModel>""")

@model("x_glm_contrast_full")
def _():
    return doc("""<GeneralRegressionModel modelType="generalLinear" functionName="regression">
""" + schema("y", ["amount","channel"], "").replace('<MiningField name="channel"/>', '<MiningField name="channel" missingValueReplacement="web"/>') + """
<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/></ParameterList>
<FactorList><Predictor name="channel">
 <Categories><Category value="web"/><Category value="app"/><Category value="atm"/><Category value="branch"/></Categories>
 <Matrix nbRows="4" nbCols="4" diagDefault="1" offDiagDefault="0.25"><MatCell row="4" col="1">-1</MatCell><MatCell row="4" col="2">-1</MatCell></Matrix>
</Predictor></FactorList>
<CovariateList><Predictor name="amount"/></CovariateList>
<PPMatrix>
 <PPCell value="web" predictorName="channel" parameterName="p1"/>
 <PPCell value="app" predictorName="channel" parameterName="p2"/>
 <PPCell value="1" predictorName="amount" parameterName="p2"/>
</PPMatrix>
<ParamMatrix><PCell parameterName="p0" beta="3"/><PCell parameterName="p1" beta="0.5"/><PCell parameterName="p2" beta="0.01"/></ParamMatrix>
</GeneralRegressionModel>""")

def inner(name):
    s = MODELS[name]()
    a = s.index("</DataDictionary>") + len("</DataDictionary>")
    b = s.rindex("</PMML>")
    return s[a:b].strip()

@model("x_mining_avg")
def _():
    segs = ""
    for i, n in enumerate(["x_nb_mixed", "x_glm_multinomial", "x_nn_rbf"]):
        m = inner(n)
        # drop the inner Output elements
        import re
        m = re.sub(r"<Output>.*?</Output>", "", m, flags=re.S)
        segs += '<Segment id="s%d" weight="%s"><True/>%s</Segment>' % (i, [0.5, 0.3, 0.2][i], m)
    ms = '<MiningSchema>' + "".join('<MiningField name="%s"/>' % f for f in ALL) + '<MiningField name="risk_tier" usageType="target"/></MiningSchema>'
    return doc('<MiningModel functionName="classification">' + ms + PROBS3 + '<Segmentation multipleModelMethod="weightedAverage">' + segs + '</Segmentation></MiningModel>')

@model("x_mining_vote")
def _():
    import re
    segs = ""
    for i, n in enumerate(["x_nb_mixed", "x_glm_multinomial", "x_ruleset_wsum"]):
        m = re.sub(r"<Output>.*?</Output>", "", inner(n), flags=re.S)
        segs += '<Segment id="s%d"><True/>%s</Segment>' % (i, m)
    ms = '<MiningSchema>' + "".join('<MiningField name="%s"/>' % f for f in ALL) + '<MiningField name="risk_tier" usageType="target"/></MiningSchema>'
    return doc('<MiningModel functionName="classification">' + ms + PROBS3 + '<Segmentation multipleModelMethod="majorityVote">' + segs + '</Segmentation></MiningModel>')

@model("x_mining_chain")
def _():
    import re
    nb = re.sub(r"<Output>.*?</Output>", """<Output><OutputField name="nb_block" optype="continuous" dataType="double" feature="probability" value="block" isFinalResult="false"/></Output>""", inner("x_nb_mixed"), flags=re.S)
    reg = """<RegressionModel functionName="regression"><MiningSchema><MiningField name="nb_block"/><MiningField name="amount"/><MiningField name="y" usageType="target"/></MiningSchema>
<RegressionTable intercept="1"><NumericPredictor name="nb_block" coefficient="10"/><NumericPredictor name="amount" coefficient="0.01"/></RegressionTable></RegressionModel>"""
    nb = nb.replace('<MiningField name="risk_tier" usageType="target"/>', '')
    ms = '<MiningSchema>' + "".join('<MiningField name="%s"/>' % f for f in ALL) + '<MiningField name="y" usageType="target"/></MiningSchema>'
    return doc('<MiningModel functionName="regression">' + ms + '<Segmentation multipleModelMethod="modelChain"><Segment id="a"><True/>' + nb.replace('functionName="classification"', 'functionName="classification"') + '</Segment><Segment id="b"><True/>' + reg + '</Segment></Segmentation></MiningModel>')

def vote_variant(method, mpt):
    import re
    segs = ""
    for i, n in enumerate(["x_nb_mixed", "x_glm_multinomial", "x_ruleset_wsum"]):
        m = re.sub(r"<Output>.*?</Output>", "", inner(n), flags=re.S)
        segs += '<Segment id="s%d" weight="%s"><True/>%s</Segment>' % (i, [0.2, 0.5, 0.3][i], m)
    ms = '<MiningSchema>' + "".join('<MiningField name="%s"/>' % f for f in ALL) + '<MiningField name="risk_tier" usageType="target"/></MiningSchema>'
    return doc('<MiningModel functionName="classification">' + ms + PROBS3 + '<Segmentation multipleModelMethod="%s" missingPredictionTreatment="%s">' % (method, mpt) + segs + '</Segmentation></MiningModel>')

MODELS["x_mv_wmv_continue"] = lambda: vote_variant("weightedMajorityVote", "continue")
MODELS["x_mv_mv_returnmissing"] = lambda: vote_variant("majorityVote", "returnMissing")
MODELS["x_mv_mv_skip"] = lambda: vote_variant("majorityVote", "skipSegment")

@model("x_scorecard_int_target")
def _():
    s = MODELS["x_scorecard_cps_missing"]().replace('<DataField name="y" optype="continuous" dataType="double"/>', '<DataField name="y" optype="continuous" dataType="integer"/>')
    return s.replace('<Attribute><True/><ComplexPartialScore><Apply function="/"><FieldRef field="device_age_days"/><Constant>10</Constant></Apply></ComplexPartialScore></Attribute>', '<Attribute partialScore="2.6"><SimplePredicate field="device_age_days" operator="greaterThan" value="100"/></Attribute><Attribute partialScore="-3.7"><True/></Attribute>')

@model("x_nb_int_target")
def _():
    s = MODELS["x_nb_mixed"]()
    for a, b in [("allow", "0"), ("review", "1"), ("block", "2")]:
        s = s.replace('value="%s"' % a, 'value="%s"' % b)
    s = s.replace('<DataField name="risk_tier" optype="categorical" dataType="string"><Value value="0"/><Value value="1"/><Value value="2"/></DataField>', '<DataField name="risk_tier" optype="categorical" dataType="integer"><Value value="0"/><Value value="1"/><Value value="2"/></DataField>')
    return s

@model("x_nb_outputs")
def _():
    s = MODELS["x_nb_mixed"]()
    return s.replace(PROBS3, """<Output>
 <OutputField name="pred" optype="categorical" dataType="string" feature="predictedValue"/>
 <OutputField name="pwin" optype="continuous" dataType="double" feature="probability"/>
 <OutputField name="p_block" optype="continuous" dataType="double" feature="probability" value="block"/>
 <OutputField name="odds" optype="continuous" dataType="double" feature="transformedValue"><Apply function="/"><FieldRef field="p_block"/><Apply function="-"><Constant>1</Constant><FieldRef field="p_block"/></Apply></Apply></OutputField>
 <OutputField name="flag" optype="categorical" dataType="string" feature="decision"><Apply function="if"><Apply function="greaterThan"><FieldRef field="p_block"/><Constant>0.05</Constant></Apply><Constant>alert</Constant><Constant>ok</Constant></Apply></OutputField>
 <OutputField name="disp" optype="categorical" dataType="string" feature="predictedDisplayValue"/>
</Output>""")

@model("x_nn_float_inputs")
def _():
    return MODELS["x_nn_regression"]().replace('<DataField name="amount" optype="continuous" dataType="double"/>', '<DataField name="amount" optype="continuous" dataType="float"/>').replace('<DataField name="y" optype="continuous" dataType="double"/>', '<DataField name="y" optype="continuous" dataType="float"/>')

@model("x_glm_float")
def _():
    return MODELS["x_glm_multinomial"]().replace('<DataField name="amount" optype="continuous" dataType="double"/>', '<DataField name="amount" optype="continuous" dataType="float"/>')

import random as _random
ACTS = ["threshold","logistic","tanh","identity","exponential","reciprocal","square","Gauss","sine","cosine","Elliott","arctan","rectifier","radialBasis"]
def random_nn(seed):
    rnd = _random.Random(seed)
    clf = rnd.random() < 0.6
    body = ""
    prev = ["i1","i2","i3","i4"]
    for L in range(rnd.randint(1, 3)):
        act = rnd.choice(ACTS)
        n = rnd.randint(1, 4)
        ids = ["L%d_%d" % (L, k) for k in range(n)]
        extra = ""
        if act == "radialBasis": extra = 'width="%r" altitude="%r"' % (round(rnd.uniform(0.5, 2), 3), round(rnd.uniform(0.5, 2), 3))
        if act == "threshold": extra = 'threshold="%r"' % round(rnd.uniform(-0.5, 0.5), 3)
        norm = rnd.choice(["", "", 'normalizationMethod="softmax"', 'normalizationMethod="simplemax"'])
        body += layer(act, ids, prev, seed * 10 + L, extra + " " + norm)
        prev = ids
    if clf:
        cats = ["allow","review","block"]
        body += layer(rnd.choice(["identity","logistic"]), cats, prev, seed * 10 + 9, rnd.choice(['normalizationMethod="softmax"', 'normalizationMethod="simplemax"', ""]))
        outs = "".join('<NeuralOutput outputNeuron="%s"><DerivedField optype="categorical" dataType="string"><NormDiscrete field="risk_tier" value="%s"/></DerivedField></NeuralOutput>' % (c, c) for c in cats)
        return doc('<NeuralNetwork functionName="classification" activationFunction="identity">' + MS_NN % "risk_tier" + PROBS3 + NNIN + body + "<NeuralOutputs>" + outs + "</NeuralOutputs></NeuralNetwork>")
    body += layer("identity", ["o"], prev, seed * 10 + 9)
    return doc('<NeuralNetwork functionName="regression" activationFunction="identity">' + MS_NN % "y" + NNIN + body + '<NeuralOutputs><NeuralOutput outputNeuron="o"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput></NeuralOutputs></NeuralNetwork>')

LINKS = [("cloglog",""),("identity",""),("log",""),("logc",""),("logit",""),("loglog",""),("probit",""),("power",' linkParameter="0.5"'),("power",' linkParameter="0"'),("oddspower",' linkParameter="0.3"'),("negbin",' distParameter="1.5"')]
def random_glm(seed):
    rnd = _random.Random(seed)
    kind = rnd.choice(["reg", "gl_reg", "multi", "ord", "gl_clf"])
    cov = ["amount", "txn_count_1h", "hour_of_day"]
    pp = '<PPCell value="1" predictorName="amount" parameterName="p1"/><PPCell value="%d" predictorName="txn_count_1h" parameterName="p2"/><PPCell value="web" predictorName="channel" parameterName="p3"/><PPCell value="1" predictorName="hour_of_day" parameterName="p3"/>' % rnd.choice([1, 2])
    head = '<ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/><Parameter name="p3"/></ParameterList><FactorList><Predictor name="channel"/></FactorList><CovariateList>' + "".join('<Predictor name="%s"/>' % c for c in cov) + '</CovariateList><PPMatrix>' + pp + '</PPMatrix>'
    b = lambda s: '%r' % round(rnd.uniform(-s, s), 5)
    ms = schema("%s", ["amount","txn_count_1h","hour_of_day","channel"]).replace('<MiningField name="channel"/>', '<MiningField name="channel" missingValueReplacement="app"/>')
    offset = rnd.choice(["", ' offsetValue="0.2"'])
    if kind in ("reg", "gl_reg"):
        link, extra = rnd.choice(LINKS)
        attrs = 'modelType="generalizedLinear" linkFunction="%s"%s%s' % (link, extra, offset) if kind == "gl_reg" else 'modelType="regression"'
        cells = '<PCell parameterName="p0" beta="%s"/><PCell parameterName="p1" beta="%s"/><PCell parameterName="p2" beta="%s"/><PCell parameterName="p3" beta="%s"/>' % (b(0.5), b(0.001), b(0.05), b(0.02))
        return doc('<GeneralRegressionModel functionName="regression" %s>' % attrs + ms.replace("%s", "y") + head + '<ParamMatrix>' + cells + '</ParamMatrix></GeneralRegressionModel>')
    cats = ["allow","review","block"]
    if kind == "ord":
        link = rnd.choice(["logit","probit","cloglog","loglog","cauchit"])
        attrs = 'modelType="ordinalMultinomial" cumulativeLink="%s"%s' % (link, offset)
        cells = '<PCell targetCategory="allow" parameterName="p0" beta="0.5"/><PCell targetCategory="review" parameterName="p0" beta="1.5"/><PCell parameterName="p1" beta="%s"/><PCell parameterName="p2" beta="%s"/><PCell parameterName="p3" beta="%s"/>' % (b(0.003), b(0.1), b(0.05))
    else:
        if kind == "multi":
            attrs = 'modelType="multinomialLogistic"'
        else:
            link, extra = rnd.choice([l for l in LINKS if l[0] in ("logit","probit","cloglog","loglog")])
            attrs = 'modelType="generalizedLinear" linkFunction="%s"%s' % (link, offset)
        ref = rnd.choice(cats)
        attrs += rnd.choice(['', ' targetReferenceCategory="%s"' % ref])
        cells = ""
        for c in cats:
            if c == ref: continue
            cells += '<PCell targetCategory="%s" parameterName="p0" beta="%s"/><PCell targetCategory="%s" parameterName="p1" beta="%s"/><PCell targetCategory="%s" parameterName="p2" beta="%s"/><PCell targetCategory="%s" parameterName="p3" beta="%s"/>' % (c, b(1), c, b(0.003), c, b(0.1), c, b(0.03))
    return doc('<GeneralRegressionModel functionName="classification" %s>' % attrs + ms.replace("%s", "risk_tier") + PROBS3 + head + '<ParamMatrix>' + cells + '</ParamMatrix></GeneralRegressionModel>')

for _i in range(12):
    MODELS["r_nn_%d" % _i] = (lambda i: lambda: random_nn(100 + i))(_i)
    MODELS["r_glm_%d" % _i] = (lambda i: lambda: random_glm(200 + i))(_i)

def nn_overflow(second):
    ins = '<NeuralInputs><NeuralInput id="a"><DerivedField optype="continuous" dataType="double"><FieldRef field="amount"/></DerivedField></NeuralInput></NeuralInputs>'
    body = '<NeuralLayer activationFunction="exponential"><Neuron id="e" bias="0"><Con from="a" weight="1"/></Neuron></NeuralLayer>'
    if second: body += '<NeuralLayer activationFunction="%s"><Neuron id="s" bias="0"><Con from="e" weight="1"/></Neuron></NeuralLayer>' % second
    out = "s" if second else "e"
    return doc('<NeuralNetwork functionName="regression" activationFunction="identity">' + schema("y", ["amount"]) + ins + body + '<NeuralOutputs><NeuralOutput outputNeuron="%s"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput></NeuralOutputs></NeuralNetwork>' % out)
MODELS["x_nn_inf"] = lambda: nn_overflow(None)
MODELS["x_nn_nan"] = lambda: nn_overflow("sine")

NUMF = [("amount", 0, 800), ("amount_sum_1h", 0, 1500), ("txn_count_1h", 1, 8), ("minutes_since_last_txn", 0, 1500), ("hour_of_day", 0, 23), ("device_age_days", 0, 600)]
def rand_pred(rnd, depth=0):
    r = rnd.random()
    if depth < 2 and r < 0.25:
        op = rnd.choice(["and", "or", "xor", "surrogate"])
        return '<CompoundPredicate booleanOperator="%s">%s%s</CompoundPredicate>' % (op, rand_pred(rnd, depth + 1), rand_pred(rnd, depth + 1))
    if r < 0.35:
        return '<SimpleSetPredicate field="%s" booleanOperator="%s"><Array type="string">%s</Array></SimpleSetPredicate>' % (
            rnd.choice(["channel", "country"]), rnd.choice(["isIn", "isNotIn"]), " ".join(rnd.sample(["web", "app", "atm", "NL", "NG", "RO", "US", "GB"], 3)))
    if r < 0.4:
        return '<SimplePredicate field="%s" operator="%s"/>' % (rnd.choice([f for f, _, _ in NUMF]), rnd.choice(["isMissing", "isNotMissing"]))
    if r < 0.43:
        return rnd.choice(["<True/>", "<False/>"])
    f, lo, hi = rnd.choice(NUMF)
    return '<SimplePredicate field="%s" operator="%s" value="%s"/>' % (f, rnd.choice(["lessThan", "lessOrEqual", "greaterThan", "greaterOrEqual", "equal", "notEqual"]), rnd.randint(lo, hi))

def random_ruleset(seed):
    rnd = _random.Random(seed)
    crit = rnd.choice(["firstHit", "weightedSum", "weightedMax"])
    cats = ["allow", "review", "block"]
    counter = [0]
    def rules(depth, n):
        s = ""
        for _ in range(n):
            if depth < 2 and rnd.random() < 0.25:
                s += "<CompoundRule>%s%s</CompoundRule>" % (rand_pred(rnd), rules(depth + 1, rnd.randint(1, 3)))
            else:
                counter[0] += 1
                rid = ' id="r%d"' % counter[0] if rnd.random() < 0.7 else ""
                w = rnd.choice(["0.5", "1", "0.25", "0.75", str(round(rnd.uniform(0, 1), 2))])
                c = rnd.choice(["0.5", "0.9", str(round(rnd.uniform(0, 1), 2))])
                s += '<SimpleRule%s score="%s" weight="%s" confidence="%s">%s</SimpleRule>' % (rid, rnd.choice(cats), w, c, rand_pred(rnd))
        return s
    outs = '<Output><OutputField name="rid" optype="categorical" dataType="string" feature="entityId"/><OutputField name="conf" optype="continuous" dataType="double" feature="confidence"/>' + "".join('<OutputField name="c_%s" optype="continuous" dataType="double" feature="confidence" value="%s"/>' % (c, c) for c in cats) + '</Output>'
    return doc('<RuleSetModel functionName="classification">' + schema("risk_tier") + outs + '<RuleSet defaultScore="%s" defaultConfidence="0.3"><RuleSelectionMethod criterion="%s"/>' % (rnd.choice(cats), crit) + rules(0, rnd.randint(3, 9)) + '</RuleSet></RuleSetModel>')

def random_scorecard(seed):
    rnd = _random.Random(seed)
    alg = rnd.choice(["pointsBelow", "pointsAbove"])
    codes = ["C%d" % i for i in range(4)]
    chars = ""
    for k in range(rnd.randint(2, 5)):
        attrs = ""
        for _ in range(rnd.randint(1, 3)):
            rc = ' reasonCode="%s"' % rnd.choice(codes) if rnd.random() < 0.3 else ""
            attrs += '<Attribute partialScore="%s"%s>%s</Attribute>' % (rnd.choice([rnd.randint(-5, 15), round(rnd.uniform(-5, 15), 2)]), rc, rand_pred(rnd))
        attrs += '<Attribute partialScore="%s"><True/></Attribute>' % rnd.randint(0, 10)
        base = ' baselineScore="%s"' % rnd.randint(0, 10) if rnd.random() < 0.7 else ""
        chars += '<Characteristic name="k%d" reasonCode="%s"%s>%s</Characteristic>' % (k, rnd.choice(codes), base, attrs)
    outs = "<Output>" + "".join('<OutputField name="r%d" optype="categorical" dataType="string" feature="reasonCode" rank="%d"/>' % (i, i) for i in range(1, 5)) + "</Output>"
    return doc('<Scorecard functionName="regression" useReasonCodes="true" reasonCodeAlgorithm="%s" initialScore="%s" baselineScore="5">' % (alg, rnd.randint(0, 50)) + schema("y") + outs + "<Characteristics>" + chars + "</Characteristics></Scorecard>")

def random_nb(seed):
    rnd = _random.Random(seed)
    cats = ["allow", "review", "block"]
    inputs = ""
    for f in rnd.sample(["channel", "country"], rnd.randint(1, 2)):
        vals = {"channel": ["web", "app", "atm", "branch"], "country": ["NL", "NG", "RO", "US", "GB", "DE"]}[f]
        pcs = ""
        for v in rnd.sample(vals, rnd.randint(2, len(vals))):
            pcs += '<PairCounts value="%s"><TargetValueCounts>%s</TargetValueCounts></PairCounts>' % (v, "".join('<TargetValueCount value="%s" count="%d"/>' % (c, rnd.choice([0, rnd.randint(1, 300)])) for c in cats))
        inputs += '<BayesInput fieldName="%s">%s</BayesInput>' % (f, pcs)
    for f, lo, hi in rnd.sample(NUMF, rnd.randint(1, 4)):
        stats = "".join('<TargetValueStat value="%s"><GaussianDistribution mean="%r" variance="%r"/></TargetValueStat>' % (c, round(rnd.uniform(lo, hi), 3), round(rnd.uniform(1, (hi - lo) ** 2 / 4 + 1), 3)) for c in cats)
        inputs += '<BayesInput fieldName="%s"><TargetValueStats>%s</TargetValueStats></BayesInput>' % (f, stats)
    prior = "".join('<TargetValueCount value="%s" count="%d"/>' % (c, rnd.randint(5, 600)) for c in cats)
    return doc('<NaiveBayesModel functionName="classification" threshold="%s">' % rnd.choice(["0", "0.001", "1e-6"]) + schema("risk_tier") + PROBS3 + "<BayesInputs>" + inputs + '</BayesInputs><BayesOutput fieldName="risk_tier"><TargetValueCounts>' + prior + "</TargetValueCounts></BayesOutput></NaiveBayesModel>")

for _i in range(15):
    MODELS["r_rs_%d" % _i] = (lambda i: lambda: random_ruleset(300 + i))(_i)
    MODELS["r_sc_%d" % _i] = (lambda i: lambda: random_scorecard(400 + i))(_i)
    MODELS["r_nb_%d" % _i] = (lambda i: lambda: random_nb(500 + i))(_i)

@model("x_glm_missing_priors")
def _():
    return MODELS["x_glm_missing_clf"]().replace("<ParameterList>", '<Targets><Target field="fraud"><TargetValue value="0" priorProbability="0.8"/><TargetValue value="1" priorProbability="0.2"/></Target></Targets><ParameterList>')

@model("x_glm_missing_default")
def _():
    return MODELS["x_glm_missing_reg"]().replace("<ParameterList>", '<Targets><Target field="y" rescaleFactor="2" rescaleConstant="1" defaultValue="5"/></Targets><ParameterList>')
