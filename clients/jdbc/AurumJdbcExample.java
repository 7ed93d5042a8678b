// A minimal JDBC program against Aurum with the stock PostgreSQL driver (pgJDBC).
//
//   java -cp /usr/share/java/postgresql.jar AurumJdbcExample.java [jdbc-url]
//
// Default URL: jdbc:postgresql://127.0.0.1:5433/default?user=aurum
// It creates a small table, reads it back with a PreparedStatement and a window function,
// lists the table's columns through DatabaseMetaData (what BI tools do) and prints "ok".
import java.sql.*;

public class AurumJdbcExample {
    public static void main(String[] args) throws SQLException {
        String url = args.length > 0 ? args[0] : "jdbc:postgresql://127.0.0.1:5433/default?user=aurum";
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS jdbc_example");
                s.execute("CREATE TABLE jdbc_example (day Date, region String, revenue Decimal(12, 2)) ENGINE = MergeTree ORDER BY (region, day)");
                s.execute("INSERT INTO jdbc_example VALUES ('2024-01-01', 'east', 100.00), ('2024-01-02', 'east', 50.50), ('2024-01-01', 'west', 75.25)");
            }
            String sql = "SELECT day, region, revenue, sum(revenue) OVER (PARTITION BY region ORDER BY day) AS running "
                       + "FROM jdbc_example WHERE revenue >= ? ORDER BY region, day";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setBigDecimal(1, new java.math.BigDecimal("10"));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        System.out.println(rs.getDate("day") + " " + rs.getString("region") + " " + rs.getBigDecimal("revenue") + " " + rs.getBigDecimal("running"));
                    }
                }
            }
            try (ResultSet cols = c.getMetaData().getColumns(null, "default", "jdbc_example", "%")) {
                while (cols.next()) {
                    System.out.println("column " + cols.getInt("ORDINAL_POSITION") + " " + cols.getString("COLUMN_NAME") + " " + cols.getString("TYPE_NAME"));
                }
            }
        }
        System.out.println("ok");
    }
}
