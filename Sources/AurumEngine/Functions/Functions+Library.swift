import AurumCore

/// Date/time, string, math and conversion functions (Functions+Date.swift, +String, +Math, +Conversion).
let extraFunctions: [([String], ScalarResolver)] = dateFunctions + stringFunctions + mathFunctions + conversionFunctions + pgCompatFunctions
