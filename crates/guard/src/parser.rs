//! The Guard rule language, parsed by recursive descent in the order of cfn-guard 3.1.1's
//! own grammar, so that where two readings are possible (a named rule or a property, a
//! block or a struct literal) this parser picks the one cfn-guard picks.
//!
//! Covered: `let`, named rules with `when`, parameterized rules and their calls, `<< >>`
//! messages, query paths (`.Key`, `'Key'`, `.*`, `[*]`, `[n]`, `.n`, `%var`, `this`,
//! filters `[ ... ]`, `[ keys == ... ]`), `some`, every comparison and type operator,
//! `not`/`!`, `or`/`OR`/`|OR|`, `when` blocks, literals (strings, numbers, booleans, null,
//! regexes, ranges, lists, structs) and `#` comments. Not covered, and reported as such:
//! type blocks (`AWS::S3::Bucket { ... }`), clauses outside a rule, and built-in functions
//! (`count`, `json_parse`, ...), which none of the vendored packs use.

use crate::ast::*;
use crate::error::ParseError;
use crate::value::{Kind, Node, Pattern, Range};

/// How deeply blocks, filters and literals may nest before the parser gives up, so that
/// hostile input ends in an error rather than a stack overflow.
const MAX_DEPTH: usize = 128;

/// Parses one rule file. `file` names it in errors.
pub(crate) fn parse(file: &str, src: &str) -> Result<RulesFile, ParseError> {
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
        furthest: (0, "a rule, `let` or comment"),
    };
    match p.rules_file() {
        Ok(rules) => Ok(rules),
        Err(Stop::Miss) => {
            let (pos, expected) = p.furthest;
            Err(p.error(file, pos, expected))
        }
        Err(Stop::Cut(pos, expected)) => Err(p.error(file, pos, expected)),
    }
}

/// Why a production did not apply: `Miss` lets an alternative try (the furthest miss is
/// what a failed parse reports), `Cut` ends the parse, as nom's `cut` does in cfn-guard.
enum Stop {
    Miss,
    Cut(usize, &'static str),
}

type P<T> = Result<T, Stop>;

struct Parser<'s> {
    src: &'s str,
    pos: usize,
    depth: usize,
    furthest: (usize, &'static str),
}

impl<'s> Parser<'s> {
    fn error(&self, file: &str, pos: usize, expected: &str) -> ParseError {
        let pos = pos.min(self.src.len());
        let before = &self.src[..pos];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let found: String = self.src[pos..]
            .chars()
            .take_while(|c| *c != '\n')
            .take(40)
            .collect();
        ParseError {
            file: file.to_string(),
            line,
            column,
            expected: expected.to_string(),
            found: if found.is_empty() {
                "the end of the line".to_string()
            } else {
                found
            },
        }
    }

    fn miss<T>(&mut self, expected: &'static str) -> P<T> {
        if self.pos >= self.furthest.0 {
            self.furthest = (self.pos, expected);
        }
        Err(Stop::Miss)
    }

    fn cut<T>(&self, expected: &'static str) -> P<T> {
        Err(Stop::Cut(self.pos, expected))
    }

    /// Runs `f`, putting the position back when it misses.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> P<T>) -> P<Option<T>> {
        let start = self.pos;
        match f(self) {
            Ok(v) => Ok(Some(v)),
            Err(Stop::Miss) => {
                self.pos = start;
                Ok(None)
            }
            Err(cut) => Err(cut),
        }
    }

    /// Turns a miss into a cut: past this point there is no other reading.
    fn commit<T>(&mut self, expected: &'static str, f: impl FnOnce(&mut Self) -> P<T>) -> P<T> {
        match f(self) {
            Err(Stop::Miss) => self.cut(expected),
            other => other,
        }
    }

    fn nest<T>(&mut self, f: impl FnOnce(&mut Self) -> P<T>) -> P<T> {
        if self.depth >= MAX_DEPTH {
            return self.cut("less deeply nested rules");
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn eat(&mut self, tag: &str) -> bool {
        if self.rest().starts_with(tag) {
            self.pos += tag.len();
            true
        } else {
            false
        }
    }

    fn tag(&mut self, tag: &str, expected: &'static str) -> P<()> {
        if self.eat(tag) {
            Ok(())
        } else {
            self.miss(expected)
        }
    }

    fn eat_char(&mut self, f: impl Fn(char) -> bool) -> Option<char> {
        let c = self.peek().filter(|c| f(*c))?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'s str {
        let rest = self.rest();
        // ASCII a byte at a time; a multi-byte character is decoded where it starts.
        let mut len = 0;
        let bytes = rest.as_bytes();
        while let Some(&b) = bytes.get(len) {
            let c = if b.is_ascii() {
                b as char
            } else {
                match rest[len..].chars().next() {
                    Some(c) => c,
                    None => break,
                }
            };
            if !f(c) {
                break;
            }
            len += c.len_utf8();
        }
        self.pos += len;
        &rest[..len]
    }

    /// Zero or more whitespace (newlines included) or `#` comments.
    fn ws(&mut self) {
        self.ws1();
    }

    /// One or more whitespace or comments; false when there were none.
    fn ws1(&mut self) -> bool {
        let start = self.pos;
        loop {
            // Most calls find a token straight away: decide on one byte.
            match self.src.as_bytes().get(self.pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => {
                    self.take_while(char::is_whitespace);
                }
                Some(b'#') => {
                    // To the end of the line, found by a byte search.
                    self.pos += self.rest().find('\n').unwrap_or(self.rest().len());
                }
                Some(b) if !b.is_ascii() && self.peek().is_some_and(char::is_whitespace) => {
                    self.take_while(char::is_whitespace);
                }
                _ => return self.pos > start,
            }
        }
    }

    fn space0(&mut self) -> bool {
        !self.take_while(|c| c == ' ' || c == '\t').is_empty()
    }

    // ---- literals -------------------------------------------------------------------------

    fn var_name(&mut self) -> P<String> {
        Ok(self.name()?.to_string())
    }

    /// A name, borrowed: alternatives that try a name and then give up allocate nothing.
    fn name(&mut self) -> P<&'s str> {
        if self.eat_char(|c| c.is_ascii_alphabetic()).is_none() {
            return self.miss("a name");
        }
        let start = self.pos - 1;
        self.take_while(|c| c.is_alphanumeric() || c == '_');
        Ok(&self.src[start..self.pos])
    }

    /// A quoted string: a backslash before the closing quote keeps the quote; every other
    /// backslash is kept as written, as cfn-guard reads strings.
    fn string(&mut self) -> P<String> {
        let quote = match self.peek() {
            Some(q @ ('\'' | '"')) => q,
            _ => return self.miss("a string"),
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            let fragment = self.take_while(|c| c != quote);
            if self.at_end() {
                return self.cut("a closing quote");
            }
            if let Some(kept) = fragment.strip_suffix('\\') {
                out.push_str(kept);
                out.push(quote);
                self.pos += 1;
                continue;
            }
            out.push_str(fragment);
            self.pos += 1;
            return Ok(out);
        }
    }

    fn digits(&mut self) -> &'s str {
        self.take_while(|c| c.is_ascii_digit())
    }

    fn int(&mut self) -> P<i64> {
        let start = self.pos;
        self.eat("-");
        if self.digits().is_empty() {
            self.pos = start;
            return self.miss("a number");
        }
        match self.src[start..self.pos].parse::<i64>() {
            Ok(i) => Ok(i),
            Err(_) => {
                self.pos = start;
                self.miss("a number that fits 64 bits")
            }
        }
    }

    /// A number with a fraction or a signed exponent (`1.5`, `1e+3`); a plain `1` is an
    /// integer.
    fn float(&mut self) -> P<f64> {
        let start = self.pos;
        if self.digits().is_empty() {
            return self.miss("a number");
        }
        let fraction = self.attempt(|p| {
            p.tag(".", "a fraction")?;
            if p.digits().is_empty() {
                p.miss("digits")
            } else {
                Ok(())
            }
        })?;
        let exponent = self.attempt(|p| {
            if p.eat_char(|c| c == 'e' || c == 'E').is_none()
                || p.eat_char(|c| c == '+' || c == '-').is_none()
                || p.digits().is_empty()
            {
                return p.miss("an exponent");
            }
            Ok(())
        })?;
        if fraction.is_none() && exponent.is_none() {
            self.pos = start;
            return self.miss("a number");
        }
        match self.src[start..self.pos].parse::<f64>() {
            Ok(f) => Ok(f),
            Err(_) => self.cut("a number"),
        }
    }

    fn bool(&mut self) -> P<bool> {
        for (tag, value) in [
            ("true", true),
            ("True", true),
            ("false", false),
            ("False", false),
        ] {
            if self.eat(tag) {
                return Ok(value);
            }
        }
        self.miss("a boolean")
    }

    /// `/regex/`; `\/` stands for `/`.
    fn regex(&mut self) -> P<Pattern> {
        self.tag("/", "a regular expression")?;
        let mut source = String::new();
        loop {
            let fragment = self.take_while(|c| c != '/');
            if fragment.is_empty() {
                return self.miss("a regular expression");
            }
            if let Some(kept) = fragment.strip_suffix('\\') {
                source.push_str(kept);
                source.push('/');
                if self.at_end() {
                    return self.miss("a closing `/`");
                }
                self.pos += 1;
                continue;
            }
            source.push_str(fragment);
            break;
        }
        let Some(pattern) = Pattern::new(source) else {
            return self.miss("a valid regular expression");
        };
        self.tag("/", "a closing `/`")?;
        Ok(pattern)
    }

    fn range(&mut self) -> P<Kind> {
        self.tag("r", "a range")?;
        let lower_inclusive = match self.eat_char(|c| c == '[' || c == '(') {
            Some(c) => c == '[',
            None => return self.miss("a range"),
        };
        let lower = self.range_value()?;
        self.tag(",", "`,` in a range")?;
        let upper = self.range_value()?;
        let upper_inclusive = match self.eat_char(|c| c == ']' || c == ')') {
            Some(c) => c == ']',
            None => return self.miss("the end of a range"),
        };
        let make = |l, u| Range {
            lower: l,
            upper: u,
            lower_inclusive,
            upper_inclusive,
        };
        Ok(match (lower, upper) {
            (Kind::Int(l), Kind::Int(u)) => Kind::RangeInt(make(l, u)),
            (Kind::Float(l), Kind::Float(u)) => Kind::RangeFloat(Range {
                lower: l,
                upper: u,
                lower_inclusive,
                upper_inclusive,
            }),
            (Kind::Char(l), Kind::Char(u)) => Kind::RangeChar(Range {
                lower: l,
                upper: u,
                lower_inclusive,
                upper_inclusive,
            }),
            _ => return self.cut("both ends of a range of one type"),
        })
    }

    fn range_value(&mut self) -> P<Kind> {
        self.space0();
        let kind = if let Some(f) = self.attempt(Self::float)? {
            Kind::Float(f)
        } else if let Some(i) = self.attempt(Self::int)? {
            Kind::Int(i)
        } else if let Some(c) = self.eat_char(|_| true) {
            Kind::Char(c)
        } else {
            return self.miss("a range bound");
        };
        self.space0();
        Ok(kind)
    }

    /// Any literal, after whitespace or comments.
    fn value(&mut self) -> P<Node> {
        self.ws();
        if self.eat("null") || self.eat("NULL") {
            return Ok(Node::literal(Kind::Null));
        }
        if let Some(s) = self.attempt(Self::string)? {
            return Ok(Node::literal(Kind::String(s)));
        }
        if let Some(f) = self.attempt(Self::float)? {
            return Ok(Node::literal(Kind::Float(f)));
        }
        if let Some(i) = self.attempt(Self::int)? {
            return Ok(Node::literal(Kind::Int(i)));
        }
        if let Some(b) = self.attempt(Self::bool)? {
            return Ok(Node::literal(Kind::Bool(b)));
        }
        if let Some(r) = self.attempt(Self::regex)? {
            return Ok(Node::literal(Kind::Regex(Box::new(r))));
        }
        if let Some(r) = self.attempt(Self::range)? {
            return Ok(Node::literal(r));
        }
        if let Some(l) = self.attempt(|p| p.nest(Self::list))? {
            return Ok(Node::literal(Kind::List(l)));
        }
        if let Some(m) = self.attempt(|p| p.nest(Self::map))? {
            return Ok(Node::literal(Kind::Map(m)));
        }
        self.miss("a value")
    }

    fn list(&mut self) -> P<Vec<Node>> {
        self.ws();
        self.tag("[", "a list")?;
        let mut items = Vec::new();
        if let Some(first) = self.attempt(Self::value)? {
            items.push(first);
            while let Some(next) = self.attempt(|p| {
                p.ws();
                p.tag(",", "`,`")?;
                p.value()
            })? {
                items.push(next);
            }
        }
        self.ws();
        self.tag("]", "`]` or `,` in a list")?;
        Ok(items)
    }

    fn map(&mut self) -> P<Vec<(Node, Node)>> {
        self.tag("{", "a struct")?;
        let mut entries = Vec::new();
        if let Some(first) = self.attempt(Self::key_value)? {
            entries.push(first);
            while let Some(next) = self.attempt(|p| {
                p.ws();
                p.tag(",", "`,`")?;
                p.key_value()
            })? {
                entries.push(next);
            }
        }
        self.ws();
        self.tag("}", "`}` or `,` in a struct")?;
        Ok(entries)
    }

    fn key_value(&mut self) -> P<(Node, Node)> {
        self.ws();
        let key = match self.attempt(Self::string)? {
            Some(s) => s,
            None => {
                let k = self.take_while(|c| c.is_alphanumeric() || c == '-' || c == '_');
                if k.is_empty() {
                    return self.miss("a key");
                }
                k.to_string()
            }
        };
        self.ws();
        self.tag(":", "`:` after a key")?;
        let value = self.value()?;
        Ok((Node::literal(Kind::String(key)), value))
    }

    fn custom_message(&mut self) -> P<String> {
        self.tag("<<", "`<<`")?;
        match self.rest().find(">>") {
            Some(end) => {
                let message = self.rest()[..end].to_string();
                self.pos += end + 2;
                Ok(message)
            }
            None => self.cut("a closing `>>`"),
        }
    }

    fn opt_message(&mut self) -> P<Option<String>> {
        self.attempt(|p| {
            p.ws();
            p.custom_message()
        })
    }

    // ---- queries --------------------------------------------------------------------------

    fn property_name(&mut self) -> P<String> {
        if let Some(name) = self.attempt(Self::var_name)? {
            return Ok(name);
        }
        self.string()
    }

    fn variable(&mut self) -> P<String> {
        self.tag("%", "`%`")?;
        Ok(format!("%{}", self.var_name()?))
    }

    fn access(&mut self) -> P<Query> {
        let some = self.attempt(|p| {
            p.ws();
            if !(p.eat("some") || p.eat("SOME")) || !p.ws1() {
                return p.miss("`some`");
            }
            Ok(())
        })?;
        self.ws();
        let first = if self.eat("this") || self.eat("THIS") {
            Part::This
        } else if let Some(v) = self.attempt(Self::variable)? {
            Part::Key(v)
        } else {
            Part::Key(self.property_name()?)
        };
        let mut parts = vec![first];
        while let Some(part) = self.attempt(Self::query_part)? {
            parts.push(part);
        }
        // A variable's values are iterated: `%x.Key` reads as `%x[*].Key`.
        if parts.len() > 1
            && parts[0].variable().is_some()
            && !matches!(parts[1], Part::AllIndices(_))
        {
            parts.insert(1, Part::AllIndices(None));
        }
        Ok(Query {
            parts,
            match_all: some.is_none(),
        })
    }

    fn query_part(&mut self) -> P<Part> {
        if let Some(part) = self.attempt(|p| {
            p.ws();
            p.tag(".", "`.`")?;
            if let Some(i) = p.attempt(Self::int)? {
                return Ok(Part::Index(i.clamp(i32::MIN as i64, i32::MAX as i64) as i32));
            }
            if let Some(name) = p.attempt(Self::property_name)? {
                return Ok(Part::Key(name));
            }
            if let Some(v) = p.attempt(Self::variable)? {
                return Ok(Part::Key(v));
            }
            p.tag("*", "a property name, `*` or `%variable` after `.`")?;
            Ok(Part::AllValues(None))
        })? {
            return Ok(part);
        }
        self.ws();
        self.tag("[", "`.` or `[`")?;
        self.nest(Self::bracket)
    }

    /// After `[`: `*`, a name, an index, a quoted key, a `keys` filter or a filter.
    fn bracket(&mut self) -> P<Part> {
        if let Some(part) = self.attempt(|p| {
            p.ws();
            let part = if p.eat("*") {
                Part::AllIndices(None)
            } else {
                Part::AllIndices(Some(p.var_name()?))
            };
            p.ws();
            p.tag("]", "`]`")?;
            Ok(part)
        })? {
            return Ok(part);
        }
        if let Some(i) = self.attempt(|p| {
            p.ws();
            p.int()
        })? {
            self.ws();
            self.commit("`]` after an index", |p| p.tag("]", "`]`"))?;
            return Ok(Part::Index(i.clamp(i32::MIN as i64, i32::MAX as i64) as i32));
        }
        if let Some(key) = self.attempt(|p| {
            let key = p.string()?;
            p.ws();
            p.tag("]", "`]`")?;
            Ok(key)
        })? {
            return Ok(Part::Key(key));
        }
        let capture = self.attempt(|p| {
            p.ws();
            let name = p.var_name()?;
            p.space0();
            p.tag("|", "`|`")?;
            Ok(name)
        })?;
        let start = self.pos;
        self.ws();
        if self.eat("keys") || self.eat("KEYS") {
            let filter = self.commit("a comparison after `keys`", Self::key_filter)?;
            return Ok(Part::KeyFilter(filter));
        }
        self.pos = start;
        let clauses = self.conjunctions(Ctx::Clause)?;
        self.ws();
        self.commit("`]` after a filter", |p| p.tag("]", "`]`"))?;
        Ok(Part::Filter(capture, clauses))
    }

    fn key_filter(&mut self) -> P<KeyFilter> {
        self.ws();
        let cmp = if self.eat("==") {
            Cmp {
                op: Op::Eq,
                not: false,
            }
        } else if self.eat("!=") {
            Cmp {
                op: Op::Eq,
                not: true,
            }
        } else if self.eat("in") || self.eat("IN") {
            Cmp {
                op: Op::In,
                not: false,
            }
        } else {
            self.not()?;
            if !(self.eat("in") || self.eat("IN")) {
                return self.miss("`==`, `!=`, `in` or `not in`");
            }
            Cmp {
                op: Op::In,
                not: true,
            }
        };
        let with = match self.attempt(Self::value)? {
            Some(v) => LetValue::Value(v),
            None => {
                self.ws();
                LetValue::Query(self.access()?)
            }
        };
        self.ws();
        self.tag("]", "`]` after a `keys` filter")?;
        Ok(KeyFilter { cmp, with })
    }

    // ---- clauses --------------------------------------------------------------------------

    fn not(&mut self) -> P<()> {
        if (self.eat("not") || self.eat("NOT")) && self.space0() {
            return Ok(());
        }
        if self.eat("!") {
            Ok(())
        } else {
            self.miss("`not`")
        }
    }

    fn value_cmp(&mut self) -> P<Cmp> {
        if self.rest().starts_with("<<") {
            return self.miss("an operator");
        }
        let binary = [
            ("==", Op::Eq, false),
            ("!=", Op::Eq, true),
            (">=", Op::Ge, false),
            ("<=", Op::Le, false),
            (">", Op::Gt, false),
            ("<", Op::Lt, false),
        ];
        for (tag, op, not) in binary {
            if self.eat(tag) {
                return Ok(Cmp { op, not });
            }
        }
        let not = self.attempt(Self::not)?.is_some();
        let named = [
            ("in", Op::In),
            ("IN", Op::In),
            ("EXISTS", Op::Exists),
            ("exists", Op::Exists),
            ("EMPTY", Op::Empty),
            ("empty", Op::Empty),
            ("IS_STRING", Op::IsString),
            ("is_string", Op::IsString),
            ("IS_LIST", Op::IsList),
            ("is_list", Op::IsList),
            ("IS_STRUCT", Op::IsMap),
            ("is_struct", Op::IsMap),
            ("IS_BOOL", Op::IsBool),
            ("is_bool", Op::IsBool),
            ("IS_INT", Op::IsInt),
            ("is_int", Op::IsInt),
            ("IS_NULL", Op::IsNull),
            ("is_null", Op::IsNull),
            ("IS_FLOAT", Op::IsFloat),
            ("is_float", Op::IsFloat),
        ];
        for (tag, op) in named {
            if self.eat(tag) {
                return Ok(Cmp { op, not });
            }
        }
        self.miss("an operator (`==`, `in`, `exists`, `empty`, `is_string`, ...)")
    }

    /// `[not] query op [value] [<<message>>]`.
    fn access_clause(&mut self) -> P<AccessClause> {
        self.ws();
        let negation = self.attempt(Self::not)?.is_some();
        let start = self.pos;
        let query = self.access()?;
        self.ws();
        let cmp = self.value_cmp()?;
        if cmp.op.is_unary() {
            let text = self.src[start..self.pos].trim().into();
            let message = self.opt_message()?;
            return Ok(AccessClause {
                query,
                cmp,
                rhs: None,
                message,
                negation,
                text,
            });
        }
        let rhs = self.commit("a value or a query to compare with", |p| {
            if let Some(v) = p.attempt(Self::value)? {
                return Ok(LetValue::Value(v));
            }
            p.ws();
            p.no_function()?;
            Ok(LetValue::Query(p.access()?))
        })?;
        let text = self.src[start..self.pos].trim().into();
        let message = self.opt_message()?;
        Ok(AccessClause {
            query,
            cmp,
            rhs: Some(rhs),
            message,
            negation,
            text,
        })
    }

    /// Built-in functions (`count(...)`, `json_parse(...)`) are not part of the language
    /// subset; a name followed by `(` where a value is expected is one.
    fn no_function(&mut self) -> P<()> {
        let start = self.pos;
        let is_call = self.attempt(Self::name)?.is_some() && self.peek() == Some('(');
        if is_call {
            self.pos = start;
            return self.cut("a value or query (built-in functions are not supported)");
        }
        self.pos = start;
        Ok(())
    }

    fn let_value(&mut self) -> P<LetValue> {
        if let Some(v) = self.attempt(Self::value)? {
            return Ok(LetValue::Value(v));
        }
        self.ws();
        self.no_function()?;
        Ok(LetValue::Query(self.access()?))
    }

    fn call(&mut self) -> P<Call> {
        self.ws();
        self.attempt(Self::not)?;
        let rule = self.name()?;
        self.tag("(", "`(`")?;
        let rule = rule.to_string();
        let mut args = Vec::new();
        loop {
            self.take_while(char::is_whitespace);
            args.push(self.commit("an argument", Self::let_value)?);
            self.take_while(char::is_whitespace);
            if !self.eat(",") {
                break;
            }
        }
        self.commit("`)` after the arguments", |p| p.tag(")", "`)`"))?;
        let message = self.opt_message()?;
        Ok(Call {
            rule,
            args,
            message,
        })
    }

    /// A named rule's status as a clause: the name alone on its line, before a comment,
    /// `{` or `or`, or followed by a message.
    fn named(&mut self) -> P<NamedRef> {
        self.ws();
        let start = self.pos;
        let negation = self.attempt(Self::not)?.is_some();
        let rule = self.var_name()?;
        let text = self.src[start..self.pos].into();
        let after = self.pos;
        let ends = self.at_end() || {
            self.space0();
            let c = self.peek();
            let plain = matches!(c, Some('\n' | '#' | '{')) || self.rest().starts_with("\r\n");
            self.pos = after;
            plain || self.attempt(Self::or_join)?.is_some()
        };
        self.pos = after;
        if ends {
            return Ok(NamedRef {
                rule,
                negation,
                message: None,
                text,
            });
        }
        self.space0();
        let message = self.commit(
            "a new line, `or` or `<<message>>` after a rule name",
            Self::custom_message,
        )?;
        Ok(NamedRef {
            rule,
            negation,
            message: Some(message),
            text,
        })
    }

    fn or_join(&mut self) -> P<()> {
        self.ws();
        if !(self.eat("or") || self.eat("OR") || self.eat("|OR|")) || !self.ws1() {
            return self.miss("`or`");
        }
        Ok(())
    }

    fn when_conditions(&mut self) -> P<Conjunctions> {
        self.ws();
        if !(self.eat("when") || self.eat("WHEN")) {
            return self.miss("`when`");
        }
        if !self.ws1() {
            return self.cut("conditions after `when`");
        }
        self.commit("conditions after `when`", |p| p.conjunctions(Ctx::When))
    }

    fn block_clause(&mut self) -> P<BlockClause> {
        let query = self.access()?;
        let not_empty = self
            .attempt(|p| {
                p.ws();
                p.not()?;
                if p.eat("empty") || p.eat("EMPTY") {
                    Ok(())
                } else {
                    p.miss("`empty`")
                }
            })?
            .is_some();
        let block = self.block(Ctx::Clause)?;
        Ok(BlockClause {
            query,
            not_empty,
            block,
        })
    }

    /// One clause where `ctx` allows it, in cfn-guard's order of alternatives.
    fn clause(&mut self, ctx: Ctx) -> P<Clause> {
        match ctx {
            Ctx::When => {
                if let Some(c) = self.attempt(Self::access_clause)? {
                    return Ok(Clause::Access(c));
                }
                if let Some(c) = self.attempt(Self::call)? {
                    return Ok(Clause::Call(c));
                }
                Ok(Clause::Named(self.named()?))
            }
            Ctx::Clause | Ctx::Rule => {
                if ctx == Ctx::Rule {
                    // A rule body's own `when` block may name rules inside it.
                    if let Some(c) = self.attempt(|p| p.when_block(Ctx::Rule))? {
                        return Ok(c);
                    }
                }
                if let Some(c) = self.attempt(|p| p.when_block(Ctx::Clause))? {
                    return Ok(c);
                }
                if let Some(c) = self.attempt(Self::block_clause)? {
                    return Ok(Clause::Block(c));
                }
                if let Some(c) = self.attempt(Self::call)? {
                    return Ok(Clause::Call(c));
                }
                if ctx == Ctx::Clause {
                    return Ok(Clause::Access(self.access_clause()?));
                }
                if let Some(c) = self.attempt(Self::access_clause)? {
                    return Ok(Clause::Access(c));
                }
                Ok(Clause::Named(self.named()?))
            }
        }
    }

    fn when_block(&mut self, body: Ctx) -> P<Clause> {
        let conditions = self.when_conditions()?;
        let block = self.block(body)?;
        Ok(Clause::When(conditions, block))
    }

    fn disjunction(&mut self, ctx: Ctx) -> P<Vec<Clause>> {
        self.ws();
        let mut clauses = vec![self.clause(ctx)?];
        while let Some(next) = self.attempt(|p| {
            p.or_join()?;
            p.ws();
            p.clause(ctx)
        })? {
            clauses.push(next);
        }
        Ok(clauses)
    }

    /// One or more lines of clauses (a `when`'s conditions, a filter's clauses).
    fn conjunctions(&mut self, ctx: Ctx) -> P<Conjunctions> {
        let mut all = Vec::new();
        while let Some(d) = self.attempt(|p| p.disjunction(ctx))? {
            all.push(d);
        }
        if all.is_empty() {
            return self.commit("one or more clauses", |p| p.miss("a clause"));
        }
        Ok(all)
    }

    fn block(&mut self, ctx: Ctx) -> P<Block> {
        self.ws();
        self.tag("{", "`{`")?;
        self.nest(|p| {
            let mut assignments = Vec::new();
            let mut conjunctions = Vec::new();
            loop {
                if let Some(a) = p.attempt(|p| {
                    p.ws();
                    p.assignment()
                })? {
                    assignments.push(a);
                } else if let Some(d) = p.attempt(|p| p.disjunction(ctx))? {
                    conjunctions.push(d);
                } else {
                    break;
                }
            }
            if assignments.is_empty() && conjunctions.is_empty() {
                return p.miss("a clause or `let` in the block");
            }
            p.ws();
            p.commit("`}` or a clause", |p| p.tag("}", "`}`"))?;
            Ok(Block {
                assignments,
                conjunctions,
            })
        })
    }

    fn assignment(&mut self) -> P<Let> {
        self.tag("let", "`let`")?;
        if !self.ws1() {
            return self.miss("a space after `let`");
        }
        let name = self.var_name()?;
        self.ws();
        if !(self.eat(":=") || self.eat("=")) {
            return self.cut("`=` after the variable name");
        }
        let value = self.commit("a value or a query", Self::let_value)?;
        Ok(Let { name, value })
    }

    fn rule_start(&mut self) -> P<String> {
        self.ws();
        self.tag("rule", "`rule`")?;
        if !self.ws1() {
            return self.miss("a space after `rule`");
        }
        self.commit("a rule name", Self::var_name)
    }

    fn parameterized_rule(&mut self) -> P<ParameterizedRule> {
        let name = self.rule_start()?;
        self.tag("(", "`(`")?;
        let mut parameters: Vec<String> = Vec::new();
        loop {
            self.take_while(char::is_whitespace);
            let parameter = self.commit("a parameter name", Self::var_name)?;
            if !parameters.contains(&parameter) {
                parameters.push(parameter);
            }
            self.take_while(char::is_whitespace);
            if !self.eat(",") {
                break;
            }
        }
        self.commit("`)` after the parameters", |p| p.tag(")", "`)`"))?;
        let block = self.commit("the rule's block", |p| p.block(Ctx::Rule))?;
        Ok(ParameterizedRule {
            parameters,
            rule: Rule {
                name,
                conditions: None,
                block,
            },
        })
    }

    fn rule(&mut self) -> P<Rule> {
        let name = self.rule_start()?;
        let conditions = self.attempt(Self::when_conditions)?;
        let block = self.commit("the rule's block", |p| p.block(Ctx::Rule))?;
        Ok(Rule {
            name,
            conditions,
            block,
        })
    }

    fn rules_file(&mut self) -> P<RulesFile> {
        let mut file = RulesFile {
            assignments: Vec::new(),
            rules: Vec::new(),
            parameterized: Vec::new(),
        };
        loop {
            self.ws();
            if self.at_end() {
                return Ok(file);
            }
            if let Some(a) = self.attempt(Self::assignment)? {
                file.assignments.push(a);
            } else if let Some(r) = self.attempt(Self::parameterized_rule)? {
                file.parameterized.push(r);
            } else if let Some(r) = self.attempt(Self::rule)? {
                file.rules.push(r);
            } else {
                return self.miss(
                    "`rule` or `let` (clauses outside a rule and type blocks are not supported)",
                );
            }
        }
    }
}

/// Which clauses a position allows: a `when`'s conditions (comparisons, calls and rule
/// names), a block clause's or filter's body (no rule names), or a rule's body (all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    When,
    Clause,
    Rule,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_body(src: &str) -> Conjunctions {
        let file =
            parse("t.guard", &format!("rule r {{\n{src}\n}}")).unwrap_or_else(|e| panic!("{e}"));
        file.rules[0].block.conjunctions.clone()
    }

    fn only(src: &str) -> Clause {
        rule_body(src).remove(0).remove(0)
    }

    #[test]
    fn a_variable_query_iterates_the_variable() {
        let Clause::Access(c) = only("%doc.%type.resourceProperties exists") else {
            panic!()
        };
        assert!(matches!(
            c.query.parts.as_slice(),
            [Part::Key(v), Part::AllIndices(None), Part::Key(t), Part::Key(p)]
                if v == "%doc" && t == "%type" && p == "resourceProperties"
        ));
        assert_eq!(
            c.cmp,
            Cmp {
                op: Op::Exists,
                not: false
            }
        );
    }

    #[test]
    fn braces_after_a_query_are_a_block_and_after_an_operator_a_struct() {
        assert!(matches!(
            only("Condition { Bool exists }"),
            Clause::Block(_)
        ));
        let Clause::Access(c) = only("Condition == { \"Bool\": 1 }") else {
            panic!()
        };
        assert!(matches!(
            c.rhs,
            Some(LetValue::Value(Node {
                kind: Kind::Map(_),
                ..
            }))
        ));
    }

    #[test]
    fn a_lone_name_is_a_rule_and_a_call_has_parentheses() {
        assert!(matches!(only("is_template"), Clause::Named(n) if n.rule == "is_template"));
        assert!(
            matches!(only("check(%x.Properties) <<msg>>"), Clause::Call(c) if c.message.as_deref() == Some("msg"))
        );
        assert!(matches!(only("Statement is_list"), Clause::Access(_)));
    }

    #[test]
    fn lines_are_and_and_or_joins_a_line() {
        let body = rule_body("a exists or\n b exists\nc exists");
        assert_eq!(body.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
    }

    #[test]
    fn filters_keys_filters_some_and_indexes() {
        let Clause::Access(c) = only("some Resources.*[ Type == 'X' ].Properties[0] exists") else {
            panic!()
        };
        assert!(!c.query.match_all);
        assert!(matches!(
            c.query.parts.as_slice(),
            [Part::Key(_), Part::AllValues(None), Part::Filter(None, f), Part::Key(_), Part::Index(0)] if f.len() == 1
        ));
        let Clause::Access(c) = only("Resources[ keys == %id ] not empty") else {
            panic!()
        };
        assert!(matches!(
            c.query.parts[1],
            Part::KeyFilter(KeyFilter {
                cmp: Cmp {
                    op: Op::Eq,
                    not: false
                },
                ..
            })
        ));
    }

    #[test]
    fn string_and_regex_escapes() {
        let Clause::Access(c) = only(r"x == 'it\'s'") else {
            panic!()
        };
        assert!(
            matches!(c.rhs, Some(LetValue::Value(Node { kind: Kind::String(ref s), .. })) if s == "it's")
        );
        let Clause::Access(c) = only(r"x == /a\/b/") else {
            panic!()
        };
        assert!(
            matches!(c.rhs, Some(LetValue::Value(Node { kind: Kind::Regex(ref r), .. })) if r.source == "a/b")
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("rule r {{ x == {}1{} }}", "[".repeat(500), "]".repeat(500));
        let err = parse("t.guard", &deep).unwrap_err();
        assert!(err.expected.contains("nested"), "{err}");
    }
}
