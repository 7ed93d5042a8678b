import AurumCore
import AurumSQL
import Testing

@Suite struct ParserSelectTests {
    @Test func selectWithoutFrom() throws {
        let s = try parseSelect("SELECT 1, 'a' AS b, x y")
        #expect(s.from == nil)
        #expect(s.items.map { render($0.expr) } == ["1", "'a'", "x"])
        #expect(s.items.map(\.alias) == [nil, "b", "y"])
        #expect(s.pos == 1)
    }

    @Test func starsAndQualifiedStars() throws {
        let s = try parseSelect("SELECT *, t.*, db.t.* FROM t")
        #expect(s.items.map { render($0.expr) } == ["*", "t.*", "db.t.*"])
        #expect(s.items[0].expr == .star(qualifier: nil, pos: 8))
    }

    @Test func aliasesQuotedAndKeywordish() throws {
        let s = try parseSelect(#"SELECT a AS "Total Sum", b AS select, c value, d AS 'x', e AS `y`, f "Z" FROM t"#)
        #expect(s.items.map(\.alias) == ["Total Sum", "select", "value", "x", "y", "Z"])
    }

    @Test func distinctAndDistinctOn() throws {
        #expect(try parseSelect("SELECT DISTINCT a FROM t").distinct)
        let s = try parseSelect("SELECT DISTINCT ON (a, b) a, c FROM t ORDER BY a")
        #expect(s.distinct)
        #expect(s.distinctOn.map(render) == ["a", "b"])
        #expect(try parseSelect("SELECT ALL a FROM t").distinct == false)
    }

    @Test func tableReferences() throws {
        let s = try parseSelect("SELECT * FROM db.events FINAL AS e")
        #expect(s.from == .table(QualifiedName(["db", "events"], pos: 15), alias: "e", final: true))
        let s2 = try parseSelect("SELECT * FROM events e FINAL WHERE x")
        guard case .table(_, let alias, let final) = s2.from else { Issue.record("not a table"); return }
        #expect(alias == "e" && final)
        let s3 = try parseSelect(#"SELECT * FROM "Events""#)
        #expect(s3.from == .table(QualifiedName(["Events"], quoted: [true], pos: 15), alias: nil, final: false))
    }

    @Test func subqueryAndTableFunctionSources() throws {
        let s = try parseSelect("SELECT * FROM (SELECT 1 AS a) AS sub (x)")
        guard case .subquery(let q, let alias, let cols) = s.from else { Issue.record("not a subquery"); return }
        #expect(alias == "sub" && cols == ["x"])
        guard case .select(let inner) = q.body else { Issue.record("inner"); return }
        #expect(inner.items[0].alias == "a")

        let n = try parseSelect("SELECT number FROM numbers(10)")
        guard case .function(let f, nil, []) = n.from else { Issue.record("not a table function"); return }
        #expect(f.name.parts == ["numbers"] && f.arguments.map(render) == ["10"])

        let g = try parseSelect("SELECT * FROM generate_series(1, 3) AS g(n)")
        guard case .function(let gf, "g", ["n"]) = g.from else { Issue.record("generate_series"); return }
        #expect(gf.arguments.map(render) == ["1", "3"])

        let file = try parseSelect("SELECT * FROM file('a.csv', CSV)")
        guard case .function(let ff, _, _) = file.from else { Issue.record("file"); return }
        #expect(ff.arguments.map(render) == ["'a.csv'", "CSV"])

        let nested = try parseSelect("SELECT * FROM ((SELECT 1) UNION ALL (SELECT 2)) u")
        guard case .subquery(let nq, "u", _) = nested.from, case .setOperation(.unionAll, .nested, .nested) = nq.body else {
            Issue.record("nested union subquery"); return
        }
    }

    /// Renders a FROM tree as `(kind left right ON cond)`.
    func tree(_ t: TableRef?) -> String {
        guard let t else { return "-" }
        switch t {
        case .table(let n, let a, _): return render(n) + (a.map { " " + $0 } ?? "")
        case .subquery(_, let a, _): return "(subquery \(a ?? ""))"
        case .function(let f, _, _): return render(f.name) + "()"
        case .join(let l, let k, let r, let on, let using):
            var s = "(\(k.rawValue) \(tree(l)) \(tree(r))"
            if let on { s += " ON " + render(on) }
            if !using.isEmpty { s += " USING " + using.joined(separator: ",") }
            return s + ")"
        }
    }

    @Test(arguments: [
        ("SELECT * FROM a, b", "(cross a b)"),
        ("SELECT * FROM a JOIN b ON a.x = b.x", "(inner a b ON (= a.x b.x))"),
        ("SELECT * FROM a INNER JOIN b USING (x, y)", "(inner a b USING x,y)"),
        ("SELECT * FROM a LEFT JOIN b ON 1 = 1", "(left a b ON (= 1 1))"),
        ("SELECT * FROM a LEFT OUTER JOIN b ON true", "(left a b ON TRUE)"),
        ("SELECT * FROM a RIGHT OUTER JOIN b ON true", "(right a b ON TRUE)"),
        ("SELECT * FROM a FULL JOIN b ON true", "(full a b ON TRUE)"),
        ("SELECT * FROM a FULL OUTER JOIN b USING (k)", "(full a b USING k)"),
        ("SELECT * FROM a CROSS JOIN b", "(cross a b)"),
        ("SELECT * FROM a ALL LEFT JOIN b USING k", "(left a b USING k)"),
        ("SELECT * FROM a x JOIN b y ON x.k = y.k LEFT JOIN c ON c.k = y.k", "(left (inner a x b y ON (= x.k y.k)) c ON (= c.k y.k))"),
        ("SELECT * FROM a, b JOIN c ON true", "(cross a (inner b c ON TRUE))"),
        ("SELECT * FROM (a JOIN b ON true) JOIN c ON true", "(inner (inner a b ON TRUE) c ON TRUE)"),
        ("SELECT * FROM a left join b on true", "(left a b ON TRUE)"),
    ] as [(String, String)])
    func joins(sql: String, expected: String) throws {
        #expect(tree(try parseSelect(sql).from) == expected)
    }

    @Test func whereGroupByHaving() throws {
        let s = try parseSelect("SELECT a, count(*) FROM t WHERE x > 1 GROUP BY a, 2 WITH TOTALS HAVING count(*) > 1")
        #expect(s.whereClause.map(render) == "(> x 1)")
        #expect(s.groupBy.map(render) == ["a", "2"])
        #expect(s.groupBy[1] == .literal(.integer("2"), pos: 51))
        #expect(s.withTotals)
        #expect(s.having.map(render) == "(> count(*) 1)")
        #expect(try parseSelect("SELECT a FROM t GROUP BY a").withTotals == false)
    }

    @Test func prewhereFoldsIntoWhere() throws {
        let s = try parseSelect("SELECT a FROM t PREWHERE a > 1 WHERE b")
        #expect(s.whereClause.map(render) == "(AND (> a 1) b)")
    }

    @Test func orderByAndLimits() throws {
        let q = try parseQuery("SELECT a FROM t ORDER BY a DESC NULLS LAST, b ASC, c NULLS FIRST LIMIT 10 OFFSET 5")
        #expect(render(q.orderBy) == "a DESC NULLS LAST, b, c NULLS FIRST")
        #expect(q.limit.map(render) == "10")
        #expect(q.offset.map(render) == "5")
        #expect(q.limitBy == nil)

        let ch = try parseQuery("SELECT a FROM t LIMIT 5, 10")
        #expect(ch.offset.map(render) == "5" && ch.limit.map(render) == "10")

        let fetch = try parseQuery("SELECT a FROM t ORDER BY a OFFSET 3 ROWS FETCH FIRST 7 ROWS ONLY")
        #expect(fetch.offset.map(render) == "3" && fetch.limit.map(render) == "7")
        let fetchNext = try parseQuery("SELECT a FROM t FETCH NEXT ROW ONLY")
        #expect(fetchNext.limit.map(render) == "1")

        let pg = try parseQuery("SELECT a FROM t OFFSET 2 LIMIT 4")
        #expect(pg.offset.map(render) == "2" && pg.limit.map(render) == "4")

        let all = try parseQuery("SELECT a FROM t LIMIT ALL")
        #expect(all.limit == nil)

        let param = try parseQuery("SELECT a FROM t LIMIT $1")
        #expect(param.limit == .parameter(1, pos: 23))
    }

    @Test func limitBy() throws {
        let q = try parseQuery("SELECT a, b FROM t ORDER BY a LIMIT 2 BY a, b LIMIT 10")
        #expect(q.limitBy == LimitBy(limit: .literal(.integer("2"), pos: 37), by: [
            .column(QualifiedName(["a"], pos: 42)), .column(QualifiedName(["b"], pos: 45)),
        ]))
        #expect(q.limit.map(render) == "10")
        let withOffset = try parseQuery("SELECT a FROM t LIMIT 1, 2 BY a")
        #expect(withOffset.limitBy?.offset.flatMap { render($0) } == "1")
        #expect(withOffset.limitBy.map { render($0.limit) } == "2")
        #expect(withOffset.limit == nil)
        let offsetForm = try parseQuery("SELECT a FROM t LIMIT 2 OFFSET 1 BY a")
        #expect(offsetForm.limitBy?.offset.map(render) == "1")
    }

    @Test func setOperations() throws {
        let q = try parseQuery("SELECT 1 UNION ALL SELECT 2 UNION SELECT 3 EXCEPT SELECT 4 ORDER BY 1 LIMIT 1")
        guard case .setOperation(.except, .setOperation(.unionDistinct, .setOperation(.unionAll, .select, .select), .select), .select) = q.body else {
            Issue.record("left-assoc set operations: \(q.body)"); return
        }
        #expect(q.orderBy.count == 1 && q.limit != nil)
        let i = try parseQuery("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3")
        guard case .setOperation(.unionDistinct, .select, .setOperation(.intersect, .select, .select)) = i.body else {
            Issue.record("INTERSECT binds tighter"); return
        }
        let d = try parseQuery("SELECT 1 UNION DISTINCT SELECT 2")
        guard case .setOperation(.unionDistinct, _, _) = d.body else { Issue.record("UNION DISTINCT"); return }
    }

    @Test func parenthesisedQueries() throws {
        let q = try parseQuery("(SELECT 1 ORDER BY 1 LIMIT 1) UNION ALL (SELECT 2) ORDER BY 1")
        guard case .setOperation(.unionAll, .nested(let a), .nested) = q.body else { Issue.record("nested"); return }
        #expect(a.limit != nil)
        #expect(q.orderBy.count == 1)
        let p = try parseQuery("((SELECT 1))")
        guard case .nested(let inner) = p.body, case .nested = inner.body else { Issue.record("double parens"); return }
    }

    @Test func commonTableExpressions() throws {
        let q = try parseQuery("WITH a AS (SELECT 1 AS x), b (y) AS (SELECT x FROM a) SELECT * FROM b")
        #expect(q.with.map(\.name) == ["a", "b"])
        #expect(q.with.map(\.columnAliases) == [[], ["y"]])
        guard case .select(let s) = q.body else { Issue.record("body"); return }
        #expect(s.from == .table(QualifiedName(["b"], pos: 69), alias: nil, final: false))
    }

    @Test func valuesAsQueryBody() throws {
        let q = try parseQuery("VALUES (1, 'a'), (2, 'b') ORDER BY 1")
        guard case .values(let rows) = q.body else { Issue.record("values"); return }
        #expect(rows.map { $0.map(render) } == [["1", "'a'"], ["2", "'b'"]])
        #expect(q.orderBy.count == 1)
        let s = try parseSelect("SELECT * FROM (VALUES (1), (2)) AS v(x)")
        guard case .subquery(let vq, "v", ["x"]) = s.from, case .values = vq.body else { Issue.record("values subquery"); return }
    }

    @Test func windowFramesAndNamedWindows() throws {
        let s = try parseSelect("SELECT sum(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), rank() OVER w, "
            + "first_value(x) OVER (w ORDER BY z RANGE UNBOUNDED PRECEDING) FROM t WINDOW w AS (PARTITION BY g), v AS (w)")
        guard case .function(let f0, _) = s.items[0].expr, let o0 = f0.over, let fr = o0.frame else { Issue.record("frame"); return }
        #expect(fr.unit == .rows && fr.end == .currentRow && !fr.exclude)
        guard case .preceding(.literal(.integer("1"), _)) = fr.start else { Issue.record("1 PRECEDING"); return }
        guard case .function(let f1, _) = s.items[1].expr else { Issue.record("named"); return }
        #expect(f1.over?.base == "w" && f1.over?.partitionBy.isEmpty == true)
        guard case .function(let f2, _) = s.items[2].expr, let o2 = f2.over else { Issue.record("refined"); return }
        #expect(o2.base == "w" && o2.orderBy.count == 1 && o2.frame?.unit == .range && o2.frame?.start == .unboundedPreceding && o2.frame?.end == .currentRow)
        #expect(s.windows.map(\.name) == ["w", "v"])
        #expect(s.windows[0].spec.partitionBy.count == 1 && s.windows[1].spec.base == "w")
        #expect(SQLPrinter.expr(s.items[0].expr) == "sum(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)")
        #expect(parseError("SELECT sum(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING) FROM t")?.code == .syntaxError)
        // EXCLUDE: which rows, and printed back
        for (text, want) in [("CURRENT ROW", WindowFrame.Exclusion.currentRow), ("GROUP", .group), ("TIES", .ties), ("NO OTHERS", .noOthers)] {
            let e = try parseSelect("SELECT sum(x) OVER (ORDER BY y GROUPS BETWEEN 1 PRECEDING AND 2 FOLLOWING EXCLUDE \(text)) FROM t")
            guard case .function(let f, _) = e.items[0].expr, let fr = f.over?.frame else { Issue.record("exclude"); return }
            #expect(fr.exclusion == want && fr.unit == .groups)
            #expect(SQLPrinter.expr(e.items[0].expr) == "sum(x) OVER (ORDER BY y GROUPS BETWEEN 1 PRECEDING AND 2 FOLLOWING" + (want == .noOthers ? "" : " EXCLUDE \(text)") + ")")
        }
        #expect(parseError("SELECT sum(x) OVER (ORDER BY y ROWS CURRENT ROW EXCLUDE ALL) FROM t")?.code == .syntaxError)
        #expect(parseError("SELECT sum(x) OVER (ROWS SIDEWAYS) FROM t")?.code == .syntaxError)
    }
}
