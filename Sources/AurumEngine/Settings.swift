import AurumCore
import Foundation

/// The PostgreSQL settings Aurum knows: canonical name, default, description, and how a
/// value given to SET is checked and normalised (to the text SHOW gives back, as PostgreSQL
/// shows it). Settings not in this table are accepted by SET as they are (ClickHouse-style
/// settings such as `max_memory_usage`, custom `a.b` names) and SHOW finds them once set.
public struct SettingDefinition: Sendable {
    /// The name as PostgreSQL spells it (`DateStyle`, `TimeZone`, ...): SHOW's column name and
    /// the ParameterStatus name.
    public let name: String
    public let defaultValue: String
    public let description: String
    /// Sent to the client in a ParameterStatus message when it changes.
    public let reported: Bool
    /// Cannot be changed by SET (55P02).
    public let readOnly: Bool
    let normalize: @Sendable (String) throws -> String

    init(_ name: String, _ defaultValue: String, _ description: String, reported: Bool = false, readOnly: Bool = false,
         normalize: @escaping @Sendable (String) throws -> String = { $0 }) {
        self.name = name
        self.defaultValue = defaultValue
        self.description = description
        self.reported = reported
        self.readOnly = readOnly
        self.normalize = normalize
    }
}

public enum Settings {
    static func invalid(_ name: String, _ value: String, hint: String? = nil) -> AurumError {
        AurumError(.invalidParameterValue, "invalid value for parameter \"\(name)\": \"\(value)\"", hint: hint)
    }

    static func bool(_ name: String) -> @Sendable (String) throws -> String {
        { v in
            switch v.lowercased() {
            case "on", "true", "yes", "1", "t", "y": return "on"
            case "off", "false", "no", "0", "f", "n": return "off"
            default: throw AurumError(.invalidParameterValue, "parameter \"\(name)\" requires a Boolean value")
            }
        }
    }

    static func oneOf(_ name: String, _ values: [String]) -> @Sendable (String) throws -> String {
        { v in
            let l = v.lowercased()
            guard values.contains(l) else {
                throw invalid(name, v, hint: "Available values: \(values.joined(separator: ", ")).")
            }
            return l
        }
    }

    static func isolation(_ name: String) -> @Sendable (String) throws -> String {
        { v in
            let l = v.lowercased().split(whereSeparator: { $0 == " " || $0 == "_" }).joined(separator: " ")
            guard ["read uncommitted", "read committed", "repeatable read", "serializable"].contains(l) else {
                throw invalid(name, v, hint: "Available values: serializable, repeatable read, read committed, read uncommitted.")
            }
            return l
        }
    }

    static func encoding(_ v: String) throws -> String {
        let n = v.uppercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        guard n == "UTF8" || n == "UNICODE" else {
            throw AurumError(.featureNotSupported, "client_encoding \"\(v)\" is not supported: the server sends and expects UTF8",
                             hint: "use SET client_encoding = 'UTF8'")
        }
        return "UTF8"
    }

    /// `DateStyle`: output style and field order. Only ISO output is produced.
    static func dateStyle(_ v: String) throws -> String {
        var order = "MDY"
        for raw in v.split(whereSeparator: { $0 == "," || $0 == " " }) {
            switch raw.uppercased() {
            case "ISO": break
            case "MDY", "US", "NONEURO", "NONEUROPEAN": order = "MDY"
            case "DMY", "EURO", "EUROPEAN": order = "DMY"
            case "YMD": order = "YMD"
            case "SQL", "POSTGRES", "GERMAN":
                throw AurumError(.featureNotSupported, "DateStyle \"\(raw)\" is not supported: dates and timestamps are always sent in ISO style",
                                 hint: "use SET DateStyle = 'ISO'")
            default:
                throw AurumError(.invalidParameterValue, "invalid value for parameter \"DateStyle\": \"\(v)\"",
                                 detail: "Unrecognized key word: \"\(raw)\".")
            }
        }
        return "ISO, \(order)"
    }

    static func timeZone(_ v: String) throws -> String {
        let t = v.trimmingCharacters(in: .whitespaces)
        if ["utc", "gmt", "z", "zulu", "etc/utc", "etc/gmt", "universal"].contains(t.lowercased()) {
            return t.lowercased() == "z" || t.lowercased() == "zulu" ? "UTC" : t
        }
        if TimeZone(identifier: t) != nil { return t }
        // A numeric offset in hours (`SET TIME ZONE -5`, `'+02:30'`).
        let body = t.hasPrefix("+") || t.hasPrefix("-") ? String(t.dropFirst()) : t
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        if (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
           let h = Int(parts[0]), h <= 15 {
            return t
        }
        throw invalid("TimeZone", v)
    }

    /// Milliseconds from `5000`, `'5s'`, `'100ms'`, `'2min'`, `'1h'`, `'1d'`.
    static func milliseconds(_ name: String, _ v: String) throws -> Int {
        let t = v.trimmingCharacters(in: .whitespaces)
        let digits = t.prefix { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }
        let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty else { throw invalid(name, v) }
        let scale: Int
        switch unit {
        case "", "ms": scale = 1
        case "s": scale = 1000
        case "min": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        case "us": scale = 0
        default: throw invalid(name, v, hint: unit.isEmpty ? nil : "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".")
        }
        guard let n = Int(digits) else { throw invalid(name, v) }
        guard n >= 0 else {
            throw AurumError(.invalidParameterValue, "\(n) ms is outside the valid range for parameter \"\(name)\" (0 .. 2147483647)")
        }
        let ms = scale == 0 ? n / 1000 : n.multipliedReportingOverflow(by: scale).partialValue
        guard ms <= Int(Int32.max), scale == 0 || n <= Int(Int32.max) / scale else {
            throw AurumError(.invalidParameterValue, "value \"\(v)\" is outside the valid range for parameter \"\(name)\" (0 .. 2147483647)")
        }
        return ms
    }

    /// Milliseconds as PostgreSQL shows them: the largest unit that divides evenly.
    static func showMilliseconds(_ ms: Int) -> String {
        if ms == 0 { return "0" }
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)] where ms % size == 0 {
            return "\(ms / size)\(unit)"
        }
        return "\(ms)ms"
    }

    static func integer(_ name: String, _ range: ClosedRange<Int>) -> @Sendable (String) throws -> String {
        { v in
            guard let n = Int(v.trimmingCharacters(in: .whitespaces)) else {
                throw AurumError(.invalidParameterValue, "invalid value for parameter \"\(name)\": \"\(v)\"")
            }
            guard range.contains(n) else {
                throw AurumError(.invalidParameterValue, "\(n) is outside the valid range for parameter \"\(name)\" (\(range.lowerBound) .. \(range.upperBound))")
            }
            return String(n)
        }
    }

    /// The known settings, by lowercased name.
    public static let definitions: [String: SettingDefinition] = {
        let list: [SettingDefinition] = [
            SettingDefinition("application_name", "", "Sets the application name to be reported in statistics and logs.", reported: true),
            SettingDefinition("client_encoding", "UTF8", "Sets the client's character set encoding.", reported: true, normalize: encoding),
            SettingDefinition("client_min_messages", "notice", "Sets the message levels that are sent to the client.",
                              normalize: oneOf("client_min_messages", ["debug5", "debug4", "debug3", "debug2", "debug1", "debug", "log", "notice", "warning", "error"])),
            SettingDefinition("DateStyle", "ISO, MDY", "Sets the display format for date and time values.", reported: true, normalize: dateStyle),
            SettingDefinition("default_transaction_isolation", "read committed", "Sets the transaction isolation level of each new transaction.",
                              normalize: isolation("default_transaction_isolation")),
            SettingDefinition("default_transaction_read_only", "off", "Sets the default read-only status of new transactions.",
                              normalize: bool("default_transaction_read_only")),
            SettingDefinition("extra_float_digits", "1", "Sets the number of digits displayed for floating-point values.",
                              normalize: integer("extra_float_digits", -15...3)),
            SettingDefinition("integer_datetimes", "on", "Shows whether datetimes are integer based.", reported: true, readOnly: true),
            SettingDefinition("IntervalStyle", "postgres", "Sets the display format for interval values.", reported: true,
                              normalize: oneOf("IntervalStyle", ["postgres"])),
            SettingDefinition("is_superuser", "on", "Shows whether the current user is a superuser.", reported: true, readOnly: true),
            SettingDefinition("lock_timeout", "0", "Sets the maximum allowed duration of any wait for a lock.",
                              normalize: { showMilliseconds(try milliseconds("lock_timeout", $0)) }),
            SettingDefinition("idle_in_transaction_session_timeout", "0", "Sets the maximum allowed idle time between queries, when in a transaction.",
                              normalize: { showMilliseconds(try milliseconds("idle_in_transaction_session_timeout", $0)) }),
            SettingDefinition("max_memory_usage", String(4 << 30), "Memory limit of one query in bytes (Aurum).",
                              normalize: integer("max_memory_usage", 0...Int.max)),
            SettingDefinition("search_path", "\"$user\", public", "Sets the schema search order for names that are not schema-qualified."),
            SettingDefinition("server_encoding", "UTF8", "Shows the server (database) character set encoding.", reported: true, readOnly: true),
            SettingDefinition("server_version", "15.0", "Shows the server version.", reported: true, readOnly: true),
            SettingDefinition("server_version_num", "150000", "Shows the server version as an integer.", readOnly: true),
            SettingDefinition("session_authorization", "aurum", "Sets the session user name.", reported: true, readOnly: true),
            SettingDefinition("standard_conforming_strings", "on", "Causes '...' strings to treat backslashes literally.", reported: true,
                              normalize: { v in
                                  guard try bool("standard_conforming_strings")(v) == "on" else {
                                      throw AurumError(.featureNotSupported, "standard_conforming_strings = off is not supported")
                                  }
                                  return "on"
                              }),
            SettingDefinition("statement_timeout", "0", "Sets the maximum allowed duration of any statement.",
                              normalize: { showMilliseconds(try milliseconds("statement_timeout", $0)) }),
            SettingDefinition("TimeZone", "UTC", "Sets the time zone for displaying and interpreting time stamps.", reported: true, normalize: timeZone),
            SettingDefinition("transaction_isolation", "read committed", "Sets the current transaction's isolation level.",
                              normalize: isolation("transaction_isolation")),
            SettingDefinition("transaction_read_only", "off", "Sets the current transaction's read-only status.",
                              normalize: bool("transaction_read_only")),
        ]
        var d: [String: SettingDefinition] = [:]
        for s in list { d[s.name.lowercased()] = s }
        return d
    }()
}
