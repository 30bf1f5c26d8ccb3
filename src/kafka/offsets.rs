//! Which offsets may be committed: per partition, the offset after the longest run of
//! consumed messages that all have a final outcome. Never past a message whose outcome
//! is still pending, so a crash can repeat work but never skip it.

use std::collections::{HashMap, VecDeque};

/// A partition of an input topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartitionKey {
    pub topic: String,
    pub partition: i32,
}

/// A consumed message waiting for its outcome. `epoch` tells an outcome of the current
/// assignment from one that arrives after its partition was revoked (and perhaps
/// assigned again): a late outcome must not move a new assignment's offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub key: PartitionKey,
    pub offset: i64,
    pub epoch: u64,
}

#[derive(Debug, Default)]
struct PartitionState {
    epoch: u64,
    /// Consumed offsets in order, with whether each is finished.
    pending: VecDeque<(i64, bool)>,
}

/// Tracks outcomes for every assigned partition.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<PartitionKey, PartitionState>,
    next_epoch: u64,
    in_flight: usize,
}

impl OffsetTracker {
    pub fn new() -> OffsetTracker {
        OffsetTracker::default()
    }

    /// A partition was assigned: start a new epoch with nothing pending.
    pub fn assign(&mut self, key: PartitionKey) {
        self.next_epoch += 1;
        let state = self.partitions.entry(key).or_default();
        self.in_flight -= state.pending.len();
        state.pending.clear();
        state.epoch = self.next_epoch;
    }

    /// A partition was revoked: forget its pending work; outcomes still on their way
    /// are ignored, and the new owner consumes from the last committed offset.
    pub fn revoke(&mut self, key: &PartitionKey) {
        if let Some(state) = self.partitions.remove(key) {
            self.in_flight -= state.pending.len();
        }
    }

    /// A message was consumed; its outcome is pending until `finish`.
    pub fn begin(&mut self, key: PartitionKey, offset: i64) -> Ticket {
        if !self.partitions.contains_key(&key) {
            // Messages can arrive before the assignment callback is seen.
            self.assign(key.clone());
        }
        let state = self.partitions.get_mut(&key).expect("assigned above");
        state.pending.push_back((offset, false));
        self.in_flight += 1;
        Ticket {
            epoch: state.epoch,
            key,
            offset,
        }
    }

    /// A message has its final outcome. Returns the offset to store for its partition
    /// (the next offset to consume) when the run of finished messages grew.
    pub fn finish(&mut self, ticket: &Ticket) -> Option<i64> {
        let state = self.partitions.get_mut(&ticket.key)?;
        if state.epoch != ticket.epoch {
            return None;
        }
        let entry = state
            .pending
            .iter_mut()
            .find(|(offset, done)| *offset == ticket.offset && !*done)?;
        entry.1 = true;
        let mut committable = None;
        while let Some(&(offset, true)) = state.pending.front() {
            state.pending.pop_front();
            self.in_flight -= 1;
            committable = Some(offset + 1);
        }
        committable
    }

    /// Messages consumed whose outcome is still pending.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(partition: i32) -> PartitionKey {
        PartitionKey {
            topic: "social.posts".to_string(),
            partition,
        }
    }

    #[test]
    fn commits_only_behind_a_contiguous_run() {
        let mut tracker = OffsetTracker::new();
        tracker.assign(key(0));
        let tickets: Vec<Ticket> = (10..15)
            .map(|offset| tracker.begin(key(0), offset))
            .collect();
        assert_eq!(tracker.finish(&tickets[1]), None, "10 is still pending");
        assert_eq!(tracker.finish(&tickets[2]), None);
        assert_eq!(tracker.finish(&tickets[0]), Some(13), "10, 11, 12 are done");
        assert_eq!(tracker.finish(&tickets[4]), None, "13 is still pending");
        assert_eq!(tracker.finish(&tickets[3]), Some(15));
        assert_eq!(tracker.in_flight(), 0);
    }

    #[test]
    fn partitions_are_independent() {
        let mut tracker = OffsetTracker::new();
        let a = tracker.begin(key(0), 5);
        let b = tracker.begin(key(1), 7);
        assert_eq!(tracker.finish(&b), Some(8));
        assert_eq!(tracker.in_flight(), 1);
        assert_eq!(tracker.finish(&a), Some(6));
    }

    #[test]
    fn outcomes_from_a_revoked_assignment_are_ignored() {
        let mut tracker = OffsetTracker::new();
        let old = tracker.begin(key(0), 100);
        tracker.revoke(&key(0));
        assert_eq!(tracker.in_flight(), 0);
        tracker.assign(key(0));
        let new = tracker.begin(key(0), 90);
        assert_eq!(
            tracker.finish(&old),
            None,
            "late outcome of the old assignment"
        );
        assert_eq!(tracker.finish(&new), Some(91));
    }

    #[test]
    fn a_repeated_outcome_changes_nothing() {
        let mut tracker = OffsetTracker::new();
        let first = tracker.begin(key(0), 1);
        let second = tracker.begin(key(0), 2);
        assert_eq!(tracker.finish(&second), None);
        assert_eq!(tracker.finish(&second), None);
        assert_eq!(tracker.finish(&first), Some(3));
        assert_eq!(tracker.in_flight(), 0);
    }
}
