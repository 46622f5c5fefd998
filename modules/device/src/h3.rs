//! Device locations as H3 cells, in integer grid arithmetic only: validity, parents, grid
//! distance and the resolution-15 index that turns "devices in this hex" into one key range.
//! Nothing here uses coordinates or floating point, so every node decides alike.

use h3o::{CellIndex, Resolution};

/// The resolution at which devices are indexed by location: the finest one, so that a cell
/// at any resolution covers one contiguous range of index keys.
pub const INDEX_RESOLUTION: u8 = 15;

/// Why a location was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error("{0} ({0:#x}) is not a valid H3 cell index")]
    InvalidCell(u64),
    #[error("H3 resolution {res} is outside the allowed range {min} to {max}")]
    ResolutionOutOfRange { res: u8, min: u8, max: u8 },
    #[error("H3 resolution {0} does not exist: resolutions are 0 to 15")]
    InvalidResolution(u8),
    #[error(
        "cell {cell:#x} has resolution {cell_res}: it has no parent at the finer resolution {res}"
    )]
    FinerThanCell { cell: u64, cell_res: u8, res: u8 },
}

fn cell_index(cell: u64) -> Result<CellIndex, LocationError> {
    CellIndex::try_from(cell).map_err(|_| LocationError::InvalidCell(cell))
}

fn resolution(res: u8) -> Result<Resolution, LocationError> {
    Resolution::try_from(res).map_err(|_| LocationError::InvalidResolution(res))
}

/// Checks that `cell` is an H3 cell index whose resolution is within `min_res..=max_res`
/// (params' location limits).
pub fn validate_cell(cell: u64, min_res: u8, max_res: u8) -> Result<CellIndex, LocationError> {
    let index = cell_index(cell)?;
    let res = u8::from(index.resolution());
    if res < min_res || res > max_res {
        return Err(LocationError::ResolutionOutOfRange {
            res,
            min: min_res,
            max: max_res,
        });
    }
    Ok(index)
}

/// The cell containing `cell` at resolution `res` (`cell` itself at its own resolution).
pub fn parent_at(cell: u64, res: u8) -> Result<u64, LocationError> {
    let index = cell_index(cell)?;
    let parent = index
        .parent(resolution(res)?)
        .ok_or(LocationError::FinerThanCell {
            cell,
            cell_res: u8::from(index.resolution()),
            res,
        })?;
    Ok(u64::from(parent))
}

/// The distance in grid steps between the parents at `res` of `a` and `b`.
///
/// `None` when it cannot be computed: an invalid cell or resolution, a cell coarser than
/// `res`, or cells that h3o cannot relate on one local grid (too far apart, or separated by a
/// pentagon's distortion). Callers treat `None` as too far.
pub fn grid_distance_at(a: u64, b: u64, res: u8) -> Option<u32> {
    let res = Resolution::try_from(res).ok()?;
    let a = CellIndex::try_from(a).ok()?.parent(res)?;
    let b = CellIndex::try_from(b).ok()?.parent(res)?;
    a.grid_distance(b)
        .ok()
        .and_then(|steps| u32::try_from(steps).ok())
}

/// The key under which a device located in `cell` is indexed: the cell's center child at
/// [`INDEX_RESOLUTION`].
///
/// For a cell `p` and a cell `c` at least as fine as `p`, `index_key(c)` lies in
/// [`descendant_range`]`(p)` exactly when `c` is `p` or one of its descendants. A cell coarser
/// than `p` falls in `p`'s range only when `p` is on its chain of center children.
pub fn index_key(cell: CellIndex) -> u64 {
    // Every cell has a center child at resolution 15 (itself when already at 15).
    cell.center_child(Resolution::Fifteen)
        .map_or(u64::from(cell), u64::from)
}

/// The inclusive bounds of the index keys of `cell` and its descendants: its first and last
/// child at [`INDEX_RESOLUTION`].
///
/// H3 stores the base cell and then one 3-bit digit per resolution, coarse to fine, below a
/// resolution field that is 15 for every index key. The resolution-15 cells that share
/// `cell`'s base cell and leading digits therefore form one contiguous numeric interval, from
/// the child whose remaining digits are all 0 to the one whose remaining digits are all 6.
pub fn descendant_range(cell: CellIndex) -> (u64, u64) {
    let first = index_key(cell);
    let count = cell.children_count(Resolution::Fifteen);
    let last = count
        .checked_sub(1)
        .and_then(|position| cell.child_at(position, Resolution::Fifteen))
        .map_or(first, u64::from);
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A resolution-10 hexagon (h3o's documentation cell) and one of its neighbours.
    const CELL: u64 = 0x8a1fb46622dffff;
    const NEIGHBOUR: u64 = 0x8a1fb46622d7fff;

    fn cell(raw: u64) -> CellIndex {
        CellIndex::try_from(raw).expect("valid test cell")
    }

    fn in_range(key: u64, (first, last): (u64, u64)) -> bool {
        first <= key && key <= last
    }

    fn pentagon_base_cell() -> CellIndex {
        CellIndex::base_cells()
            .find(|c| c.is_pentagon())
            .expect("H3 has twelve pentagons")
    }

    /// The neighbours of `cell` at its resolution (its disk of radius 1 without itself).
    fn neighbours(cell: CellIndex) -> Vec<CellIndex> {
        cell.grid_disk_safe(1).filter(|c| *c != cell).collect()
    }

    /// A deterministic, well-spread resolution-15 descendant of `cell`.
    fn some_leaf(cell: CellIndex, salt: u64) -> CellIndex {
        let count = cell.children_count(Resolution::Fifteen);
        let position = salt.wrapping_mul(0x9e37_79b9_7f4a_7c15) % count;
        cell.child_at(position, Resolution::Fifteen)
            .expect("position below children_count")
    }

    #[test]
    fn validate_cell_accepts_cells_within_limits() {
        assert_eq!(validate_cell(CELL, 0, 15), Ok(cell(CELL)));
        assert_eq!(validate_cell(CELL, 10, 10), Ok(cell(CELL)));
    }

    #[test]
    fn validate_cell_refuses_non_cells() {
        for raw in [0, u64::MAX, CELL + 1, CELL & !(0xf << 59)] {
            assert_eq!(
                validate_cell(raw, 0, 15),
                Err(LocationError::InvalidCell(raw))
            );
        }
    }

    #[test]
    fn validate_cell_refuses_resolutions_outside_limits() {
        assert_eq!(
            validate_cell(CELL, 11, 12),
            Err(LocationError::ResolutionOutOfRange {
                res: 10,
                min: 11,
                max: 12
            })
        );
        assert_eq!(
            validate_cell(CELL, 5, 9),
            Err(LocationError::ResolutionOutOfRange {
                res: 10,
                min: 5,
                max: 9
            })
        );
    }

    #[test]
    fn parent_at_walks_up_the_hierarchy() {
        let parent = parent_at(CELL, 8).unwrap();
        assert_eq!(u8::from(cell(parent).resolution()), 8);
        assert_eq!(parent_at(CELL, 10), Ok(CELL));
        assert_eq!(parent_at(parent, 3), parent_at(CELL, 3));
    }

    #[test]
    fn parent_at_refuses_finer_resolutions_and_bad_input() {
        assert_eq!(
            parent_at(CELL, 11),
            Err(LocationError::FinerThanCell {
                cell: CELL,
                cell_res: 10,
                res: 11
            })
        );
        assert_eq!(
            parent_at(CELL, 16),
            Err(LocationError::InvalidResolution(16))
        );
        assert_eq!(parent_at(7, 3), Err(LocationError::InvalidCell(7)));
    }

    #[test]
    fn grid_distance_counts_steps_between_parents() {
        assert_eq!(grid_distance_at(CELL, CELL, 10), Some(0));
        assert_eq!(grid_distance_at(CELL, NEIGHBOUR, 10), Some(1));
        // Two children of one cell are at distance 0 at the parent's resolution.
        let parent = cell(CELL);
        let a = u64::from(parent.child_at(0, Resolution::Twelve).unwrap());
        let b = u64::from(parent.child_at(48, Resolution::Twelve).unwrap());
        assert_eq!(grid_distance_at(a, b, 10), Some(0));
        assert!(grid_distance_at(a, b, 12).unwrap() > 0);
        // A ring of radius 3 is 3 steps away.
        for far in cell(CELL).grid_ring::<Vec<_>>(3) {
            assert_eq!(grid_distance_at(CELL, u64::from(far), 10), Some(3));
        }
    }

    #[test]
    fn grid_distance_is_none_when_it_cannot_be_computed() {
        // Coarser than the requested resolution.
        assert_eq!(grid_distance_at(CELL, NEIGHBOUR, 11), None);
        // Not cells, or no such resolution.
        assert_eq!(grid_distance_at(0, CELL, 5), None);
        assert_eq!(grid_distance_at(CELL, NEIGHBOUR, 16), None);
        // Opposite sides of the globe: h3o has no common local grid for them.
        let first = CellIndex::base_cells().next().unwrap();
        let last = CellIndex::base_cells().last().unwrap();
        let (a, b) = (some_leaf(first, 1), some_leaf(last, 2));
        assert_eq!(grid_distance_at(a.into(), b.into(), 9), None);
    }

    #[test]
    fn index_key_is_the_center_child_at_resolution_15() {
        let key = index_key(cell(CELL));
        let leaf = cell(key);
        assert_eq!(u8::from(leaf.resolution()), INDEX_RESOLUTION);
        assert_eq!(leaf.parent(Resolution::Ten), Some(cell(CELL)));
        assert_eq!(index_key(leaf), key);
        assert_eq!(descendant_range(leaf), (key, key));
    }

    #[test]
    fn descendant_range_bounds_are_first_and_last_child() {
        for p in [
            cell(CELL),
            pentagon_base_cell(),
            cell(CELL).parent(Resolution::Zero).unwrap(),
        ] {
            let (first, last) = descendant_range(p);
            let children: Vec<u64> = if u8::from(p.resolution()) >= 9 {
                p.children(Resolution::Fifteen).map(u64::from).collect()
            } else {
                vec![first, last]
            };
            assert_eq!(children.iter().min(), Some(&first));
            assert_eq!(children.iter().max(), Some(&last));
            assert_eq!(cell(last).parent(p.resolution()), Some(p));
            assert_eq!(first, index_key(p));
        }
    }

    /// Every cell at least as fine as `p`: its key is in `p`'s range exactly when it is `p` or
    /// below `p`. Checked exhaustively two levels down from `p` and from each neighbour.
    fn assert_range_matches_descendants(p: CellIndex) {
        let range = descendant_range(p);
        let res = u8::from(p.resolution());
        for down in 0..=2u8.min(15 - res) {
            let child_res = Resolution::try_from(res + down).unwrap();
            for child in p.children(child_res) {
                assert!(
                    in_range(index_key(child), range),
                    "{child} is below {p} but outside its range"
                );
            }
            for other in neighbours(p) {
                for child in other.children(child_res) {
                    assert!(
                        !in_range(index_key(child), range),
                        "{child} is below the neighbour {other} but inside {p}'s range"
                    );
                }
            }
        }
    }

    #[test]
    fn range_holds_for_a_hexagon_and_its_neighbours() {
        assert_range_matches_descendants(cell(CELL));
        assert_range_matches_descendants(cell(CELL).parent(Resolution::Five).unwrap());
    }

    #[test]
    fn range_holds_for_a_pentagon_and_its_neighbours() {
        let pentagon = pentagon_base_cell();
        for res in [0u8, 1, 7, 13] {
            let p = pentagon
                .center_child(Resolution::try_from(res).unwrap())
                .unwrap();
            assert!(p.is_pentagon());
            assert_range_matches_descendants(p);
        }
    }

    #[test]
    fn range_holds_at_every_resolution_on_every_base_cell() {
        for (salt, base) in CellIndex::base_cells().enumerate() {
            let leaf = some_leaf(base, salt as u64 + 1);
            let key = index_key(leaf);
            assert_eq!(key, u64::from(leaf));
            for res in Resolution::range(Resolution::Zero, Resolution::Fifteen) {
                let ancestor = leaf.parent(res).unwrap();
                assert!(in_range(key, descendant_range(ancestor)));
                for other in neighbours(ancestor) {
                    assert!(
                        !in_range(key, descendant_range(other)),
                        "{leaf} is inside the range of {other}, a neighbour of its ancestor"
                    );
                }
            }
        }
    }

    #[test]
    fn ranges_of_distinct_cells_at_one_resolution_do_not_overlap() {
        // Resolution-0 cells: the whole key space, in 122 disjoint intervals.
        let mut ranges: Vec<(u64, u64)> = CellIndex::base_cells().map(descendant_range).collect();
        ranges.sort_unstable();
        for pair in ranges.windows(2) {
            assert!(pair[0].1 < pair[1].0);
        }
    }

    #[test]
    fn a_coarser_cell_is_found_only_through_its_center_chain() {
        // Documented edge: a cell coarser than the queried one is indexed by its center, so
        // only the query cells on its center-child chain find it.
        let coarse = cell(CELL).parent(Resolution::Five).unwrap();
        let key = index_key(coarse);
        let center = coarse.center_child(Resolution::Seven).unwrap();
        assert!(in_range(key, descendant_range(center)));
        for other in coarse.children(Resolution::Seven).filter(|c| *c != center) {
            assert!(!in_range(key, descendant_range(other)));
        }
    }
}
