// PLACEHOLDER: the Kafka client used by the operator CLI lands here.
public enum WeirClientPlaceholder {}
