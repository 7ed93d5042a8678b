// pgJDBC DatabaseMetaData / ResultSetMetaData against an Aurum server (simple query mode).
// Usage: java -cp /usr/share/java/postgresql.jar JdbcMetadata.java --port N
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
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/default?user=aurum&preferQueryMode=simple";
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
            // md.getColumns is not checked: pgJDBC numbers columns with row_number() OVER (...),
            // and Aurum has no window functions yet (docs/pg-compat.md)
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
        }
        System.out.println("ok");
    }
}
