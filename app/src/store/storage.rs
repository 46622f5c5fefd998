//! `cosmwasm_std::Storage` over a branch, scoped to one module's key prefix, so modules keep
//! their state with cw-storage-plus `Item`, `Map` and `IndexedMap`.

use cosmwasm_std::{Order, Record as CwRecord, Storage};

use super::layer::Branch;

/// One module's view of a branch: every key is stored under `prefix`, every access is metered
/// on the branch's gas meter.
pub struct ModuleStore<'b, 'p> {
    branch: &'b mut Branch<'p>,
    prefix: Vec<u8>,
}

impl<'b, 'p> ModuleStore<'b, 'p> {
    /// `prefix` must not be a prefix of another module's prefix (end it with a separator,
    /// e.g. `b"bank/"`).
    pub fn new(branch: &'b mut Branch<'p>, prefix: &[u8]) -> Self {
        ModuleStore {
            branch,
            prefix: prefix.to_vec(),
        }
    }

    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    fn full_key(&self, key: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.prefix.len() + key.len());
        k.extend_from_slice(&self.prefix);
        k.extend_from_slice(key);
        k
    }
}

/// The smallest key greater than every key that starts with `prefix` (`None`: no such key).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl Storage for ModuleStore<'_, '_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.branch.get(&self.full_key(key))
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = CwRecord> + 'a> {
        let start = self.full_key(start.unwrap_or_default());
        let end = match end {
            Some(e) => Some(self.full_key(e)),
            None => prefix_end(&self.prefix),
        };
        let skip = self.prefix.len();
        Box::new(
            self.branch
                .iter(Some(&start), end.as_deref(), order)
                .map(move |(k, v)| (k[skip..].to_vec(), v)),
        )
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        let k = self.full_key(key);
        self.branch.set(&k, value);
    }

    fn remove(&mut self, key: &[u8]) {
        let k = self.full_key(key);
        self.branch.delete(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_sibling() {
        assert_eq!(prefix_end(b"bank/"), Some(b"bank0".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }
}
