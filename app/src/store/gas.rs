//! Gas metering of store access.
//!
//! `cosmwasm_std::Storage` methods cannot fail, so the meter *records* running out of gas and
//! the caller turns it into [`StoreError::OutOfGas`] with [`GasMeter::check`] when control
//! returns (end of a message, end of a transaction).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::error::StoreError;

/// Gas charged per store operation. The defaults are the Cosmos SDK's `KVGasConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasConfig {
    pub has_cost: u64,
    pub delete_cost: u64,
    pub read_cost_flat: u64,
    pub read_cost_per_byte: u64,
    pub write_cost_flat: u64,
    pub write_cost_per_byte: u64,
    pub iter_next_cost_flat: u64,
}

impl Default for GasConfig {
    fn default() -> Self {
        GasConfig {
            has_cost: 1000,
            delete_cost: 1000,
            read_cost_flat: 1000,
            read_cost_per_byte: 3,
            write_cost_flat: 2000,
            write_cost_per_byte: 30,
            iter_next_cost_flat: 30,
        }
    }
}

/// Counts gas against a limit. Shared (`Arc`) by a transaction's branch and its nested branches.
#[derive(Debug)]
pub struct GasMeter {
    limit: u64,
    consumed: AtomicU64,
    config: GasConfig,
    /// The first operation that went over the limit, with the total it wanted.
    exhausted: Mutex<Option<(&'static str, u64)>>,
}

impl GasMeter {
    pub fn new(limit: u64, config: GasConfig) -> Self {
        GasMeter {
            limit,
            consumed: AtomicU64::new(0),
            config,
            exhausted: Mutex::new(None),
        }
    }

    /// A meter that never runs out: block-level work (begin/end block, genesis).
    pub fn infinite() -> Self {
        Self::new(u64::MAX, GasConfig::default())
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn config(&self) -> &GasConfig {
        &self.config
    }

    /// Gas consumed so far, never above the limit.
    pub fn consumed(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed)
    }

    /// Gas the work wanted: equals `consumed` unless the meter ran out.
    pub fn wanted(&self) -> u64 {
        match *self.exhausted_slot() {
            Some((_, wanted)) => wanted,
            None => self.consumed(),
        }
    }

    pub fn is_out_of_gas(&self) -> bool {
        self.exhausted_slot().is_some()
    }

    /// Charges `amount`. Past the limit the consumption is capped at the limit and the first
    /// exhausting operation is recorded; later charges only raise the recorded total.
    pub fn consume(&self, amount: u64, descriptor: &'static str) {
        let before = self.consumed.load(Ordering::Relaxed);
        let wanted = before.saturating_add(amount);
        if wanted <= self.limit {
            self.consumed.store(wanted, Ordering::Relaxed);
            return;
        }
        self.consumed.store(self.limit, Ordering::Relaxed);
        let mut slot = self.exhausted_slot();
        match slot.as_mut() {
            Some((_, total)) => *total = total.saturating_add(amount),
            None => *slot = Some((descriptor, wanted)),
        }
    }

    /// `Ok` while within the limit; the typed error once the limit was passed.
    pub fn check(&self) -> Result<(), StoreError> {
        match *self.exhausted_slot() {
            Some((descriptor, wanted)) => Err(StoreError::OutOfGas {
                descriptor,
                limit: self.limit,
                wanted,
            }),
            None => Ok(()),
        }
    }

    fn exhausted_slot(&self) -> std::sync::MutexGuard<'_, Option<(&'static str, u64)>> {
        // A poisoned lock only means another thread panicked while holding it; the data is a
        // plain Option and stays meaningful.
        self.exhausted.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn charge_read(&self, key_len: usize, value_len: Option<usize>) {
        let c = &self.config;
        self.consume(c.read_cost_flat, "read");
        let bytes = key_len as u64 + value_len.unwrap_or(0) as u64;
        self.consume(c.read_cost_per_byte.saturating_mul(bytes), "read per byte");
    }

    pub(crate) fn charge_has(&self) {
        self.consume(self.config.has_cost, "has");
    }

    pub(crate) fn charge_write(&self, key_len: usize, value_len: usize) {
        let c = &self.config;
        self.consume(c.write_cost_flat, "write");
        let bytes = key_len as u64 + value_len as u64;
        self.consume(
            c.write_cost_per_byte.saturating_mul(bytes),
            "write per byte",
        );
    }

    pub(crate) fn charge_delete(&self) {
        self.consume(self.config.delete_cost, "delete");
    }

    pub(crate) fn charge_iter_step(&self, key_len: usize, value_len: usize) {
        let c = &self.config;
        self.consume(c.iter_next_cost_flat, "iterator next");
        let bytes = key_len as u64 + value_len as u64;
        self.consume(
            c.read_cost_per_byte.saturating_mul(bytes),
            "iterator value per byte",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_first_exhaustion_and_caps_consumption() {
        let m = GasMeter::new(2500, GasConfig::default());
        m.charge_read(10, Some(10)); // 1000 + 60
        assert_eq!(m.consumed(), 1060);
        assert!(m.check().is_ok());
        m.charge_write(5, 5); // 2000 (over the limit) + 300 per byte
        assert!(m.is_out_of_gas());
        assert_eq!(m.consumed(), 2500);
        assert_eq!(
            m.check(),
            Err(StoreError::OutOfGas {
                descriptor: "write",
                limit: 2500,
                wanted: 3360
            })
        );
        m.charge_delete();
        assert_eq!(m.wanted(), 3360 + 1000);
        assert_eq!(m.consumed(), 2500);
    }

    #[test]
    fn infinite_meter_never_runs_out() {
        let m = GasMeter::infinite();
        for _ in 0..1000 {
            m.consume(u64::MAX / 2, "big");
        }
        assert!(m.check().is_ok());
        assert_eq!(m.consumed(), u64::MAX);
    }
}
