//! Fitting a compiled prefix's items (literals and escapes) to the text before
//! a line's severity: first along the path a backtracking search tries first,
//! then with backtracking over free-text fields.

use super::PrefixFields;
use super::escape::{Escape, match_typed, may_be_empty, set_free};

/// Literal text of a prefix (never empty). Prefix regions are short, so
/// literals are found with `memchr` on their first byte and compared in place:
/// cheaper there than a general substring searcher's setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Lit {
    pub(super) text: String,
    /// The first (up to) eight bytes as a little-endian word, and which of its
    /// bytes count: one comparison checks most literals where eight bytes follow.
    head: u64,
    mask: u64,
}

impl Lit {
    pub(super) fn new(text: String) -> Lit {
        debug_assert!(!text.is_empty());
        let mut word = [0u8; 8];
        let n = text.len().min(8);
        word[..n].copy_from_slice(&text.as_bytes()[..n]);
        Lit {
            head: u64::from_le_bytes(word),
            mask: if n == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * n)) - 1
            },
            text,
        }
    }

    /// Whether the literal starts at byte `at` of `s`.
    #[inline]
    pub(super) fn at(&self, s: &[u8], at: usize) -> bool {
        let t = self.text.as_bytes();
        if let Some(w) = s.get(at..).and_then(|r| r.first_chunk::<8>()) {
            let w = u64::from_le_bytes(*w);
            return (w ^ self.head) & self.mask == 0
                && (t.len() <= 8 || s.get(at + 8..at + t.len()) == Some(&t[8..]));
        }
        s.len() >= at + t.len() && t.iter().zip(&s[at..]).all(|(a, b)| a == b)
    }

    /// `s` without the literal at its start.
    #[inline]
    fn strip<'a>(&self, s: &'a str) -> Option<&'a str> {
        // the literal is whole characters: what follows it starts a character
        self.at(s.as_bytes(), 0).then(|| &s[self.text.len()..])
    }

    /// Where the literal starts in `s`, first to last (overlapping).
    #[inline]
    fn find_iter<'a>(&'a self, s: &'a str) -> impl Iterator<Item = usize> + 'a {
        let b = s.as_bytes();
        memchr::memchr_iter(self.text.as_bytes()[0], b).filter(move |&p| self.at(b, p))
    }

    /// Where the literal starts in `s`, last to first (overlapping).
    #[inline]
    fn rfind_iter<'a>(&'a self, s: &'a str) -> impl Iterator<Item = usize> + 'a {
        let b = s.as_bytes();
        memchr::memrchr_iter(self.text.as_bytes()[0], b).filter(move |&p| self.at(b, p))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    Lit(Lit),
    Esc(Escape),
    /// An escape with a padding width (`%-10p`, `%5l`): spaces around the value.
    Padded(Escape),
}

/// Matches `items` against all of `s`: first along the path a backtracking
/// search tries first (no state saved, nothing undone), which is the common
/// case and gives the same fields when it succeeds; else with [`match_items`].
pub(super) fn match_all<'a>(items: &[Item], s: &'a str, f: &mut PrefixFields<'a>) -> bool {
    let mut first = PrefixFields::default();
    if match_first_path(items, s, &mut first) {
        *f = first;
        return true;
    }
    match_items(items, s, f)
}

/// The first choice [`match_items`] makes at every step, without backtracking.
pub(super) fn match_first_path<'a>(
    items: &[Item],
    mut s: &'a str,
    f: &mut PrefixFields<'a>,
) -> bool {
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::Lit(l) => match l.strip(s) {
                Some(r) => s = r,
                None => return false,
            },
            Item::Esc(esc) if esc.is_free_text() => {
                let end = match items.get(i + 1) {
                    None => Some(s.len()),
                    Some(Item::Lit(l)) if *esc == Escape::User => l.rfind_iter(s).next(),
                    Some(Item::Lit(l)) => l.find_iter(s).next(),
                    Some(_) => None,
                };
                let Some(end) = end else {
                    return false;
                };
                set_free(*esc, &s[..end], f);
                s = &s[end..];
            }
            Item::Padded(esc) => {
                let trimmed = s.trim_start_matches(' ');
                let Some(n) = match_typed(*esc, trimmed, f) else {
                    return false;
                };
                s = trimmed[n..].trim_start_matches(' ');
            }
            Item::Esc(esc) => match match_typed(*esc, s, f) {
                Some(n) => s = &s[n..],
                None if may_be_empty(*esc) => {}
                None => return false,
            },
        }
    }
    s.is_empty()
}

/// Steps a backtracking match may take: past them it gives up (no match).
/// With the failures remembered, a prefix matches in time bounded by its
/// items and the region's length; the budget bounds even that (a prefix of 22
/// `user=%u database=%d` pairs took 87 s on a 410-byte line).
pub(super) const MATCH_BUDGET: u32 = 4096;

/// What a backtracking match carries: the region's start (to tell positions),
/// the steps left, and the (item, position) pairs known to fail.
struct Search<'a> {
    start: *const u8,
    budget: u32,
    failed: std::collections::HashSet<(usize, usize)>,
    items: &'a [Item],
}

/// Matches `items` against all of `s`, backtracking over free-text fields.
pub(super) fn match_items<'a>(items: &[Item], s: &'a str, f: &mut PrefixFields<'a>) -> bool {
    let mut search = Search {
        start: s.as_ptr(),
        budget: MATCH_BUDGET,
        failed: Default::default(),
        items,
    };
    search_items(&mut search, 0, s, f)
}

/// [`match_items`] from item `i` on, remembering failures.
fn search_items<'a>(search: &mut Search, i: usize, s: &'a str, f: &mut PrefixFields<'a>) -> bool {
    let at = s.as_ptr() as usize - search.start as usize;
    if search.budget == 0 || search.failed.contains(&(i, at)) {
        return false;
    }
    search.budget -= 1;
    let ok = search_step(search, i, s, f);
    if !ok {
        search.failed.insert((i, at));
    }
    ok
}

fn search_step<'a>(search: &mut Search, i: usize, s: &'a str, f: &mut PrefixFields<'a>) -> bool {
    let items = search.items;
    let Some(first) = items.get(i) else {
        return s.is_empty();
    };
    let rest_items = &items[i + 1..];
    let next = i + 1;
    match first {
        Item::Lit(l) => l.strip(s).is_some_and(|r| search_items(search, next, r, f)),
        Item::Esc(esc) if esc.is_free_text() => {
            let try_end = |end: usize, f: &mut PrefixFields<'a>, search: &mut Search| {
                let saved = *f;
                set_free(*esc, &s[..end], f);
                if search_items(search, next, &s[end..], f) {
                    return true;
                }
                *f = saved;
                false
            };
            // candidate ends tried lazily, in the same order as before: the
            // first that lets the rest match wins (the user name: the last)
            let user = *esc == Escape::User;
            match rest_items.first() {
                None => try_end(s.len(), f, search),
                Some(Item::Lit(l)) if user => l.rfind_iter(s).any(|p| try_end(p, f, search)),
                Some(Item::Lit(l)) => l.find_iter(s).any(|p| try_end(p, f, search)),
                Some(Item::Esc(_) | Item::Padded(_)) => {
                    let ends = s.char_indices().map(|(p, _)| p).chain([s.len()]);
                    if user {
                        let all: Vec<usize> = ends.collect();
                        all.iter().rev().any(|&e| try_end(e, f, search))
                    } else {
                        ends.into_iter().any(|e| try_end(e, f, search))
                    }
                }
            }
        }
        Item::Padded(esc) => {
            let trimmed = s.trim_start_matches(' ');
            let saved = *f;
            if let Some(n) = match_typed(*esc, trimmed, f) {
                let after = &trimmed[n..];
                let stripped = after.trim_start_matches(' ');
                // try consuming the padding, then not (the next literal may start with a space)
                for rest in [stripped, after] {
                    if search_items(search, next, rest, f) {
                        return true;
                    }
                    *f = saved;
                    let _ = match_typed(*esc, trimmed, f);
                }
                *f = saved;
            }
            false
        }
        Item::Esc(esc) => {
            let saved = *f;
            if let Some(n) = match_typed(*esc, s, f) {
                if search_items(search, next, &s[n..], f) {
                    return true;
                }
                *f = saved;
            }
            may_be_empty(*esc) && search_items(search, next, s, f)
        }
    }
}
