import AurumCore

// Type names: ClickHouse spellings with arguments and wrappers (`Nullable(T)`,
// `LowCardinality(T)`, `Array(T)`, `DateTime64(3, 'UTC')`) and PostgreSQL's multi-word names
// (`double precision`, `character varying(20)`, `timestamp(3) with time zone`) and `T[]` arrays.

extension SQLParser {
    mutating func parseType() throws -> TypeName {
        try enter()
        defer { leave() }
        let t = peek
        guard t.kind == .word || t.kind == .quotedIdentifier else { throw unexpected() }
        if t.kind == .word && Keywords.reserved.contains(t.upper) { throw unexpected() }
        var type: TypeName
        if t.kind == .word && peek(1).isSymbol("(") && ["NULLABLE", "LOWCARDINALITY", "ARRAY"].contains(t.upper) {
            index += 2
            type = try parseType()
            try expectSymbol(")")
            switch t.upper {
            case "NULLABLE": type.nullable = true
            case "LOWCARDINALITY": type.lowCardinality = true
            default:
                if type.isArray { throw notSupported("nested arrays", at: t) }
                type.isArray = true
            }
            type.pos = t.position
        } else {
            type = try parseBaseType()
        }
        while isSymbol("[") {
            let open = advance()
            if peek.kind == .integer { index += 1 }
            try expectSymbol("]")
            if type.isArray { throw notSupported("nested arrays", at: open) }
            type.isArray = true
        }
        return type
    }

    /// A type name without wrappers or array brackets.
    mutating func parseBaseType() throws -> TypeName {
        // pg_catalog.int4, "pg_catalog"."regclass": the builtin types live in pg_catalog
        if (peek.kind == .word || peek.kind == .quotedIdentifier) && peek.text.lowercased() == "pg_catalog" && peek(1).isSymbol(".")
            && (peek(2).kind == .word || peek(2).kind == .quotedIdentifier) {
            index += 2
        }
        let t = peek
        var type = TypeName(name: t.text, pos: t.position)
        if t.kind == .word {
            switch t.upper {
            case "DOUBLE" where isKeyword("PRECISION", at: 1):
                index += 2
                type.name = "double precision"
                return type
            case "CHARACTER" where isKeyword("VARYING", at: 1), "CHAR" where isKeyword("VARYING", at: 1):
                index += 2
                type.name = "character varying"
                try parseTypeArguments(&type)
                return type
            case "TIMESTAMP", "TIME":
                index += 1
                type.name = t.text.lowercased()
                try parseTypeArguments(&type)
                if (isKeyword("WITH") || isKeyword("WITHOUT")) && isKeyword("TIME", at: 1) && isKeyword("ZONE", at: 2) {
                    type.name += isKeyword("WITH") ? " with time zone" : " without time zone"
                    index += 3
                }
                return type
            default:
                break
            }
        }
        // Possibly schema-qualified (`pg_catalog.int4`): the schema is dropped.
        let name = try parseQualifiedName()
        type.name = name.last
        try parseTypeArguments(&type)
        return type
    }

    /// `(n, m)` numeric arguments; a string argument is a time zone (`DateTime64(3, 'UTC')`).
    mutating func parseTypeArguments(_ type: inout TypeName) throws {
        guard acceptSymbol("(") else { return }
        repeat {
            let a = peek
            switch a.kind {
            case .integer:
                guard let n = Int(a.text) else { throw syntaxError(at: a) }
                type.arguments.append(n)
            case .string where type.timeZone == nil:
                type.timeZone = a.text
            default:
                throw unexpected()
            }
            index += 1
        } while acceptSymbol(",")
        try expectSymbol(")")
    }
}
