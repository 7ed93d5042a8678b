import AurumCore
import Foundation
import Testing
@testable import AurumEngine

// Session settings at the engine level: statement_timeout (works embedded, without the wire
// server), the reported-setting change list the server turns into ParameterStatus, RESET to
// the connection's startup values.

@Suite("Session settings")
struct SettingsTests {
    private func withSession(_ f: (Session) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "aurum-settings-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let engine = try Engine(directory: dir, options: EngineOptions(threads: 2, backgroundMerges: false, fsync: false))
        defer {
            engine.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        try f(engine.makeSession())
    }

    @Test func statementTimeoutCancelsEmbeddedQueries() throws {
        try withSession { s in
            _ = try s.execute("CREATE TABLE big (x UInt64) ENGINE = MergeTree ORDER BY x")
            _ = try s.execute("INSERT INTO big SELECT number FROM numbers(3000000)")
            let slow = "SELECT count(*) FROM big WHERE toString(x * 7919) LIKE '%12%34%'"
            _ = try s.execute("SET statement_timeout = 50")
            let clock = ContinuousClock()
            let start = clock.now
            #expect { try s.execute(slow) } throws: { e in
                guard let e = e as? AurumError else { return false }
                return e.code == .queryCanceled && e.message == "canceling statement due to statement timeout"
            }
            #expect(clock.now - start < .seconds(30))
            // the timer of a finished statement does not hit the next one
            _ = try s.execute("SET statement_timeout = 0")
            #expect(try s.execute(slow).first?.rowCount == 1)
        }
    }

    @Test func reportedChangesAndResetToStartupValues() throws {
        try withSession { s in
            _ = try s.execute("SET application_name = 'from startup'")
            s.adoptSettingsAsDefaults()
            let initial = Dictionary(uniqueKeysWithValues: s.reportedSettings().map { ($0.name, $0.value) })
            #expect(initial["application_name"] == "from startup")
            #expect(initial["DateStyle"] == "ISO, MDY" && initial["TimeZone"] == "UTC")

            _ = try s.execute("SET statement_timeout = '1s'; SET DateStyle = 'ISO'; SET application_name = 'x'")
            #expect(s.takeReportedChanges().map { "\($0.name)=\($0.value)" } == ["application_name=x"])
            #expect(s.takeReportedChanges().isEmpty)
            _ = try s.execute("RESET application_name")
            #expect(s.takeReportedChanges().map { "\($0.name)=\($0.value)" } == ["application_name=from startup"])
            #expect(s.currentSettingValue("APPLICATION_NAME") == "from startup")
            #expect(s.currentSettingValue("statement_timeout") == "1s")
            _ = try s.execute("RESET ALL")
            #expect(s.currentSettingValue("statement_timeout") == "0")
            #expect(s.currentSettingValue("no_such") == nil)
        }
    }
}
