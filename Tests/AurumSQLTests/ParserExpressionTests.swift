import AurumCore
import AurumSQL
import Testing

@Suite struct ParserExpressionTests {
    @Test(arguments: [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("a / b % c", "(% (/ a b) c)"),
        ("a OR b AND c", "(OR a (AND b c))"),
        ("NOT a AND b", "(AND (NOT a) b)"),
        ("NOT a = b", "(NOT (= a b))"),
        ("NOT a IS NULL", "(NOT (IS NULL a))"),
        ("a = b IS TRUE", "(IS TRUE (= a b))"),
        ("a < b = c", "(= (< a b) c)"),
        ("a = 1 OR b <> 2 AND c != 3", "(OR (= a 1) (AND (<> b 2) (<> c 3)))"),
        ("a == 1", "(= a 1)"),
        ("a + 1 BETWEEN 2 AND 3 AND d", "(AND (BETWEEN (+ a 1) 2 3) d)"),
        ("a NOT BETWEEN 1 AND 2", "(NOT BETWEEN a 1 2)"),
        ("a || b LIKE c || '%'", "(LIKE (|| a b) (|| c '%'))"),
        ("a + b || c", "(|| (+ a b) c)"),
        ("a LIKE 'x' = true", "(= (LIKE a 'x') TRUE)"),
        ("-a * b", "(* (- a) b)"),
        ("-2", "(- 2)"),
        ("-1::int", "(- (:: 1 int))"),
        ("'1'::int::text", "(:: (:: '1' int) text)"),
        ("a[1]::int", "(:: (SUBSCRIPT a 1) int)"),
        ("a[1][2]", "(SUBSCRIPT (SUBSCRIPT a 1) 2)"),
        ("- - 1", "(- (- 1))"),
        ("+x", "(+ x)"),
        ("NOT NOT a", "(NOT (NOT a))"),
        ("a IS DISTINCT FROM b + 1", "(IS DISTINCT FROM a (+ b 1))"),
        ("a IS NOT DISTINCT FROM b", "(IS NOT DISTINCT FROM a b)"),
        ("a IS NOT NULL AND b ISNULL OR c NOTNULL", "(OR (AND (IS NOT NULL a) (IS NULL b)) (IS NOT NULL c))"),
        ("x IS NOT FALSE", "(IS NOT FALSE x)"),
        ("x IS UNKNOWN", "(IS NULL x)"),
    ] as [(String, String)])
    func precedence(sql: String, expected: String) throws {
        #expect(try sx(sql) == expected, "\(sql)")
    }

    @Test(arguments: [
        ("42", "42"), ("1.50", "1.50"), ("1e3", "1e3"), ("'it''s'", "'it's'"), ("NULL", "NULL"),
        ("true", "TRUE"), ("FALSE", "FALSE"), ("$2", "$2"), ("99999999999999999999999", "99999999999999999999999"),
        ("DATE '2024-01-01'", "date'2024-01-01'"),
        ("TIMESTAMP '2024-01-01 10:00:00'", "timestamp'2024-01-01 10:00:00'"),
        ("TIMESTAMP WITH TIME ZONE '2024-01-01 10:00:00+02'", "timestamp with time zone'2024-01-01 10:00:00+02'"),
        ("timestamp without time zone 'x'", "timestamp without time zone'x'"),
        ("time '10:00'", "time'10:00'"),
    ] as [(String, String)])
    func literals(sql: String, expected: String) throws {
        #expect(try sx(sql) == expected)
    }

    @Test func columnsKeepSpellingAndQuoting() throws {
        let e = try Parser.parseExpression(#"db.T."My Col""#)
        guard case .column(let n) = e else { Issue.record("not a column"); return }
        #expect(n.parts == ["db", "T", "My Col"])
        #expect(n.quoted == [false, false, true])
        #expect(try sx("`x`.y") == #""x".y"#)
        #expect(try sx("t.order") == "t.order")
    }

    @Test func keywordLikeNamesWorkAsIdentifiersAndFunctions() throws {
        #expect(try sx("left(name, 3) || right(value, 2)") == "(|| left(name 3) right(value 2))")
        #expect(try sx("replace(comment, 'a', 'b')") == "replace(comment 'a' 'b')")
        #expect(try sx("year + date + timestamp + type + key + user + format + position + values")
            == "(+ (+ (+ (+ (+ (+ (+ (+ year date) timestamp) type) key) user) format) position) values)")
        #expect(try sx("date(ts)") == "date(ts)")
        #expect(try sx("timestamp(ts)") == "timestamp(ts)")
        #expect(try sx("interval + 1") == "(+ interval 1)")
        #expect(try sx("any(x)") == "any(x)")
        #expect(try sx("if(a, b, c)") == "if(a b c)")
        #expect(try sx("isNull(x) AND isNotNull(y)") == "(AND isNull(x) isNotNull(y))")
        #expect(try sx("extract(s, '[0-9]+')") == "extract(s '[0-9]+')")
    }

    @Test func functionCalls() throws {
        #expect(try sx("f()") == "f()")
        #expect(try sx("count(*)") == "count(*)")
        #expect(try sx("count(DISTINCT x)") == "count(DISTINCT x)")
        #expect(try sx("pg_catalog.version()") == "pg_catalog.version()")
        #expect(try sx("string_agg(x, ',' ORDER BY y DESC, z NULLS FIRST)") == "string_agg(x ',' ORDER BY y DESC, z NULLS FIRST)")
        #expect(try sx("quantile(0.9)(x)") == "quantile[0.9](x)")
        #expect(try sx("quantiles(0.5, 0.9)(DISTINCT x)") == "quantiles[0.5 0.9](DISTINCT x)")
        #expect(try sx("count(*) FILTER (WHERE x > 1)") == "count(*) FILTER((> x 1))")
        #expect(try sx("sum(x) OVER (PARTITION BY a, b ORDER BY c DESC)") == "sum(x) OVER(PARTITION BY a b; ORDER BY c DESC)")
        #expect(try sx("row_number() OVER ()") == "row_number() OVER(PARTITION BY ; ORDER BY )")
        #expect(try sx("percentile_cont(0.5) WITHIN GROUP (ORDER BY x)") == "percentile_cont(0.5 ORDER BY x)")
        #expect(try sx("count(t.*)") == "count(t.*)")
        #expect(try sx("f(g(h(1)))") == "f(g(h(1)))")
    }

    @Test func functionCallDetails() throws {
        let e = try Parser.parseExpression("  quantile(0.9)(x) FILTER (WHERE y)")
        guard case .function(let f, let pos) = e else { Issue.record("not a function"); return }
        #expect(pos == 3)
        #expect(f.name.parts == ["quantile"])
        #expect(f.parameters == [.literal(.number("0.9"), pos: 12)])
        #expect(f.arguments == [.column(QualifiedName(["x"], pos: 17))])
        #expect(f.filter == .column(QualifiedName(["y"], pos: 34)))
    }

    @Test func castForms() throws {
        #expect(try sx("CAST(x AS Decimal(18, 2))") == "(:: x Decimal(18,2))")
        #expect(try sx("cast(x as double precision)") == "(:: x double precision)")
        #expect(try sx("CAST(x, 'Nullable(String)')") == "(:: x Nullable(String))")
        #expect(try sx("x::varchar(20)") == "(:: x varchar(20))")
        #expect(try sx("x::int[]") == "(:: x int[])")
        #expect(try sx("'a'::regclass") == "(:: 'a' regclass)")
        #expect(try sx("x::pg_catalog.text") == "(:: x text)")
    }

    @Test func postgresCatalogSpellings() throws {
        #expect(try sx("a ~ '^x'") == "pg_regex_match(a '^x')")
        #expect(try sx("a OPERATOR(pg_catalog.~) 'p' COLLATE pg_catalog.default AND b") == "(AND pg_regex_match(a 'p') b)")
        #expect(try sx("a OPERATOR(pg_catalog.=) 1") == "(= a 1)")
        #expect(try sx("a NOT LIKE 'x/_%' ESCAPE '/'") == "(NOT LIKE a pg_like_escape('x/_%' '/'))")
        #expect(try sx("ARRAY(SELECT 1)") == "array(<subquery>)")
        #expect(try sx("(i.keys).x") == "pg_record_field(i.keys 'x')")
        #expect(try sx("a & 1 = 0") == "(= pg_bitand(a 1) 0)")
        #expect(parseError("SELECT a OPERATOR(pg_catalog.) b") != nil)
    }

    @Test func caseExpressions() throws {
        #expect(try sx("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END") == "(CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3)")
        #expect(try sx("CASE x WHEN 1 THEN 'a' END") == "(CASE x WHEN 1 THEN 'a')")
        #expect(try sx("CASE WHEN a = 1 AND b THEN x + 1 END * 2") == "(* (CASE WHEN (AND (= a 1) b) THEN (+ x 1)) 2)")
    }

    @Test func inListsAndSubqueries() throws {
        #expect(try sx("x IN (1, 2, 3)") == "(IN x 1 2 3)")
        #expect(try sx("x NOT IN ('a')") == "(NOT IN x 'a')")
        #expect(try sx("(a, b) IN ((1, 2), (3, 4))") == "(IN (TUPLE a b) (TUPLE 1 2) (TUPLE 3 4))")
        #expect(try sx("x IN (SELECT y FROM t)") == "(IN x <subquery>)")
        #expect(try sx("x NOT IN (WITH c AS (SELECT 1) SELECT * FROM c)") == "(NOT IN x <subquery>)")
        #expect(try sx("EXISTS (SELECT 1)") == "(EXISTS <subquery>)")
        #expect(try sx("NOT EXISTS (SELECT 1) AND a") == "(AND (NOT EXISTS <subquery>) a)")
        #expect(try sx("(SELECT max(x) FROM t) + 1") == "(+ <subquery> 1)")
        guard case .inSubquery(_, let q, _, _) = try Parser.parseExpression("x IN (SELECT y FROM t)"),
              case .select(let s) = q.body else { Issue.record("no subquery"); return }
        #expect(s.items.count == 1)
    }

    @Test func likeAndIlike() throws {
        #expect(try sx("a LIKE 'x%'") == "(LIKE a 'x%')")
        #expect(try sx("a NOT LIKE 'x%'") == "(NOT LIKE a 'x%')")
        #expect(try sx("a ILIKE 'x%'") == "(ILIKE a 'x%')")
        #expect(try sx("a NOT ILIKE 'x%'") == "(NOT ILIKE a 'x%')")
    }

    @Test func quantifiedComparisons() throws {
        #expect(try sx("x = ANY(ARRAY[1, 2])") == "(= ANY x [1 2])")
        #expect(try sx("x <> ALL($1)") == "(<> ALL x $1)")
        #expect(try sx("x > SOME(SELECT y FROM t)") == "(> ANY x <subquery>)")
    }

    @Test func arraysTuplesAndSubscripts() throws {
        #expect(try sx("ARRAY[1, 2]") == "[1 2]")
        #expect(try sx("[1, 2][1]") == "(SUBSCRIPT [1 2] 1)")
        #expect(try sx("[]") == "[]")
        #expect(try sx("array(1, 2)") == "array(1 2)")
        #expect(try sx("(1, 'a')") == "(TUPLE 1 'a')")
        #expect(try sx("arr[i + 1]") == "(SUBSCRIPT arr (+ i 1))")
    }

    @Test(arguments: [
        ("INTERVAL 1 DAY", "(INTERVAL 1 day)"),
        ("INTERVAL '1' DAY", "(INTERVAL '1' day)"),
        ("interval 3 months", "(INTERVAL 3 month)"),
        ("INTERVAL '2 hours'", "(INTERVAL '2' hour)"),
        ("INTERVAL '1 day'", "(INTERVAL '1' day)"),
        ("INTERVAL '1 Week'", "(INTERVAL '1' week)"),
        ("INTERVAL '-3 mons'", "(INTERVAL '-3' month)"),
        ("INTERVAL '1 day 2 hours'", "(+ (INTERVAL '1' day) (INTERVAL '2' hour))"),
        ("INTERVAL '10'", "(INTERVAL '10' second)"),
        ("INTERVAL x MINUTE", "(INTERVAL x minute)"),
        ("INTERVAL (a + 1) QUARTER", "(INTERVAL (+ a 1) quarter)"),
        ("INTERVAL -1 YEAR", "(INTERVAL (- 1) year)"),
        ("now() - INTERVAL 7 DAY", "(- now() (INTERVAL 7 day))"),
        ("INTERVAL 5 millisecond", "(INTERVAL 5 millisecond)"),
    ] as [(String, String)])
    func intervals(sql: String, expected: String) throws {
        #expect(try sx(sql) == expected)
    }

    @Test func badIntervalStringsAreErrors() {
        #expect(throws: AurumError.self) { try Parser.parseExpression("INTERVAL '1 fortnight'") }
        #expect(throws: AurumError.self) { try Parser.parseExpression("INTERVAL 'abc'") }
        #expect(throws: AurumError.self) { try Parser.parseExpression("INTERVAL 1 fortnight") }
    }

    @Test func extract() throws {
        #expect(try sx("EXTRACT(YEAR FROM d)") == "(EXTRACT year d)")
        #expect(try sx("extract(epoch from ts - ts2)") == "(EXTRACT epoch (- ts ts2))")
        #expect(try sx("EXTRACT('dow' FROM d)") == "(EXTRACT dow d)")
    }

    @Test func niladicKeywordFunctions() throws {
        for name in ["CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_USER", "SESSION_USER", "CURRENT_SCHEMA",
                     "CURRENT_CATALOG", "LOCALTIMESTAMP"] {
            #expect(try sx(name) == name.lowercased() + "()")
        }
        #expect(try sx("current_schema()") == "current_schema()")
        #expect(try sx("CURRENT_TIMESTAMP(3)") == "CURRENT_TIMESTAMP(3)")
    }

    @Test func keywordArgumentFunctions() throws {
        #expect(try sx("SUBSTRING(x FROM 2 FOR 3)") == "substring(x 2 3)")
        #expect(try sx("substring(x from 2)") == "substring(x 2)")
        #expect(try sx("substring(x for 3)") == "substring(x 1 3)")
        #expect(try sx("substring(x, 2, 3)") == "substring(x 2 3)")
        #expect(try sx("POSITION('a' IN s)") == "position(s 'a')")
        #expect(try sx("position(s, 'a')") == "position(s 'a')")
        #expect(try sx("TRIM(x)") == "TRIM(x)")
        #expect(try sx("TRIM(BOTH FROM x)") == "trim(x)")
        #expect(try sx("TRIM(LEADING 'x' FROM s)") == "ltrim(s 'x')")
        #expect(try sx("trim(trailing from s)") == "rtrim(s)")
        #expect(try sx("TRIM(' ' FROM s)") == "trim(s ' ')")
        #expect(try sx("OVERLAY(s PLACING 'x' FROM 2 FOR 1)") == "overlay(s 'x' 2 1)")
    }

    @Test func positionsOfExpressions() throws {
        let e = try Parser.parseExpression("a + (b * -c)")
        guard case .binary(.add, let l, let r, let p) = e, case .binary(.multiply, let rl, let rr, let rp) = r else {
            Issue.record("shape"); return
        }
        #expect(p == 1)
        #expect(l.pos == 1)
        #expect(rp == 6 && rl.pos == 6)
        #expect(rr.pos == 10)
        guard case .unary(.minus, let c, _) = rr else { Issue.record("unary"); return }
        #expect(c.pos == 11)
        let lit = try Parser.parseExpression("  DATE '2024-01-01'")
        #expect(lit.pos == 3)
    }

    @Test func parseExpressionRejectsTrailingTokens() {
        #expect(throws: AurumError.self) { try Parser.parseExpression("1 2") }
        #expect(throws: AurumError.self) { try Parser.parseExpression("") }
        #expect(throws: AurumError.self) { try Parser.parseExpression("a +") }
    }
}
