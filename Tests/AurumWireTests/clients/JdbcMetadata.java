// pgJDBC DatabaseMetaData / ResultSetMetaData / PreparedStatement against an Aurum server.
// Usage: java -cp /usr/share/java/postgresql.jar JdbcMetadata.java --port N [--mode extended|simple]
// (extended: pgJDBC's default query mode, server-side prepared statements; simple: preferQueryMode=simple)
// Exits non-zero with a message on any mismatch.
import java.sql.*;
import java.util.*;

public class JdbcMetadata {
    static void check(String what, Object got, Object want) {
        if (!Objects.equals(got, want)) {
            System.err.println("MISMATCH " + what + ": got " + got + ", want " + want);
            System.exit(1);
        }
    }

    static List<String> column(ResultSet rs, String name) throws SQLException {
        List<String> out = new ArrayList<>();
        while (rs.next()) out.add(rs.getString(name));
        rs.close();
        return out;
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[1]);
        String mode = args.length >= 4 && args[2].equals("--mode") ? args[3] : "simple";
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/default?user=aurum"
            + (mode.equals("simple") ? "&preferQueryMode=simple" : "&prepareThreshold=1");
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS jt");
                s.execute("CREATE TABLE jt (id Int64, label Nullable(String) COMMENT 'the label', price Decimal(12, 3), day Date) ENGINE = MergeTree ORDER BY id COMMENT 'jdbc table'");
                s.execute("INSERT INTO jt VALUES (1, 'a', 1.5, '2024-01-02')");
            }
            DatabaseMetaData md = c.getMetaData();
            check("product", md.getDatabaseProductName(), "PostgreSQL");
            List<String> schemas = column(md.getSchemas(), "TABLE_SCHEM");
            if (!schemas.contains("default")) { System.err.println("MISMATCH schemas: " + schemas); System.exit(1); }
            check("tables", column(md.getTables(null, "default", "%", new String[] {"TABLE"}), "TABLE_NAME"), List.of("jt"));
            ResultSet t = md.getTables(null, "default", "jt", null);
            t.next();
            check("table type", t.getString("TABLE_TYPE"), "TABLE");
            check("table remarks", t.getString("REMARKS"), "jdbc table");
            t.close();
            // getColumns: pgJDBC numbers the columns with row_number() OVER (PARTITION BY attrelid ORDER BY attnum)
            ResultSet cols = md.getColumns(null, "default", "jt", "%");
            List<String> got = new ArrayList<>();
            while (cols.next()) {
                got.add(cols.getString("COLUMN_NAME") + ":" + cols.getInt("DATA_TYPE") + ":" + cols.getString("TYPE_NAME")
                    + ":" + cols.getInt("NULLABLE") + ":" + cols.getString("IS_NULLABLE") + ":" + cols.getInt("ORDINAL_POSITION")
                    + ":" + cols.getString("REMARKS"));
            }
            cols.close();
            check("columns", got, List.of(
                "id:" + Types.BIGINT + ":int8:" + DatabaseMetaData.columnNoNulls + ":NO:1:null",
                "label:" + Types.VARCHAR + ":text:" + DatabaseMetaData.columnNullable + ":YES:2:the label",
                "price:" + Types.NUMERIC + ":numeric:" + DatabaseMetaData.columnNoNulls + ":NO:3:null",
                "day:" + Types.DATE + ":date:" + DatabaseMetaData.columnNoNulls + ":NO:4:null"));
            ResultSet pc = md.getColumns(null, "default", "jt", "price");
            check("price column found", pc.next(), true);
            check("price precision", pc.getInt("COLUMN_SIZE"), 12);
            check("price scale", pc.getInt("DECIMAL_DIGITS"), 3);
            check("one price column", pc.next(), false);
            pc.close();
            List<String> typeNames = column(md.getTypeInfo(), "TYPE_NAME");
            for (String tn : List.of("int8", "text", "numeric", "date", "bool", "float8")) {
                if (!typeNames.contains(tn)) { System.err.println("MISMATCH type info lacks " + tn + ": " + typeNames); System.exit(1); }
            }
            check("primary keys", column(md.getPrimaryKeys(null, "default", "jt"), "COLUMN_NAME"), List.of());
            check("imported keys", column(md.getImportedKeys(null, "default", "jt"), "FKCOLUMN_NAME"), List.of());
            check("indexes", column(md.getIndexInfo(null, "default", "jt", false, true), "INDEX_NAME"), List.of());
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, label, price * 2 AS doubled FROM jt")) {
                ResultSetMetaData rm = rs.getMetaData();
                check("rs table name", rm.getTableName(1), "jt");
                check("rs base column", ((org.postgresql.PGResultSetMetaData) rm).getBaseColumnName(2), "label");
                check("rs nullable label", rm.isNullable(2), ResultSetMetaData.columnNullable);
                check("rs nullable id", rm.isNullable(1), ResultSetMetaData.columnNoNulls);
                check("rs computed table", rm.getTableName(3), "");
                rs.next();
                check("value", rs.getString(2), "a");
            }
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO jt VALUES (2, NULL, 2.25, '2024-01-03'), (3, 'c', 10, '2024-01-04')");
            }
            // PreparedStatement with parameters (server-side prepared in extended mode), run twice
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, label, price, day, sum(price) OVER (ORDER BY id) AS running FROM jt WHERE id >= ? AND day <= ? ORDER BY id")) {
                for (int round = 0; round < 3; round++) {
                    ps.setLong(1, 2);
                    ps.setDate(2, java.sql.Date.valueOf("2024-01-04"));
                    try (ResultSet rs = ps.executeQuery()) {
                        ResultSetMetaData rm = rs.getMetaData();
                        check("ps columns", rm.getColumnCount(), 5);
                        check("ps type id", rm.getColumnTypeName(1), "int8");
                        check("ps type price", rm.getColumnType(3), Types.NUMERIC);
                        check("ps type day", rm.getColumnType(4), Types.DATE);
                        check("ps label", rm.getColumnLabel(5), "running");
                        List<String> rows = new ArrayList<>();
                        while (rs.next()) rows.add(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getBigDecimal(3) + "|" + rs.getDate(4) + "|" + rs.getBigDecimal(5));
                        check("ps rows", rows, List.of("2|null|2.250|2024-01-03|2.250", "3|c|10.000|2024-01-04|12.250"));
                    }
                }
                ps.setLong(1, 3);
                ps.setDate(2, java.sql.Date.valueOf("2024-01-04"));
                try (ResultSet rs = ps.executeQuery()) {
                    check("ps rebound", rs.next() ? rs.getLong(1) : -1L, 3L);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM jt WHERE label = ?")) {
                ps.setString(1, "c");
                try (ResultSet rs = ps.executeQuery()) { rs.next(); check("ps string param", rs.getLong(1), 1L); }
            }
        }
        System.out.println("ok");
    }
}
