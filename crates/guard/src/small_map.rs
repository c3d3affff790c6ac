//! A map from names to values for the handful of entries a scope holds (a rule file's
//! `let`s and rules, a call's arguments): a list searched in order, which beats hashing
//! for so few keys; evaluation looks names up for every value a rule checks.

/// Names to values, in insertion order; a name is there at most once.
#[derive(Debug)]
pub(crate) struct SmallMap<'a, V>(Vec<(&'a str, V)>);

impl<V> Default for SmallMap<'_, V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<'a, V> SmallMap<'a, V> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        SmallMap(Vec::with_capacity(n))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// The values, in insertion order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    /// Sets `name` to `value`, replacing what it was.
    pub(crate) fn insert(&mut self, name: &'a str, value: V) {
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name, value)),
        }
    }

    /// The value of `name`, made with `Default` first if it is not there.
    pub(crate) fn entry_or_default(&mut self, name: &'a str) -> &mut V
    where
        V: Default,
    {
        let i = match self.0.iter().position(|(k, _)| *k == name) {
            Some(i) => i,
            None => {
                self.0.push((name, V::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }
}

impl<'a, V> FromIterator<(&'a str, V)> for SmallMap<'a, V> {
    /// Later entries of a name replace earlier ones, as in a `HashMap`.
    fn from_iter<I: IntoIterator<Item = (&'a str, V)>>(items: I) -> Self {
        let mut map = SmallMap::default();
        for (k, v) in items {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_replaced_and_defaulted() {
        let mut m: SmallMap<Vec<u8>> = [("a", vec![1]), ("b", vec![2]), ("a", vec![3])]
            .into_iter()
            .collect();
        assert_eq!(m.get("a"), Some(&vec![3]));
        assert_eq!(m.get("c"), None);
        m.entry_or_default("c").push(4);
        m.entry_or_default("b").push(5);
        assert_eq!(m.get("c"), Some(&vec![4]));
        assert_eq!(m.get("b"), Some(&vec![2, 5]));
        m.insert("b", vec![]);
        assert_eq!(m.get("b"), Some(&vec![]));
    }
}
