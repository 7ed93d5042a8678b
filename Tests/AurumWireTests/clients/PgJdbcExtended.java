// pgJDBC against Aurum: server-side prepared statements (after prepareThreshold executions a
// PreparedStatement becomes a named statement), parameters of every supported type,
// setFetchSize (row-limited Execute and PortalSuspended inside a transaction), parameter
// metadata, errors then recovery. Run: java -cp postgresql.jar PgJdbcExtended.java --port N
import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

public class PgJdbcExtended {
    static void check(String what, Object got, Object want) {
        if (!Objects.equals(got, want)) {
            System.err.println("MISMATCH " + what + ": got " + got + ", want " + want);
            System.exit(1);
        }
    }

    public static void main(String[] args) throws Exception {
        int port = -1;
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--port")) port = Integer.parseInt(args[i + 1]);
        if (port < 0) { System.err.println("usage: PgJdbcExtended.java --port N"); System.exit(2); }
        Properties props = new Properties();
        props.setProperty("user", "aurum");
        props.setProperty("prepareThreshold", "5");
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/default";
        try (Connection c = DriverManager.getConnection(url, props)) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS jt");
                s.execute("CREATE TABLE jt (id Int32, b Nullable(Bool), i2 Nullable(Int16), i8 Nullable(Int64), f4 Nullable(Float32), "
                    + "f8 Nullable(Float64), n Nullable(Decimal(12, 3)), t Nullable(String), d Nullable(Date), "
                    + "ts Nullable(DateTime64(6)), u Nullable(UUID)) ENGINE = MergeTree ORDER BY id");
            }
            UUID uuid = UUID.fromString("12345678-1234-5678-9abc-def012345678");
            Timestamp ts = Timestamp.valueOf("2024-02-29 12:34:56.789");
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO jt VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ins.setInt(1, 1); ins.setBoolean(2, true); ins.setShort(3, (short) 12); ins.setLong(4, 9_000_000_000L);
                ins.setFloat(5, 1.5f); ins.setDouble(6, 2.25); ins.setBigDecimal(7, new BigDecimal("123.456"));
                ins.setString(8, "héllo"); ins.setDate(9, java.sql.Date.valueOf("2024-02-29")); ins.setTimestamp(10, ts);
                ins.setObject(11, uuid);
                check("insert count", ins.executeUpdate(), 1);
                ins.setInt(1, 2);
                for (int k = 2; k <= 11; k++) ins.setNull(k, Types.NULL);
                check("insert nulls", ins.executeUpdate(), 1);
            }
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO jt (id) SELECT toInt32(number + 100) FROM numbers(1000)");
            }
            // the same PreparedStatement many times: it becomes a named server-side statement
            // (and pgJDBC switches to binary transfer for the types it knows)
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT b, i2, i8, f4, f8, n, t, d, ts, u FROM jt WHERE id = ? AND d >= ? AND ts <= ? AND u = ?")) {
                for (int round = 0; round < 8; round++) {
                    q.setInt(1, 1);
                    q.setDate(2, java.sql.Date.valueOf("2024-01-01"));
                    q.setTimestamp(3, Timestamp.valueOf("2030-01-01 00:00:00"));
                    q.setObject(4, uuid);
                    try (ResultSet r = q.executeQuery()) {
                        check("round " + round + " has row", r.next(), true);
                        check("bool", r.getBoolean(1), true);
                        check("int2", r.getShort(2), (short) 12);
                        check("int8", r.getLong(3), 9_000_000_000L);
                        check("float4", r.getFloat(4), 1.5f);
                        check("float8", r.getDouble(5), 2.25);
                        check("numeric", r.getBigDecimal(6), new BigDecimal("123.456"));
                        check("text", r.getString(7), "héllo");
                        check("date", r.getDate(8).toString(), "2024-02-29");
                        check("timestamp", r.getTimestamp(9), ts);
                        check("uuid", r.getObject(10), uuid);
                        check("one row", r.next(), false);
                    }
                }
                ParameterMetaData pm = q.getParameterMetaData();
                check("parameter count", pm.getParameterCount(), 4);
                check("parameter 1 type", pm.getParameterTypeName(1), "int4");
                check("parameter 2 type", pm.getParameterTypeName(2), "date");
            }
            // NULLs come back as NULLs
            try (PreparedStatement q = c.prepareStatement("SELECT t, n FROM jt WHERE id = ?")) {
                q.setInt(1, 2);
                try (ResultSet r = q.executeQuery()) {
                    check("null row", r.next(), true);
                    check("null text", r.getString(1), null);
                    check("null numeric", r.getBigDecimal(2), null);
                }
            }
            // setFetchSize inside a transaction: row-limited Execute, PortalSuspended, resumed
            c.setAutoCommit(false);
            try (PreparedStatement q = c.prepareStatement("SELECT id FROM jt WHERE id >= ? ORDER BY id")) {
                q.setFetchSize(64);
                q.setInt(1, 100);
                long sum = 0; int n = 0;
                try (ResultSet r = q.executeQuery()) {
                    while (r.next()) { sum += r.getInt(1); n++; }
                }
                check("fetch-size rows", n, 1000);
                check("fetch-size sum", sum, (long) (100 + 1099) * 1000 / 2);
            }
            c.commit();
            // errors then recovery; in a transaction the block fails until rollback
            try (Statement s = c.createStatement()) {
                try {
                    s.executeQuery("SELECT * FROM missing_table");
                    check("expected an error", false, true);
                } catch (SQLException e) {
                    check("sqlstate", e.getSQLState(), "42P01");
                }
                try {
                    s.executeQuery("SELECT 1");
                    check("expected 25P02", false, true);
                } catch (SQLException e) {
                    check("sqlstate in failed block", e.getSQLState(), "25P02");
                }
                c.rollback();
                c.setAutoCommit(true);
                try (ResultSet r = s.executeQuery("SELECT 40 + 2")) {
                    r.next();
                    check("after recovery", r.getInt(1), 42);
                }
            }
            // batch of parameterised inserts
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO jt (id, t) VALUES (?, ?)")) {
                for (int i = 0; i < 3; i++) { ins.setInt(1, 5000 + i); ins.setString(2, "batch" + i); ins.addBatch(); }
                int[] counts = ins.executeBatch();
                check("batch size", counts.length, 3);
            }
            try (PreparedStatement q = c.prepareStatement("SELECT count(*) FROM jt WHERE t LIKE ?")) {
                q.setString(1, "batch%");
                try (ResultSet r = q.executeQuery()) { r.next(); check("batch rows", r.getLong(1), 3L); }
            }
        }
        System.out.println("pgjdbc: all checks passed");
    }
}
