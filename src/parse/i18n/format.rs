//! A printf format as PostgreSQL's messages use them: literal text and
//! conversions (`%s`, `%d`, `%u`, `%ld`, `%03d`, `%.1f`, `%2$s`, `%m`,
//! `%%`). [`Format::capture`] matches a line against it and returns the
//! arguments by position; [`Format::render`] writes a format with arguments.

/// What a conversion prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `%s`, `%m`, `%c`: any text.
    Text,
    /// `%d`, `%u`, `%ld`, `%lu`, `%i`: an integer.
    Int,
    /// `%x`, `%X`: hexadecimal (`0/1A2B3C8`).
    Hex,
    /// `%f`, `%.1f`, `%g`: a number, with `.` or `,` for its decimals.
    Float,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    /// A conversion and the argument it prints (0-based).
    Arg(Kind, usize),
}

/// A compiled printf format.
#[derive(Debug, Clone)]
pub struct Format {
    parts: Vec<Part>,
    /// Arguments it prints.
    args: usize,
}

impl Format {
    /// Compiles a format; `None` for one pgsift cannot read (`%*d`).
    pub fn parse(f: &str) -> Option<Format> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut next_arg = 0;
        let mut args = 0;
        let mut chars = f.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                lit.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                lit.push('%');
                continue;
            }
            // %[N$][flags][width][.precision][length]conversion
            let mut spec = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_alphabetic() && !matches!(d, 'l' | 'h' | 'z' | 'j' | 't' | 'L') {
                    break;
                }
                if d == '*' {
                    return None;
                }
                spec.push(d);
                chars.next();
            }
            let conv = chars.next()?;
            let kind = match conv {
                's' | 'm' | 'c' | 'p' => Kind::Text,
                'd' | 'u' | 'i' | 'o' => Kind::Int,
                'x' | 'X' => Kind::Hex,
                'f' | 'g' | 'e' => Kind::Float,
                _ => return None,
            };
            let index = match spec.split_once('$') {
                Some((n, _)) => n.parse::<usize>().ok()?.checked_sub(1)?,
                None => {
                    next_arg += 1;
                    next_arg - 1
                }
            };
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            parts.push(Part::Arg(kind, index));
            args = args.max(index + 1);
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Some(Format { parts, args })
    }

    /// Bytes of literal text: how specific the format is.
    pub fn literal_len(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Lit(l) => l.len(),
                Part::Arg(..) => 0,
            })
            .sum()
    }

    /// Whether its literal text breaks lines.
    pub fn is_multiline(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Lit(l) if l.contains('\n')))
    }

    /// The arguments `line` prints with this format, by position; `None` when
    /// it is not this format's output.
    pub fn capture<'a>(&self, line: &'a str) -> Option<Vec<&'a str>> {
        // the literal before the first conversion decides quickly
        if let Some(Part::Lit(l)) = self.parts.first()
            && !line.starts_with(l.as_str())
        {
            return None;
        }
        let mut args = vec![""; self.args];
        let mut budget = STEPS + 8 * line.len();
        matches(&self.parts, line, &mut args, &mut budget).then_some(args)
    }

    /// The format with `args` in its conversions (a decimal comma becomes a
    /// point: the English formats use one).
    pub fn render(&self, args: &[&str]) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => out.push_str(l),
                Part::Arg(kind, i) => {
                    let v = args.get(*i).copied().unwrap_or("");
                    if *kind == Kind::Float {
                        out.push_str(&v.replace(',', "."));
                    } else {
                        out.push_str(v);
                    }
                }
            }
        }
        out
    }
}

/// Attempts one match may make, besides 8 per byte of the line (each byte a
/// literal search reads costs one): a line that would need more is not
/// matched, so matching is linear in the line whatever it holds.
const STEPS: usize = 4096;

/// Matches `parts` against all of `s`, filling `args`. Text conversions take
/// the shortest text after which the rest matches; of consecutive ones
/// (`%s%s%s`), the last takes the text and the others nothing (rendered in
/// the same order, the text is the same).
fn matches<'a>(parts: &[Part], s: &'a str, args: &mut [&'a str], budget: &mut usize) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return s.is_empty();
    };
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match first {
        Part::Lit(l) => s
            .strip_prefix(l.as_str())
            .is_some_and(|tail| matches(rest, tail, args, budget)),
        Part::Arg(kind, i) => {
            let ends: Vec<usize> = match kind {
                Kind::Int => vec![number_len(s, false)],
                Kind::Hex => vec![s.bytes().take_while(u8::is_ascii_hexdigit).count()],
                Kind::Float => vec![number_len(s, true)],
                Kind::Text if rest.is_empty() => vec![s.len()],
                // of consecutive ones (`%s%s%s`), the last takes the text
                Kind::Text if matches!(rest.first(), Some(Part::Arg(Kind::Text, _))) => vec![0],
                Kind::Text => {
                    // where the next literal starts (a conversion follows
                    // only after a literal here: consecutive texts are above)
                    let Some(Part::Lit(next)) = rest.first() else {
                        return false;
                    };
                    // every byte searched costs one step: a line is searched
                    // a bounded number of times, whatever its length
                    let mut ends = Vec::new();
                    let mut from = 0;
                    while from <= s.len() {
                        let found = s[from..].find(next.as_str());
                        // a search that finds nothing read the rest
                        let cost = found.map_or(s.len() - from, |p| p + 1);
                        *budget = budget.saturating_sub(cost);
                        match found {
                            Some(p) if *budget > 0 => {
                                ends.push(from + p);
                                from += p + next.len().max(1);
                            }
                            _ => break,
                        }
                    }
                    ends
                }
            };
            for e in ends {
                if *kind != Kind::Text && e == 0 {
                    continue;
                }
                if *budget == 0 {
                    return false;
                }
                let saved = args[*i];
                args[*i] = &s[..e];
                if matches(rest, &s[e..], args, budget) {
                    return true;
                }
                args[*i] = saved;
            }
            false
        }
    }
}

/// Length of the number at the start of `s`: a sign, digits, and for floats
/// one `.` or `,` followed by digits.
fn number_len(s: &str, float: bool) -> usize {
    let b = s.as_bytes();
    let mut n = usize::from(b.first() == Some(&b'-'));
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let d = digits(n);
    if d == 0 {
        return 0;
    }
    n += d;
    if float && matches!(b.get(n), Some(b'.' | b',')) {
        let f = digits(n + 1);
        if f > 0 {
            n += 1 + f;
        }
    }
    n
}
