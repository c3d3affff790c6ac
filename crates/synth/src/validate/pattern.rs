//! Schema patterns, matched without compiling a regular expression where that gives the
//! same answer.
//!
//! Compiling a pattern with `regex` costs far more than matching the few values a template
//! has for it: the Unicode classes the schemas use (`\p{L}`, `\w`, ...) become large UTF-8
//! automata, and synth of the reference app spent a fifth of its instructions there. Template
//! values are almost always ASCII, and on ASCII text a class is just a set of 128 bits, so a
//! pattern made only of the common syntax (classes, literals, groups, alternation,
//! repetition, `^` and `$`) is matched here by a small Pike VM over that projection. Anything
//! else (non-ASCII text, flags, look-around, word boundaries) goes to `regex` itself,
//! compiled once per process and pattern. Of the 2,390 patterns in the vendored schemas, 61
//! open with a negative look-ahead (`^(?!aws:)`, `^(?!aurora)`), matched as two patterns
//! without it (`leading_exclusion`); the 64 with other look-arounds `regex` refuses go to
//! `fancy-regex`; the 15 neither reads (`\p{Print}`, surrogate ranges) stay unchecked. The
//! tests check, for every pattern in the generated facts, that the Pike VM and `regex` agree.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex::Regex;

/// A schema pattern, ready to match.
pub(crate) struct Pattern {
    /// The pattern as Rust's `regex` reads it (see [`normalize`]).
    source: Cow<'static, str>,
    /// The character counts a leading `(?=.{min,max}$)` look-ahead requires.
    length: Option<(usize, usize)>,
    /// A leading `^(?!X)`, as the pattern `^(?:X)`: text it matches does not match.
    excluded: Option<Box<Pattern>>,
    /// The pattern's program on ASCII text, when it uses only syntax handled here.
    ascii: Option<Program>,
    /// The compiled pattern, made on first use; `None` when neither engine reads it.
    regex: OnceLock<Option<Compiled>>,
}

/// A pattern compiled by `regex` (linear time), or, for the look-arounds and back-references
/// `regex` refuses, by `fancy-regex` (backtracking, only for those patterns).
enum Compiled {
    Linear(Regex),
    Backtracking(fancy_regex::Regex),
}

impl Compiled {
    /// Unicode classes repeated many times (`^[\w\.-]{1,255}$`) outgrow `regex`'s default
    /// 10 MB program; such a pattern is compiled only for a non-ASCII value, rarely.
    const SIZE_LIMIT: usize = 1 << 28;

    fn new(source: &str) -> Option<Compiled> {
        let linear = regex::RegexBuilder::new(source)
            .size_limit(Self::SIZE_LIMIT)
            .build();
        if let Ok(r) = linear {
            return Some(Compiled::Linear(r));
        }
        fancy_regex::RegexBuilder::new(source)
            .delegate_size_limit(Self::SIZE_LIMIT)
            .build()
            .ok()
            .map(Compiled::Backtracking)
    }

    /// `None` when the backtracking engine gives up (its step limit): unknown, not false.
    fn is_match(&self, s: &str) -> Option<bool> {
        match self {
            Compiled::Linear(r) => Some(r.is_match(s)),
            Compiled::Backtracking(r) => r.is_match(s).ok(),
        }
    }
}

/// The schemas' patterns are Python's (`re`, as cfn-lint matches them). Two of its forms
/// that Rust's `regex` lacks have an exact equivalent: `\Z` (the end of the text) is
/// `\z`, and a leading `^(?=.{min,max}$)` (or `(?=^.{min,max}$)`) is a length check
/// beside the rest of the pattern, which `regex` can then match in linear time. Other
/// look-arounds go to `fancy-regex`.
pub(crate) fn normalize(source: &'static str) -> (Cow<'static, str>, Option<(usize, usize)>) {
    let mut source = Cow::Borrowed(source);
    let mut length = None;
    for (prefix, keep) in [("^(?=.{", "^"), ("(?=^.{", "")] {
        let Some(rest) = source.strip_prefix(prefix) else {
            continue;
        };
        let Some((counts, rest)) = rest.split_once("}$)") else {
            continue;
        };
        let (lo, hi) = counts.split_once(',').unwrap_or((counts, counts));
        if let (Ok(lo), Ok(hi)) = (lo.parse(), hi.parse()) {
            length = Some((lo, hi));
            source = Cow::Owned(format!("{keep}{rest}"));
        }
        break;
    }
    if source.contains("\\Z") {
        let mut out = String::with_capacity(source.len());
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '\\' {
                match chars.next() {
                    Some('Z') => {
                        out.pop();
                        out.push_str("\\z");
                    }
                    Some(next) => out.push(next),
                    None => {}
                }
            }
        }
        source = Cow::Owned(out);
    }
    if let Some(fixed) = python_class_literals(&source) {
        source = Cow::Owned(fixed);
    }
    (source, length)
}

/// A pattern `^(?!X)R` (or `\A(?!X)R`) as `^(?:X)` and `^R`: it matches what the second
/// matches and the first does not. The schemas' look-aheads are nearly all of this form
/// (`^(?!aws:)`, `^(?!aurora)`), and so split both halves run on the ASCII matcher
/// instead of a backtracking engine compiled for them.
fn leading_exclusion(source: &str) -> Option<(String, String)> {
    let body = source
        .strip_prefix("^(?!")
        .or_else(|| source.strip_prefix("\\A(?!"))?;
    let end = closing_paren(body)?;
    let (excluded, rest) = (&body[..end], &body[end + 1..]);
    let looks_around = |s: &str| s.contains("(?=") || s.contains("(?!") || s.contains("(?<");
    if looks_around(excluded) || looks_around(rest) {
        return None;
    }
    Some((format!("^(?:{excluded})"), format!("^{rest}")))
}

/// The byte offset of the `)` closing a group whose body starts `body`, skipping escapes
/// and bracketed classes.
fn closing_paren(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let (mut depth, mut i, mut in_class) = (1usize, 0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => {
                in_class = true;
                if bytes.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b']' if in_class => in_class = false,
            b'(' if !in_class => depth += 1,
            b')' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Python reads a `-` right after a class escape inside brackets (`[\w-.]`) as a hyphen,
/// and a `[` inside brackets as itself; `regex` reads a range and a nested class. The
/// rewrite escapes both (`[\w\-.]`, `[@\[]`), or gives `None` when there are none.
fn python_class_literals(source: &str) -> Option<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len() + 4);
    let (mut in_class, mut changed, mut i) = (false, false, 0);
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        match c {
            '\\' if i + 1 < chars.len() => {
                let e = chars[i + 1];
                out.push(e);
                i += 2;
                let class_escape = matches!(e, 'w' | 'W' | 'd' | 'D' | 's' | 'S');
                let range =
                    chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|n| *n != ']');
                if in_class && class_escape && range {
                    out.push_str("\\-");
                    changed = true;
                    i += 1;
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                // A `]` or `^]` right after the opening bracket is a member, not the end.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push(']');
                    i += 1;
                }
            }
            // Python reads `[` inside a class as itself; `regex` would open a nested class.
            '[' => {
                out.pop();
                out.push_str("\\[");
                changed = true;
            }
            ']' if in_class => in_class = false,
            _ => {}
        }
        i += 1;
    }
    changed.then_some(out)
}

impl Pattern {
    fn new(source: &'static str) -> Self {
        let (source, length) = normalize(source);
        let (excluded, source) = match leading_exclusion(&source) {
            Some((excluded, rest)) => (Some(Box::new(Pattern::plain(excluded))), Cow::Owned(rest)),
            None => (None, source),
        };
        Pattern {
            excluded,
            ..Pattern::plain(source)
        }
        .with_length(length)
    }

    fn plain(source: impl Into<Cow<'static, str>>) -> Self {
        let source = source.into();
        Pattern {
            ascii: Program::new(&source),
            source,
            length: None,
            excluded: None,
            regex: OnceLock::new(),
        }
    }

    fn with_length(mut self, length: Option<(usize, usize)>) -> Self {
        self.length = length;
        self
    }

    /// Whether `s` matches; `None` when the pattern is not a regular expression either
    /// engine reads (such a pattern is not checked).
    pub(crate) fn is_match(&self, s: &str) -> Option<bool> {
        let Some(excluded) = &self.excluded else {
            return self.is_match_here(s);
        };
        match (excluded.is_match_here(s), self.is_match_here(s)) {
            (Some(true), _) | (_, Some(false)) => Some(false),
            (Some(false), Some(true)) => Some(true),
            _ => None,
        }
    }

    fn is_match_here(&self, s: &str) -> Option<bool> {
        if let Some((lo, hi)) = self.length {
            let n = s.chars().count();
            if n < lo || n > hi {
                // Still `None` for a pattern neither matcher can read.
                return match self.ascii {
                    Some(_) => Some(false),
                    None => self.compiled().map(|_| false),
                };
            }
        }
        if let Some(p) = &self.ascii
            && s.is_ascii()
            && (p.run.is_some() || s.len().saturating_mul(p.insts.len()) <= MAX_WORK)
        {
            return Some(p.is_match(s.as_bytes()));
        }
        self.compiled()?.is_match(s)
    }

    fn compiled(&self) -> Option<&Compiled> {
        self.regex
            .get_or_init(|| Compiled::new(&self.source))
            .as_ref()
    }
}

/// The pattern for `source`, prepared once per process.
pub(crate) fn pattern(source: &'static str) -> Arc<Pattern> {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Arc<Pattern>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache
        .entry(source)
        .or_insert_with(|| Arc::new(Pattern::new(source)))
        .clone()
}

/// A set of ASCII characters: bit `c` is set when `c` is in it.
type Set = u128;

const DIGIT: Set = range(b'0', b'9');
const WORD: Set = DIGIT | range(b'A', b'Z') | range(b'a', b'z') | 1 << b'_';
/// `\s` is Unicode `White_Space`: tab, line feed, vertical tab, form feed, carriage return
/// and space among ASCII.
const SPACE: Set = range(0x09, 0x0D) | 1 << b' ';
const LETTER: Set = range(b'A', b'Z') | range(b'a', b'z');
const ALL: Set = Set::MAX;

const fn range(lo: u8, hi: u8) -> Set {
    let mut s = 0;
    let mut c = lo;
    while c <= hi {
        s |= 1 << c;
        c += 1;
    }
    s
}

/// The ASCII characters of the code point range `lo..=hi`.
fn ascii_range(lo: u32, hi: u32) -> Set {
    if lo > 0x7F {
        return 0;
    }
    range(lo as u8, hi.min(0x7F) as u8)
}

#[derive(Debug, Clone)]
enum Node {
    /// One character of the set.
    Set(Set),
    /// Start of the text (`^` without the multi-line flag, `\A`).
    Start,
    /// End of the text (`$` without the multi-line flag, `\z`).
    End,
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

/// Why the pattern is left to `regex`: syntax this parser does not handle, or an error.
struct Unsupported;

type Parsed<T> = Result<T, Unsupported>;

struct Parser<'p> {
    chars: Vec<char>,
    pos: usize,
    _source: &'p str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn next(&mut self) -> Parsed<char> {
        let c = self.peek().ok_or(Unsupported)?;
        self.pos += 1;
        Ok(c)
    }

    /// An alternation, up to the end of the pattern or the `)` closing the group.
    fn alternation(&mut self, depth: usize) -> Parsed<Node> {
        let mut branches = vec![self.concat(depth)?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.concat(depth)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().expect("one branch")
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self, depth: usize) -> Parsed<Node> {
        let mut items: Vec<Node> = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '|' => break,
                ')' if depth > 0 => break,
                ')' => return Err(Unsupported),
                '(' => {
                    self.pos += 1;
                    if self.peek() == Some('?') {
                        if self.peek_at(1) != Some(':') {
                            return Err(Unsupported);
                        }
                        self.pos += 2;
                    }
                    let inner = self.alternation(depth + 1)?;
                    if self.next()? != ')' {
                        return Err(Unsupported);
                    }
                    items.push(inner);
                }
                '*' | '+' | '?' => {
                    self.pos += 1;
                    let (min, max) = match c {
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => (0, Some(1)),
                    };
                    self.repeat(&mut items, min, max)?;
                }
                '{' => {
                    self.pos += 1;
                    let (min, max) = self.counted()?;
                    self.repeat(&mut items, min, max)?;
                }
                '[' => {
                    self.pos += 1;
                    items.push(Node::Set(self.class()?));
                }
                '.' => {
                    self.pos += 1;
                    items.push(Node::Set(ALL & !(1 << b'\n')));
                }
                '^' => {
                    self.pos += 1;
                    items.push(Node::Start);
                }
                '$' => {
                    self.pos += 1;
                    items.push(Node::End);
                }
                '\\' => {
                    self.pos += 1;
                    items.push(match self.escape()? {
                        Escape::Char(c) => Node::Set(char_set(c)),
                        Escape::Class(s) => Node::Set(s),
                        Escape::Start => Node::Start,
                        Escape::End => Node::End,
                    });
                }
                c => {
                    self.pos += 1;
                    items.push(Node::Set(char_set(c)));
                }
            }
        }
        Ok(Node::Concat(items))
    }

    /// Applies a repetition to the last item (a lazy `?` after it changes nothing for
    /// whether there is a match).
    fn repeat(&mut self, items: &mut Vec<Node>, min: u32, max: Option<u32>) -> Parsed<()> {
        let last = match items.pop() {
            Some(n @ (Node::Set(_) | Node::Concat(_) | Node::Alt(_) | Node::Repeat(..))) => n,
            _ => return Err(Unsupported),
        };
        if self.peek() == Some('?') {
            self.pos += 1;
        }
        items.push(Node::Repeat(Box::new(last), min, max));
        Ok(())
    }

    /// `{n}`, `{n,}` or `{n,m}`, after the `{`.
    fn counted(&mut self) -> Parsed<(u32, Option<u32>)> {
        let min = self.decimal()?;
        let max = match self.next()? {
            '}' => return Ok((min, Some(min))),
            ',' if self.peek() == Some('}') => None,
            ',' => Some(self.decimal()?),
            _ => return Err(Unsupported),
        };
        if self.next()? != '}' || max.is_some_and(|m| m < min) {
            return Err(Unsupported);
        }
        Ok((min, max))
    }

    fn decimal(&mut self) -> Parsed<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start || self.pos - start > 4 {
            return Err(Unsupported);
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        digits.parse().map_err(|_| Unsupported)
    }

    /// A bracketed class, after the `[`, as regex-syntax reads one: `^` negates, leading
    /// `-` and a leading `]` are literal, `a-z` is a range unless the `-` is followed by
    /// `]` or `-`. Nested classes and set operations are left to `regex`.
    fn class(&mut self) -> Parsed<Set> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut set: Set = 0;
        let mut any = false;
        while self.peek() == Some('-') {
            self.pos += 1;
            set |= 1 << b'-';
            any = true;
        }
        if !any && self.peek() == Some(']') {
            self.pos += 1;
            set |= 1 << b']';
        }
        loop {
            match (self.peek().ok_or(Unsupported)?, self.peek_at(1)) {
                ('[', _) | ('&', Some('&')) | ('-', Some('-')) | ('~', Some('~')) => {
                    return Err(Unsupported);
                }
                (']', _) => {
                    self.pos += 1;
                    break;
                }
                _ => set |= self.class_item()?,
            }
        }
        Ok(if negated { !set } else { set })
    }

    fn class_item(&mut self) -> Parsed<Set> {
        let first = self.class_primitive()?;
        let is_range = self.peek() == Some('-') && !matches!(self.peek_at(1), Some(']' | '-'));
        if !is_range {
            return match first {
                Escape::Char(c) => Ok(char_set(c)),
                Escape::Class(s) => Ok(s),
                Escape::Start | Escape::End => Err(Unsupported),
            };
        }
        self.pos += 1;
        let last = self.class_primitive()?;
        match (first, last) {
            (Escape::Char(lo), Escape::Char(hi)) if lo <= hi => {
                Ok(ascii_range(lo as u32, hi as u32))
            }
            _ => Err(Unsupported),
        }
    }

    fn class_primitive(&mut self) -> Parsed<Escape> {
        match self.next()? {
            '\\' => self.escape(),
            c => Ok(Escape::Char(c)),
        }
    }

    /// An escape, after the `\`.
    fn escape(&mut self) -> Parsed<Escape> {
        let c = self.next()?;
        Ok(match c {
            'd' => Escape::Class(DIGIT),
            'D' => Escape::Class(!DIGIT),
            'w' => Escape::Class(WORD),
            'W' => Escape::Class(!WORD),
            's' => Escape::Class(SPACE),
            'S' => Escape::Class(!SPACE),
            'p' | 'P' => {
                let name: String = if self.peek() == Some('{') {
                    self.pos += 1;
                    let mut name = String::new();
                    loop {
                        match self.next()? {
                            '}' => break,
                            c => name.push(c),
                        }
                    }
                    name
                } else {
                    self.next()?.to_string()
                };
                // Among ASCII: letters, digits, and of the separators only the space.
                let set = match name.as_str() {
                    "L" => LETTER,
                    "N" => DIGIT,
                    "Z" => 1 << b' ',
                    _ => return Err(Unsupported),
                };
                Escape::Class(if c == 'P' { !set } else { set })
            }
            'x' | 'u' | 'U' => {
                let hex: String = if self.peek() == Some('{') {
                    self.pos += 1;
                    let mut hex = String::new();
                    loop {
                        match self.next()? {
                            '}' => break,
                            c => hex.push(c),
                        }
                    }
                    hex
                } else {
                    let digits = match c {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    (0..digits).map(|_| self.next()).collect::<Parsed<_>>()?
                };
                if hex.is_empty() || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return Err(Unsupported);
                }
                let code = u32::from_str_radix(&hex, 16).map_err(|_| Unsupported)?;
                Escape::Char(char::from_u32(code).ok_or(Unsupported)?)
            }
            'a' => Escape::Char('\x07'),
            'f' => Escape::Char('\x0C'),
            't' => Escape::Char('\t'),
            'n' => Escape::Char('\n'),
            'r' => Escape::Char('\r'),
            'v' => Escape::Char('\x0B'),
            'A' => Escape::Start,
            'z' => Escape::End,
            // regex-syntax: any ASCII character but letters, digits, `<` and `>` may be
            // escaped and then stands for itself.
            c if c.is_ascii() && !c.is_ascii_alphanumeric() && c != '<' && c != '>' => {
                Escape::Char(c)
            }
            _ => return Err(Unsupported),
        })
    }
}

enum Escape {
    Char(char),
    Class(Set),
    Start,
    End,
}

fn char_set(c: char) -> Set {
    if c.is_ascii() { 1 << (c as u8) } else { 0 }
}

#[derive(Debug, Clone, Copy)]
enum Inst {
    /// Consume one character of the set.
    Set(Set),
    /// Continue at both.
    Split(usize, usize),
    Jmp(usize),
    Start,
    End,
    Match,
}

/// A compiled pattern for ASCII text.
#[derive(Debug)]
struct Program {
    insts: Vec<Inst>,
    /// The same pattern when it is one anchored run of a class, which needs no VM.
    run: Option<Run>,
}

/// `^[set]{min,max}$`, or without the `$`: what most schema patterns are.
#[derive(Debug, Clone, Copy)]
struct Run {
    set: Set,
    min: u32,
    max: Option<u32>,
    to_end: bool,
}

impl Run {
    fn of(node: &Node) -> Option<Run> {
        let Node::Concat(items) = node else {
            return None;
        };
        let (to_end, middle) = match items.as_slice() {
            [Node::Start, middle, Node::End] => (true, middle),
            [Node::Start, middle] => (false, middle),
            _ => return None,
        };
        let (set, min, max) = match single(middle)? {
            Node::Set(s) => (*s, 1, Some(1)),
            Node::Repeat(inner, min, max) => match single(inner)? {
                Node::Set(s) => (*s, *min, *max),
                _ => return None,
            },
            _ => return None,
        };
        Some(Run {
            set,
            min,
            max,
            to_end,
        })
    }

    fn is_match(&self, text: &[u8]) -> bool {
        let run = text
            .iter()
            .position(|&b| self.set & (1 << b) == 0)
            .unwrap_or(text.len());
        if self.to_end {
            // Every character is in the set and the count is in bounds.
            run == text.len()
                && run >= self.min as usize
                && self.max.is_none_or(|m| run <= m as usize)
        } else {
            // A prefix of `min` characters of the set is enough.
            run >= self.min as usize
        }
    }
}

/// The node a group of one item stands for.
fn single(node: &Node) -> Option<&Node> {
    match node {
        Node::Concat(items) if items.len() == 1 => single(&items[0]),
        Node::Concat(_) => None,
        other => Some(other),
    }
}

/// Patterns whose program would be larger than this are left to `regex`.
const MAX_INSTS: usize = 20_000;

/// Text so long that the Pike VM could take longer than `regex` (its work grows with the
/// text's length times the program's) is left to `regex`.
const MAX_WORK: usize = 1 << 20;

impl Program {
    fn new(source: &str) -> Option<Program> {
        let mut p = Parser {
            chars: source.chars().collect(),
            pos: 0,
            _source: source,
        };
        let node = p.alternation(0).ok()?;
        if p.pos != p.chars.len() {
            return None;
        }
        let mut insts = Vec::new();
        emit(&node, &mut insts)?;
        insts.push(Inst::Match);
        Some(Program {
            insts,
            run: Run::of(&node),
        })
    }

    /// Whether the pattern matches anywhere in `text` (ASCII).
    fn is_match(&self, text: &[u8]) -> bool {
        match self.run {
            Some(run) => run.is_match(text),
            None => self.run_vm(text),
        }
    }

    fn run_vm(&self, text: &[u8]) -> bool {
        let n = self.insts.len();
        let mut current = Threads::new(n);
        let mut next = Threads::new(n);
        let mut stack = Vec::new();
        for pos in 0..=text.len() {
            // A match may start at any position.
            if self.add(&mut current, &mut stack, 0, pos, text.len()) {
                return true;
            }
            let Some(&b) = text.get(pos) else { break };
            next.clear();
            for i in 0..current.dense.len() {
                let pc = current.dense[i];
                if let Inst::Set(s) = self.insts[pc]
                    && s & (1 << b) != 0
                    && self.add(&mut next, &mut stack, pc + 1, pos + 1, text.len())
                {
                    return true;
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        false
    }

    /// Adds the thread at `pc` and everything reachable from it without consuming a
    /// character; true when that reaches the end of the pattern.
    fn add(
        &self,
        list: &mut Threads,
        stack: &mut Vec<usize>,
        pc: usize,
        pos: usize,
        len: usize,
    ) -> bool {
        stack.clear();
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if !list.insert(pc) {
                continue;
            }
            match self.insts[pc] {
                Inst::Match => return true,
                Inst::Set(_) => {}
                Inst::Jmp(a) => stack.push(a),
                Inst::Split(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                Inst::Start => {
                    if pos == 0 {
                        stack.push(pc + 1);
                    }
                }
                Inst::End => {
                    if pos == len {
                        stack.push(pc + 1);
                    }
                }
            }
        }
        false
    }
}

fn emit(node: &Node, out: &mut Vec<Inst>) -> Option<()> {
    if out.len() > MAX_INSTS {
        return None;
    }
    match node {
        Node::Set(s) => out.push(Inst::Set(*s)),
        Node::Start => out.push(Inst::Start),
        Node::End => out.push(Inst::End),
        Node::Concat(items) => {
            for i in items {
                emit(i, out)?;
            }
        }
        Node::Alt(branches) => {
            let mut jumps = Vec::new();
            for (i, b) in branches.iter().enumerate() {
                if i + 1 < branches.len() {
                    let split = out.len();
                    out.push(Inst::Split(split + 1, 0));
                    emit(b, out)?;
                    jumps.push(out.len());
                    out.push(Inst::Jmp(0));
                    out[split] = Inst::Split(split + 1, out.len());
                } else {
                    emit(b, out)?;
                }
            }
            let end = out.len();
            for j in jumps {
                out[j] = Inst::Jmp(end);
            }
        }
        Node::Repeat(inner, min, max) => {
            for _ in 0..*min {
                emit(inner, out)?;
            }
            match max {
                None => {
                    let split = out.len();
                    out.push(Inst::Split(split + 1, 0));
                    emit(inner, out)?;
                    out.push(Inst::Jmp(split));
                    out[split] = Inst::Split(split + 1, out.len());
                }
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(out.len());
                        out.push(Inst::Split(out.len() + 1, 0));
                        emit(inner, out)?;
                    }
                    let end = out.len();
                    for s in splits {
                        out[s] = Inst::Split(s + 1, end);
                    }
                }
            }
        }
    }
    (out.len() <= MAX_INSTS).then_some(())
}

/// A set of program counters, in the order added.
struct Threads {
    dense: Vec<usize>,
    sparse: Vec<usize>,
}

impl Threads {
    fn new(n: usize) -> Self {
        Threads {
            dense: Vec::with_capacity(n),
            sparse: vec![0; n],
        }
    }

    fn insert(&mut self, pc: usize) -> bool {
        let i = self.sparse[pc];
        if i < self.dense.len() && self.dense[i] == pc {
            return false;
        }
        self.sparse[pc] = self.dense.len();
        self.dense.push(pc);
        true
    }

    fn clear(&mut self) {
        self.dense.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackwright_core::facts::{Prop, Shape, Ty};

    /// Every pattern of every generated resource type.
    fn all_patterns() -> Vec<&'static str> {
        fn prop(p: &'static Prop, out: &mut Vec<&'static str>, seen: &mut Vec<usize>) {
            out.extend(p.rules.pattern);
            match &p.ty {
                Ty::List(item) | Ty::Map(item) => prop(item, out, seen),
                Ty::Object(shape) => walk(shape, out, seen),
                _ => {}
            }
        }
        fn walk(shape: &'static Shape, out: &mut Vec<&'static str>, seen: &mut Vec<usize>) {
            let addr = shape as *const Shape as usize;
            if seen.contains(&addr) {
                return;
            }
            seen.push(addr);
            for p in shape.properties {
                prop(p, out, seen);
            }
        }
        let mut out = Vec::new();
        let mut seen = Vec::new();
        for t in stackwright_core::registry::type_names() {
            let f = stackwright_core::registry::facts_for(t).expect("a listed type has facts");
            walk(f.shape, &mut out, &mut seen);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
        fn pick(&mut self, set: Set) -> Option<u8> {
            let members: Vec<u8> = (0..128u8).filter(|c| set & (1 << c) != 0).collect();
            (!members.is_empty()).then(|| members[self.below(members.len() as u64) as usize])
        }
    }

    /// A string the pattern's node should match, when the walk finds one.
    fn sample(node: &Node, rng: &mut Rng, out: &mut Vec<u8>) -> bool {
        match node {
            Node::Set(s) => match rng.pick(*s) {
                Some(c) => {
                    out.push(c);
                    true
                }
                None => false,
            },
            Node::Start | Node::End => true,
            Node::Concat(items) => items.iter().all(|i| sample(i, rng, out)),
            Node::Alt(branches) => {
                let b = &branches[rng.below(branches.len() as u64) as usize];
                sample(b, rng, out)
            }
            Node::Repeat(inner, min, max) => {
                // Mostly short, sometimes at the bounds and just past the upper one.
                let n = match (rng.below(8), max) {
                    (0, _) => *min,
                    (1, Some(max)) => *max,
                    (2, Some(max)) => max + 1,
                    _ => min + rng.below(5) as u32,
                };
                (0..n).all(|_| out.len() < 1100 && sample(inner, rng, out))
            }
        }
    }

    fn parse(source: &str) -> Option<Node> {
        let mut p = Parser {
            chars: source.chars().collect(),
            pos: 0,
            _source: source,
        };
        let node = p.alternation(0).ok()?;
        (p.pos == p.chars.len()).then_some(node)
    }

    /// For every pattern in the generated facts: when it is handled here, `regex` accepts it
    /// too, and both give the same answer on many ASCII strings, near-misses included.
    #[test]
    fn python_forms_are_read_as_their_rust_equivalents() {
        let end = Pattern::new(r"^[a-z]{1,3}\Z");
        assert_eq!(end.is_match("abc"), Some(true));
        assert_eq!(end.is_match("abcd"), Some(false));
        let lookahead = Pattern::new(r"^(?=.{2,5}$)[a-z]+(-[a-z]+)*$");
        assert_eq!(lookahead.is_match("ab-c"), Some(true));
        assert_eq!(lookahead.is_match("a"), Some(false));
        assert_eq!(lookahead.is_match("abc-def"), Some(false));
        assert_eq!(lookahead.is_match("ab--c"), Some(false));
        let unanchored = Pattern::new(r"(?=^.{0,10}$)[a-z]+@[a-z]+\.[a-z]{2,3}");
        assert_eq!(unanchored.is_match("a@b.io"), Some(true));
        assert_eq!(unanchored.is_match("abcdef@ghijk.io"), Some(false));
        assert_eq!(normalize(r"a\\Z").0, r"a\\Z", "an escaped backslash stays");
        // Other look-arounds are matched by the backtracking engine.
        let digit = Pattern::new(r"^(?=.*\d)[a-z0-9]+$");
        assert_eq!(digit.is_match("abc"), Some(false));
        assert_eq!(digit.is_match("ab1"), Some(true));
        let no_aws = Pattern::new(r"^(?![aA][wW][sS]:)[a-zA-Z0-9 _.:/=+\-@]+$");
        assert_eq!(
            no_aws.is_match("aws:cloudformation:stack-name"),
            Some(false)
        );
        assert_eq!(no_aws.is_match("team:owner"), Some(true));
        let no_trailing_dash = Pattern::new(r"^([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)$");
        assert_eq!(no_trailing_dash.is_match("model-"), Some(false));
        assert_eq!(no_trailing_dash.is_match("model-1"), Some(true));
        // A leading negative look-ahead runs as two ASCII programs.
        let not_aurora = Pattern::new(r"^(?!aurora).*$");
        assert!(not_aurora.excluded.is_some() && not_aurora.ascii.is_some());
        assert_eq!(not_aurora.is_match("postgres"), Some(true));
        assert_eq!(not_aurora.is_match("aurora-mysql"), Some(false));
        assert_eq!(not_aurora.is_match("my-aurora"), Some(true));
        let tag = Pattern::new(r"\A(?!aws:)[a-zA-Z0-9+\-=\._\:\/@]+$");
        assert_eq!(tag.is_match("team:owner"), Some(true));
        assert_eq!(tag.is_match("aws:owner"), Some(false));
        assert_eq!(
            leading_exclusion(r"^(?!(a|[)])b)c$"),
            Some((r"^(?:(a|[)])b)".to_string(), "^c$".to_string()))
        );
        assert_eq!(leading_exclusion(r"^(?!a)(?!b)c"), None);
        // Python's literal hyphen after a class escape.
        let hyphen = Pattern::new(r"^[\w-\.\+]+@([\w-]+\.)+[\w-]{2,4}$");
        assert_eq!(hyphen.is_match("ops-team@example.com"), Some(true));
        assert_eq!(hyphen.is_match("ops team@example.com"), Some(false));
        assert_eq!(
            python_class_literals(r"[\w-.~][a-z][\d-][^\s-x]"),
            Some(r"[\w\-.~][a-z][\d-][^\s\-x]".to_string())
        );
        assert_eq!(python_class_literals(r"[a-z\d]\w-x"), None);
        assert_eq!(
            python_class_literals(r"^([a-z,@[\]+])*$"),
            Some(r"^([a-z,@\[\]+])*$".to_string())
        );
        let bracket = Pattern::new(r"^([a-z,A-Z,0-9,. _\-:/()#,@[\]+=&;\{\}!$*])*$");
        assert!(bracket.ascii.is_some());
        assert_eq!(bracket.is_match("Allow [all] web traffic"), Some(true));
        assert_eq!(bracket.is_match("Allow 'web'"), Some(false));
        // A pattern neither engine reads stays unchecked.
        assert_eq!(Pattern::new(r"[\w-.~]+").is_match("a-b.c~"), Some(true));
        // A pattern neither engine reads (a class Python's `regex` module has) is unchecked.
        assert_eq!(Pattern::new(r"^\p{Print}+$").is_match("abc"), None);
    }

    #[test]
    fn agrees_with_regex_on_every_schema_pattern() {
        let patterns = all_patterns();
        assert!(patterns.len() > 50, "found {} patterns", patterns.len());
        let mut handled = 0;
        let mut runs = 0;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for source in patterns {
            let (source, _) = normalize(source);
            let source = &*source;
            let Some(program) = Program::new(source) else {
                continue;
            };
            handled += 1;
            // Over the whole registry some patterns (`^[\w\.-]{1,255}$`: Unicode classes
            // repeated hundreds of times) outgrow regex's default 10 MB program limit; the
            // comparison needs a program, not the limit.
            let re = regex::RegexBuilder::new(source)
                .size_limit(1 << 30)
                .build()
                .unwrap_or_else(|e| panic!("{source} is handled here but regex rejects it: {e}"));
            let node = parse(source).expect("parsed once already");
            let mut cases: Vec<Vec<u8>> = ["", " ", "a", "A1", "-", ":", "abc:def", "\n", "x\n"]
                .iter()
                .map(|s| s.as_bytes().to_vec())
                .collect();
            for _ in 0..100 {
                let mut s = Vec::new();
                if sample(&node, &mut rng, &mut s) {
                    cases.push(s.clone());
                    // Near misses: one character changed, inserted or removed.
                    for _ in 0..3 {
                        let mut m = s.clone();
                        let at = rng.below(m.len() as u64 + 1) as usize;
                        let c = rng.below(128) as u8;
                        match rng.below(3) {
                            0 if at < m.len() => m[at] = c,
                            1 => m.insert(at, c),
                            _ if at < m.len() => {
                                m.remove(at);
                            }
                            _ => m.push(c),
                        }
                        cases.push(m);
                    }
                }
                let len = rng.below(40) as usize;
                cases.push((0..len).map(|_| rng.below(128) as u8).collect());
            }
            for case in cases {
                let text = std::str::from_utf8(&case).expect("ASCII");
                let expected = re.is_match(text);
                assert_eq!(program.run_vm(&case), expected, "{source} on {text:?}");
                if let Some(run) = program.run {
                    runs += 1;
                    assert_eq!(run.is_match(&case), expected, "{source} on {text:?}");
                }
            }
        }
        assert!(handled > 50, "only {handled} patterns are handled here");
        assert!(runs > 0, "no pattern is a single run");
    }

    #[test]
    fn syntax_regex_rejects_is_left_to_regex() {
        for source in [
            r"^[.\-_/#A-Za-z0-9]{1,512}\Z",
            r"^(?=.{2,256}$)[a-z]+$",
            r"^([a-z,@[\]+=&;\{\}!$*])*$",
            r"^[a-z&&b]$",
            r"a{2,1}",
            r"(a",
            r"a)",
            r"*a",
            r"\bword\b",
            r"(?i)abc",
        ] {
            assert!(Program::new(source).is_none(), "{source}");
        }
        // Read as Python reads it (a `[` inside a class is itself), it is checked.
        let p = pattern(r"^([a-z,@[\]+=&;\{\}!$*])*$");
        assert_eq!(p.is_match("anything"), Some(true));
        assert_eq!(p.is_match("ANYTHING"), Some(false));
    }

    #[test]
    fn non_ascii_text_goes_to_regex() {
        let p = pattern(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$");
        assert_eq!(p.is_match("Grüße 2024"), Some(true));
        assert_eq!(p.is_match("a\u{2603}"), Some(false));
        assert_eq!(p.is_match("plain-ascii_1"), Some(true));
        assert_eq!(p.is_match("semi;colon"), Some(false));
    }
}
